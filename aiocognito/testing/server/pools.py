"""User pools: ``CreateUserPool``, ``DescribeUserPool``, ``DeleteUserPool``, ``ListUserPools`` and the
pool's MFA configuration (``SetUserPoolMfaConfig``, ``GetUserPoolMfaConfig``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..faults import invalid_parameter
from .context import Context
from .keys import generate_key_pem
from .paging import paginate
from .state import DEFAULT_PASSWORD_POLICY, STANDARD_ATTRIBUTES, Pool, new_pool_id

__all__ = [
    "create_user_pool",
    "delete_user_pool",
    "describe_user_pool",
    "get_user_pool_mfa_config",
    "list_user_pools",
    "set_user_pool_mfa_config",
    "update_user_pool",
]

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
    "UserPoolTier",
    "VerificationMessageTemplate",
)


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
    view.update({key: value for key, value in pool.config.items() if key in _POOL_ECHO})
    if pool.tags:
        view["UserPoolTags"] = dict(pool.tags)
    return view


def _configure(pool: Pool, body: dict[str, Any]) -> None:
    """Set what CreateUserPool and UpdateUserPool share; a field left out takes its default, as in Cognito."""
    policies = body.get("Policies") or {}
    pool.password_policy = {**DEFAULT_PASSWORD_POLICY, **(policies.get("PasswordPolicy") or {})}
    pool.first_factors = list(
        (policies.get("SignInPolicy") or {}).get("AllowedFirstAuthFactors") or ["PASSWORD"]
    )
    pool.auto_verified = list(body.get("AutoVerifiedAttributes") or [])
    devices = body.get("DeviceConfiguration")
    pool.device_configuration = None
    if devices is not None:
        pool.device_configuration = {
            "ChallengeRequiredOnNewDevice": bool(devices.get("ChallengeRequiredOnNewDevice", False)),
            "DeviceOnlyRememberedOnUserPrompt": bool(devices.get("DeviceOnlyRememberedOnUserPrompt", False)),
        }
    # The MFA factors' own settings (SetUserPoolMfaConfig) are kept: they are not fields of these calls.
    kept = {key: value for key, value in pool.config.items() if key not in _POOL_ECHO}
    pool.config = {**kept, **{key: body[key] for key in _POOL_ECHO if key in body}}
    pool.tags = {str(key): str(value) for key, value in (body.get("UserPoolTags") or {}).items()}


async def create_user_pool(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    now = ctx.now()
    username_attributes = list(body.get("UsernameAttributes") or [])
    alias_attributes = list(body.get("AliasAttributes") or [])
    if username_attributes and alias_attributes:
        raise invalid_parameter(
            "Only one of the AliasAttributes or UsernameAttributes can be set in a User Pool."
        )
    pool = Pool(
        id=new_pool_id(ctx.region), name=body["PoolName"], region=ctx.region, created_at=now, modified_at=now
    )
    pool.issuer_base = ctx.issuer_base
    _configure(pool, body)
    pool.mfa = body.get("MfaConfiguration") or "OFF"
    pool.sms_mfa = pool.mfa != "OFF" and bool(body.get("SmsConfiguration"))
    pool.username_attributes = username_attributes
    pool.alias_attributes = alias_attributes
    pool.case_sensitive = bool((body.get("UsernameConfiguration") or {}).get("CaseSensitive", True))
    for spec in body.get("Schema") or []:
        name = str(spec.get("Name", ""))
        if name in STANDARD_ATTRIBUTES:
            if spec.get("Required"):
                pool.required_attributes.append(name)
        else:
            pool.custom_attributes[name.removeprefix("custom:")] = dict(spec)
    pool.key_pem = await asyncio.to_thread(generate_key_pem, shared=ctx.shared_key)
    pool.kid = ctx.keys.kid(pool)
    ctx.store.pools[pool.id] = pool
    return {"UserPool": _describe_pool(pool)}


async def update_user_pool(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """UpdateUserPool: like Cognito, every settable field not in the request goes back to its default."""
    pool = ctx.store.pool(body["UserPoolId"])
    if pool.config.get("DeletionProtection") == "ACTIVE" and body.get("DeletionProtection") != "ACTIVE":
        # Turning deletion protection off must be asked for; it is not reset by omission.
        body = {**body, "DeletionProtection": body.get("DeletionProtection") or "ACTIVE"}
    mfa = body.get("MfaConfiguration") or "OFF"
    sms = pool.sms_mfa or (mfa != "OFF" and bool(body.get("SmsConfiguration")))
    if mfa != "OFF" and not (sms or pool.totp_mfa or pool.email_mfa):
        raise invalid_parameter("At least one MFA method must be enabled to turn MFA on.")
    _configure(pool, body)
    pool.mfa, pool.sms_mfa = mfa, sms
    if body.get("PoolName"):
        pool.name = body["PoolName"]
    pool.modified_at = ctx.now()
    return {}


async def describe_user_pool(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return {"UserPool": _describe_pool(ctx.store.pool(body["UserPoolId"]))}


async def delete_user_pool(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    if pool.config.get("DeletionProtection") == "ACTIVE":
        raise invalid_parameter("The user pool cannot be deleted because deletion protection is activated.")
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


def _mfa_config_view(pool: Pool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "SoftwareTokenMfaConfiguration": {"Enabled": pool.totp_mfa},
        "MfaConfiguration": pool.mfa,
    }
    if pool.sms_mfa:
        view["SmsMfaConfiguration"] = pool.config.get("SmsMfaConfiguration", {})
    if pool.email_mfa:
        view["EmailMfaConfiguration"] = pool.config.get("EmailMfaConfiguration", {})
    if "WebAuthnConfiguration" in pool.config:
        view["WebAuthnConfiguration"] = pool.config["WebAuthnConfiguration"]
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
    if "WebAuthnConfiguration" in body:  # the passkeys' relying party (testing/server/passkeys.py)
        pool.config["WebAuthnConfiguration"] = dict(body["WebAuthnConfiguration"])
    mfa = body.get("MfaConfiguration") or pool.mfa
    if mfa != "OFF" and not (pool.sms_mfa or pool.totp_mfa or pool.email_mfa):
        raise invalid_parameter("At least one MFA method must be enabled to turn MFA on.")
    pool.mfa = mfa
    pool.modified_at = ctx.now()
    return _mfa_config_view(pool)


async def get_user_pool_mfa_config(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return _mfa_config_view(ctx.store.pool(body["UserPoolId"]))
