"""The error a handler of the local user pool raises to answer with a Cognito error.

On the wire it becomes what Cognito sends: HTTP 400 (or the given status) with
``{"__type": code, "message": message}`` and an ``x-amzn-ErrorType`` header.
"""

from __future__ import annotations

__all__ = ["Fault", "invalid_parameter", "not_authorized", "resource_not_found", "user_not_found"]


class Fault(Exception):
    """A Cognito error reply: ``code`` is the wire code (``NotAuthorizedException``)."""

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def not_authorized(message: str = "Incorrect username or password.") -> Fault:
    return Fault("NotAuthorizedException", message)


def invalid_parameter(message: str) -> Fault:
    return Fault("InvalidParameterException", message)


def resource_not_found(message: str) -> Fault:
    return Fault("ResourceNotFoundException", message)


def user_not_found() -> Fault:
    return Fault("UserNotFoundException", "User does not exist.")
