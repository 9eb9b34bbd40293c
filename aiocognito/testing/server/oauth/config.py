"""The OAuth settings of an app client (``AllowedOAuthFlows``, ``AllowedOAuthScopes``, ``CallbackURLs``,
``LogoutURLs``...), checked as Cognito checks them when ``CreateUserPoolClient`` / ``UpdateUserPoolClient``
set them, and read back by the domain's endpoints.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from ...faults import Fault, invalid_parameter
from ..state import Client, Pool
from ..tokens import ACCESS_SCOPE

__all__ = ["STANDARD_SCOPES", "client_oauth_config", "flows_of", "scopes_of"]

#: The scopes every pool has.
STANDARD_SCOPES = frozenset({"openid", "email", "phone", "profile", ACCESS_SCOPE})
_FLOWS = frozenset({"code", "implicit", "client_credentials"})


def _check_url(url: object, name: str) -> str:
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.fragment or not parts.hostname:
        raise invalid_parameter(f"{name}: {url!r} is not a valid URL")
    if parts.scheme != "https" and not (
        parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")
    ):
        raise invalid_parameter(f"{name}: {url} must use https (http only for localhost)")
    return str(url)


def client_oauth_config(pool: Pool, body: Mapping[str, Any], secret: str) -> dict[str, Any]:
    """The OAuth settings of a Create/UpdateUserPoolClient request, checked as Cognito checks them; what
    DescribeUserPoolClient echoes.

    Raises:
        Fault: InvalidOAuthFlowException, ScopeDoesNotExistException, InvalidParameterException.
    """
    enabled = bool(body.get("AllowedOAuthFlowsUserPoolClient"))
    flows = list(dict.fromkeys(body.get("AllowedOAuthFlows") or []))
    scopes = list(dict.fromkeys(body.get("AllowedOAuthScopes") or []))
    callbacks = [_check_url(url, "CallbackURLs") for url in body.get("CallbackURLs") or []]
    logouts = [_check_url(url, "LogoutURLs") for url in body.get("LogoutURLs") or []]
    for flow in flows:
        if flow not in _FLOWS:
            raise Fault("InvalidOAuthFlowException", f"{flow} is not a valid OAuth flow.")
    if "implicit" in flows:
        raise Fault("InvalidOAuthFlowException", "The implicit flow is not supported by the local user pool.")
    if enabled and (not flows or not scopes):
        raise invalid_parameter(
            "AllowedOAuthFlows and AllowedOAuthScopes are required "
            "when AllowedOAuthFlowsUserPoolClient is true"
        )
    if "client_credentials" in flows:
        if "code" in flows:
            raise Fault(
                "InvalidOAuthFlowException",
                "client_credentials flow can not be selected along with code flow or implicit flow.",
            )
        if not secret:
            raise Fault(
                "InvalidOAuthFlowException",
                "client_credentials flow can not be selected if client does not have a client secret.",
            )
    for scope in scopes:
        if scope in STANDARD_SCOPES:
            if "client_credentials" in flows:
                raise Fault(
                    "InvalidOAuthFlowException", f"{scope} can not be used with the client_credentials flow."
                )
            continue
        identifier, _, name = scope.rpartition("/")
        server = pool.resource_servers.get(identifier)
        if server is None or name not in {s["ScopeName"] for s in server.get("Scopes", [])}:
            raise Fault("ScopeDoesNotExistException", f"Invalid scope requested: {scope}")
    if "code" in flows and not callbacks:
        raise invalid_parameter("CallbackURLs are required with the code flow")
    default = body.get("DefaultRedirectURI")
    if default is not None and default not in callbacks:
        raise invalid_parameter("DefaultRedirectURI must be one of the CallbackURLs")
    config: dict[str, Any] = {"AllowedOAuthFlowsUserPoolClient": enabled}
    for key, value in (
        ("AllowedOAuthFlows", flows),
        ("AllowedOAuthScopes", scopes),
        ("CallbackURLs", callbacks),
        ("LogoutURLs", logouts),
        ("SupportedIdentityProviders", list(body.get("SupportedIdentityProviders") or [])),
    ):
        if value:
            config[key] = value
    if default is not None:
        config["DefaultRedirectURI"] = default
    return config


def scopes_of(client: Client) -> list[str]:
    """The OAuth scopes the app client may ask for (``AllowedOAuthScopes``)."""
    return list(client.config.get("AllowedOAuthScopes", []))


def flows_of(client: Client) -> list[str]:
    """The OAuth flows the app client may use; none unless ``AllowedOAuthFlowsUserPoolClient``."""
    if not client.config.get("AllowedOAuthFlowsUserPoolClient"):
        return []
    return list(client.config.get("AllowedOAuthFlows", []))
