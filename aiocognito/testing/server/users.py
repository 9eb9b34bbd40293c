"""Signed management operations of the local user pool: pools, app clients, groups, Admin* user calls.

Each handler takes the :class:`~aiocognito.testing.service.Context` and a request body already checked
against botocore's model, and returns the reply body.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from ..faults import Fault, invalid_parameter, resource_not_found, user_not_found
from .context import Context
from .keys import generate_key_pem
from .oauth import endpoints as oauth
from .state import (
    DEFAULT_PASSWORD_POLICY,
    STANDARD_ATTRIBUTES,
    Client,
    Group,
    Pool,
    User,
    new_client_id,
    new_pool_id,
    random_id,
)

__all__ = [
    "admin_add_user_to_group",
    "admin_confirm_sign_up",
    "admin_create_user",
    "admin_delete_user",
    "admin_delete_user_attributes",
    "admin_disable_user",
    "admin_enable_user",
    "admin_get_user",
    "admin_list_groups_for_user",
    "admin_remove_user_from_group",
    "admin_reset_user_password",
    "admin_set_user_mfa_preference",
    "admin_set_user_password",
    "admin_update_user_attributes",
    "admin_user_global_sign_out",
    "create_group",
    "create_user_pool",
    "create_user_pool_client",
    "delete_group",
    "delete_user_pool",
    "delete_user_pool_client",
    "describe_device",
    "describe_user_pool",
    "describe_user_pool_client",
    "get_group",
    "get_user_pool_mfa_config",
    "list_groups",
    "list_user_pool_clients",
    "list_user_pools",
    "list_users",
    "list_users_in_group",
    "mfa_settings",
    "new_user_from_request",
    "paginate",
    "revoke_all",
    "set_mfa_preference",
    "set_user_pool_mfa_config",
    "update_attributes",
    "update_user_pool_client",
    "user_attribute_list",
]

_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_LEGACY_FLOWS = {
    "ADMIN_NO_SRP_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY": "ALLOW_CUSTOM_AUTH",
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
}
_DEFAULT_FLOWS = ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
# CreateUserPool fields DescribeUserPool gives back as they were sent.
_POOL_ECHO = (
    "AccountRecoverySetting",
    "AdminCreateUserConfig",
    "DeletionProtection",
    "EmailConfiguration",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "LambdaConfig",
    "SmsAuthenticationMessage",
    "SmsConfiguration",
    "SmsVerificationMessage",
    "UserAttributeUpdateSettings",
    "UserPoolAddOns",
    "UserPoolTags",
    "UserPoolTier",
    "VerificationMessageTemplate",
)
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


# --- views ---------------------------------------------------------------------------------------------


def user_attribute_list(user: User, names: list[str] | None = None) -> list[dict[str, str]]:
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


def _user_view(user: User, *, attributes_key: str = "Attributes") -> dict[str, Any]:
    return {
        "Username": user.username,
        attributes_key: user_attribute_list(user),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.modified_at,
        "Enabled": user.enabled,
        "UserStatus": user.status,
    }


def describe_device(device: Any) -> dict[str, Any]:
    attributes = [
        {"Name": "device_status", "Value": "valid"},
        {"Name": "device_name", "Value": device.name},
        {
            "Name": "dev:device_remembered_status",
            "Value": "remembered" if device.remembered else "not_remembered",
        },
    ]
    if device.last_ip:
        attributes.append({"Name": "last_ip_used", "Value": device.last_ip})
    view = {
        "DeviceKey": device.key,
        "DeviceAttributes": attributes,
        "DeviceCreateDate": device.created_at,
        "DeviceLastModifiedDate": device.modified_at,
    }
    if device.last_authenticated_at:
        view["DeviceLastAuthenticatedDate"] = device.last_authenticated_at
    return view


def _describe_pool(pool: Pool) -> dict[str, Any]:
    schema = [
        {
            "Name": name,
            "AttributeDataType": "Boolean" if name.endswith("_verified") else "String",
            "DeveloperOnlyAttribute": False,
            "Mutable": name != "sub",
            "Required": name in pool.required_attributes or name == "sub",
        }
        for name in sorted(STANDARD_ATTRIBUTES)
    ]
    schema += [
        {
            "Name": f"custom:{name}",
            "AttributeDataType": spec.get("AttributeDataType", "String"),
            "DeveloperOnlyAttribute": bool(spec.get("DeveloperOnlyAttribute", False)),
            "Mutable": bool(spec.get("Mutable", True)),
            "Required": False,
        }
        for name, spec in sorted(pool.custom_attributes.items())
    ]
    view: dict[str, Any] = {
        "Id": pool.id,
        "Name": pool.name,
        "Arn": pool.arn,
        "Policies": {
            "PasswordPolicy": dict(pool.password_policy),
            "SignInPolicy": {"AllowedFirstAuthFactors": list(pool.first_factors)},
        },
        "LambdaConfig": {},
        "LastModifiedDate": pool.modified_at,
        "CreationDate": pool.created_at,
        "SchemaAttributes": schema,
        "AutoVerifiedAttributes": list(pool.auto_verified),
        "MfaConfiguration": pool.mfa,
        "EstimatedNumberOfUsers": len(pool.users),
        "UsernameConfiguration": {"CaseSensitive": pool.case_sensitive},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False, "UnusedAccountValidityDays": 7},
        "UserPoolTier": "ESSENTIALS",
        "DeletionProtection": "INACTIVE",
    }
    if pool.alias_attributes:
        view["AliasAttributes"] = list(pool.alias_attributes)
    if pool.username_attributes:
        view["UsernameAttributes"] = list(pool.username_attributes)
    if pool.device_configuration is not None:
        view["DeviceConfiguration"] = dict(pool.device_configuration)
    view.update(pool.config)
    return view


def _describe_client(pool: Pool, client: Client) -> dict[str, Any]:
    view = {
        "UserPoolId": pool.id,
        "ClientName": client.name,
        "ClientId": client.id,
        "LastModifiedDate": client.modified_at,
        "CreationDate": client.created_at,
        **client.config,
    }
    if client.secret:
        view["ClientSecret"] = client.secret
    return view


# --- helpers shared with the self-service operations ------------------------------------------------


def paginate(
    items: list[Any], limit: int, token: object, key: Callable[[Any], str]
) -> tuple[list[Any], str | None]:
    """One page of ``items`` after the item a token names, and the token of the next page."""
    start = 0
    if token is not None:
        try:
            after = base64.urlsafe_b64decode(str(token).encode()).decode()
        except (ValueError, binascii.Error):
            raise invalid_parameter("Invalid pagination token") from None
        names = [key(item) for item in items]
        if after not in names:
            raise invalid_parameter("Invalid pagination token")
        start = names.index(after) + 1
    page = items[start : start + limit]
    more = start + limit < len(items)
    next_token = base64.urlsafe_b64encode(key(page[-1]).encode()).decode() if more and page else None
    return page, next_token


def revoke_all(pool: Pool, user: User) -> None:
    """GlobalSignOut: every refresh token of the user, and the access tokens issued with them."""
    for record in pool.refresh_tokens.values():
        if record.username == user.username:
            record.revoked = True
            if record.origin_jti not in pool.revoked_origins:
                pool.revoked_origins.append(record.origin_jti)


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


def _admin_user(pool: Pool, username: str) -> User:
    user = pool.find_user(username)
    if user is None:
        raise user_not_found()
    return user


# --- pools and clients ----------------------------------------------------------------------------------


async def create_user_pool(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    now = ctx.now()
    policies = body.get("Policies") or {}
    username_attributes = list(body.get("UsernameAttributes") or [])
    alias_attributes = list(body.get("AliasAttributes") or [])
    if username_attributes and alias_attributes:
        raise invalid_parameter(
            "Only one of the AliasAttributes or UsernameAttributes can be set in a User Pool."
        )
    pool = Pool(
        id=new_pool_id(ctx.region), name=body["PoolName"], region=ctx.region, created_at=now, modified_at=now
    )
    pool.password_policy = {**DEFAULT_PASSWORD_POLICY, **(policies.get("PasswordPolicy") or {})}
    pool.first_factors = list(
        (policies.get("SignInPolicy") or {}).get("AllowedFirstAuthFactors") or ["PASSWORD"]
    )
    pool.mfa = body.get("MfaConfiguration") or "OFF"
    pool.sms_mfa = pool.mfa != "OFF" and bool(body.get("SmsConfiguration"))
    pool.auto_verified = list(body.get("AutoVerifiedAttributes") or [])
    pool.username_attributes = username_attributes
    pool.alias_attributes = alias_attributes
    pool.case_sensitive = bool((body.get("UsernameConfiguration") or {}).get("CaseSensitive", True))
    devices = body.get("DeviceConfiguration")
    if devices is not None:
        pool.device_configuration = {
            "ChallengeRequiredOnNewDevice": bool(devices.get("ChallengeRequiredOnNewDevice", False)),
            "DeviceOnlyRememberedOnUserPrompt": bool(devices.get("DeviceOnlyRememberedOnUserPrompt", False)),
        }
    for spec in body.get("Schema") or []:
        name = str(spec.get("Name", ""))
        if name in STANDARD_ATTRIBUTES:
            if spec.get("Required"):
                pool.required_attributes.append(name)
        else:
            pool.custom_attributes[name.removeprefix("custom:")] = dict(spec)
    pool.config = {key: body[key] for key in _POOL_ECHO if key in body}
    pool.key_pem = await asyncio.to_thread(generate_key_pem, shared=ctx.shared_key)
    pool.kid = ctx.keys.kid(pool)
    ctx.store.pools[pool.id] = pool
    return {"UserPool": _describe_pool(pool)}


async def describe_user_pool(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return {"UserPool": _describe_pool(ctx.store.pool(body["UserPoolId"]))}


async def delete_user_pool(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    del ctx.store.pools[pool.id]
    return {}


async def list_user_pools(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pools = sorted(ctx.store.pools.values(), key=lambda p: (p.created_at, p.id))
    page, token = paginate(pools, body["MaxResults"], body.get("NextToken"), lambda p: p.id)
    pools_view = [
        {
            "Id": p.id,
            "Name": p.name,
            "LambdaConfig": {},
            "LastModifiedDate": p.modified_at,
            "CreationDate": p.created_at,
        }
        for p in page
    ]
    reply: dict[str, Any] = {"UserPools": pools_view}
    if token:
        reply["NextToken"] = token
    return reply


def _validity(
    body: dict[str, Any], name: str, default_unit: str, default: int, low: int, high: int
) -> tuple[int, int, str]:
    """A token validity in seconds, the value as given and its unit; Cognito's limits enforced."""
    units = body.get("TokenValidityUnits") or {}
    unit = units.get(name.replace("Validity", ""), default_unit)
    value = body.get(name)
    if value is None:
        return default, default // _UNIT_SECONDS[unit], unit
    seconds = int(value) * _UNIT_SECONDS[unit]
    if not low <= seconds <= high:
        raise invalid_parameter(f"{name} must be between {low} and {high} seconds, not {seconds}")
    return seconds, int(value), unit


