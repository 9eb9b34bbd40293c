"""The JSON form of the local user pool's records, read back with every field checked.

A state file is the server's own, but a person may edit it (or another version write it): each record
is rebuilt from its JSON with every known field checked against the dataclass's annotation, nested
lists and objects too, and the first wrong value named by its path in the file
(``pools['us-east-1_x'].users['alice'].enabled: not true or false``). Keys a record does not know are
dropped, so older and newer files load.
"""

from __future__ import annotations

import contextlib
import dataclasses
import types
import typing
from typing import Any, TypeVar

__all__ = ["StateFileError", "build", "check_object", "key_path"]

_T = TypeVar("_T")


class StateFileError(ValueError):
    """A state file that cannot be read, or is not a local user pool state file.

    The message names the file and, for a malformed one, the first value that is wrong; the file is
    left as it is (the server does not start, so it never overwrites it).
    """


class _Malformed(StateFileError):
    """A value of the state file that is not what its field holds; ``where`` is its path in the file."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__(f"{where}: {why}")


def key_path(where: str, key: str) -> str:
    """The path of an object's member in the file: ``where['key']`` (a long key shortened)."""
    shown = key if len(key) <= 40 else key[:37] + "..."
    return f"{where}[{shown!r}]"


def _type_name(hint: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", type(None): "null"}
    if hint in names:
        return names[hint]
    origin = typing.get_origin(hint)
    if origin is list:
        return "an array"
    if origin is dict:
        return "an object"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(arg) for arg in typing.get_args(hint))
    return "a value of another kind"


def _check_value(value: Any, hint: Any, where: str) -> None:
    """Refuse ``value`` unless it is JSON of the field's annotated type (nested lists and objects too)."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            with contextlib.suppress(_Malformed):
                _check_value(value, arg, where)
                return
        raise _Malformed(where, f"not {_type_name(hint)}")
    if hint is type(None):
        ok = value is None
    elif hint is bool or hint is str:
        ok = type(value) is hint
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif origin is list:
        if not isinstance(value, list):
            raise _Malformed(where, f"not {_type_name(hint)}")
        (item,) = typing.get_args(hint)
        for index, element in enumerate(value):
            _check_value(element, item, f"{where}[{index}]")
        return
    elif origin is dict:
        check_object(value, where, typing.get_args(hint)[1])
        return
    else:  # a type this checker does not know: nothing to refuse
        return
    if not ok:
        raise _Malformed(where, f"not {_type_name(hint)}")


def check_object(value: Any, where: str, item: Any = Any) -> dict[str, Any]:
    """``value``, when it is a JSON object whose members are all of the type ``item``.

    Raises:
        StateFileError: it is not (the message names the path of the first wrong value).
    """
    if not isinstance(value, dict):
        raise _Malformed(where, "not an object")
    for key, element in value.items():
        _check_value(element, item, key_path(where, key))
    return value


_FIELDS: dict[type, tuple[dict[str, Any], dict[str, dataclasses.Field[Any]]]] = {}


def _fields_of(cls: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field[Any]]]:
    """A dataclass's resolved annotations and its fields by name (resolved once per class)."""
    known = _FIELDS.get(cls)
    if known is None:
        known = _FIELDS[cls] = (typing.get_type_hints(cls), {f.name: f for f in dataclasses.fields(cls)})
    return known


def build(cls: type[_T], data: Any, where: str, *, nested: frozenset[str] = frozenset()) -> _T:
    """A dataclass from its JSON form; keys it does not know are dropped (older or newer files).

    Each known field is checked against its annotation, except the ``nested`` ones (dataclasses the
    caller builds itself).

    Raises:
        StateFileError: ``data`` is not an object, misses a required field, or has a value of the wrong type.
    """
    check_object(data, where)
    hints, fields = _fields_of(cls)
    for name, spec in fields.items():
        if name not in data:
            required = spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
            if required:
                raise _Malformed(where, f"'{name}' is missing")
        elif name not in nested:
            _check_value(data[name], hints[name], f"{where}.{name}")
    return cls(**{key: value for key, value in data.items() if key in fields})
