"""Terms of use and privacy policies shown by managed login, stored and described as Cognito does:
``CreateTerms``, ``DescribeTerms``, ``DescribeTermsByClient``, ``UpdateTerms``, ``DeleteTerms``,
``ListTerms``.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..faults import Fault, invalid_parameter, resource_not_found
from .context import Context
from .paging import paginate
from .state import Pool

__all__ = [
    "create_terms",
    "delete_terms",
    "describe_terms",
    "describe_terms_by_client",
    "list_terms",
    "update_terms",
]

_NAMES = frozenset({"terms-of-use", "privacy-policy"})


def _terms(pool: Pool, terms_id: str) -> dict[str, Any]:
    record = pool.records.get("terms", {}).get(terms_id)
    if record is None:
        raise resource_not_found(f"Terms {terms_id} do not exist.")
    return dict(record)


def _check_links(links: object) -> None:
    if not isinstance(links, dict) or not links:
        raise invalid_parameter("Links needs at least one language and its URL.")
    for language, url in links.items():
        if not (language == "cognito:default" or language) or not str(url).startswith("https://"):
            raise invalid_parameter("Each of Links maps a language to an https URL.")


async def create_terms(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    client = pool.client(body["ClientId"])
    name = body["TermsName"]
    if name not in _NAMES:
        raise invalid_parameter("TermsName is terms-of-use or privacy-policy.")
    links = body.get("Links") or {}
    _check_links(links)
    terms = pool.area("terms")
    if any(t["ClientId"] == client.id and t["TermsName"] == name for t in terms.values()):
        raise Fault("TermsExistsException", f"The app client already has {name}.")
    now = ctx.now()
    record = {
        "TermsId": str(uuid.uuid4()),
        "UserPoolId": pool.id,
        "ClientId": client.id,
        "TermsName": name,
        "TermsSource": body["TermsSource"],
        "Enforcement": body["Enforcement"],
        "Links": dict(links),
        "CreationDate": now,
        "LastModifiedDate": now,
    }
    terms[record["TermsId"]] = record
    return {"Terms": record}


async def describe_terms(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    return {"Terms": _terms(pool, body["TermsId"])}


async def describe_terms_by_client(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    client = pool.client(body["ClientId"])
    for record in pool.records.get("terms", {}).values():
        if record["ClientId"] == client.id and record["TermsName"] == body["TermsName"]:
            return {"Terms": record}
    raise resource_not_found(f"The app client has no {body['TermsName']}.")


async def update_terms(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    record = _terms(pool, body["TermsId"])
    if "TermsName" in body and body["TermsName"] != record["TermsName"]:
        raise invalid_parameter("TermsName cannot change.")
    if "Links" in body:
        _check_links(body["Links"])
        record["Links"] = dict(body["Links"])
    for key in ("TermsSource", "Enforcement"):
        if key in body:
            record[key] = body[key]
    record["LastModifiedDate"] = ctx.now()
    pool.area("terms")[record["TermsId"]] = record
    return {"Terms": record}


async def delete_terms(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    record = _terms(pool, body["TermsId"])
    del pool.area("terms")[record["TermsId"]]
    return {}


async def list_terms(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    terms = sorted(pool.records.get("terms", {}).values(), key=lambda t: (t["CreationDate"], t["TermsId"]))
    page, token = paginate(terms, body.get("MaxResults") or 10, body.get("NextToken"), lambda t: t["TermsId"])
    keys = ("TermsId", "TermsName", "Enforcement", "CreationDate", "LastModifiedDate")
    reply: dict[str, Any] = {"Terms": [{key: t[key] for key in keys} for t in page]}
    if token:
        reply["NextToken"] = token
    return reply
