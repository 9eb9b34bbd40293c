"""Sign-in sessions of the local user pool: what one sign-in in progress holds, and where it is kept.

A sign-in is named on the wire by its ``Session`` (192 random bytes in base64, a new one with every
challenge: the one before stops working) or, for plain ``USER_SRP_AUTH``, by its SRP ``SECRET_BLOCK``.
Sessions live in memory only: they last minutes (the app client's ``AuthSessionValidity``).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any

from ...faults import not_authorized

__all__ = ["AuthSession", "Sessions", "SrpExchange"]


@dataclass(slots=True)
class SrpExchange:
    """The server's half of one SRP exchange (user or device)."""

    big_a: int
    b: int = field(repr=False)
    big_b: int
    verifier: int = field(repr=False)
    secret_block: str
    pool_name: str  # the SRP pool name, or the device group key
    user_id: str  # USER_ID_FOR_SRP, or the device key


@dataclass(slots=True)
class AuthSession:
    """One sign-in in progress, named on the wire by its ``Session`` (and SRP ``SECRET_BLOCK``)."""

    pool_id: str
    client_id: str
    username: str  # internal username; "" for a user that does not exist
    typed_username: str
    flow: str
    expires_at: float
    challenge: str = ""
    token: str = ""
    client_metadata: dict[str, str] = field(default_factory=dict)
    device_key: str = ""
    device_authenticated: bool = False
    wants_mfa: bool = True
    in_mfa: bool = False
    srp_a: str = ""
    exchange: SrpExchange | None = None
    code: str = field(default="", repr=False)
    failures: int = 0
    choices: list[str] = field(default_factory=list)
    custom_history: list[dict[str, Any]] = field(default_factory=list)
    custom_private: dict[str, Any] = field(default_factory=dict)
    custom_metadata: str = ""
    pending_totp: str = field(default="", repr=False)
    totp_name: str = ""
    totp_verified: bool = False
    setup_email: str = ""
    # The WEB_AUTHN challenge (base64url) the assertion must sign.
    webauthn_challenge: str = field(default="", repr=False)


class Sessions:
    """Sign-in sessions in memory: by ``Session`` token and by SRP ``SECRET_BLOCK``."""

    def __init__(self) -> None:
        self._by_token: dict[str, AuthSession] = {}
        self._by_block: dict[str, AuthSession] = {}

    def issue(self, session: AuthSession) -> str:
        """A new ``Session`` token for ``session``; the one it had before stops working."""
        self._by_token.pop(session.token, None)
        session.token = base64.b64encode(secrets.token_bytes(192)).decode("ascii")
        self._by_token[session.token] = session
        return session.token

    def bind_block(self, session: AuthSession, block: str) -> None:
        """Find ``session`` by the SRP ``SECRET_BLOCK`` too (plain USER_SRP_AUTH has no Session)."""
        self._by_block[block] = session

    def drop(self, session: AuthSession) -> None:
        """Forget ``session``: its Session and SECRET_BLOCK stop working."""
        self._by_token.pop(session.token, None)
        if session.exchange is not None:
            self._by_block.pop(session.exchange.secret_block, None)
            session.exchange = None

    def _live(self, session: AuthSession | None, now: float) -> AuthSession:
        if session is None:
            raise not_authorized("Invalid session for the user.")
        if now >= session.expires_at:
            self.drop(session)
            raise not_authorized("Invalid session for the user, session is expired.")
        return session

    def get(self, token: object, now: float) -> AuthSession:
        """Raises: Fault: NotAuthorizedException for an unknown or expired session."""
        return self._live(self._by_token.get(token) if isinstance(token, str) else None, now)

    def by_block(self, block: str, now: float) -> AuthSession:
        """Raises: Fault: NotAuthorizedException for an unknown or expired SECRET_BLOCK."""
        return self._live(self._by_block.get(block), now)

    def purge(self, now: float) -> None:
        """Forget the sessions that have expired."""
        for session in [s for s in self._by_token.values() if now >= s.expires_at]:
            self.drop(session)
        for block in [b for b, s in self._by_block.items() if now >= s.expires_at]:
            del self._by_block[block]

    def challenge(self, session: AuthSession, name: str, parameters: dict[str, str]) -> dict[str, Any]:
        """The reply that asks the challenge ``name``, with a new ``Session`` for ``session``."""
        session.challenge = name
        return {"ChallengeName": name, "Session": self.issue(session), "ChallengeParameters": parameters}
