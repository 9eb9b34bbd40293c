"""The identity pools (``cognito-identity``) of the local user pool's model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["IdentityPool"]


@dataclass(slots=True)
class IdentityPool:
    """A Cognito identity pool (``cognito-identity``): which user pool clients it trusts, its identities."""

    id: str
    name: str
    allow_unauthenticated: bool
    providers: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    # identity id -> the logins ("cognito-idp.<region>.amazonaws.com/<pool>:<sub>") linked to it
    identities: dict[str, list[str]] = field(default_factory=dict)
