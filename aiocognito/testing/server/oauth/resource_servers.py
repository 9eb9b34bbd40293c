"""Resource servers: ``CreateResourceServer``, ``UpdateResourceServer``, ``DescribeResourceServer``,
``ListResourceServers``, ``DeleteResourceServer``. Their scopes (``<identifier>/<name>``) are the custom
scopes app clients may allow and the client credentials grant issues.
"""

from __future__ import annotations

from typing import Any

from ...faults import invalid_parameter, resource_not_found
from ..context import Context
from ..state import Pool

__all__ = [
    "create_resource_server",
    "delete_resource_server",
    "describe_resource_server",
    "list_resource_servers",
    "update_resource_server",
]


def _resource_server(pool: Pool, identifier: str) -> dict[str, Any]:
    server = pool.resource_servers.get(identifier)
    if server is None:
        raise resource_not_found(f"Resource server {identifier} does not exist.")
    return server


def _resource_server_from(body: dict[str, Any]) -> dict[str, Any]:
    scopes = [
        {"ScopeName": s["ScopeName"], "ScopeDescription": s["ScopeDescription"]}
        for s in body.get("Scopes", [])
    ]
    names = [s["ScopeName"] for s in scopes]
    if len(set(names)) != len(names):
        raise invalid_parameter("Scopes must be unique")
    return {
        "UserPoolId": body["UserPoolId"],
        "Identifier": body["Identifier"],
        "Name": body["Name"],
        "Scopes": scopes,
    }


async def create_resource_server(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    if body["Identifier"] in pool.resource_servers:
        raise invalid_parameter(f"Resource server {body['Identifier']} already exists.")
    server = pool.resource_servers[body["Identifier"]] = _resource_server_from(body)
    return {"ResourceServer": dict(server)}


async def update_resource_server(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    _resource_server(pool, body["Identifier"])
    server = pool.resource_servers[body["Identifier"]] = _resource_server_from(body)
    return {"ResourceServer": dict(server)}


async def describe_resource_server(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    return {"ResourceServer": dict(_resource_server(pool, body["Identifier"]))}


async def list_resource_servers(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    return {"ResourceServers": [dict(s) for _, s in sorted(pool.resource_servers.items())]}


async def delete_resource_server(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    del pool.resource_servers[_resource_server(pool, body["Identifier"])["Identifier"]]
    return {}
