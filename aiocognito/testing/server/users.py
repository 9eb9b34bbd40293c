"""A pool's users as an administrator sees them: the ``Admin*`` user operations and ``ListUsers``, and
the rules they share with the user's own operations (:mod:`.account`): new users, attribute updates,
MFA preferences, the views of a user.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from ..faults import Fault, invalid_parameter
from . import lifecycle
from .context import Context
from .paging import paginate
from .state import Pool, User

__all__ = [
    "admin_confirm_sign_up",
    "admin_create_user",
    "admin_delete_user",
    "admin_delete_user_attributes",
    "admin_disable_user",
    "admin_enable_user",
    "admin_get_user",
    "admin_reset_user_password",
    "admin_set_user_mfa_preference",
    "admin_set_user_password",
    "admin_update_user_attributes",
    "admin_user_global_sign_out",
    "list_users",
    "mfa_settings",
    "new_user_from_request",
    "set_mfa_preference",
    "update_attributes",
    "user_attribute_list",
    "user_view",
]

_FILTER = re.compile(r'\s*([\w:]+)\s*(=|\^=)\s*"((?:[^"\\]|\\.)*)"\s*')
_FILTER_ATTRIBUTES = {
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
}


def user_attribute_list(user: User, names: list[str] | None = None) -> list[dict[str, str]]:
    """The user's attributes as ``[{"Name": ..., "Value": ...}]``, sorted; only ``names`` if given."""
    return [
        {"Name": name, "Value": value}
        for name, value in sorted(user.attributes.items())
        if names is None or name in names
    ]


def mfa_settings(pool: Pool, user: User) -> dict[str, Any]:
    """PreferredMfaSetting and UserMFASettingList, when the user has MFA."""
    enabled = [
        name
        for name, on in (
            ("SMS_MFA", user.sms_mfa_enabled),
            ("SOFTWARE_TOKEN_MFA", user.totp_enabled),
            ("EMAIL_OTP", user.email_mfa_enabled),
        )
        if on
    ]
    reply: dict[str, Any] = {}
    if enabled:
        reply["UserMFASettingList"] = enabled
    if user.preferred_mfa and user.preferred_mfa in enabled:
        reply["PreferredMfaSetting"] = user.preferred_mfa
    if user.sms_mfa_enabled:
        reply["MFAOptions"] = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    return reply


def user_view(user: User, *, attributes_key: str = "Attributes") -> dict[str, Any]:
    """A user as AdminGetUser / ListUsers describe one."""
    return {
        "Username": user.username,
        attributes_key: user_attribute_list(user),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.modified_at,
        "Enabled": user.enabled,
        "UserStatus": user.status,
    }


def set_mfa_preference(pool: Pool, user: User, body: dict[str, Any]) -> None:
    """(Admin)SetUserMFAPreference."""
    settings = (
        ("SMS_MFA", body.get("SMSMfaSettings")),
        ("SOFTWARE_TOKEN_MFA", body.get("SoftwareTokenMfaSettings")),
        ("EMAIL_OTP", body.get("EmailMfaSettings")),
    )
    for name, setting in settings:
        if setting is None:
            continue
        enabled = setting.get("Enabled")
        preferred = setting.get("PreferredMfa")
        if name == "SOFTWARE_TOKEN_MFA" and (enabled or preferred) and not user.totp_secret:
            raise invalid_parameter("User has not verified software token mfa")
        if name == "SMS_MFA" and (enabled or preferred) and not user.attributes.get("phone_number"):
            raise invalid_parameter("User does not have a phone number")
        if name == "EMAIL_OTP" and (enabled or preferred) and not user.attributes.get("email"):
            raise invalid_parameter("User does not have an email")
        if enabled is not None:
            if name == "SMS_MFA":
                user.sms_mfa_enabled = bool(enabled)
            elif name == "SOFTWARE_TOKEN_MFA":
                user.totp_enabled = bool(enabled)
            else:
                user.email_mfa_enabled = bool(enabled)
        if preferred is True:
            user.preferred_mfa = name
        elif (preferred is False or enabled is False) and user.preferred_mfa == name:
            user.preferred_mfa = ""


