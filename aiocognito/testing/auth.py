"""The TOTP helpers of the local user pool at their first import path (they live in the server's auth).

``from aiocognito.testing.auth import totp`` (the demo, tests that answer an authenticator's code)
keeps working; the functions are the very same objects.
"""

from .server.totp import check_totp, new_totp_secret, totp

__all__ = ["check_totp", "new_totp_secret", "totp"]
