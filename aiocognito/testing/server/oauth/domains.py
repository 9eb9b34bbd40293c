"""User pool domains: ``CreateUserPoolDomain``, ``DescribeUserPoolDomain``, ``DeleteUserPoolDomain``,
and which pool the ``<domain>`` of an endpoint's URL names (a domain prefix, or always the pool id).
"""

from __future__ import annotations

from typing import Any

from ...faults import Fault, invalid_parameter
from ..context import Context
from ..state import Pool, Store
from .pages import PageError

__all__ = [
    "create_user_pool_domain",
    "delete_user_pool_domain",
    "describe_user_pool_domain",
    "pool_of_domain",
]


async def create_user_pool_domain(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    domain = body["Domain"]
    if body.get("CustomDomainConfig"):
        raise Fault(
            "UnsupportedOperationException", "Custom domains are not supported by the local user pool."
        )
    if pool.domain:
        raise invalid_parameter(f"User pool {pool.id} already has a domain configured.")
    if any(p.domain == domain for p in ctx.store.pools.values()) or domain in ctx.store.pools:
        raise invalid_parameter("Domain already associated with another user pool.")
    pool.domain = domain
    return {"ManagedLoginVersion": int(body.get("ManagedLoginVersion") or 1)}


async def describe_user_pool_domain(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    for pool in ctx.store.pools.values():
        if pool.domain and pool.domain == body["Domain"]:
            return {
                "DomainDescription": {
                    "UserPoolId": pool.id,
                    "AWSAccountId": "123456789012",
                    "Domain": pool.domain,
                    "CloudFrontDistribution": f"{pool.domain}.local",
                    "Version": "1",
                    "Status": "ACTIVE",
                    "ManagedLoginVersion": 1,
                }
            }
    return {"DomainDescription": {}}


async def delete_user_pool_domain(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    if pool.domain != body["Domain"]:
        raise invalid_parameter(f"Domain {body['Domain']} is not the domain of user pool {pool.id}.")
    pool.domain = ""
    return {}


def pool_of_domain(store: Store, domain: str) -> Pool:
    """The pool a domain in a URL names: its ``CreateUserPoolDomain`` prefix, or its id.

    Raises:
        PageError: no pool has that domain.
    """
    pool = store.pools.get(domain)
    if pool is not None:
        return pool
    for candidate in store.pools.values():
        if candidate.domain and candidate.domain == domain:
            return candidate
    raise PageError("invalid_request", f"no user pool domain {domain}")
