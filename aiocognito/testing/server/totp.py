"""TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), as Cognito's software-token MFA uses it.

:func:`totp` is public in :mod:`aiocognito.testing`: a test answers an authenticator's code with it.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
import struct

__all__ = ["check_totp", "new_totp_secret", "totp"]


def new_totp_secret() -> str:
    """A TOTP secret as Cognito gives it: base32 of 20 random bytes, 32 characters, no padding."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def totp(secret: str, counter: int) -> str:
    """The RFC 6238 code of a base32 secret for one 30-second ``counter``."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.digest(key, struct.pack(">Q", counter), "sha1")
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**6
    return f"{value:06d}"


def check_totp(secret: str, code: str, now: float) -> bool:
    """Whether ``code`` is the code of the current 30-second step or of one either side."""
    if not secret or not re.fullmatch(r"\d{6}", code):
        return False
    step = int(now // 30)
    return any(hmac.compare_digest(totp(secret, step + delta), code) for delta in (-1, 0, 1))
