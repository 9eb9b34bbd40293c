"""The record a store keeps for one user, and the checks of its JSON form when it is read back.

Every value read from a store is checked as if it came from the network: a record with a wrong type, a
time past the year 3000 or an overlong string raises :class:`~aiocognito.stores.base.TokenStoreError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from ..core.checks import MAX_EPOCH_SECONDS, is_epoch_seconds, text_problem
from ..core.flows import DeviceCredentials
from ..core.tokens import TokenSet, decode_claims
from ..errors import ProtocolError
from .base import TokenStoreError

__all__ = ["FORMAT_VERSION", "MAX_STORED_CHARS", "SessionRecord"]

#: The version of the JSON form the file and Redis stores write.
FORMAT_VERSION = 1

#: Longest string read from a record: tokens (an id token holds all its user's attributes) and keys.
MAX_STORED_CHARS = 262_144


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """What a store keeps for one user: the tokens and the remembered device, each possibly absent.

    ``to_dict``/``from_dict`` give and read the JSON form the file and Redis stores write.
    """

    tokens: TokenSet | None = None
    device: DeviceCredentials | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, secrets in clear (the stores seal them when they have a key)."""
        tokens: dict[str, Any] | None = None
        if self.tokens is not None:
            t = self.tokens
            tokens = {
                "id_token": t.id_token,
                "access_token": t.access_token,
                "refresh_token": t.refresh_token,
                "expires_at": t.expires_at,
                "issued_at": t.issued_at,
                "clock_drift": t.clock_drift,
                "token_type": t.token_type,
            }
        device: dict[str, Any] | None = None
        if self.device is not None:
            device = {
                "device_key": self.device.device_key,
                "device_group_key": self.device.device_group_key,
                "device_password": self.device.device_password,
            }
        return {"tokens": tokens, "device": device}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "session record") -> SessionRecord:
        """Read the JSON form back; token claims are decoded again from the JWTs. Unknown keys are ignored.

        Raises:
            TokenStoreError: the data is not a well-formed record; ``where`` starts the message.
        """
        if not isinstance(data, Mapping):
            raise TokenStoreError(f"{where}: not a JSON object")
        tokens = _tokens_from(data.get("tokens"), where)
        device = _device_from(data.get("device"), where)
        return cls(tokens=tokens, device=device)


def _tokens_from(raw: Any, where: str) -> TokenSet | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise TokenStoreError(f"{where}: 'tokens' is not an object")
    # An empty id token is a machine-to-machine token set (client credentials give no id token).
    id_token = "" if raw.get("id_token") == "" else _string(raw, "id_token", where)
    access_token = _string(raw, "access_token", where)
    refresh_token = raw.get("refresh_token")
    if refresh_token is not None and text_problem(refresh_token, MAX_STORED_CHARS, allow_empty=True):
        raise TokenStoreError(f"{where}: 'refresh_token' is not a string")
    try:
        id_claims = decode_claims(id_token, name="id_token") if id_token else {}
        access_claims = decode_claims(access_token, name="access_token")
    except ProtocolError as exc:
        raise TokenStoreError(f"{where}: {exc}") from None
    token_type = raw.get("token_type", "Bearer")
    if text_problem(token_type, MAX_STORED_CHARS):
        raise TokenStoreError(f"{where}: 'token_type' is not a string")
    # Times as TokenSet holds them: epoch seconds (fractions allowed: a TokenSet may be built by hand);
    # anything else would raise in seconds_left(), is_valid() or the next to_dict() instead of here.
    expires_at = _number(raw, "expires_at", where)
    issued_at = _number(raw, "issued_at", where)
    if not (is_epoch_seconds(expires_at, fractions=True) and is_epoch_seconds(issued_at, fractions=True)):
        raise TokenStoreError(
            f"{where}: 'expires_at' or 'issued_at' is not epoch seconds up to the year 3000"
        )
    return TokenSet(
        id_token=id_token,
        access_token=access_token,
        refresh_token=refresh_token,
        expires_at=expires_at,
        issued_at=issued_at,
        clock_drift=_number(raw, "clock_drift", where, default=0.0),
        token_type=token_type,
        id_claims=id_claims,
        access_claims=access_claims,
    )


def _device_from(raw: Any, where: str) -> DeviceCredentials | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise TokenStoreError(f"{where}: 'device' is not an object")
    return DeviceCredentials(
        device_key=_string(raw, "device_key", where),
        device_group_key=_string(raw, "device_group_key", where),
        device_password=_string(raw, "device_password", where),
    )


def _string(raw: Mapping[str, Any], name: str, where: str) -> str:
    value: Any = raw.get(name)
    why = text_problem(value, MAX_STORED_CHARS)
    if why is not None:
        raise TokenStoreError(f"{where}: {name!r} is {why}")
    return cast(str, value)  # checked above


def _number(raw: Mapping[str, Any], name: str, where: str, default: float | None = None) -> float:
    """A finite number within +-MAX_EPOCH_SECONDS: a time, or the clock drift (now - iat) of a set."""
    value = raw.get(name, default)
    # Compared before any float(): math.isfinite(10**400) itself raises OverflowError.
    if (
        type(value) not in (int, float)
        or not -MAX_EPOCH_SECONDS <= value <= MAX_EPOCH_SECONDS  # false for NaN
    ):
        raise TokenStoreError(f"{where}: {name!r} is missing or not a number")
    return cast(float, value)  # checked above
