"""Authorization codes (RFC 6749 section 4.1, with PKCE, RFC 7636): issued by the login pages after a
sign-in, redeemed once at the token endpoint within five minutes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ..state import Client, Pool, User

__all__ = ["CODE_VALIDITY", "Authorization", "AuthorizationCode", "CodeBook"]

#: Seconds an authorization code can be redeemed (Cognito: 5 minutes).
CODE_VALIDITY = 300


@dataclass(slots=True)
class Authorization:
    """A checked ``/oauth2/authorize`` request."""

    pool: Pool
    client: Client
    redirect_uri: str
    state: str | None
    scope: str
    nonce: str | None
    challenge: str | None
    query: dict[str, str]


@dataclass(slots=True)
class AuthorizationCode:
    """What an authorization code grants: who signed in, for which client, redirect and scopes."""

    pool_id: str
    client_id: str
    username: str
    redirect_uri: str
    scope: str
    nonce: str | None
    challenge: str | None
    expires_at: float
    auth_time: int


class CodeBook:
    """The authorization codes issued by the login pages and not yet redeemed at the token endpoint."""

    def __init__(self) -> None:
        self._codes: dict[str, AuthorizationCode] = {}

    def issue(self, request: Authorization, user: User, now: float) -> str:
        """A new code for ``user``, signed in for the authorize ``request``; valid :data:`CODE_VALIDITY`."""
        code = str(uuid.uuid4())
        self._codes[code] = AuthorizationCode(
            pool_id=request.pool.id,
            client_id=request.client.id,
            username=user.username,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            nonce=request.nonce,
            challenge=request.challenge,
            expires_at=now + CODE_VALIDITY,
            auth_time=int(now),
        )
        return code

    def redeem(self, code: str) -> AuthorizationCode | None:
        """The code's grant, which it gives once: a code is single use, whatever happens next."""
        return self._codes.pop(code, None)

    def prune(self, now: float) -> None:
        """Forget the codes nobody will redeem any more (bounded memory)."""
        for code in [c for c, v in self._codes.items() if v.expires_at <= now - CODE_VALIDITY]:
            del self._codes[code]
