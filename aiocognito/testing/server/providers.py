"""Identity providers of a user pool (``CreateIdentityProvider``, ``DescribeIdentityProvider``,
``UpdateIdentityProvider``, ``DeleteIdentityProvider``, ``ListIdentityProviders``,
``GetIdentityProviderByIdentifier``) and users of a provider linked to pool users
(``AdminLinkProviderForUser``, ``AdminDisableProviderForUser``).

The local pool keeps providers as Cognito describes them; it does not federate (no request leaves it).
"""

from __future__ import annotations

import json
from typing import Any

from ..faults import Fault, invalid_parameter, resource_not_found
from .context import Context
from .paging import paginate
from .state import Pool

__all__ = [
    "admin_disable_provider_for_user",
    "admin_link_provider_for_user",
    "create_identity_provider",
    "delete_identity_provider",
    "describe_identity_provider",
    "get_identity_provider_by_identifier",
    "list_identity_providers",
    "update_identity_provider",
]

# The provider details Cognito requires by provider type (the rest are optional).
_REQUIRED_DETAILS = {
    "SAML": (),
    "OIDC": ("client_id", "authorize_scopes", "oidc_issuer", "attributes_request_method"),
    "Google": ("client_id", "client_secret", "authorize_scopes"),
    "Facebook": ("client_id", "client_secret", "authorize_scopes"),
    "LoginWithAmazon": ("client_id", "client_secret", "authorize_scopes"),
    "SignInWithApple": ("client_id", "team_id", "key_id", "private_key", "authorize_scopes"),
}
_RESERVED_NAMES = frozenset({"Cognito", "COGNITO"})


def _provider(pool: Pool, name: str) -> dict[str, Any]:
    provider = pool.identity_providers.get(name)
    if provider is None:
        raise resource_not_found(f"Identity provider {name} does not exist.")
    return provider


def _check_details(kind: str, details: dict[str, Any]) -> None:
    if kind == "SAML" and not ({"MetadataURL", "MetadataFile"} & set(details)):
        raise invalid_parameter("SAML providers need MetadataURL or MetadataFile in ProviderDetails.")
    missing = [name for name in _REQUIRED_DETAILS.get(kind, ()) if name not in details]
    if missing:
        raise invalid_parameter(f"ProviderDetails of a {kind} provider lack {', '.join(missing)}.")


def _check_identifiers(pool: Pool, name: str, identifiers: list[str]) -> None:
    for other in pool.identity_providers.values():
        if other["ProviderName"] != name and set(identifiers) & set(other.get("IdpIdentifiers", [])):
            raise Fault("DuplicateProviderException", "An IdpIdentifier is already used by another provider.")


