"""``RespondToAuthChallenge`` and ``AdminRespondToAuthChallenge``: the answer to each challenge
(``PASSWORD_VERIFIER``, ``DEVICE_SRP_AUTH`` / ``DEVICE_PASSWORD_VERIFIER``, ``NEW_PASSWORD_REQUIRED``,
``SMS_MFA``, ``EMAIL_OTP``, ``SOFTWARE_TOKEN_MFA``, ``SMS_OTP``, ``SELECT_MFA_TYPE``, ``MFA_SETUP``,
``CUSTOM_CHALLENGE``, ``SELECT_CHALLENGE``, ``WEB_AUTHN``) checked against the session that asked it.
"""

from __future__ import annotations

import hmac
from typing import Any

from ...faults import Fault, invalid_parameter, not_authorized
from ..checks import check_secret_hash, require
from ..context import Context
from ..state import Client, Pool, User
from ..totp import check_totp
from .custom import answer_custom, custom_next
from .finish import after_first_factor, after_password, finish
from .initiate import pool_and_client
from .mfa import mfa_challenge, send_session_code
from .passwords import check_not_locked, check_status, record_failure
from .sessions import AuthSession
from .srp import answer_device_srp, claim_is_valid
from .user_auth import user_auth_factor
from .web_authn import answer_web_authn

__all__ = ["admin_respond_to_auth_challenge", "respond_to_auth_challenge"]

_CODE_FIELDS = {
    "SMS_MFA": "SMS_MFA_CODE",
    "EMAIL_OTP": "EMAIL_OTP_CODE",
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
    "SMS_OTP": "SMS_OTP_CODE",
}
# Wrong MFA codes one session takes before it is dropped.
_MAX_CODE_FAILURES = 3


def _find_session(ctx: Context, body: dict[str, Any], name: str, responses: dict[str, str]) -> AuthSession:
    now = ctx.now()
    token = body.get("Session")
    if name == "PASSWORD_VERIFIER" and not token:
        return ctx.sessions.by_block(require(responses, "PASSWORD_CLAIM_SECRET_BLOCK"), now)
    if not token:
        raise invalid_parameter("Missing required parameter Session")
    return ctx.sessions.get(token, now)


async def _respond(ctx: Context, body: dict[str, Any], *, admin: bool) -> dict[str, Any]:
    pool, client = pool_and_client(ctx, body, admin)
    name = body["ChallengeName"]
    responses: dict[str, str] = dict(body.get("ChallengeResponses") or {})
    session = _find_session(ctx, body, name, responses)
    if session.client_id != client.id or session.pool_id != pool.id:
        raise not_authorized("Invalid session for the user.")
    named = require(responses, "USERNAME")
    check_secret_hash(client, responses.get("SECRET_HASH"), [named])
    user = pool.users.get(session.username) if session.username else None
    # As Cognito: an answer names the user by the username its challenge gave (USERNAME or
    # USER_ID_FOR_SRP), never by the alias typed at InitiateAuth.
    if user is not None and named != user.username:
        raise not_authorized("Invalid session for the user.")
    expected = session.challenge
    if name != expected and not (expected == "SELECT_CHALLENGE" and name in ("PASSWORD", "PASSWORD_SRP")):
        raise invalid_parameter(f"The session expects the {expected} challenge, not {name}")
    if body.get("ClientMetadata"):
        session.client_metadata = dict(body["ClientMetadata"])
    if name in ("PASSWORD_VERIFIER", "DEVICE_PASSWORD_VERIFIER"):
        return await _answer_verifier(ctx, pool, client, user, session, name, responses)
    if user is None:
        raise not_authorized()
    if not user.enabled:
        raise not_authorized("User is disabled.")
    if name in _CODE_FIELDS:
        return await _answer_code(ctx, pool, client, user, session, name, responses)
    if name == "NEW_PASSWORD_REQUIRED":
        return await _answer_new_password(ctx, pool, client, user, session, responses)
    if name == "SELECT_MFA_TYPE":
        answer = require(responses, "ANSWER")
        if answer not in session.choices:
            raise invalid_parameter(f"Invalid MFA type {answer}")
        return mfa_challenge(ctx, pool, user, session, answer)
    if name == "MFA_SETUP":
        return await _answer_mfa_setup(ctx, pool, client, user, session, responses)
    if name == "CUSTOM_CHALLENGE":
        return await answer_custom(ctx, pool, client, user, session, responses)
    if name in ("SELECT_CHALLENGE", "PASSWORD", "PASSWORD_SRP"):
        factor = name if name != "SELECT_CHALLENGE" else require(responses, "ANSWER")
        return await user_auth_factor(ctx, pool, client, user, session, factor, responses)
    if name == "DEVICE_SRP_AUTH":
        return answer_device_srp(ctx, user, session, responses)
    if name == "WEB_AUTHN":
        return await answer_web_authn(ctx, pool, client, user, session, responses)
    raise invalid_parameter(f"The challenge {name} is not supported by this server")


