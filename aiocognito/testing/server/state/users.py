"""The users of a pool in the local user pool's model: :class:`User` and the :class:`Device` it remembers.

Passwords are never stored: a user has an SRP salt and verifier (``v = g^x mod N``, as Cognito keeps),
and a plain password is checked by recomputing ``g^x``.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiocognito.core import srp

from .. import srp_math
from .json_form import build, check_object, key_path

__all__ = ["Device", "User", "make_verifier"]


def make_verifier(pool_name: str, username: str, password: str) -> tuple[str, str]:
    """A fresh SRP salt and the verifier ``g^x mod N`` for a password, both as hex."""
    salt = srp.pad_hex(int.from_bytes(secrets.token_bytes(16), "big"))
    x = srp.compute_x(pool_name, username, password, int(salt, 16))
    return salt, format(srp_math.verifier(x), "x")


@dataclass(slots=True)
class Device:
    """A device Cognito handed out in ``NewDeviceMetadata``; confirmed once it has a verifier."""

    key: str
    group_key: str
    created_at: float
    modified_at: float
    name: str = ""
    salt: str = ""  # hex
    verifier: str = ""  # hex
    remembered: bool = False
    last_authenticated_at: float = 0.0
    last_ip: str = ""

    @property
    def confirmed(self) -> bool:
        return bool(self.verifier)


@dataclass(slots=True)
class User:
    """A user of a pool. ``username`` is the internal one (a UUID for pools with username attributes)."""

    username: str
    sub: str
    created_at: float
    modified_at: float
    attributes: dict[str, str] = field(default_factory=dict)
    status: str = "UNCONFIRMED"
    enabled: bool = True
    salt: str = ""
    verifier: str = ""
    password_set_at: float = 0.0
    sms_mfa_enabled: bool = False
    totp_enabled: bool = False
    email_mfa_enabled: bool = False
    preferred_mfa: str = ""
    totp_secret: str = ""
    totp_name: str = ""
    pending_totp_secret: str = ""
    last_totp_counter: int = -1
    failed_attempts: int = 0
    locked_until: float = 0.0
    # Pending codes by purpose ("SIGN_UP", "FORGOT_PASSWORD", "VERIFY:email"...): code and expiry.
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    devices: dict[str, Device] = field(default_factory=dict)
    device_group_key: str = ""
    # Passkeys (testing/server/passkeys.py): id, public key, sign count, relying party... as JSON.
    passkeys: list[dict[str, Any]] = field(default_factory=list)

    @property
    def has_password(self) -> bool:
        return bool(self.verifier)

    def set_password(self, pool_name: str, password: str, now: float) -> None:
        self.salt, self.verifier = make_verifier(pool_name, self.username, password)
        self.password_set_at = now
        self.modified_at = now

    def check_password(self, pool_name: str, password: str) -> bool:
        if not self.verifier:
            return False
        try:
            x = srp.compute_x(pool_name, self.username, password, int(self.salt, 16))
        except UnicodeEncodeError:
            return False
        return secrets.compare_digest(format(srp_math.verifier(x), "x"), self.verifier)

    def verified(self, attribute: str) -> bool:
        return self.attributes.get(f"{attribute}_verified") == "true" and bool(self.attributes.get(attribute))

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "devices"}
        data["devices"] = {key: dataclasses.asdict(device) for key, device in self.devices.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str = "user") -> User:
        """Raises: StateFileError: a value is missing or of the wrong type (the message gives its path)."""
        user = build(cls, data, where, nested=frozenset({"devices"}))
        devices = check_object(data.get("devices", {}), f"{where}.devices")
        user.devices = {
            key: build(Device, value, key_path(f"{where}.devices", key)) for key, value in devices.items()
        }
        return user
