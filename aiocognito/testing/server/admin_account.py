"""An administrator's calls on a user's sign-in settings: ``AdminSetUserSettings`` (the legacy SMS MFA
options), ``AdminGetUserAuthFactors`` and ``AdminDeleteSoftwareToken``.
"""

from __future__ import annotations

from typing import Any

from ..faults import Fault
from .account import auth_factors
from .context import Context

__all__ = ["admin_delete_software_token", "admin_get_user_auth_factors", "admin_set_user_settings"]


async def admin_set_user_settings(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = pool.user(body["Username"])
    user.sms_mfa_enabled = any(option.get("DeliveryMedium") == "SMS" for option in body["MFAOptions"])
    if not user.sms_mfa_enabled and user.preferred_mfa == "SMS_MFA":
        user.preferred_mfa = ""
    user.modified_at = ctx.now()
    return {}


async def admin_get_user_auth_factors(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    return auth_factors(pool, pool.user(body["Username"]))


async def admin_delete_software_token(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """Remove the user's authenticator app (TOTP); refused while MFA is required and it is the last factor."""
    pool = ctx.store.pool(body["UserPoolId"])
    user = pool.user(body["Username"])
    if not user.totp_secret:
        raise Fault("SoftwareTokenMFANotFoundException", "Software token MFA is not enabled for the user.")
    if pool.mfa == "ON" and not (user.sms_mfa_enabled or user.email_mfa_enabled):
        raise Fault("InvalidParameterException", "The user's only MFA factor cannot be removed.")
    user.totp_secret, user.totp_enabled = "", False
    if user.preferred_mfa == "SOFTWARE_TOKEN_MFA":
        user.preferred_mfa = ""
    user.modified_at = ctx.now()
    return {}
