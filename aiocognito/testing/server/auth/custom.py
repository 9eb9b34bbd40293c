"""``CUSTOM_AUTH``: the define, create and verify auth-challenge triggers (Python callables standing
in for the Lambda functions) decide each ``CUSTOM_CHALLENGE``, optionally after SRP.
"""

from __future__ import annotations

from typing import Any

from ...faults import Fault, invalid_parameter, not_authorized
from ..checks import require
from ..context import Context
from ..state import Client, Pool, User
from .finish import after_first_factor
from .passwords import check_status, existing_user
from .sessions import AuthSession
from .srp import start_srp

__all__ = ["answer_custom", "custom_next", "start_custom"]


async def custom_next(
    ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession
) -> dict[str, Any]:
    """Ask DefineAuthChallenge what comes next, and do it."""
    reply = await ctx.run_trigger(
        pool,
        "define_auth_challenge",
        source="DefineAuthChallenge_Authentication",
        username=user.username,
        client_id=client.id,
        request={
            "userAttributes": dict(user.attributes),
            "session": [dict(entry) for entry in session.custom_history],
            "clientMetadata": dict(session.client_metadata),
            "userNotFound": False,
        },
        response={"challengeName": None, "issueTokens": False, "failAuthentication": False},
    )
    if reply.get("failAuthentication") is True:
        ctx.sessions.drop(session)
        raise not_authorized()
    if reply.get("issueTokens") is True:
        session.wants_mfa = False
        return await after_first_factor(ctx, pool, client, user, session)
    name = reply.get("challengeName")
    if name == "PASSWORD_VERIFIER":
        if not session.srp_a:
            raise invalid_parameter("PASSWORD_VERIFIER needs SRP_A in the AuthParameters of CUSTOM_AUTH")
        return start_srp(ctx, pool, client, user, session, session.srp_a)
    if name != "CUSTOM_CHALLENGE":
        raise Fault("InvalidLambdaResponseException", f"Unrecognizable lambda output: challengeName {name!r}")
    created = await ctx.run_trigger(
        pool,
        "create_auth_challenge",
        source="CreateAuthChallenge_Authentication",
        username=user.username,
        client_id=client.id,
        request={
            "userAttributes": dict(user.attributes),
            "challengeName": "CUSTOM_CHALLENGE",
            "session": [dict(entry) for entry in session.custom_history],
            "clientMetadata": dict(session.client_metadata),
            "userNotFound": False,
        },
        response={
            "publicChallengeParameters": {},
            "privateChallengeParameters": {},
            "challengeMetadata": None,
        },
    )
    public = created.get("publicChallengeParameters") or {}
    private = created.get("privateChallengeParameters") or {}
    if not isinstance(public, dict) or not isinstance(private, dict):
        raise Fault("InvalidLambdaResponseException", "Unrecognizable lambda output")
    session.custom_private = dict(private)
    session.custom_metadata = str(created.get("challengeMetadata") or "")
    parameters = {str(k): str(v) for k, v in public.items()}
    parameters["USERNAME"] = user.username
    return ctx.sessions.challenge(session, "CUSTOM_CHALLENGE", parameters)


async def start_custom(
    ctx: Context, pool: Pool, client: Client, user: User | None, session: AuthSession, params: dict[str, str]
) -> dict[str, Any]:
    """CUSTOM_AUTH: refused unless the pool has a DefineAuthChallenge trigger; ``SRP_A`` in the
    parameters starts with SRP, as amazon-cognito-identity-js's ``CUSTOM_CHALLENGE`` after ``SRP_A`` does.

    Raises:
        Fault: InvalidParameterException (no trigger), NotAuthorizedException, UserNotConfirmedException...
    """
    if ctx.trigger(pool, "define_auth_challenge") is None:
        raise invalid_parameter("Custom auth lambda trigger is not configured for the user pool.")
    user = existing_user(client, user)
    check_status(user)
    session.wants_mfa = False
    if params.get("CHALLENGE_NAME") == "SRP_A" or params.get("SRP_A"):
        session.srp_a = require(params, "SRP_A")
        session.custom_history.append(
            {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None}
        )
    return await custom_next(ctx, pool, client, user, session)


async def answer_custom(
    ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    """A CUSTOM_CHALLENGE answer, judged by the VerifyAuthChallengeResponse trigger; then DefineAuthChallenge
    says what comes next.
    """
    answer = require(responses, "ANSWER")
    reply = await ctx.run_trigger(
        pool,
        "verify_auth_challenge_response",
        source="VerifyAuthChallengeResponse_Authentication",
        username=user.username,
        client_id=client.id,
        request={
            "userAttributes": dict(user.attributes),
            "privateChallengeParameters": dict(session.custom_private),
            "challengeAnswer": answer,
            "clientMetadata": dict(session.client_metadata),
            "userNotFound": False,
        },
        response={"answerCorrect": False},
    )
    session.custom_history.append(
        {
            "challengeName": "CUSTOM_CHALLENGE",
            "challengeResult": reply.get("answerCorrect") is True,
            "challengeMetadata": session.custom_metadata or None,
        }
    )
    return await custom_next(ctx, pool, client, user, session)