def _client_from(
    ctx: Context, pool: Pool, body: dict[str, Any], client_id: str, secret: str, created_at: float
) -> Client:
    flows = list(body.get("ExplicitAuthFlows") or [])
    legacy = [flow for flow in flows if not flow.startswith("ALLOW_")]
    if legacy and len(legacy) != len(flows):
        raise invalid_parameter("ExplicitAuthFlows can not have both ALLOW_XXX and legacy XXX values.")
    flows = (
        sorted(
            {_LEGACY_FLOWS.get(flow, flow) for flow in flows}
            | ({"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"} if legacy else set())
        )
        if flows
        else list(_DEFAULT_FLOWS)
    )
    access, access_value, access_unit = _validity(body, "AccessTokenValidity", "hours", 3600, 300, 86400)
    id_seconds, id_value, id_unit = _validity(body, "IdTokenValidity", "hours", 3600, 300, 86400)
    refresh, refresh_value, refresh_unit = _validity(
        body, "RefreshTokenValidity", "days", 30 * 86400, 3600, 3650 * 86400
    )
    session_minutes = int(body.get("AuthSessionValidity") or 3)
    if not 3 <= session_minutes <= 15:
        raise invalid_parameter("AuthSessionValidity must be between 3 and 15 minutes")
    rotation = body.get("RefreshTokenRotation") or {}
    prevent = body.get("PreventUserExistenceErrors") or "LEGACY"
    revocation = body.get("EnableTokenRevocation")
    now = ctx.now()
    client = Client(
        id=client_id,
        name=body["ClientName"],
        created_at=created_at,
        modified_at=now,
        secret=secret,
        auth_flows=flows,
        access_validity=access,
        id_validity=id_seconds,
        refresh_validity=refresh,
        revocation=True if revocation is None else bool(revocation),
        rotation=rotation.get("Feature") == "ENABLED",
        rotation_grace=int(rotation.get("RetryGracePeriodSeconds") or 0),
        session_minutes=session_minutes,
        prevent_existence_errors=prevent == "ENABLED",
    )
    client.config = {
        "RefreshTokenValidity": refresh_value,
        "AccessTokenValidity": access_value,
        "IdTokenValidity": id_value,
        "TokenValidityUnits": {"AccessToken": access_unit, "IdToken": id_unit, "RefreshToken": refresh_unit},
        "ExplicitAuthFlows": flows,
        "AllowedOAuthFlowsUserPoolClient": False,
        "PreventUserExistenceErrors": prevent,
        "EnableTokenRevocation": client.revocation,
        "EnablePropagateAdditionalUserContextData": False,
        "AuthSessionValidity": session_minutes,
    }
    if rotation:
        client.config["RefreshTokenRotation"] = {
            "Feature": rotation.get("Feature", "DISABLED"),
            "RetryGracePeriodSeconds": client.rotation_grace,
        }
    for key in ("ReadAttributes", "WriteAttributes"):
        if body.get(key):
            client.config[key] = list(body[key])
    client.config.update(oauth.client_oauth_config(pool, body, secret))
    return client