async def create_identity_provider(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    name, kind = body["ProviderName"], body["ProviderType"]
    if name in _RESERVED_NAMES:
        raise invalid_parameter(f"{name} is a reserved provider name.")
    if name in pool.identity_providers:
        raise Fault("DuplicateProviderException", f"A provider with the name {name} already exists.")
    details = dict(body["ProviderDetails"])
    _check_details(kind, details)
    identifiers = list(body.get("IdpIdentifiers") or [])
    _check_identifiers(pool, name, identifiers)
    now = ctx.now()
    provider = {
        "UserPoolId": pool.id,
        "ProviderName": name,
        "ProviderType": kind,
        "ProviderDetails": details,
        "AttributeMapping": dict(body.get("AttributeMapping") or {"username": "sub"}),
        "IdpIdentifiers": identifiers,
        "LastModifiedDate": now,
        "CreationDate": now,
    }
    pool.identity_providers[name] = provider
    return {"IdentityProvider": provider}


async def describe_identity_provider(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    return {"IdentityProvider": _provider(pool, body["ProviderName"])}


async def update_identity_provider(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    provider = _provider(pool, body["ProviderName"])
    if "ProviderDetails" in body:
        details = {**provider["ProviderDetails"], **body["ProviderDetails"]}
        _check_details(provider["ProviderType"], details)
        provider["ProviderDetails"] = details
    if "AttributeMapping" in body:
        provider["AttributeMapping"] = dict(body["AttributeMapping"])
    if "IdpIdentifiers" in body:
        _check_identifiers(pool, provider["ProviderName"], list(body["IdpIdentifiers"]))
        provider["IdpIdentifiers"] = list(body["IdpIdentifiers"])
    provider["LastModifiedDate"] = ctx.now()
    return {"IdentityProvider": provider}


async def delete_identity_provider(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    provider = _provider(pool, body["ProviderName"])
    del pool.identity_providers[provider["ProviderName"]]
    links = pool.area("linked_users")
    for key in [key for key, link in links.items() if link["ProviderName"] == provider["ProviderName"]]:
        del links[key]
    return {}


async def list_identity_providers(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    providers = sorted(pool.identity_providers.values(), key=lambda p: str(p["ProviderName"]))
    limit = body.get("MaxResults") or 60
    page, token = paginate(providers, limit, body.get("NextToken"), lambda p: str(p["ProviderName"]))
    keys = ("ProviderName", "ProviderType", "LastModifiedDate", "CreationDate")
    reply: dict[str, Any] = {"Providers": [{key: p[key] for key in keys} for p in page]}
    if token:
        reply["NextToken"] = token
    return reply


async def get_identity_provider_by_identifier(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    for provider in pool.identity_providers.values():
        if body["IdpIdentifier"] in provider.get("IdpIdentifiers", []):
            return {"IdentityProvider": provider}
    raise resource_not_found(f"Identity provider with identifier {body['IdpIdentifier']} does not exist.")


def _identities(pool: Pool, username: str) -> str:
    """The ``identities`` attribute Cognito gives a user linked to provider users (a JSON list)."""
    linked = [link for link in pool.area("linked_users").values() if link["Username"] == username]
    return json.dumps(
        [
            {
                "userId": link["ProviderAttributeValue"],
                "providerName": link["ProviderName"],
                "providerType": pool.identity_providers.get(link["ProviderName"], {}).get("ProviderType", ""),
                "primary": False,
                "dateCreated": int(link["CreationDate"] * 1000),
            }
            for link in linked
        ],
        separators=(",", ":"),
    )


async def admin_link_provider_for_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """Link a provider's user to an existing pool user, who signs in for them (Cognito's rules checked)."""
    pool = ctx.store.pool(body["UserPoolId"])
    destination, source = body["DestinationUser"], body["SourceUser"]
    if destination.get("ProviderName") != "Cognito":
        raise invalid_parameter("DestinationUser must be a user of the pool: ProviderName Cognito.")
    user = pool.user(str(destination.get("ProviderAttributeValue", "")))
    name, value = str(source.get("ProviderName", "")), str(source.get("ProviderAttributeValue", ""))
    _provider(pool, name)
    if not value:
        raise invalid_parameter("SourceUser needs a ProviderAttributeValue.")
    links = pool.area("linked_users")
    key = f"{name}:{value}"
    if key in links and links[key]["Username"] != user.username:
        raise Fault("AliasExistsException", "The source user is already linked to another user.")
    links[key] = {
        "Username": user.username,
        "ProviderName": name,
        "ProviderAttributeName": str(source.get("ProviderAttributeName", "Cognito_Subject")),
        "ProviderAttributeValue": value,
        "CreationDate": ctx.now(),
    }
    user.attributes["identities"] = _identities(pool, user.username)
    user.modified_at = ctx.now()
    return {}


async def admin_disable_provider_for_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """Unlink a provider's user from the pool user it signs in as."""
    pool = ctx.store.pool(body["UserPoolId"])
    given = body["User"]
    name, value = str(given.get("ProviderName", "")), str(given.get("ProviderAttributeValue", ""))
    link = pool.area("linked_users").pop(f"{name}:{value}", None)
    if link is None:
        raise resource_not_found("The user is not linked to a user of this pool.")
    user = pool.find_user(str(link["Username"]))
    if user is not None:
        identities = _identities(pool, user.username)
        if identities == "[]":
            user.attributes.pop("identities", None)
        else:
            user.attributes["identities"] = identities
        user.modified_at = ctx.now()
    return {}
