"""``USER_AUTH``, the choice-based sign-in: the first factors a user has (``PASSWORD``, ``PASSWORD_SRP``,
``EMAIL_OTP``, ``SMS_OTP``, ``WEB_AUTHN``), offered with ``SELECT_CHALLENGE`` unless the client named its
preferred one.
"""

from __future__ import annotations

from typing import Any

from ...faults import invalid_parameter
from ..checks import require
from ..context import Context
from ..state import Client, Pool, User
from .finish import after_password
from .mfa import send_session_code
from .passwords import check_password, check_status, existing_user
from .sessions import AuthSession
from .srp import start_srp
from .web_authn import start_web_authn

__all__ = ["start_user_auth", "user_auth_factor"]


def _first_factors(pool: Pool, user: User) -> list[str]:
    factors: list[str] = []
    if "PASSWORD" in pool.first_factors and user.has_password:
        factors += ["PASSWORD", "PASSWORD_SRP"]
    if "EMAIL_OTP" in pool.first_factors and user.verified("email"):
        factors.append("EMAIL_OTP")
    if "SMS_OTP" in pool.first_factors and user.verified("phone_number"):
        factors.append("SMS_OTP")
    if "WEB_AUTHN" in pool.first_factors and user.passkeys:
        factors.append("WEB_AUTHN")
    return factors


async def user_auth_factor(
    ctx: Context,
    pool: Pool,
    client: Client,
    user: User,
    session: AuthSession,
    factor: str,
    params: dict[str, str],
) -> dict[str, Any]:
    """Sign in with the first factor ``factor`` the user chose (or preferred): a password, SRP, or a
    one-time code by e-mail or SMS.

    Raises:
        Fault: InvalidParameterException when the factor is not one of the user's.
    """
    if factor not in session.choices:
        raise invalid_parameter(f"The challenge {factor} is not available for this user")
    if factor == "PASSWORD":
        check_password(ctx, pool, user, require(params, "PASSWORD"))
        return await after_password(ctx, pool, client, user, session)
    if factor == "PASSWORD_SRP":
        return start_srp(ctx, pool, client, user, session, require(params, "SRP_A"))
    if factor == "WEB_AUTHN":
        return start_web_authn(ctx, pool, user, session)
    check_status(user)
    attribute = "email" if factor == "EMAIL_OTP" else "phone_number"
    session.wants_mfa = False
    parameters = send_session_code(ctx, pool, user, session, attribute=attribute, kind="OTP")
    return ctx.sessions.challenge(session, factor, parameters)


async def start_user_auth(
    ctx: Context, pool: Pool, client: Client, user: User | None, session: AuthSession, params: dict[str, str]
) -> dict[str, Any]:
    """USER_AUTH: the preferred first factor when the user has it, else SELECT_CHALLENGE with theirs."""
    user = existing_user(client, user)
    session.choices = _first_factors(pool, user)
    preferred = params.get("PREFERRED_CHALLENGE")
    if preferred and preferred in session.choices:
        return await user_auth_factor(ctx, pool, client, user, session, preferred, params)
    reply = ctx.sessions.challenge(session, "SELECT_CHALLENGE", {})
    reply["AvailableChallenges"] = list(session.choices)
    return reply
