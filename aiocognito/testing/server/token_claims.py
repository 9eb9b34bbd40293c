"""What a pre token generation trigger changes in the tokens: :class:`ClaimOverrides`, read from its
response (version 1: the ID token's claims and the groups; version 2: the access token's claims and
scopes too), and applied to the claims when the tokens are signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..faults import Fault

__all__ = ["ClaimOverrides", "overrides_from_response"]

# Claims a trigger cannot add, change or suppress (Cognito ignores them in the response).
_RESERVED = frozenset(
    {
        "acr",
        "amr",
        "aud",
        "auth_time",
        "azp",
        "at_hash",
        "client_id",
        "cognito:username",
        "device_key",
        "event_id",
        "exp",
        "iat",
        "identities",
        "iss",
        "jti",
        "nbf",
        "nonce",
        "origin_jti",
        "scope",
        "sub",
        "token_use",
        "username",
    }
)
# cognito:groups is changed through groupOverrideDetails, never as a claim.
_NOT_CLAIMS = frozenset({"cognito:groups", "cognito:roles", "cognito:preferred_role"})


@dataclass(frozen=True, slots=True)
class ClaimOverrides:
    """The changes a pre token generation trigger asked for."""

    id_add: dict[str, Any] = field(default_factory=dict)
    id_suppress: tuple[str, ...] = ()
    access_add: dict[str, Any] = field(default_factory=dict)
    access_suppress: tuple[str, ...] = ()
    groups: tuple[str, ...] | None = None
    roles: tuple[str, ...] | None = None
    preferred_role: str | None = None
    scopes_add: tuple[str, ...] = ()
    scopes_suppress: tuple[str, ...] = ()

    def apply(self, claims: dict[str, Any], token_use: str) -> None:
        """Change an unsigned token's claims in place (``token_use``: ``id`` or ``access``)."""
        if self.groups is not None:
            claims.pop("cognito:groups", None)
            if self.groups:
                claims["cognito:groups"] = list(self.groups)
        if token_use == "id":
            if self.roles is not None:
                claims["cognito:roles"] = list(self.roles)
            if self.preferred_role:
                claims["cognito:preferred_role"] = self.preferred_role
        add, suppress = (
            (self.id_add, self.id_suppress) if token_use == "id" else (self.access_add, self.access_suppress)
        )
        for name in suppress:
            if name not in _RESERVED and name not in _NOT_CLAIMS:
                claims.pop(name, None)
        for name, value in add.items():
            if name not in _RESERVED and name not in _NOT_CLAIMS:
                claims[name] = value
        if token_use == "access" and (self.scopes_add or self.scopes_suppress):
            scopes = [s for s in str(claims.get("scope", "")).split() if s not in self.scopes_suppress]
            scopes += [s for s in self.scopes_add if s not in scopes]
            claims["scope"] = " ".join(scopes)


def _mapping(value: object, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Fault("InvalidLambdaResponseException", f"Invalid PreTokenGeneration Lambda response: {where}")
    return value


def _names(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Fault("InvalidLambdaResponseException", f"Invalid PreTokenGeneration Lambda response: {where}")
    return tuple(value)


def _claims(value: object, where: str) -> dict[str, Any]:
    claims = _mapping(value, where)
    for name, claim in claims.items():
        # Lambda's claims are strings, numbers, booleans, and in version 2 lists and objects too.
        if not isinstance(claim, str | int | float | bool | list | dict):
            raise Fault("InvalidLambdaResponseException", f"Invalid PreTokenGeneration claim {name}")
    return claims


def overrides_from_response(response: dict[str, Any], version: str) -> ClaimOverrides:
    """The overrides in a trigger's ``response`` (event ``version`` ``"1"`` or ``"2"``).

    Raises:
        Fault: InvalidLambdaResponseException when a part is not of its type.
    """
    if version == "1":
        details = _mapping(response.get("claimsOverrideDetails"), "claimsOverrideDetails")
        id_part = details
        access_part: dict[str, Any] = {}
    else:
        details = _mapping(response.get("claimsAndScopeOverrideDetails"), "claimsAndScopeOverrideDetails")
        id_part = _mapping(details.get("idTokenGeneration"), "idTokenGeneration")
        access_part = _mapping(details.get("accessTokenGeneration"), "accessTokenGeneration")
    groups = _mapping(details.get("groupOverrideDetails"), "groupOverrideDetails")
    groups_given = groups.get("groupsToOverride")
    roles_given = groups.get("iamRolesToOverride")
    preferred = groups.get("preferredRole")
    return ClaimOverrides(
        id_add=_claims(id_part.get("claimsToAddOrOverride"), "claimsToAddOrOverride"),
        id_suppress=_names(id_part.get("claimsToSuppress"), "claimsToSuppress"),
        access_add=_claims(access_part.get("claimsToAddOrOverride"), "claimsToAddOrOverride"),
        access_suppress=_names(access_part.get("claimsToSuppress"), "claimsToSuppress"),
        groups=None if groups_given is None else _names(groups_given, "groupsToOverride"),
        roles=None if roles_given is None else _names(roles_given, "iamRolesToOverride"),
        preferred_role=preferred if isinstance(preferred, str) else None,
        scopes_add=_names(access_part.get("scopesToAdd"), "scopesToAdd"),
        scopes_suppress=_names(access_part.get("scopesToSuppress"), "scopesToSuppress"),
    )
