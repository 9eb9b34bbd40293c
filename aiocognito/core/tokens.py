"""Token values: the id, access and refresh tokens of a signed-in user, with their claims and expiry.

Claims are decoded without checking the signature: these tokens came straight from Cognito over TLS.
To trust a token a client sent you, use :class:`aiocognito.TokenVerifier`.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from ..errors import ProtocolError
from . import safe_json as _json
from .checks import MAX_NAME_CHARS, is_epoch_seconds, text_problem

__all__ = ["TokenSet", "decode_claims"]

# An id token carries every attribute of its user: 50 custom attributes of 2,048 characters, base64url
# encoded, come to about 140,000 characters. The transport's cap on a reply bounds them anyway.
_MAX_TOKEN_CHARS = 262_144
# Claims that name the user: the username of a store key, the name hashed into SECRET_HASH on a refresh.
_NAME_CLAIMS = ("username", "cognito:username", "sub")
_ABSENT: Any = object()
_URLSAFE = bytes.maketrans(b"-_", b"+/")


def decode_claims(token: str, *, name: str = "token") -> dict[str, Any]:
    """The payload of a JWT, not verified.

    The payload is read as strictly as a reply (:func:`aiocognito._json.loads`): no lone surrogate, no
    number that is not finite, no deep nesting; base64 inside a string escapes the transport's check.

    Raises:
        ProtocolError: the token is not a JWT with a JSON object payload. The message never holds the token.
    """
    # A JWT's compact form is ASCII (base64url and dots); str.isascii() costs nothing in CPython.
    parts = token.split(".") if isinstance(token, str) and token.isascii() else []
    if len(parts) != 3:
        raise ProtocolError("not a JWT", step=name)
    payload = parts[1]
    try:
        # base64.urlsafe_b64decode's own steps, without its type dispatch (this runs at every sign-in).
        raw = binascii.a2b_base64((payload + "=" * (-len(payload) % 4)).encode("ascii").translate(_URLSAFE))
        claims = _json.loads(raw)
    except _json.JsonError as exc:
        raise ProtocolError(f"JWT payload is not base64url JSON ({exc})", step=name) from None
    except ValueError:
        raise ProtocolError("JWT payload is not base64url JSON", step=name) from None
    if not isinstance(claims, dict):
        raise ProtocolError("JWT payload is not an object", step=name)
    return claims


def _time_claim(claims: Mapping[str, Any], name: str, token_name: str) -> int:
    value: Any = claims.get(name)
    if not is_epoch_seconds(value):
        raise ProtocolError(
            "missing or not epoch seconds (an integer from 1970 to the year 3000)",
            step=token_name,
            field=name,
        )
    return cast(int, value)  # checked above


def _check_claims(claims: Mapping[str, Any], token_name: str, times: tuple[str, ...]) -> None:
    """Refuse claims that are present but would break a later use: ``times`` and the user's names."""
    for claim in times:
        value = claims.get(claim, _ABSENT)
        if value is not _ABSENT and not is_epoch_seconds(value):
            _time_claim(claims, claim, token_name)  # raises, naming the claim
    for claim in _NAME_CLAIMS:
        value = claims.get(claim, _ABSENT)
        # The common case (short ASCII text) decided inline: this runs at every sign-in and refresh.
        if value is _ABSENT or (type(value) is str and 0 < len(value) <= MAX_NAME_CHARS and value.isascii()):
            continue
        why = text_problem(value, MAX_NAME_CHARS)
        if why is not None:
            raise ProtocolError(why, step=token_name, field=claim)


