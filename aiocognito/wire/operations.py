"""Which operations may be repeated after they reached the service.

A repeat after sending is only safe where doing the operation twice changes nothing: reads. Anything
that checks a password or a code (InitiateAuth, RespondToAuthChallenge, ConfirmSignUp...) may have
counted against the user's lock-out, and a refresh with rotation may have spent the refresh token.
"""

from __future__ import annotations

__all__ = ["is_repeatable"]

# Reads whose names start like reads but which act: they send a message or spend a token.
_ACTING_READS = frozenset(
    {
        "GetUserAttributeVerificationCode",  # sends a code to the user
        "GetTokensFromRefreshToken",  # may rotate (spend) the refresh token
        "GetOpenIdTokenForDeveloperIdentity",  # may create an identity
    }
)
_READ_PREFIXES = ("Get", "List", "Describe", "AdminGet", "AdminList")


def is_repeatable(operation: str) -> bool:
    """Whether ``operation`` may be sent again after a 5xx, a timeout or a dropped connection."""
    return operation.startswith(_READ_PREFIXES) and operation not in _ACTING_READS
