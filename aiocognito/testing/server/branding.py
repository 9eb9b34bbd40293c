"""The look of the hosted pages, stored and described as Cognito does: managed login branding
(``CreateManagedLoginBranding``, ``DescribeManagedLoginBranding``, ``DescribeManagedLoginBrandingByClient``,
``UpdateManagedLoginBranding``, ``DeleteManagedLoginBranding``) and the classic hosted UI's
(``SetUICustomization``, ``GetUICustomization``). The local managed login pages do not draw them (they
have one look: :mod:`.oauth.templates`).
"""

from __future__ import annotations

import uuid
from typing import Any

from ..faults import Fault, invalid_parameter, resource_not_found
from .context import Context
from .state import Pool

__all__ = [
    "create_managed_login_branding",
    "delete_managed_login_branding",
    "describe_managed_login_branding",
    "describe_managed_login_branding_by_client",
    "get_ui_customization",
    "set_ui_customization",
    "update_managed_login_branding",
]


def _check_style(body: dict[str, Any]) -> None:
    if body.get("UseCognitoProvidedValues") and (body.get("Settings") or body.get("Assets")):
        raise invalid_parameter("UseCognitoProvidedValues cannot be given with Settings or Assets.")


def _branding(pool: Pool, branding_id: str) -> dict[str, Any]:
    record = pool.records.get("branding", {}).get(branding_id)
    if record is None:
        raise resource_not_found(f"Managed login branding {branding_id} does not exist.")
    return dict(record)


def _view(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "ClientId"}


async def create_managed_login_branding(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    client = pool.client(body["ClientId"])
    _check_style(body)
    brandings = pool.area("branding")
    if any(record["ClientId"] == client.id for record in brandings.values()):
        raise Fault("ManagedLoginBrandingExistsException", "The app client already has a branding style.")
    now = ctx.now()
    record: dict[str, Any] = {
        "ManagedLoginBrandingId": str(uuid.uuid4()),
        "UserPoolId": pool.id,
        "ClientId": client.id,
        "UseCognitoProvidedValues": bool(body.get("UseCognitoProvidedValues", not body.get("Settings"))),
        "Settings": body.get("Settings") or {},
        "Assets": list(body.get("Assets") or []),
        "CreationDate": now,
        "LastModifiedDate": now,
    }
    brandings[record["ManagedLoginBrandingId"]] = record
    return {"ManagedLoginBranding": _view(record)}


async def describe_managed_login_branding(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    return {"ManagedLoginBranding": _view(_branding(pool, body["ManagedLoginBrandingId"]))}


async def describe_managed_login_branding_by_client(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    client = pool.client(body["ClientId"])
    for record in pool.records.get("branding", {}).values():
        if record["ClientId"] == client.id:
            return {"ManagedLoginBranding": _view(record)}
    raise resource_not_found(f"The app client {client.id} has no managed login branding.")


async def update_managed_login_branding(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    if not body.get("UserPoolId") or not body.get("ManagedLoginBrandingId"):
        raise invalid_parameter("UserPoolId and ManagedLoginBrandingId are required.")
    pool = ctx.store.pool(body["UserPoolId"])
    record = _branding(pool, body["ManagedLoginBrandingId"])
    _check_style(body)
    if body.get("UseCognitoProvidedValues"):
        record.update(UseCognitoProvidedValues=True, Settings={}, Assets=[])
    else:
        if "Settings" in body:
            record.update(Settings=body["Settings"] or {}, UseCognitoProvidedValues=False)
        if "Assets" in body:
            record["Assets"] = list(body["Assets"] or [])
    record["LastModifiedDate"] = ctx.now()
    pool.area("branding")[record["ManagedLoginBrandingId"]] = record
    return {"ManagedLoginBranding": _view(record)}


async def delete_managed_login_branding(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    record = _branding(pool, body["ManagedLoginBrandingId"])
    del pool.area("branding")[record["ManagedLoginBrandingId"]]
    return {}


async def set_ui_customization(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    client_id = body.get("ClientId") or "ALL"
    if client_id != "ALL":
        pool.client(client_id)
    now = ctx.now()
    styles = pool.area("ui")
    before = styles.get(client_id, {})
    record: dict[str, Any] = {
        "UserPoolId": pool.id,
        "ClientId": client_id,
        "CSSVersion": str(int(before.get("CSSVersion", "0")) + 1),
        "CreationDate": before.get("CreationDate", now),
        "LastModifiedDate": now,
    }
    if body.get("CSS"):
        record["CSS"] = body["CSS"]
    if body.get("ImageFile"):
        record["ImageUrl"] = f"https://{pool.domain or pool.id}.local/logo/{client_id}.png"
    styles[client_id] = record
    return {"UICustomization": record}


async def get_ui_customization(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """The client's style, else the pool's (``ALL``), as Cognito falls back."""
    pool = ctx.store.pool(body["UserPoolId"])
    client_id = body.get("ClientId") or "ALL"
    if client_id != "ALL":
        pool.client(client_id)
    styles = pool.records.get("ui", {})
    record = styles.get(client_id) or styles.get("ALL") or {"UserPoolId": pool.id, "ClientId": client_id}
    return {"UICustomization": record}
