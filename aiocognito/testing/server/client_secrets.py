"""More than one secret per app client, for rotating them: ``AddUserPoolClientSecret``,
``ListUserPoolClientSecrets``, ``DeleteUserPoolClientSecret``.

SECRET_HASH and GetTokensFromRefreshToken take any of the client's secrets, as during a rotation in
Cognito; DescribeUserPoolClient shows the first. Cognito allows two secrets at a time. (The domain's
token endpoint checks the first only.)
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from ..faults import Fault, invalid_parameter, resource_not_found
from .context import Context
from .state import Client, random_id

__all__ = ["add_user_pool_client_secret", "delete_user_pool_client_secret", "list_user_pool_client_secrets"]

_MAX_SECRETS = 2


def _primary_id(client: Client) -> str:
    # A stable id for the client's own secret, without showing the secret.
    return client.id + "--" + hashlib.sha256(client.secret.encode()).hexdigest()[:12]


def _secret_client(ctx: Context, body: dict[str, Any]) -> Client:
    pool = ctx.store.pool(body["UserPoolId"])
    client = pool.client(body["ClientId"])
    if not client.secret:
        raise invalid_parameter(f"Client {client.id} has no secret.")
    return client


def _descriptors(client: Client) -> list[dict[str, Any]]:
    primary = {"ClientSecretId": _primary_id(client), "ClientSecretCreateDate": client.created_at}
    return [primary] + [
        {"ClientSecretId": item["ClientSecretId"], "ClientSecretCreateDate": item["ClientSecretCreateDate"]}
        for item in client.added_secrets
    ]


async def add_user_pool_client_secret(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    client = _secret_client(ctx, body)
    if len(_descriptors(client)) >= _MAX_SECRETS:
        raise Fault("LimitExceededException", f"A client has at most {_MAX_SECRETS} secrets.")
    value = body.get("ClientSecret") or secrets.token_urlsafe(38)[:51]
    item = {"ClientSecretId": f"{client.id}--{random_id(12)}", "ClientSecretCreateDate": ctx.now()}
    client.added_secrets.append({**item, "ClientSecretValue": value})
    return {"ClientSecretDescriptor": {**item, "ClientSecretValue": value}}


async def list_user_pool_client_secrets(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    client = _secret_client(ctx, body)
    return {"ClientSecrets": _descriptors(client)}


async def delete_user_pool_client_secret(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    client = _secret_client(ctx, body)
    wanted = body["ClientSecretId"]
    added = client.added_secrets
    if wanted == _primary_id(client):
        if not added:
            raise invalid_parameter("The last secret of a client cannot be deleted.")
        # The next secret becomes the client's first, the one DescribeUserPoolClient shows.
        client.secret = str(added.pop(0)["ClientSecretValue"])
        return {}
    kept = [item for item in added if item["ClientSecretId"] != wanted]
    if len(kept) == len(added):
        raise resource_not_found(f"Client secret {wanted} does not exist.")
    client.added_secrets = kept
    return {}
