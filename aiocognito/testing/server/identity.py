"""``cognito-identity`` operations of the local user pool: identity pools, GetId, GetCredentialsForIdentity.

Logins are ID tokens of the local user pools, checked like Cognito checks them (signature, expiry,
issuer and audience among the identity pool's providers). The credentials are made up (``ASIA...``):
nothing here talks to STS.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from ..faults import Fault, not_authorized
from .context import Context
from .paging import paginate
from .state import IdentityPool, random_id
from .tokens import read_id_token

__all__ = [
    "create_identity_pool",
    "delete_identity_pool",
    "describe_identity_pool",
    "get_credentials_for_identity",
    "get_id",
    "list_identity_pools",
]

_UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_CREDENTIALS_LIFETIME = 3600


def _view(pool: IdentityPool) -> dict[str, Any]:
    return {
        "IdentityPoolId": pool.id,
        "IdentityPoolName": pool.name,
        "AllowUnauthenticatedIdentities": pool.allow_unauthenticated,
        "CognitoIdentityProviders": [dict(p) for p in pool.providers],
        **pool.config,
    }


def _identity_pool(ctx: Context, pool_id: str) -> IdentityPool:
    pool = ctx.store.identity_pools.get(pool_id)
    if pool is None:
        raise Fault("ResourceNotFoundException", f"IdentityPool '{pool_id}' not found.")
    return pool


def _logins(ctx: Context, pool: IdentityPool, logins: dict[str, str]) -> list[str]:
    """The identities the logins prove (``provider:sub``).

    Raises:
        Fault: NotAuthorizedException when a login is not an ID token of one of the pool's providers.
    """
    proven = []
    for provider, token in sorted(logins.items()):
        clients = {str(p.get("ClientId")) for p in pool.providers if p.get("ProviderName") == provider}
        if not clients:
            raise not_authorized("Token is not from a supported provider of this identity pool.")
        user_pool, claims = read_id_token(ctx.keys, ctx.store, token, now=ctx.now())
        if user_pool.issuer.removeprefix("https://") != provider:
            raise not_authorized("Invalid login token. Issuer doesn't match providerName")
        if claims.get("aud") not in clients:
            raise not_authorized("Invalid login token. Incorrect token audience.")
        proven.append(f"{provider}:{claims['sub']}")
    return proven


async def create_identity_pool(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = IdentityPool(
        id=f"{ctx.region}:{uuid.uuid4()}",
        name=body["IdentityPoolName"],
        allow_unauthenticated=bool(body["AllowUnauthenticatedIdentities"]),
        providers=[
            {
                "ProviderName": p.get("ProviderName", ""),
                "ClientId": p.get("ClientId", ""),
                "ServerSideTokenCheck": bool(p.get("ServerSideTokenCheck", False)),
            }
            for p in body.get("CognitoIdentityProviders") or []
        ],
        config={
            key: body[key]
            for key in (
                "AllowClassicFlow",
                "DeveloperProviderName",
                "IdentityPoolTags",
                "SupportedLoginProviders",
            )
            if key in body
        },
    )
    ctx.store.identity_pools[pool.id] = pool
    return _view(pool)


async def describe_identity_pool(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return _view(_identity_pool(ctx, body["IdentityPoolId"]))


async def delete_identity_pool(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    del ctx.store.identity_pools[_identity_pool(ctx, body["IdentityPoolId"]).id]
    return {}


async def list_identity_pools(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pools = sorted(ctx.store.identity_pools.values(), key=lambda p: p.id)
    page, token = paginate(pools, body["MaxResults"], body.get("NextToken"), lambda p: p.id)
    reply: dict[str, Any] = {
        "IdentityPools": [{"IdentityPoolId": p.id, "IdentityPoolName": p.name} for p in page]
    }
    if token:
        reply["NextToken"] = token
    return reply


async def get_id(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = _identity_pool(ctx, body["IdentityPoolId"])
    logins = dict(body.get("Logins") or {})
    if not logins:
        if not pool.allow_unauthenticated:
            raise not_authorized("Unauthenticated access is not supported for this identity pool.")
        identity_id = f"{ctx.region}:{uuid.uuid4()}"
        pool.identities[identity_id] = []
        return {"IdentityId": identity_id}
    proven = _logins(ctx, pool, logins)
    for identity_id, linked in pool.identities.items():
        if set(proven) & set(linked):
            linked.extend(p for p in proven if p not in linked)
            return {"IdentityId": identity_id}
    identity_id = f"{ctx.region}:{uuid.uuid4()}"
    pool.identities[identity_id] = proven
    return {"IdentityId": identity_id}


async def get_credentials_for_identity(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    identity_id = body["IdentityId"]
    owner = next((p for p in ctx.store.identity_pools.values() if identity_id in p.identities), None)
    if owner is None:
        raise Fault("ResourceNotFoundException", f"Identity '{identity_id}' not found.")
    linked = owner.identities[identity_id]
    logins = dict(body.get("Logins") or {})
    if linked or logins:
        proven = _logins(ctx, owner, logins) if logins else []
        if not set(proven) & set(linked):
            raise not_authorized(
                "Logins don't match. Please include at least one valid login for this identity or identity "
                "pool."
            )
    elif not owner.allow_unauthenticated:
        raise not_authorized("Unauthenticated access is not supported for this identity pool.")
    return {
        "IdentityId": identity_id,
        "Credentials": {
            "AccessKeyId": "ASIA" + random_id(16, _UPPER_ALNUM),
            "SecretKey": secrets.token_urlsafe(30)[:40],
            "SessionToken": secrets.token_urlsafe(300),
            "Expiration": int(ctx.now()) + _CREDENTIALS_LIFETIME,
        },
    }
