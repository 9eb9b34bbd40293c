"""PKCE (RFC 7636) with the S256 method: the code verifier and its challenge."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Callable

__all__ = ["code_challenge", "new_code_verifier"]

# RFC 7636 section 4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_code_verifier(*, token_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A PKCE code verifier: 32 random bytes, base64url without padding (43 characters, RFC 7636 4.1)."""
    return _b64url(token_bytes(32))


def code_challenge(verifier: str) -> str:
    """The S256 code challenge of a verifier: ``BASE64URL(SHA256(ASCII(verifier)))`` (RFC 7636 4.2).

    Raises:
        ValueError: the verifier is not 43 to 128 unreserved characters.
    """
    if not isinstance(verifier, str) or not _VERIFIER.fullmatch(verifier):
        raise ValueError("a PKCE code verifier is 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
