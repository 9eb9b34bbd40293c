"""Reading JSON from the network: bounded nesting, finite numbers, valid Unicode, or a typed refusal.

Python's ``json`` recurses once per nesting level (a reply of ten thousand ``[`` raises
``RecursionError``), turns ``1e400`` into ``inf`` and ``NaN`` into a float, and decodes both ``"\\ud800"``
and UTF-8-encoded surrogates into strings that cannot be encoded again (a ``UnicodeEncodeError`` the
moment such a value is echoed into a request or hashed). :func:`loads` refuses all of these with a
:class:`JsonError` before any caller sees the value, so code above the edge can trust what it gets.

The checks cost next to nothing on ordinary replies: the nesting scan runs only when a document has more
brackets than the depth limit, and the surrogate walk only when the text holds a ``\\uD8xx``-style escape.
"""

from __future__ import annotations

import itertools
import json
import math
import operator
import re
from typing import Any

__all__ = ["MAX_CONTAINERS", "MAX_DEPTH", "JsonError", "is_valid_text", "loads"]

#: Nesting levels a document may have. Cognito's deepest replies (a user pool description) use about 6.
MAX_DEPTH = 32
#: Arrays and objects a document may hold. A page of 60 users with all their attributes holds about 1,500.
MAX_CONTAINERS = 20_000

# Unrolled ("normal* (special normal*)*"): three times faster than an alternation on big documents.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = str.maketrans({chr(c): None for c in range(128) if chr(c) not in "[]{}"})
# An escaped UTF-16 surrogate: "\ud800" to "\udfff", in either case.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class JsonError(ValueError):
    """A document that is not JSON, or JSON this library refuses to read (see the module docstring).

    The message says why in a few words and never quotes the document.
    """


def _refuse_constant(name: str) -> Any:
    raise JsonError(f"a number that is not finite ({name})")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonError("a number that is not finite")
    return value


# Built once: json.loads with hooks builds a new decoder on every call (about a microsecond).
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def _check_shape(text: str, max_depth: int, max_containers: int) -> None:
    """Refuse ``text`` if it nests deeper than ``max_depth`` or holds more than ``max_containers`` arrays
    and objects (brackets inside strings left out)."""
    brackets = _STRING.sub("", text).translate(_NOT_BRACKETS)
    if re.search(f"[\\[{{]{{{max_depth + 1}}}", brackets) is not None:  # the common bomb, at C speed
        raise JsonError(f"nested deeper than {max_depth} levels")
    if brackets.count("[") + brackets.count("{") > max_containers:
        # json builds a Python object per container: a megabyte of "[]" would hold the loop for 100 ms.
        raise JsonError(f"more than {max_containers} arrays and objects")
    # Openers count +1, closers -1 (only bracket characters are left; stray non-ASCII counts as a closer,
    # which can only lower the level of a document json refuses anyway).
    steps = map(operator.sub, map("[{".__contains__, brackets), map("]}".__contains__, brackets))
    for level in itertools.accumulate(steps):
        if level > max_depth:
            raise JsonError(f"nested deeper than {max_depth} levels")


def is_valid_text(value: str) -> bool:
    """Whether ``value`` encodes as UTF-8 (it holds no lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_strings(value: Any, depth: int = 0) -> None:
    # Bounded by the depth check that ran first.
    if isinstance(value, str):
        if not is_valid_text(value):
            raise JsonError("a string with a lone UTF-16 surrogate")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, depth + 1)
            _check_strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item, depth + 1)


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH, max_containers: int = MAX_CONTAINERS) -> Any:
    """Parse one JSON document from the network.

    Raises:
        JsonError: not UTF-8, not JSON, nested deeper than ``max_depth``, a number that is not finite, or
            a string holding a lone surrogate, or more than ``max_containers`` arrays and objects.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            # Strict UTF-8 refuses encoded surrogates, which json's own decoding ("surrogatepass") lets in.
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise JsonError("not UTF-8") from None
    else:
        text = data
    text = text.removeprefix("\ufeff")
    if text.count("[") + text.count("{") > min(max_depth, max_containers):
        _check_shape(text, max_depth, max_containers)
    try:
        value = _DECODER.decode(text)
    except JsonError:
        raise
    except RecursionError:  # unreachable after the depth check; kept so no RecursionError ever escapes
        raise JsonError(f"nested deeper than {max_depth} levels") from None
    except ValueError as exc:
        # json's own errors, and int() refusing a number of more than sys.get_int_max_str_digits() digits.
        raise JsonError(
            "not JSON" if isinstance(exc, json.JSONDecodeError) else "a number too long"
        ) from None
    if _SURROGATE_ESCAPE.search(text) is not None:
        _check_strings(value)
    return value