def update_attributes(
    ctx: Context, pool: Pool, user: User, attributes: list[dict[str, Any]], *, admin: bool
) -> list[dict[str, str]]:
    """(Admin)UpdateUserAttributes; the CodeDeliveryDetails of the codes sent.

    A changed e-mail or phone number becomes unverified and gets a code when the pool auto-verifies it.
    """
    updates = {str(item["Name"]): str(item.get("Value", "")) for item in attributes}
    pool.check_attribute_names(list(updates))
    if not admin:
        for name in updates:
            if name.endswith("_verified"):
                raise invalid_parameter(f"Cannot modify the attribute {name}")
    now = ctx.now()
    deliveries = []
    for name, value in updates.items():
        user.attributes[name] = value
    for name in ("email", "phone_number"):
        if name not in updates:
            continue
        if f"{name}_verified" in updates:
            continue
        user.attributes[f"{name}_verified"] = "false"
        if name in pool.auto_verified:
            deliveries.append(
                ctx.send_code(pool, user, purpose=f"VERIFY:{name}", kind="VERIFY_ATTRIBUTE", attribute=name)
            )
    user.modified_at = now
    return deliveries


def new_user_from_request(
    ctx: Context, pool: Pool, username: str, attributes: list[dict[str, Any]] | None
) -> tuple[str, dict[str, str]]:
    """The internal username and attributes of a new user (username attributes become a UUID username).

    Raises:
        Fault: InvalidParameterException for bad attributes, UsernameExistsException for a taken name.
    """
    values = {str(item["Name"]): str(item.get("Value", "")) for item in attributes or []}
    pool.check_attribute_names(list(values))
    internal = username
    if pool.username_attributes:
        if "email" in pool.username_attributes and "@" in username:
            values["email"] = username
        elif "phone_number" in pool.username_attributes and username.startswith("+"):
            values["phone_number"] = username
        else:
            raise invalid_parameter("Username should be either an email or a phone number.")
        internal = str(uuid.uuid4())
    elif "@" in username and "email" in pool.alias_attributes:
        raise invalid_parameter(
            "Username cannot be of email format, since user pool is configured for email alias."
        )
    if pool.find_user(username) is not None or internal in pool.users:
        if pool.username_attributes and "@" in username:
            raise Fault("UsernameExistsException", "An account with the given email already exists.")
        raise Fault("UsernameExistsException", "User already exists")
    return internal, values


def _temporary_password() -> str:
    return "Tmp1!" + secrets.token_urlsafe(12)


