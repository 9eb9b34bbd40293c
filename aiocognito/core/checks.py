"""Checks of one value taken from a reply, a token, a resumed sign-in step or a token store.

:mod:`aiocognito._json` makes a whole document safe to hold (finite numbers, valid Unicode, bounded
nesting). These say whether one value in it is safe to *use*: a time that every later sum and
``datetime`` can handle, a string that can be echoed into a request, hashed or stored, of a bounded
length. They return a verdict; each caller raises its own error (``ProtocolError`` for a reply,
``StepDataError`` for step data, ``TokenStoreError`` for a store) naming the step and the field.
"""

from __future__ import annotations

from .safe_json import is_valid_text

__all__ = [
    "MAX_EPOCH_SECONDS",
    "MAX_NAME_CHARS",
    "MAX_SESSION_CHARS",
    "is_epoch_seconds",
    "text_problem",
]

#: The latest time accepted from a reply, a token or a store: 3000-01-01T00:00:00Z, in epoch seconds.
#: Times Cognito sends (a token's ``exp``, ``iat``, ``auth_time``; a device's dates) fall between 1970 and a
#: few years from now (refresh tokens live ten years at most). The bound keeps every later use exact and
#: finite: ``float()`` of it is exact (below 2**53), ``now - iat`` and ``exp + margin`` cannot overflow,
#: and ``datetime`` (to year 9999) and JavaScript's ``Date`` can show it. ``10**400`` would make the first
#: ``float()`` raise ``OverflowError``; ``1e308`` would make ``exp - now`` meaningless.
MAX_EPOCH_SECONDS = 32_503_680_000
#: Longest username, user id for SRP, device key or device group key accepted: Cognito's usernames have at
#: most 128 characters and its device keys 55 (botocore's model); the rest is room for emulators.
MAX_NAME_CHARS = 1024
#: Longest ``Session`` accepted: Cognito's have at most 2,048 characters (botocore's ``SessionType``).
MAX_SESSION_CHARS = 16_384


def is_epoch_seconds(value: object, *, fractions: bool = False) -> bool:
    """Whether ``value`` is a time from 1970 to :data:`MAX_EPOCH_SECONDS`: an ``int`` (never a ``bool``),
    or, with ``fractions``, also a finite ``float`` (device dates are AWS JSON timestamps, with fractions).
    """
    if type(value) is int:  # type(), not isinstance(): True is an int
        return 0 <= value <= MAX_EPOCH_SECONDS
    if fractions and type(value) is float:
        return 0.0 <= value <= MAX_EPOCH_SECONDS  # false for NaN; infinities are out of range
    return False


def text_problem(value: object, max_chars: int, *, allow_empty: bool = False) -> str | None:
    """What is wrong with ``value`` as a string to echo, hash or store, or ``None`` when nothing is.

    A string must be of at most ``max_chars`` characters, not empty (unless ``allow_empty``), and encodable
    as UTF-8 (no lone surrogate). The verdict never quotes the value: it may be a secret.
    """
    if not isinstance(value, str) or (not value and not allow_empty):
        return "missing or not a string"
    if len(value) > max_chars:
        return f"longer than {max_chars} characters"
    # isascii() reads a flag CPython keeps (O(1)); ASCII text, such as every token, is valid UTF-8.
    if not value.isascii() and not is_valid_text(value):
        return "not valid Unicode (a lone surrogate)"
    return None
