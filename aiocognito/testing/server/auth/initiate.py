"""``InitiateAuth`` and ``AdminInitiateAuth``: the start of every flow (``USER_SRP_AUTH``,
``USER_PASSWORD_AUTH`` / ``ADMIN_USER_PASSWORD_AUTH``, ``CUSTOM_AUTH``, ``USER_AUTH``,
``REFRESH_TOKEN_AUTH``), each allowed only when the app client's ``ExplicitAuthFlows`` allow it.
"""

from __future__ import annotations

from typing import Any

from ...faults import invalid_parameter
from .. import lifecycle
from ..checks import check_secret_hash, require
from ..context import Context
from ..migration import migrate_user
from ..state import Client, Pool
from .auto_sign_in import auto_sign_in
from .custom import start_custom
from .finish import after_password
from .passwords import check_password, existing_user
from .refresh import refresh_auth
from .sessions import AuthSession
from .srp import start_srp
from .user_auth import start_user_auth

__all__ = ["admin_initiate_auth", "initiate_auth", "pool_and_client"]

_PASSWORD_FLOWS = {"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"}
# The ExplicitAuthFlows entry each AuthFlow needs.
_ALLOWED_BY = {
    "USER_SRP_AUTH": "USER_SRP_AUTH",
    "USER_PASSWORD_AUTH": "USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH": "ADMIN_USER_PASSWORD_AUTH",
    "ADMIN_NO_SRP_AUTH": "ADMIN_USER_PASSWORD_AUTH",
    "CUSTOM_AUTH": "CUSTOM_AUTH",
    "USER_AUTH": "USER_AUTH",
    "REFRESH_TOKEN_AUTH": "REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN": "REFRESH_TOKEN_AUTH",
}


def pool_and_client(ctx: Context, body: dict[str, Any], admin: bool) -> tuple[Pool, Client]:
    """The pool and app client a sign-in request names (the Admin forms name the pool too).

    Raises:
        Fault: ResourceNotFoundException for an unknown pool or client.
    """
    if admin:
        pool = ctx.store.pool(body["UserPoolId"])
        return pool, pool.client(body["ClientId"])
    return ctx.store.client(body["ClientId"])


async def _initiate(ctx: Context, body: dict[str, Any], *, admin: bool) -> dict[str, Any]:
    ctx.sessions.purge(ctx.now())
    pool, client = pool_and_client(ctx, body, admin)
    flow = body["AuthFlow"]
    params: dict[str, str] = dict(body.get("AuthParameters") or {})
    if (flow.startswith("ADMIN_") and not admin) or (admin and flow == "USER_PASSWORD_AUTH"):
        raise invalid_parameter("Initiate Auth method not supported.")
    if flow not in _ALLOWED_BY or not client.allows(_ALLOWED_BY[flow]):
        raise invalid_parameter(f"{flow} flow not enabled for this client")
    if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        return await refresh_auth(ctx, pool, client, params, body.get("ClientMetadata"))
    typed = require(params, "USERNAME")
    check_secret_hash(client, params.get("SECRET_HASH"), [typed])
    user = pool.find_user(typed)
    metadata = dict(body.get("ClientMetadata") or {})
    if user is None and flow in _PASSWORD_FLOWS:
        # Cognito asks the user migration trigger only when it is given the password itself.
        password = require(params, "PASSWORD")
        user = await migrate_user(
            ctx, pool, client.id, typed, source="Authentication", password=password, metadata=metadata
        )
    if user is not None and user.enabled:
        await lifecycle.pre_authentication(ctx, pool, client.id, user, validation_data={}, metadata=metadata)
    session = AuthSession(
        pool_id=pool.id,
        client_id=client.id,
        username=user.username if user else "",
        typed_username=typed,
        flow=flow,
        expires_at=ctx.now() + client.session_minutes * 60,
        client_metadata=dict(body.get("ClientMetadata") or {}),
        device_key=params.get("DEVICE_KEY", ""),
    )
    if flow == "USER_SRP_AUTH":
        return start_srp(ctx, pool, client, user, session, require(params, "SRP_A"))
    if flow in _PASSWORD_FLOWS:
        password = require(params, "PASSWORD")
        user = existing_user(client, user)
        check_password(ctx, pool, user, password)
        return await after_password(ctx, pool, client, user, session)
    if flow == "CUSTOM_AUTH":
        return await start_custom(ctx, pool, client, user, session, params)
    if body.get("Session"):
        return await auto_sign_in(ctx, pool, client, user, session, body["Session"])
    return await start_user_auth(ctx, pool, client, user, session, params)


async def initiate_auth(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """InitiateAuth."""
    return await _initiate(ctx, body, admin=False)


async def admin_initiate_auth(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """AdminInitiateAuth."""
    return await _initiate(ctx, body, admin=True)
