"""The sign-in behind the managed login pages, on the pool's own machinery: the password is checked as
``AdminInitiateAuth`` checks it (lock-out, status, migration and pre authentication triggers), and each
challenge is answered through ``AdminRespondToAuthChallenge``, so codes, new passwords and MFA choices
are judged exactly as the API judges them. The API's tokens are not shown to anyone: the pages give the
app an authorization code instead, and the refresh token (and new device) the API made is forgotten at
once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiocognito.core import srp

from ...faults import not_authorized
from .. import lifecycle
from ..auth.finish import after_password
from ..auth.mfa import associate_with_session, verify_with_session
from ..auth.passwords import check_password, existing_user
from ..auth.respond import admin_respond_to_auth_challenge
from ..auth.sessions import AuthSession
from ..context import Context
from ..migration import migrate_user
from ..state import Client, Pool, User

__all__ = ["Challenge", "SignedIn", "answer_challenge", "set_up_totp", "sign_in_with_password", "verify_totp"]


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The sign-in is over: ``user`` gets an authorization code."""

    user: User


@dataclass(frozen=True, slots=True)
class Challenge:
    """The pool asks a challenge (``SOFTWARE_TOKEN_MFA``, ``NEW_PASSWORD_REQUIRED``...) before tokens."""

    name: str
    session: str = field(repr=False)
    parameters: dict[str, str]


def _outcome(pool: Pool, user: User, reply: dict[str, Any]) -> SignedIn | Challenge:
    result = reply.get("AuthenticationResult")
    if result is not None:
        # Nobody holds these: the app gets its tokens for the code. Nor a device (no SDK remembers it).
        pool.refresh_tokens.pop(str(result.get("RefreshToken", "")), None)
        device = result.get("NewDeviceMetadata") or {}
        user.devices.pop(str(device.get("DeviceKey", "")), None)
        return SignedIn(user)
    return Challenge(reply["ChallengeName"], reply["Session"], dict(reply.get("ChallengeParameters") or {}))


async def sign_in_with_password(
    ctx: Context, pool: Pool, client: Client, username: str, password: str
) -> SignedIn | Challenge:
    """Check ``password`` for ``username`` (a username or an alias) as ``ADMIN_USER_PASSWORD_AUTH`` does.

    The managed login needs none of the client's ``ExplicitAuthFlows``, as on Cognito.

    Raises:
        Fault: NotAuthorizedException ("Incorrect username or password.", "Password attempts exceeded",
            "User is disabled."), UserNotFoundException, UserNotConfirmedException,
            PasswordResetRequiredException, or a trigger's refusal.
    """
    now = ctx.now()
    ctx.sessions.purge(now)
    user = pool.find_user(username)
    if user is None:
        user = await migrate_user(
            ctx, pool, client.id, username, source="Authentication", password=password, metadata={}
        )
    if user is not None and user.enabled:
        await lifecycle.pre_authentication(ctx, pool, client.id, user, validation_data={}, metadata={})
    user = existing_user(client, user)
    session = AuthSession(
        pool_id=pool.id,
        client_id=client.id,
        username=user.username,
        typed_username=username,
        flow="ADMIN_USER_PASSWORD_AUTH",
        expires_at=now + client.session_minutes * 60,
    )
    check_password(ctx, pool, user, password)
    return _outcome(pool, user, await after_password(ctx, pool, client, user, session))


def _session_user(ctx: Context, pool: Pool, session: str) -> User:
    user = pool.users.get(ctx.sessions.get(session, ctx.now()).username)
    if user is None:
        raise not_authorized("Invalid session for the user.")
    return user


async def answer_challenge(
    ctx: Context, pool: Pool, client: Client, challenge: Challenge, responses: dict[str, str]
) -> SignedIn | Challenge:
    """Answer ``challenge`` with ``responses`` (its ``ChallengeResponses`` but ``USERNAME`` and
    ``SECRET_HASH``, added here) through ``AdminRespondToAuthChallenge``.

    Raises:
        Fault: as AdminRespondToAuthChallenge: CodeMismatchException, InvalidPasswordException,
            NotAuthorizedException (the session is over: sign in again)...
    """
    user = _session_user(ctx, pool, challenge.session)
    answers = {**responses, "USERNAME": user.username}
    if client.secret:
        answers["SECRET_HASH"] = srp.secret_hash(user.username, client.id, client.secret)
    body = {
        "UserPoolId": pool.id,
        "ClientId": client.id,
        "ChallengeName": challenge.name,
        "Session": challenge.session,
        "ChallengeResponses": answers,
    }
    return _outcome(pool, user, await admin_respond_to_auth_challenge(ctx, body))


def set_up_totp(ctx: Context, challenge: Challenge) -> tuple[str, Challenge]:
    """A new software token for an ``MFA_SETUP`` challenge: its secret (base32), and the challenge with
    the session ``AssociateSoftwareToken`` gave.

    Raises:
        Fault: NotAuthorizedException when the session is over.
    """
    reply = associate_with_session(ctx, challenge.session)
    return str(reply["SecretCode"]), Challenge(challenge.name, reply["Session"], challenge.parameters)


async def verify_totp(
    ctx: Context, pool: Pool, client: Client, challenge: Challenge, code: str
) -> SignedIn | Challenge:
    """Check the first ``code`` of the token :func:`set_up_totp` made, as ``VerifySoftwareToken`` does,
    then answer ``MFA_SETUP``.

    Raises:
        Fault: EnableSoftwareTokenMFAException for a wrong code, NotAuthorizedException when the
            session is over.
    """
    reply = verify_with_session(ctx, challenge.session, code, "managed login")
    verified = Challenge(challenge.name, reply["Session"], challenge.parameters)
    return await answer_challenge(ctx, pool, client, verified, {})
