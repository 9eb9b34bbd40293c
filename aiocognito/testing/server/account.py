"""The user's own account, with an access token or before there is one: sign-up and confirmation,
forgotten and changed passwords, attributes and their verification, MFA preferences and software
tokens, ``GetUser``, ``DeleteUser``, ``GlobalSignOut``.
"""

from __future__ import annotations

from typing import Any

from ..faults import Fault, invalid_parameter, not_authorized, user_not_found
from . import lifecycle
from .auth.auto_sign_in import CONFIRMED, SIGNED_UP, redeem_sign_up_session, sign_up_session
from .auth.mfa import associate_with_session, verify_with_session
from .auth.passwords import check_password
from .checks import check_secret_hash, signed_in
from .codes import delivery_details
from .context import Context
from .migration import migrate_user
from .state import Pool, User
from .totp import check_totp, new_totp_secret
from .users import (
    mfa_settings,
    new_user_from_request,
    set_mfa_preference,
    update_attributes,
    user_attribute_list,
)

__all__ = [
    "associate_software_token",
    "auth_factors",
    "change_password",
    "confirm_forgot_password",
    "confirm_sign_up",
    "delete_user",
    "delete_user_attributes",
    "forgot_password",
    "get_user",
    "get_user_attribute_verification_code",
    "get_user_auth_factors",
    "global_sign_out",
    "resend_confirmation_code",
    "set_user_mfa_preference",
    "set_user_settings",
    "sign_up",
    "update_user_attributes",
    "verify_software_token",
    "verify_user_attribute",
]


def _user_for_code(ctx: Context, body: dict[str, Any]) -> tuple[Pool, User | None, bool]:
    """The pool, user (or None) and whether existence errors are hidden, for the code operations."""
    pool, client = ctx.store.client(body["ClientId"])
    check_secret_hash(client, body.get("SecretHash"), [body["Username"]])
    user = pool.find_user(body["Username"])
    if user is None and not client.prevent_existence_errors:
        raise user_not_found()
    return pool, user, client.prevent_existence_errors


def _sign_up_attribute(pool: Pool, user: User) -> str | None:
    for attribute in ("phone_number", "email"):
        if attribute in pool.auto_verified and user.attributes.get(attribute):
            return attribute
    return None