async def create_user_pool_client(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    secret = random_id(51, "abcdefghijklmnopqrstuvwxyz0123456789") if body.get("GenerateSecret") else ""
    client = _client_from(ctx, pool, body, new_client_id(), secret, ctx.now())
    pool.clients[client.id] = client
    return {"UserPoolClient": _describe_client(pool, client)}


def _client(pool: Pool, client_id: str) -> Client:
    client = pool.clients.get(client_id)
    if client is None:
        raise resource_not_found(f"User pool client {client_id} does not exist.")
    return client


async def describe_user_pool_client(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    return {"UserPoolClient": _describe_client(pool, _client(pool, body["ClientId"]))}


async def update_user_pool_client(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    old = _client(pool, body["ClientId"])
    client = _client_from(ctx, pool, {"ClientName": old.name, **body}, old.id, old.secret, old.created_at)
    pool.clients[client.id] = client
    return {"UserPoolClient": _describe_client(pool, client)}


async def delete_user_pool_client(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    del pool.clients[_client(pool, body["ClientId"]).id]
    return {}


async def list_user_pool_clients(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    clients = sorted(pool.clients.values(), key=lambda c: (c.created_at, c.id))
    page, token = paginate(clients, body.get("MaxResults") or 60, body.get("NextToken"), lambda c: c.id)
    reply: dict[str, Any] = {
        "UserPoolClients": [{"ClientId": c.id, "UserPoolId": pool.id, "ClientName": c.name} for c in page]
    }
    if token:
        reply["NextToken"] = token
    return reply


def _mfa_config_view(pool: Pool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "SoftwareTokenMfaConfiguration": {"Enabled": pool.totp_mfa},
        "MfaConfiguration": pool.mfa,
    }
    if pool.sms_mfa:
        view["SmsMfaConfiguration"] = pool.config.get("SmsMfaConfiguration", {})
    if pool.email_mfa:
        view["EmailMfaConfiguration"] = pool.config.get("EmailMfaConfiguration", {})
    return view


async def set_user_pool_mfa_config(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    if "SmsMfaConfiguration" in body:
        pool.sms_mfa = True
        pool.config["SmsMfaConfiguration"] = body["SmsMfaConfiguration"]
    if "SoftwareTokenMfaConfiguration" in body:
        pool.totp_mfa = bool(body["SoftwareTokenMfaConfiguration"].get("Enabled"))
    if "EmailMfaConfiguration" in body:
        pool.email_mfa = True
        pool.config["EmailMfaConfiguration"] = body["EmailMfaConfiguration"]
    mfa = body.get("MfaConfiguration") or pool.mfa
    if mfa != "OFF" and not (pool.sms_mfa or pool.totp_mfa or pool.email_mfa):
        raise invalid_parameter("At least one MFA method must be enabled to turn MFA on.")
    pool.mfa = mfa
    pool.modified_at = ctx.now()
    return _mfa_config_view(pool)


async def get_user_pool_mfa_config(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return _mfa_config_view(ctx.store.pool(body["UserPoolId"]))


# --- users ----------------------------------------------------------------------------------------------


def _temporary_password() -> str:
    return "Tmp1!" + secrets.token_urlsafe(12)


async def admin_create_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    action = body.get("MessageAction")
    password = body.get("TemporaryPassword") or _temporary_password()
    pool.check_password_policy(password)
    if action == "RESEND":
        user = _admin_user(pool, body["Username"])
        if user.status != "FORCE_CHANGE_PASSWORD":
            raise Fault(
                "UnsupportedUserStateException",
                f"Resend not possible. {user.username} status is not FORCE_CHANGE_PASSWORD",
            )
    else:
        internal, values = new_user_from_request(ctx, pool, body["Username"], body.get("UserAttributes"))
        user = pool.new_user(internal, ctx.now())
        user.attributes.update(values)
    user.set_password(pool.srp_name, password, ctx.now())
    user.status = "FORCE_CHANGE_PASSWORD"
    if action != "SUPPRESS":
        for medium in body.get("DesiredDeliveryMediums") or ["SMS"]:
            attribute = "email" if medium == "EMAIL" else "phone_number"
            if user.attributes.get(attribute):
                ctx.deliver(pool, user, user.attributes[attribute], password, "INVITATION", attribute)
    return {"User": _user_view(user)}


async def admin_get_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = _admin_user(pool, body["Username"])
    return {**_user_view(user, attributes_key="UserAttributes"), **mfa_settings(pool, user)}


async def admin_delete_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    pool.delete_user(_admin_user(pool, body["Username"]))
    return {}


async def admin_set_user_password(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = _admin_user(pool, body["Username"])
    pool.check_password_policy(body["Password"])
    user.set_password(pool.srp_name, body["Password"], ctx.now())
    user.status = "CONFIRMED" if body.get("Permanent") else "FORCE_CHANGE_PASSWORD"
    user.failed_attempts = 0
    user.locked_until = 0.0
    return {}


async def admin_confirm_sign_up(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = _admin_user(pool, body["Username"])
    if user.status != "UNCONFIRMED":
        raise Fault("NotAuthorizedException", f"User cannot be confirmed. Current status is {user.status}")
    user.status = "CONFIRMED"
    user.codes.pop("SIGN_UP", None)
    return {}


async def admin_set_user_mfa_preference(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    set_mfa_preference(pool, _admin_user(pool, body["Username"]), body)
    return {}


async def admin_update_user_attributes(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    update_attributes(ctx, pool, _admin_user(pool, body["Username"]), body["UserAttributes"], admin=True)
    return {}


async def admin_delete_user_attributes(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = _admin_user(pool, body["Username"])
    pool.check_attribute_names(body["UserAttributeNames"])
    for name in body["UserAttributeNames"]:
        user.attributes.pop(name, None)
    return {}


async def admin_disable_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = _admin_user(pool, body["Username"])
    user.enabled = False
    revoke_all(pool, user)
    return {}


async def admin_enable_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    _admin_user(pool, body["Username"]).enabled = True
    return {}


async def admin_user_global_sign_out(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    revoke_all(pool, _admin_user(pool, body["Username"]))
    return {}


async def admin_reset_user_password(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = _admin_user(pool, body["Username"])
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
        view = _user_view(user)
        if wanted is not None:
            view["Attributes"] = user_attribute_list(user, list(wanted))
        views.append(view)
    reply: dict[str, Any] = {"Users": views}
    if token:
        reply["PaginationToken"] = token
    return reply


# --- groups ----------------------------------------------------------------------------------------------


def _group_view(pool: Pool, group: Group) -> dict[str, Any]:
    view: dict[str, Any] = {
        "GroupName": group.name,
        "UserPoolId": pool.id,
        "Description": group.description,
        "LastModifiedDate": group.modified_at,
        "CreationDate": group.created_at,
    }
    if group.precedence is not None:
        view["Precedence"] = group.precedence
    if group.role_arn:
        view["RoleArn"] = group.role_arn
    return view


def _group(pool: Pool, name: str) -> Group:
    group = pool.groups.get(name)
    if group is None:
        raise resource_not_found("Group not found.")
    return group


async def create_group(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    name = body["GroupName"]
    if name in pool.groups:
        raise Fault("GroupExistsException", "A group with the name already exists.")
    now = ctx.now()
    group = Group(
        name, now, now, body.get("Description") or "", body.get("Precedence"), body.get("RoleArn") or ""
    )
    pool.groups[name] = group
    return {"Group": _group_view(pool, group)}


async def get_group(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    return {"Group": _group_view(pool, _group(pool, body["GroupName"]))}


async def delete_group(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    group = _group(pool, body["GroupName"])
    del pool.groups[group.name]
    for user in pool.users.values():
        if group.name in user.groups:
            user.groups.remove(group.name)
    return {}


async def list_groups(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    groups = sorted(pool.groups.values(), key=lambda g: g.name)
    page, token = paginate(groups, body.get("Limit") or 60, body.get("NextToken"), lambda g: g.name)
    reply: dict[str, Any] = {"Groups": [_group_view(pool, g) for g in page]}
    if token:
        reply["NextToken"] = token
    return reply


async def admin_add_user_to_group(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = _admin_user(pool, body["Username"])
    group = _group(pool, body["GroupName"])
    if group.name not in user.groups:
        user.groups.append(group.name)
    return {}


async def admin_remove_user_from_group(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = _admin_user(pool, body["Username"])
    group = _group(pool, body["GroupName"])
    if group.name in user.groups:
        user.groups.remove(group.name)
    return {}


async def admin_list_groups_for_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = _admin_user(pool, body["Username"])
    return {
        "Groups": [
            _group_view(pool, pool.groups[name]) for name in sorted(user.groups) if name in pool.groups
        ]
    }


async def list_users_in_group(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    group = _group(pool, body["GroupName"])
    users = [
        _user_view(u) for u in sorted(pool.users.values(), key=lambda u: u.username) if group.name in u.groups
    ]
    return {"Users": users}
