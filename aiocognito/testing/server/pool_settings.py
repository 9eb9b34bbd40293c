"""What changes a user pool after it is made, besides UpdateUserPool (in :mod:`.pools`): its schema
(``AddCustomAttributes``), its tags (``TagResource``, ``UntagResource``, ``ListTagsForResource``), and
the certificate of its signing key (``GetSigningCertificate``, for SAML providers).
"""

from __future__ import annotations

import base64
import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from ..faults import invalid_parameter, resource_not_found
from .context import Context
from .state import STANDARD_ATTRIBUTES, Pool

__all__ = [
    "add_custom_attributes",
    "get_signing_certificate",
    "list_tags_for_resource",
    "tag_resource",
    "untag_resource",
]

_MAX_CUSTOM_ATTRIBUTES = 50
_MAX_TAGS = 50


async def add_custom_attributes(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """Add attributes to the schema; like Cognito, never required, and never a name already there."""
    pool = ctx.store.pool(body["UserPoolId"])
    added: dict[str, dict[str, Any]] = {}
    for spec in body["CustomAttributes"]:
        name = str(spec.get("Name", "")).removeprefix("custom:")
        if not name or name in STANDARD_ATTRIBUTES:
            raise invalid_parameter(f"{name or 'An attribute'} is not a name a custom attribute may have.")
        if name in pool.custom_attributes or name in added:
            raise invalid_parameter(f"custom:{name}: Existing attribute already has name custom:{name}.")
        if spec.get("Required"):
            raise invalid_parameter("Required custom attributes are not supported currently.")
        added[name] = {**spec, "Name": name}
    if len(pool.custom_attributes) + len(added) > _MAX_CUSTOM_ATTRIBUTES:
        raise invalid_parameter(f"A user pool has at most {_MAX_CUSTOM_ATTRIBUTES} custom attributes.")
    pool.custom_attributes.update(added)
    pool.modified_at = ctx.now()
    return {}


def _pool_of_arn(ctx: Context, arn: str) -> Pool:
    for pool in ctx.store.pools.values():
        if pool.arn == arn:
            return pool
    raise resource_not_found(f"The resource {arn} does not exist.")


async def tag_resource(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = _pool_of_arn(ctx, body["ResourceArn"])
    tags = {**pool.tags, **{str(key): str(value) for key, value in body["Tags"].items()}}
    if len(tags) > _MAX_TAGS:
        raise invalid_parameter(f"A user pool has at most {_MAX_TAGS} tags.")
    pool.tags = tags
    return {}


async def untag_resource(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = _pool_of_arn(ctx, body["ResourceArn"])
    for key in body["TagKeys"]:
        pool.tags.pop(key, None)
    return {}


async def list_tags_for_resource(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = _pool_of_arn(ctx, body["ResourceArn"])
    return {"Tags": dict(pool.tags)}


async def get_signing_certificate(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """A self-signed X.509 certificate of the pool's signing key (base64 DER, as Cognito gives it)."""
    pool = ctx.store.pool(body["UserPoolId"])
    key = ctx.keys.private(pool)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, pool.id)])
    # Dated from the pool's creation, so the same pool always gives the same certificate.
    start = datetime.datetime.fromtimestamp(int(pool.created_at), tz=datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(pool.kid.encode()[:16], "big") or 1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return {"Certificate": base64.b64encode(der).decode("ascii")}
