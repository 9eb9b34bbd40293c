"""Request bodies checked against botocore's service models, with Cognito's error wording.

A member of the wrong JSON type is a ``SerializationException``; a missing required member, a
string of the wrong length or a value outside an enum is an ``InvalidParameterException`` worded
like AWS's validation errors ("1 validation error detected: Value null at 'clientId' failed to
satisfy constraint: Member must not be null"). Members the model does not know are ignored, as AWS
does. Regex patterns of the model are not checked (they are Java regexes).
"""

from __future__ import annotations

import threading
from typing import Any

from ..faults import Fault

__all__ = ["Models", "check_body"]

_lock = threading.Lock()
_models: dict[str, Any] | None = None


class Models:
    """botocore's models of ``cognito-idp`` and ``cognito-identity``, by X-Amz-Target prefix."""

    @staticmethod
    def load() -> dict[str, Any]:
        """Load once per process (blocking: call it in a thread)."""
        global _models  # noqa: PLW0603 - the models are the same for every server in the process
        with _lock:
            if _models is None:
                import botocore.session

                session = botocore.session.get_session()
                loaded = {}
                for service in ("cognito-idp", "cognito-identity"):
                    model = session.get_service_model(service)
                    loaded[model.metadata["targetPrefix"]] = model
                _models = loaded
            return _models


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
    "string": (str,),
    "blob": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "timestamp": (int, float, str),
}


def _type_ok(kind: str, value: object) -> bool:
    if kind in ("integer", "long", "float", "double") and isinstance(value, bool):
        return False
    return isinstance(value, _JSON_TYPES.get(kind, (object,)))


def _json_type(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string"


def _walk(shape: Any, value: Any, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    if not _type_ok(kind, value):
        raise Fault(
            "SerializationException", f"Expected {kind} at '{path or 'body'}', got {_json_type(value)}"
        )
    metadata = shape.metadata
    if kind == "structure":
        for name in shape.required_members:
            if value.get(name) is None:
                problems.append(
                    f"Value null at '{_join(path, name)}' failed to satisfy constraint: "
                    "Member must not be null"
                )
        for name, member in shape.members.items():
            if value.get(name) is not None:
                _walk(member, value[name], _join(path, name), problems)
    elif kind == "list":
        _check_size(metadata, len(value), path, problems, "length")
        for index, item in enumerate(value):
            if item is None:
                raise Fault("SerializationException", f"Null element at '{path}.{index + 1}'")
            _walk(shape.member, item, f"{path}.{index + 1}.member", problems)
    elif kind == "map":
        _check_size(metadata, len(value), path, problems, "length")
        for key, item in list(value.items()):
            if item is None:
                # Dropped, as Cognito does: amazon-cognito-identity-js sends AuthParameters
                # {"DEVICE_KEY": null} on every refresh when no device is remembered.
                del value[key]
                continue
            _walk(shape.key, key, f"{path}.key", problems)
            _walk(shape.value, item, f"{path}.{key}", problems)
    elif kind == "string":
        _check_size(metadata, len(value), path, problems, "length")
        if shape.enum and value not in shape.enum:
            problems.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"
            )
    elif kind in ("integer", "long"):
        if "min" in metadata and value < metadata["min"]:
            problems.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: "
                f"Member must have value greater than or equal to {metadata['min']}"
            )
        if "max" in metadata and value > metadata["max"]:
            problems.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: "
                f"Member must have value less than or equal to {metadata['max']}"
            )


def _join(path: str, name: str) -> str:
    return f"{path}.{_camel(name)}" if path else _camel(name)


def _check_size(metadata: dict[str, Any], size: int, path: str, problems: list[str], what: str) -> None:
    if "min" in metadata and size < metadata["min"]:
        problems.append(
            f"Value at '{path}' failed to satisfy constraint: "
            f"Member must have {what} greater than or equal to "
            f"{metadata['min']}"
        )
    if "max" in metadata and size > metadata["max"]:
        problems.append(
            f"Value at '{path}' failed to satisfy constraint: Member must have {what} less than or equal to "
            f"{metadata['max']}"
        )


def check_body(input_shape: Any, body: Any) -> None:
    """Check a request body against an operation's input shape.

    Raises:
        Fault: SerializationException (wrong JSON types) or InvalidParameterException (constraints).
    """
    if not isinstance(body, dict):
        raise Fault(
            "SerializationException", f"Expected a JSON object as the request body, got {_json_type(body)}"
        )
    if input_shape is None:
        return
    problems: list[str] = []
    _walk(input_shape, body, "", problems)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise Fault(
            "InvalidParameterException", f"{count} validation {noun} detected: " + "; ".join(problems)
        )
