"""Signing keys of the local user pool: one RSA-2048 key per pool (or one per process, for fast tests),
loaded once, and the JWKS that publishes it.

A pool's ``kid`` is base64 of the SHA-256 of the public key's DER, as Cognito's kids are base64 text.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .state import Pool

__all__ = ["KeyRing", "b64url", "generate_key_pem", "jwks"]

_shared_key_lock = threading.Lock()
_shared_key_pem: str | None = None


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515, section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate_key_pem(*, shared: bool = False) -> str:
    """A new RSA-2048 private key as PKCS#8 PEM (slow: run it in a thread).

    ``shared=True`` returns one key made once per process, for fast tests.
    """
    global _shared_key_pem  # noqa: PLW0603 - a per-process cache, on purpose
    if shared:
        with _shared_key_lock:
            if _shared_key_pem is None:
                _shared_key_pem = generate_key_pem()
            return _shared_key_pem
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


class KeyRing:
    """Loaded signing keys by pool id (loading a PEM costs more than signing with it)."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[str, rsa.RSAPrivateKey]] = {}

    def private(self, pool: Pool) -> rsa.RSAPrivateKey:
        cached = self._keys.get(pool.id)
        if cached is not None and cached[0] == pool.key_pem:
            return cached[1]
        key = serialization.load_pem_private_key(pool.key_pem.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("the pool's key is not an RSA key")
        self._keys[pool.id] = (pool.key_pem, key)
        return key

    def kid(self, pool: Pool) -> str:
        der = (
            self.private(pool)
            .public_key()
            .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        return base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")


def jwks(keys: KeyRing, pool: Pool) -> dict[str, Any]:
    """The pool's JSON Web Key Set, as served at ``/<pool id>/.well-known/jwks.json``."""
    numbers = keys.private(pool).public_key().public_numbers()
    return {
        "keys": [
            {
                "alg": "RS256",
                "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
                "kid": pool.kid,
                "kty": "RSA",
                "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                "use": "sig",
            }
        ]
    }