async def sign_up(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool, client = ctx.store.client(body["ClientId"])
    check_secret_hash(client, body.get("SecretHash"), [body["Username"]])
    internal, values = new_user_from_request(ctx, pool, body["Username"], body.get("UserAttributes"))
    password = body.get("Password")
    if password is not None:
        pool.check_password_policy(password)
    elif "PASSWORD" in pool.first_factors and len(pool.first_factors) == 1:
        raise invalid_parameter("Password is required for this user pool.")
    response = await ctx.run_trigger(
        pool,
        "pre_sign_up",
        source="PreSignUp_SignUp",
        username=internal,
        client_id=client.id,
        request={
            "userAttributes": dict(values),
            "validationData": {v["Name"]: v.get("Value", "") for v in body.get("ValidationData") or []},
            "clientMetadata": dict(body.get("ClientMetadata") or {}),
        },
        response={"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    )
    user = pool.new_user(internal, ctx.now())
    user.attributes.update(values)
    if password is not None:
        user.set_password(pool.srp_name, password, ctx.now())
    if response.get("autoVerifyEmail") is True and "email" in values:
        user.attributes["email_verified"] = "true"
    if response.get("autoVerifyPhone") is True and "phone_number" in values:
        user.attributes["phone_number_verified"] = "true"
    reply: dict[str, Any] = {"UserConfirmed": False, "UserSub": user.sub}
    session = sign_up_session(ctx, pool, client, user, SIGNED_UP)
    if session is not None:
        reply["Session"] = session
    if response.get("autoConfirmUser") is True:
        user.status = "CONFIRMED"
        reply["UserConfirmed"] = True
        return reply
    attribute = _sign_up_attribute(pool, user)
    if attribute is not None:
        reply["CodeDeliveryDetails"] = ctx.send_code(
            pool, user, purpose="SIGN_UP", kind="SIGN_UP", attribute=attribute
        )
    return reply


async def confirm_sign_up(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool, user, _ = _user_for_code(ctx, body)
    if user is None:
        raise Fault("CodeMismatchException", "Invalid verification code provided, please try again.")
    if user.status != "UNCONFIRMED":
        raise not_authorized(f"User cannot be confirmed. Current status is {user.status}")
    pending = ctx.check_code(user, "SIGN_UP", body["ConfirmationCode"])
    client = pool.client(body["ClientId"])
    if body.get("Session"):
        # SignUp's session, handed on: it must be this user's, and it is spent.
        redeem_sign_up_session(ctx, pool, client, user, body["Session"], (SIGNED_UP,))
    user.status = "CONFIRMED"
    user.attributes[f"{pending['attribute']}_verified"] = "true"
    user.modified_at = ctx.now()
    await lifecycle.post_confirmation(
        ctx,
        pool,
        user,
        source="PostConfirmation_ConfirmSignUp",
        client_id=body["ClientId"],
        metadata=body.get("ClientMetadata"),
    )
    session = sign_up_session(ctx, pool, client, user, CONFIRMED)
    return {"Session": session} if session is not None else {}


async def resend_confirmation_code(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool, user, _ = _user_for_code(ctx, body)
    if user is None:
        return {"CodeDeliveryDetails": delivery_details(body["Username"], "email")}
    if user.status != "UNCONFIRMED":
        raise invalid_parameter("User is already confirmed.")
    attribute = _sign_up_attribute(pool, user)
    if attribute is None:
        raise invalid_parameter("Auto verification not turned on.")
    return {
        "CodeDeliveryDetails": ctx.send_code(
            pool, user, purpose="SIGN_UP", kind="SIGN_UP", attribute=attribute
        )
    }


def _recovery_attribute(pool: Pool, user: User) -> str | None:
    setting = pool.config.get("AccountRecoverySetting") or {}
    mechanisms = sorted(setting.get("RecoveryMechanisms") or [], key=lambda m: m.get("Priority", 0))
    order = [m.get("Name") for m in mechanisms] or ["verified_email", "verified_phone_number"]
    for name in order:
        attribute = {"verified_email": "email", "verified_phone_number": "phone_number"}.get(str(name))
        if attribute and user.verified(attribute):
            return attribute
    return None


async def forgot_password(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool, client = ctx.store.client(body["ClientId"])
    if pool.find_user(body["Username"]) is None:
        check_secret_hash(client, body.get("SecretHash"), [body["Username"]])
        # A user the pool does not have may be known to the user migration trigger.
        await migrate_user(
            ctx,
            pool,
            client.id,
            body["Username"],
            source="ForgotPassword",
            password=None,
            metadata=body.get("ClientMetadata"),
        )
    pool, user, _ = _user_for_code(ctx, body)
    if user is None:
        return {"CodeDeliveryDetails": delivery_details(body["Username"], "email")}
    if not user.enabled:
        raise not_authorized("User is disabled.")
    attribute = _recovery_attribute(pool, user)
    if attribute is None:
        raise invalid_parameter(
            "Cannot reset password for the user as there is no registered/verified email or phone_number"
        )
    details = ctx.send_code(
        pool, user, purpose="FORGOT_PASSWORD", kind="FORGOT_PASSWORD", attribute=attribute
    )
    return {"CodeDeliveryDetails": details}


async def confirm_forgot_password(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool, user, _ = _user_for_code(ctx, body)
    if user is None:
        raise Fault("CodeMismatchException", "Invalid verification code provided, please try again.")
    pool.check_password_policy(body["Password"])
    ctx.check_code(user, "FORGOT_PASSWORD", body["ConfirmationCode"])
    user.set_password(pool.srp_name, body["Password"], ctx.now())
    if user.status in ("RESET_REQUIRED", "FORCE_CHANGE_PASSWORD"):
        user.status = "CONFIRMED"
    user.failed_attempts = 0
    user.locked_until = 0.0
    await lifecycle.post_confirmation(
        ctx,
        pool,
        user,
        source="PostConfirmation_ConfirmForgotPassword",
        client_id=body["ClientId"],
        metadata=body.get("ClientMetadata"),
    )
    return {}


async def change_password(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool, user = signed_in(ctx, body)
    previous = body.get("PreviousPassword")
    if previous is None and user.has_password:
        raise invalid_parameter("Missing required parameter PreviousPassword")
    if previous is not None:
        check_password(ctx, pool, user, previous)
    pool.check_password_policy(body["ProposedPassword"])
    user.set_password(pool.srp_name, body["ProposedPassword"], ctx.now())
    return {}


async def get_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool, user = signed_in(ctx, body)
    return {
        "Username": user.username,
        "UserAttributes": user_attribute_list(user),
        **mfa_settings(pool, user),
    }


async def update_user_attributes(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool, user = signed_in(ctx, body)
    deliveries = update_attributes(ctx, pool, user, body["UserAttributes"], admin=False)
    return {"CodeDeliveryDetailsList": deliveries} if deliveries else {}


async def delete_user_attributes(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool, user = signed_in(ctx, body)
    names = body["UserAttributeNames"]
    pool.check_attribute_names(names)
    for name in names:
        if name in pool.required_attributes:
            raise invalid_parameter(f"Cannot delete the required attribute {name}")
        user.attributes.pop(name, None)
    user.modified_at = ctx.now()
    return {}


async def get_user_attribute_verification_code(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool, user = signed_in(ctx, body)
    attribute = body["AttributeName"]
    if attribute not in ("email", "phone_number"):
        raise invalid_parameter(
            f"Invalid attribute name {attribute}: only email and phone_number can be verified"
        )
    if not user.attributes.get(attribute):
        raise invalid_parameter(f"The user has no {attribute}")
    details = ctx.send_code(
        pool, user, purpose=f"VERIFY:{attribute}", kind="VERIFY_ATTRIBUTE", attribute=attribute
    )
    return {"CodeDeliveryDetails": details}


async def verify_user_attribute(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    _, user = signed_in(ctx, body)
    attribute = body["AttributeName"]
    ctx.check_code(user, f"VERIFY:{attribute}", body["Code"])
    user.attributes[f"{attribute}_verified"] = "true"
    user.modified_at = ctx.now()
    return {}


async def delete_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool, user = signed_in(ctx, body)
    pool.delete_user(user)
    return {}


async def set_user_mfa_preference(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool, user = signed_in(ctx, body)
    set_mfa_preference(pool, user, body)
    return {}


async def set_user_settings(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    _, user = signed_in(ctx, body)
    user.sms_mfa_enabled = any(option.get("DeliveryMedium") == "SMS" for option in body["MFAOptions"])
    if not user.sms_mfa_enabled and user.preferred_mfa == "SMS_MFA":
        user.preferred_mfa = ""
    return {}


async def associate_software_token(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    if body.get("Session") and not body.get("AccessToken"):
        return associate_with_session(ctx, body["Session"])
    if not body.get("AccessToken"):
        raise invalid_parameter("Either AccessToken or Session must be given")
    _, user = signed_in(ctx, body)
    user.pending_totp_secret = new_totp_secret()
    return {"SecretCode": user.pending_totp_secret}


async def verify_software_token(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("FriendlyDeviceName") or ""
    if body.get("Session") and not body.get("AccessToken"):
        return verify_with_session(ctx, body["Session"], body["UserCode"], name)
    if not body.get("AccessToken"):
        raise invalid_parameter("Either AccessToken or Session must be given")
    _, user = signed_in(ctx, body)
    if not user.pending_totp_secret:
        raise Fault(
            "SoftwareTokenMFANotFoundException", "Software Token MFA has not been associated with the user."
        )
    if not check_totp(user.pending_totp_secret, body["UserCode"], ctx.now()):
        raise Fault("EnableSoftwareTokenMFAException", "Code mismatch")
    user.totp_secret, user.pending_totp_secret = user.pending_totp_secret, ""
    user.totp_name = name
    user.totp_enabled = True
    return {"Status": "SUCCESS"}


async def get_user_auth_factors(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return auth_factors(*signed_in(ctx, body))


def auth_factors(pool: Pool, user: User) -> dict[str, Any]:
    """GetUserAuthFactors / AdminGetUserAuthFactors: the user's first factors and MFA settings."""
    factors = []
    if user.has_password:
        factors.append("PASSWORD")
    if "EMAIL_OTP" in pool.first_factors and user.verified("email"):
        factors.append("EMAIL_OTP")
    if "SMS_OTP" in pool.first_factors and user.verified("phone_number"):
        factors.append("SMS_OTP")
    settings = mfa_settings(pool, user)
    settings.pop("MFAOptions", None)
    return {"Username": user.username, **settings, "ConfiguredUserAuthFactors": factors}


async def global_sign_out(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool, user = signed_in(ctx, body)
    pool.sign_out(user)
    return {}
