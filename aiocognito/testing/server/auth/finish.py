"""What follows a first factor, up to the tokens: a required new password, the SRP of a remembered
device, MFA, then the ``AuthenticationResult`` (with ``NewDeviceMetadata`` when the pool tracks devices).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from ...faults import not_authorized, resource_not_found
from .. import lifecycle
from ..context import Context
from ..state import Client, Device, Pool, User
from ..tokens import ACCESS_SCOPE, issue_tokens
from .mfa import mfa_step
from .passwords import check_status
from .sessions import AuthSession

__all__ = ["after_first_factor", "after_password", "finish"]


async def after_password(
    ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession
) -> dict[str, Any]:
    """After a right password: a temporary one must be replaced (NEW_PASSWORD_REQUIRED) before
    :func:`after_first_factor`.

    Raises:
        Fault: NotAuthorizedException when the temporary password has expired, or as
            :func:`~.passwords.check_status`.
    """
    check_status(user)
    if user.status == "FORCE_CHANGE_PASSWORD":
        days = int(pool.password_policy.get("TemporaryPasswordValidityDays", 7))
        if ctx.now() > user.password_set_at + days * 86400:
            raise not_authorized("Temporary password has expired and must be reset by an administrator.")
        attributes = {k: v for k, v in user.attributes.items() if k != "sub"}
        missing = [
            f"userAttributes.{name}" for name in pool.required_attributes if name not in user.attributes
        ]
        return ctx.sessions.challenge(
            session,
            "NEW_PASSWORD_REQUIRED",
            {
                "USER_ID_FOR_SRP": user.username,
                "requiredAttributes": json.dumps(missing),
                "userAttributes": json.dumps(attributes),
            },
        )
    return await after_first_factor(ctx, pool, client, user, session)


async def after_first_factor(
    ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession
) -> dict[str, Any]:
    """Device authentication when the client named a device, then MFA, then tokens."""
    if session.device_key and not session.device_authenticated:
        device = user.devices.get(session.device_key)
        if device is None or not device.confirmed:
            raise resource_not_found("Device does not exist.")
        return ctx.sessions.challenge(session, "DEVICE_SRP_AUTH", {"USERNAME": user.username})
    if session.wants_mfa and not _device_skips_mfa(pool, user, session):
        step = mfa_step(ctx, pool, user, session)
        if step is not None:
            return step
    return await finish(ctx, pool, client, user, session)


def _device_skips_mfa(pool: Pool, user: User, session: AuthSession) -> bool:
    if not session.device_authenticated or not pool.device_configuration:
        return False
    device = user.devices.get(session.device_key)
    return bool(
        device and device.remembered and pool.device_configuration.get("ChallengeRequiredOnNewDevice")
    )


async def finish(
    ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession
) -> dict[str, Any]:
    """The ``AuthenticationResult`` that ends a sign-in (and a new device when the pool tracks devices);
    the session is dropped. The pre token generation and post authentication triggers run first: either
    refuses the tokens by raising.
    """
    source = "AuthenticateDevice" if session.device_authenticated else "Authentication"
    metadata = session.client_metadata
    overrides = await lifecycle.token_overrides(
        ctx, pool, client.id, user, source=source, metadata=metadata, scopes=ACCESS_SCOPE.split()
    )
    new_device_used = pool.device_configuration is not None and not session.device_authenticated
    await lifecycle.post_authentication(
        ctx, pool, client.id, user, new_device_used=new_device_used, metadata=metadata
    )
    now = ctx.now()
    device_key = session.device_key if session.device_authenticated else ""
    new_device: dict[str, str] | None = None
    if device_key:
        device = user.devices[device_key]
        device.last_authenticated_at = now
    elif pool.device_configuration is not None:
        device_key = f"{pool.region}_{uuid.uuid4()}"
        user.devices[device_key] = Device(device_key, user.device_group_key, now, now)
        new_device = {"DeviceKey": device_key, "DeviceGroupKey": user.device_group_key}
    result = issue_tokens(ctx.keys, pool, client, user, now=now, device_key=device_key, overrides=overrides)
    if new_device is not None:
        result["NewDeviceMetadata"] = new_device
    ctx.sessions.drop(session)
    user.failed_attempts = 0
    return {"ChallengeParameters": {}, "AuthenticationResult": result}