async def admin_create_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    action = body.get("MessageAction")
    password = body.get("TemporaryPassword") or _temporary_password()
    pool.check_password_policy(password)
    if action == "RESEND":
        user = pool.user(body["Username"])
        if user.status != "FORCE_CHANGE_PASSWORD":
            raise Fault(
                "UnsupportedUserStateException",
                f"Resend not possible. {user.username} status is not FORCE_CHANGE_PASSWORD",
            )
    else:
        internal, values = new_user_from_request(ctx, pool, body["Username"], body.get("UserAttributes"))
        await ctx.run_trigger(
            pool,
            "pre_sign_up",
            source="PreSignUp_AdminCreateUser",
            username=internal,
            client_id="",
            request={
                "userAttributes": dict(values),
                "validationData": {v["Name"]: v.get("Value", "") for v in body.get("ValidationData") or []},
                "clientMetadata": dict(body.get("ClientMetadata") or {}),
            },
            response={"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
        )
        user = pool.new_user(internal, ctx.now())
        user.attributes.update(values)
    user.set_password(pool.srp_name, password, ctx.now())
    user.status = "FORCE_CHANGE_PASSWORD"
    if action != "SUPPRESS":
        for medium in body.get("DesiredDeliveryMediums") or ["SMS"]:
            attribute = "email" if medium == "EMAIL" else "phone_number"
            if user.attributes.get(attribute):
                ctx.deliver(pool, user, user.attributes[attribute], password, "INVITATION", attribute)
    return {"User": user_view(user)}


async def admin_get_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = pool.user(body["Username"])
    return {**user_view(user, attributes_key="UserAttributes"), **mfa_settings(pool, user)}


async def admin_delete_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    pool.delete_user(pool.user(body["Username"]))
    return {}


async def admin_set_user_password(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = pool.user(body["Username"])
    pool.check_password_policy(body["Password"])
    user.set_password(pool.srp_name, body["Password"], ctx.now())
    user.status = "CONFIRMED" if body.get("Permanent") else "FORCE_CHANGE_PASSWORD"
    user.failed_attempts = 0
    user.locked_until = 0.0
    return {}


async def admin_confirm_sign_up(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = pool.user(body["Username"])
    if user.status != "UNCONFIRMED":
        raise Fault("NotAuthorizedException", f"User cannot be confirmed. Current status is {user.status}")
    user.status = "CONFIRMED"
    user.codes.pop("SIGN_UP", None)
    await lifecycle.post_confirmation(
        ctx,
        pool,
        user,
        source="PostConfirmation_ConfirmSignUp",
        client_id="",
        metadata=body.get("ClientMetadata"),
    )
    return {}


async def admin_set_user_mfa_preference(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    set_mfa_preference(pool, pool.user(body["Username"]), body)
    return {}


async def admin_update_user_attributes(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    update_attributes(ctx, pool, pool.user(body["Username"]), body["UserAttributes"], admin=True)
    return {}


async def admin_delete_user_attributes(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = pool.user(body["Username"])
    pool.check_attribute_names(body["UserAttributeNames"])
    for name in body["UserAttributeNames"]:
        user.attributes.pop(name, None)
    return {}


async def admin_disable_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = pool.user(body["Username"])
    user.enabled = False
    pool.sign_out(user)
    return {}


async def admin_enable_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    pool.user(body["Username"]).enabled = True
    return {}


async def admin_user_global_sign_out(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    pool.sign_out(pool.user(body["Username"]))
    return {}


async def admin_reset_user_password(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = pool.user(body["Username"])
    user.status = "RESET_REQUIRED"
    for attribute in ("email", "phone_number"):
        if user.verified(attribute):
            ctx.send_code(pool, user, purpose="FORGOT_PASSWORD", kind="RESET_PASSWORD", attribute=attribute)
            break
    return {}


def _matches(user: User, text: str) -> bool:
    match = _FILTER.fullmatch(text)
    if match is None:
        raise invalid_parameter("Error while parsing filter.")
    name, operator, wanted = match.groups()
    wanted = wanted.replace('\\"', '"')
    if name not in _FILTER_ATTRIBUTES:
        raise invalid_parameter(f"Invalid search attribute: {name}")
    if name == "username":
        value = user.username
    elif name == "cognito:user_status":
        value = user.status
    elif name == "status":
        value = "Enabled" if user.enabled else "Disabled"
    else:
        value = user.attributes.get(name, "")
    return value.startswith(wanted) if operator == "^=" else value == wanted


async def list_users(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    users = sorted(pool.users.values(), key=lambda u: (u.created_at, u.username))
    if body.get("Filter"):
        users = [user for user in users if _matches(user, body["Filter"])]
    page, token = paginate(users, body.get("Limit") or 60, body.get("PaginationToken"), lambda u: u.username)
    wanted = body.get("AttributesToGet")
    views = []
    for user in page:
        view = user_view(user)
        if wanted is not None:
            view["Attributes"] = user_attribute_list(user, list(wanted))
        views.append(view)
    reply: dict[str, Any] = {"Users": views}
    if token:
        reply["PaginationToken"] = token
    return reply