async def _answer_verifier(
    ctx: Context,
    pool: Pool,
    client: Client,
    user: User | None,
    session: AuthSession,
    name: str,
    responses: dict[str, str],
) -> dict[str, Any]:
    exchange = session.exchange
    block = require(responses, "PASSWORD_CLAIM_SECRET_BLOCK")
    if exchange is None or not hmac.compare_digest(block.encode(), exchange.secret_block.encode()):
        raise not_authorized("Invalid session for the user.")
    ctx.sessions.drop(session)  # an exchange answers once, right or wrong
    if user is None:
        claim_is_valid(ctx, exchange, responses)  # same work and the same format errors as a real user
        raise not_authorized()
    if name == "DEVICE_PASSWORD_VERIFIER":
        if not claim_is_valid(ctx, exchange, responses):
            raise not_authorized()
        session.device_authenticated = True
        return await after_first_factor(ctx, pool, client, user, session)
    check_not_locked(ctx, user)
    if not claim_is_valid(ctx, exchange, responses):
        record_failure(ctx, user)
        raise not_authorized()
    user.failed_attempts = 0
    if responses.get("DEVICE_KEY"):
        session.device_key = responses["DEVICE_KEY"]
    if session.flow == "CUSTOM_AUTH":
        check_status(user)
        session.custom_history.append(
            {"challengeName": "PASSWORD_VERIFIER", "challengeResult": True, "challengeMetadata": None}
        )
        return await custom_next(ctx, pool, client, user, session)
    return await after_password(ctx, pool, client, user, session)


async def _answer_code(
    ctx: Context,
    pool: Pool,
    client: Client,
    user: User,
    session: AuthSession,
    name: str,
    responses: dict[str, str],
) -> dict[str, Any]:
    code = require(responses, _CODE_FIELDS[name])
    if name == "SOFTWARE_TOKEN_MFA":
        valid = check_totp(user.totp_secret, code, ctx.now())
    else:
        valid = bool(session.code) and hmac.compare_digest(session.code.encode(), code.encode())
    if not valid:
        session.failures += 1
        if session.failures >= _MAX_CODE_FAILURES:
            ctx.sessions.drop(session)
        raise Fault("CodeMismatchException", "Invalid code or auth state for the user.")
    session.code = ""
    if session.setup_email:
        user.attributes["email"] = session.setup_email
        user.attributes["email_verified"] = "true"
        user.email_mfa_enabled = True
        user.preferred_mfa = user.preferred_mfa or "EMAIL_OTP"
    if session.in_mfa:
        return await finish(ctx, pool, client, user, session)
    return await after_first_factor(ctx, pool, client, user, session)


async def _answer_new_password(
    ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    password = require(responses, "NEW_PASSWORD")
    updates = {
        key[len("userAttributes.") :]: value
        for key, value in responses.items()
        if key.startswith("userAttributes.")
    }
    pool.check_attribute_names(list(updates))
    missing = [
        name for name in pool.required_attributes if name not in user.attributes and name not in updates
    ]
    if missing:
        raise invalid_parameter(f"Missing required parameter userAttributes.{missing[0]}")
    pool.check_password_policy(password)
    user.attributes.update(updates)
    user.set_password(pool.srp_name, password, ctx.now())
    user.status = "CONFIRMED"
    return await after_first_factor(ctx, pool, client, user, session)


async def _answer_mfa_setup(
    ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    if session.totp_verified:
        user.totp_secret = session.pending_totp
        user.totp_name = session.totp_name
        user.totp_enabled = True
        user.preferred_mfa = "SOFTWARE_TOKEN_MFA"
        return await finish(ctx, pool, client, user, session)
    email = responses.get("EMAIL")
    if email and pool.email_mfa:
        session.setup_email = email
        parameters = send_session_code(
            ctx, pool, user, session, attribute="email", kind="MFA", destination=email
        )
        return ctx.sessions.challenge(session, "EMAIL_OTP", parameters)
    raise invalid_parameter("MFA_SETUP needs a verified software token (VerifySoftwareToken) or an EMAIL")


async def respond_to_auth_challenge(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """RespondToAuthChallenge."""
    return await _respond(ctx, body, admin=False)


async def admin_respond_to_auth_challenge(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """AdminRespondToAuthChallenge."""
    return await _respond(ctx, body, admin=True)
