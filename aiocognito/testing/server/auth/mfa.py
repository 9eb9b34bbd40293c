"""MFA in sign-in: the challenge that follows a first factor (``SMS_MFA``, ``EMAIL_OTP``,
``SOFTWARE_TOKEN_MFA``, ``SELECT_MFA_TYPE`` or ``MFA_SETUP``), the codes sent for it, and a software
token set up inside a sign-in (``AssociateSoftwareToken`` / ``VerifySoftwareToken`` with a ``Session``).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from ...faults import Fault, not_authorized
from ..codes import mask
from ..context import Context
from ..state import Pool, User
from ..totp import check_totp, new_totp_secret
from .sessions import AuthSession

__all__ = ["associate_with_session", "mfa_challenge", "mfa_step", "send_session_code", "verify_with_session"]


def _mfa_methods(pool: Pool, user: User) -> list[str]:
    methods = []
    if pool.sms_mfa and user.sms_mfa_enabled and user.attributes.get("phone_number"):
        methods.append("SMS_MFA")
    if pool.totp_mfa and user.totp_enabled and user.totp_secret:
        methods.append("SOFTWARE_TOKEN_MFA")
    if pool.email_mfa and user.email_mfa_enabled and user.attributes.get("email"):
        methods.append("EMAIL_OTP")
    return methods


def mfa_step(ctx: Context, pool: Pool, user: User, session: AuthSession) -> dict[str, Any] | None:
    """The MFA challenge that follows a first factor, or ``None`` when the user signs in without one.

    The user's preferred method, the only one, or SELECT_MFA_TYPE to choose; where the pool requires
    MFA and the user has none, codes to a phone or verified e-mail, else MFA_SETUP.
    """
    if pool.mfa == "OFF":
        return None
    methods = _mfa_methods(pool, user)
    if not methods and pool.mfa == "ON":
        # Required MFA: a user with a phone (or e-mail) gets codes there; anyone else must set up MFA.
        if pool.sms_mfa and user.attributes.get("phone_number"):
            methods = ["SMS_MFA"]
        elif pool.email_mfa and user.verified("email"):
            methods = ["EMAIL_OTP"]
        else:
            can_setup = [
                name
                for name, enabled in (
                    ("SMS_MFA", pool.sms_mfa),
                    ("SOFTWARE_TOKEN_MFA", pool.totp_mfa),
                    ("EMAIL_OTP", pool.email_mfa),
                )
                if enabled
            ]
            session.in_mfa = True
            return ctx.sessions.challenge(
                session,
                "MFA_SETUP",
                {"MFAS_CAN_SETUP": json.dumps(can_setup), "USER_ID_FOR_SRP": user.username},
            )
    if not methods:
        return None
    if user.preferred_mfa in methods:
        return mfa_challenge(ctx, pool, user, session, user.preferred_mfa)
    if len(methods) == 1:
        return mfa_challenge(ctx, pool, user, session, methods[0])
    session.choices = methods
    session.in_mfa = True
    return ctx.sessions.challenge(
        session,
        "SELECT_MFA_TYPE",
        {"MFAS_CAN_CHOOSE": json.dumps(methods), "USER_ID_FOR_SRP": user.username},
    )


def send_session_code(
    ctx: Context,
    pool: Pool,
    user: User,
    session: AuthSession,
    *,
    attribute: str,
    kind: str,
    destination: str = "",
) -> dict[str, str]:
    """Make a 6-digit code for this sign-in, "send" it to the user's ``attribute`` (or ``destination``);
    the CODE_DELIVERY_* challenge parameters.
    """
    destination = destination or user.attributes.get(attribute, "")
    session.code = f"{secrets.randbelow(10**6):06d}"
    ctx.deliver(pool, user, destination, session.code, kind, attribute)
    return {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS" if attribute == "phone_number" else "EMAIL",
        "CODE_DELIVERY_DESTINATION": mask(destination),
    }


def mfa_challenge(ctx: Context, pool: Pool, user: User, session: AuthSession, name: str) -> dict[str, Any]:
    """The challenge of the MFA method ``name`` (SMS_MFA, EMAIL_OTP or SOFTWARE_TOKEN_MFA), its code sent."""
    session.in_mfa = True
    parameters: dict[str, str] = {}
    if name == "SMS_MFA":
        parameters = send_session_code(ctx, pool, user, session, attribute="phone_number", kind="MFA")
    elif name == "EMAIL_OTP":
        parameters = send_session_code(ctx, pool, user, session, attribute="email", kind="MFA")
    elif user.totp_name:
        parameters["FRIENDLY_DEVICE_NAME"] = user.totp_name
    parameters["USER_ID_FOR_SRP"] = user.username
    return ctx.sessions.challenge(session, name, parameters)


def associate_with_session(ctx: Context, token: str) -> dict[str, Any]:
    """AssociateSoftwareToken with a Session of an MFA_SETUP challenge."""
    session = ctx.sessions.get(token, ctx.now())
    if session.challenge != "MFA_SETUP":
        raise not_authorized("Invalid session for the user.")
    session.pending_totp = new_totp_secret()
    session.totp_verified = False
    return {"SecretCode": session.pending_totp, "Session": ctx.sessions.issue(session)}


def verify_with_session(ctx: Context, token: str, code: str, friendly_name: str) -> dict[str, Any]:
    """VerifySoftwareToken with the Session AssociateSoftwareToken returned."""
    session = ctx.sessions.get(token, ctx.now())
    if session.challenge != "MFA_SETUP" or not session.pending_totp:
        raise not_authorized("Invalid session for the user.")
    if not check_totp(session.pending_totp, code, ctx.now()):
        raise Fault("EnableSoftwareTokenMFAException", "Code mismatch")
    session.totp_verified = True
    session.totp_name = friendly_name
    return {"Status": "SUCCESS", "Session": ctx.sessions.issue(session)}