@dataclass(frozen=True, slots=True)
class TokenSet:
    """A user's tokens.

    Attributes:
        id_token, access_token, refresh_token: the JWTs (the refresh token is opaque).
        expires_at: when the access token expires, epoch seconds by Cognito's clock.
        clock_drift: local time minus Cognito's time at issue, in seconds (from the token's ``iat``).
        token_type: ``"Bearer"``.
    """

    id_token: str = field(repr=False)
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float
    issued_at: float
    clock_drift: float = 0.0
    token_type: str = "Bearer"
    id_claims: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    access_claims: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_result(
        cls,
        result: Mapping[str, Any],
        *,
        now: float,
        refresh_token: str | None = None,
        require_id_token: bool = True,
    ) -> TokenSet:
        """Tokens from Cognito's ``AuthenticationResult``; ``refresh_token`` keeps the old one on a refresh
        that did not rotate it.

        ``require_id_token=False`` accepts a reply without ``IdToken`` (a machine-to-machine token); the
        set then has ``id_token == ""`` and no id claims.

        Raises:
            ProtocolError: a token is missing or malformed, or a value in it would break a later use of
                the set (an ``exp`` or ``iat`` that is not an integer from 1970 to the year 3000, an
                ``exp`` not after ``iat``, a string that is not valid Unicode).
        """
        step = "AuthenticationResult"
        tokens: dict[str, str] = {}
        for wire in ("IdToken", "AccessToken"):
            value: Any = result.get(wire)
            if wire == "IdToken" and value is None and not require_id_token:
                tokens[wire] = ""
                continue
            why = text_problem(value, _MAX_TOKEN_CHARS)
            if why is not None:
                raise ProtocolError(why, step=step, field=wire)
            tokens[wire] = value
        new_refresh = result.get("RefreshToken")
        if new_refresh is not None:
            why = text_problem(new_refresh, _MAX_TOKEN_CHARS, allow_empty=True)
            if why is not None:
                raise ProtocolError(why, step=step, field="RefreshToken")
        token_type = result.get("TokenType")
        if token_type is None:
            token_type = "Bearer"
        else:
            why = text_problem(token_type, MAX_NAME_CHARS)
            if why is not None:
                raise ProtocolError(why, step=step, field="TokenType")
        access_claims = decode_claims(tokens["AccessToken"], name="AccessToken")
        id_claims = decode_claims(tokens["IdToken"], name="IdToken") if tokens["IdToken"] else {}
        issued_at = _time_claim(access_claims, "iat", "AccessToken")
        expires_at = _time_claim(access_claims, "exp", "AccessToken")
        if expires_at <= issued_at:
            # Born expired: every call would refresh, and every refresh bring another such token.
            raise ProtocolError("not after iat", step="AccessToken", field="exp")
        _check_claims(access_claims, "AccessToken", ("auth_time",))
        _check_claims(id_claims, "IdToken", ("exp", "iat", "auth_time"))
        return cls(
            id_token=tokens["IdToken"],
            access_token=tokens["AccessToken"],
            refresh_token=new_refresh or refresh_token,
            expires_at=expires_at,
            issued_at=issued_at,
            clock_drift=now - issued_at,
            token_type=token_type,
            id_claims=id_claims,
            access_claims=access_claims,
        )

    @classmethod
    def from_oauth(
        cls, reply: Mapping[str, Any], *, now: float, refresh_token: str | None = None
    ) -> TokenSet:
        """Tokens from an OAuth 2.0 token endpoint reply (``access_token``, ``id_token``, ``refresh_token``,
        ``token_type``; RFC 6749 section 5.1). The id token is optional: a client credentials reply has none,
        and the set then has ``id_token == ""``. ``refresh_token`` keeps the old one on a refresh that did
        not rotate it.

        Raises:
            ProtocolError: the access token is missing or malformed.
        """
        result: dict[str, Any] = {"AccessToken": reply.get("access_token")}
        names = (("IdToken", "id_token"), ("RefreshToken", "refresh_token"), ("TokenType", "token_type"))
        for wire, name in names:
            if reply.get(name) is not None:
                result[wire] = reply[name]
        return cls.from_result(result, now=now, refresh_token=refresh_token, require_id_token=False)

    def seconds_left(self, *, now: float) -> float:
        """Seconds until the access token expires, local clock corrected for the drift at issue."""
        return self.expires_at - (now - self.clock_drift)

    def is_valid(self, *, now: float, margin: float = 0.0) -> bool:
        """Whether the access (and id) token is still good for at least ``margin`` seconds."""
        return self.seconds_left(now=now) > margin

    @property
    def username(self) -> str | None:
        """``username`` of the access token: the name Cognito knows the user by."""
        value = self.access_claims.get("username") or self.id_claims.get("cognito:username")
        return value if isinstance(value, str) else None

    @property
    def sub(self) -> str | None:
        value = self.access_claims.get("sub") or self.id_claims.get("sub")
        return value if isinstance(value, str) else None

    def authentication_result(self) -> dict[str, Any]:
        """Cognito's ``AuthenticationResult`` form of these tokens (``ExpiresIn`` as of issue time)."""
        result: dict[str, Any] = {
            "IdToken": self.id_token,
            "AccessToken": self.access_token,
            "ExpiresIn": int(self.expires_at - self.issued_at),
            "TokenType": self.token_type,
        }
        if self.refresh_token is not None:
            result["RefreshToken"] = self.refresh_token
        return result
