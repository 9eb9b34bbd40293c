"""Encryption at rest of the secret fields of a record (file and Redis stores, with ``encryption_key``).

The refresh token and the device password are sealed with AES-256-GCM under a key derived with
HKDF-SHA256 from the key material, a random 96-bit nonce each time, and the user's key (pool, client,
username, field) as associated data, so a sealed value cannot be moved to another user or field. The id
and access tokens stay in clear: they expire within an hour or so, and a reader of the store who holds
them gains no more than the holder of any bearer token for that long, while keeping them plain lets
tools inspect expiry.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from typing import Any

from .base import StoreKey, TokenStoreError
from .records import SessionRecord

__all__ = ["RecordCodec"]

_ENC_PREFIX = "enc1:"
_HKDF_INFO = b"aiocognito token store encryption v1"
_NONCE_BYTES = 12
_MIN_KEY_BYTES = 16


#: The fields sealed at rest, as (section of the record's JSON form, field).
_SEALED_FIELDS = (("tokens", "refresh_token"), ("device", "device_password"))


class RecordCodec:
    """A record to and from its stored JSON form, sealing the secret fields when a key was given."""

    __slots__ = ("_aead",)

    def __init__(self, key_material: bytes | str | None) -> None:
        self._aead: Any = None
        if key_material is None:
            return
        if isinstance(key_material, str):
            key_material = key_material.encode()
        if not isinstance(key_material, bytes):
            raise TypeError(f"encryption_key must be bytes or str, not {type(key_material).__name__}")
        if len(key_material) < _MIN_KEY_BYTES:
            raise ValueError(
                f"encryption_key must hold at least {_MIN_KEY_BYTES} bytes of random key material "
                "(for instance secrets.token_bytes(32)), not a password"
            )
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(key_material)
        self._aead = AESGCM(derived)

    @property
    def encrypted(self) -> bool:
        return self._aead is not None

    def dump(self, key: StoreKey, record: SessionRecord) -> dict[str, Any]:
        data = record.to_dict()
        if self._aead is not None:
            for section_name, name in _SEALED_FIELDS:
                section = data[section_name]
                if section is not None and section[name] is not None:
                    section[name] = self._seal(section[name], key.associated_data(name))
        return data

    def load(self, key: StoreKey, data: Any, where: str) -> SessionRecord:
        if not isinstance(data, Mapping):
            raise TokenStoreError(f"{where}: not a JSON object")
        opened = dict(data)
        for section_name, name in _SEALED_FIELDS:
            section = opened.get(section_name)
            if isinstance(section, Mapping) and isinstance(section.get(name), str):
                value: str = section[name]
                if value.startswith(_ENC_PREFIX):
                    opened[section_name] = {**section, name: self._open(value, key, name, where)}
                # A clear value is accepted even with a key: a store written before encryption was on.
                # The next put seals it.
        return SessionRecord.from_dict(opened, where=where)

    def _seal(self, plaintext: str, associated_data: bytes) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), associated_data)
        return _ENC_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def _open(self, value: str, key: StoreKey, name: str, where: str) -> str:
        if self._aead is None:
            raise TokenStoreError(f"{where}: {name} is encrypted, but the store has no encryption_key")
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.urlsafe_b64decode(value[len(_ENC_PREFIX) :].encode("ascii"))
            plaintext: bytes = self._aead.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], key.associated_data(name)
            )
            return plaintext.decode()
        except (InvalidTag, ValueError):
            raise TokenStoreError(
                f"{where}: cannot decrypt {name}: wrong encryption_key, or the value was copied "
                "from another user"
            ) from None
