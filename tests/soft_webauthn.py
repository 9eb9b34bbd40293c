"""A software WebAuthn authenticator for tests: it makes the browser's credential JSON (``none``
attestation, ES256 keys) from creation and request options, as a platform passkey would.

It only *builds* objects, with ``cryptography`` and ``cbor2``; everything is verified by the server,
through the ``webauthn`` library.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

_UP, _UV, _AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class _Key:
    private: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: str
    sign_count: int = 0


@dataclass
class SoftAuthenticator:
    """Passkeys in memory, by credential id; ``origin`` is the page the "browser" shows."""

    origin: str = "http://localhost:3000"
    user_verified: bool = True
    keys: dict[str, _Key] = field(default_factory=dict)

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(data, separators=(",", ":")).encode()

    def _flags(self) -> int:
        return _UP | (_UV if self.user_verified else 0)

    def create(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """``navigator.credentials.create``: a new key pair for ``options['rp']['id']``."""
        rp_id = options["rp"]["id"]
        private = ec.generate_private_key(ec.SECP256R1())
        numbers = private.public_key().public_numbers()
        cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        credential_id = secrets.token_bytes(32)
        attested = bytes(16) + struct.pack(">H", len(credential_id)) + credential_id + cbor2.dumps(cose)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags() | _AT])
            + struct.pack(">I", 0)
            + attested
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        key_id = b64url(credential_id)
        self.keys[key_id] = _Key(private, rp_id, options["user"]["id"])
        return {
            "id": key_id,
            "rawId": key_id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(self._client_data("webauthn.create", options["challenge"], origin)),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(self, options: dict[str, Any] | str, *, origin: str | None = None) -> dict[str, Any]:
        """``navigator.credentials.get``: an assertion by the first allowed key this authenticator has."""
        if isinstance(options, str):
            options = json.loads(options)
        allowed = [c["id"] for c in options.get("allowCredentials") or []] or list(self.keys)
        key_id = next(k for k in allowed if k in self.keys)
        key = self.keys[key_id]
        key.sign_count += 1
        auth_data = (
            hashlib.sha256(options.get("rpId", key.rp_id).encode()).digest()
            + bytes([self._flags()])
            + struct.pack(">I", key.sign_count)
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = key.private.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": key_id,
            "rawId": key_id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": key.user_handle,
            },
        }
