"""App clients: ``CreateUserPoolClient``, ``DescribeUserPoolClient``, ``UpdateUserPoolClient``,
``DeleteUserPoolClient``, ``ListUserPoolClients``, with Cognito's defaults and limits (auth flows,
token validities and their units, refresh-token rotation) and the OAuth settings (:mod:`.oauth.config`).
"""

from __future__ import annotations

from typing import Any

from ..faults import invalid_parameter
from .context import Context
from .oauth.config import client_oauth_config
from .paging import paginate
from .state import Client, Pool, new_client_id, random_id

__all__ = [
    "create_user_pool_client",
    "delete_user_pool_client",
    "describe_user_pool_client",
    "list_user_pool_clients",
    "update_user_pool_client",
]

_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_LEGACY_FLOWS = {
    "ADMIN_NO_SRP_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY": "ALLOW_CUSTOM_AUTH",
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
}
_DEFAULT_FLOWS = ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]


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
        raise invalid_parameter("ExplicitAuthFlows can not have both ALLOW_ flows and their legacy forms.")
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
    client.config.update(client_oauth_config(pool, body, secret))
    return client


async def create_user_pool_client(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    secret = random_id(51, "abcdefghijklmnopqrstuvwxyz0123456789") if body.get("GenerateSecret") else ""
    client = _client_from(ctx, pool, body, new_client_id(), secret, ctx.now())
    pool.clients[client.id] = client
    return {"UserPoolClient": _describe_client(pool, client)}


async def describe_user_pool_client(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    return {"UserPoolClient": _describe_client(pool, pool.client(body["ClientId"]))}


async def update_user_pool_client(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    old = pool.client(body["ClientId"])
    client = _client_from(ctx, pool, {"ClientName": old.name, **body}, old.id, old.secret, old.created_at)
    pool.clients[client.id] = client
    return {"UserPoolClient": _describe_client(pool, client)}


async def delete_user_pool_client(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    del pool.clients[pool.client(body["ClientId"]).id]
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
