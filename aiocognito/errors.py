"""The exceptions aiocognito raises, all under :class:`CognitoError`.

Service errors map one to one onto the error codes of botocore's service models for
``cognito-idp`` and ``cognito-identity``: the wire code ``NotAuthorizedException`` becomes
:class:`NotAuthorizedError`. The class statement registers its code (``code=`` keyword), and
:func:`error_from_reply` turns a reply into the right exception in one place.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "CognitoError",
    "ProtocolError",
    "ServiceError",
    "SessionExpiredError",
    "SignedOutError",
    "TransportError",
    "error_class_for",
    "error_code_from_type",
    "error_from_reply",
]

_BY_CODE: dict[str, type[ServiceError]] = {}


class CognitoError(Exception):
    """Base of every exception aiocognito raises on purpose.

    Attributes:
        message: what went wrong, in words (never a secret); the first argument unless a subclass sets it.
    """

    #: Whether repeating the same call later may succeed (throttling, a passing fault).
    retryable: ClassVar[bool] = False
    message: str

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        # ServiceError sets its own (the service's words) before calling here; every other error has one too.
        if "message" not in self.__dict__:
            self.message = str(args[0]) if args else ""


class ServiceError(CognitoError):
    """An error answered by the Cognito service itself.

    Attributes:
        code: the wire code (``NotAuthorizedException``).
        message: the service's message, which Cognito keeps free of secrets.
        status: the HTTP status of the reply.
        request_id: the ``x-amzn-RequestId`` of the reply, when there was one.
        operation: the operation that was called.
    """

    code: str = ""
    #: Throttling codes are retried on every operation, sent or not.
    throttling: ClassVar[bool] = False

    def __init_subclass__(cls, code: str | None = None, throttling: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
            _BY_CODE[code] = cls
        if throttling:
            cls.throttling = True
            cls.retryable = True

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status: int = 400,
        request_id: str | None = None,
        operation: str | None = None,
    ) -> None:
        self.code = code if code is not None else type(self).code
        self.message = message
        self.status = status
        self.request_id = request_id
        self.operation = operation
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"{self.code}: {self.message}" if self.message else self.code
        if self.operation:
            text += f" (operation {self.operation}"
            text += f", request id {self.request_id})" if self.request_id else ")"
        return text

    @property
    def response(self) -> dict[str, Any]:
        """The error as botocore's ``ClientError.response``, so code moving from boto3 keeps working::

            except aiocognito.ServiceError as error:
                if error.response["Error"]["Code"] == "UserNotFoundException": ...

        ``Error.Code`` / ``Error.Message``, ``ResponseMetadata.RequestId`` (``""`` when the reply had none)
        and ``HTTPStatusCode``. A new dict each time: changing it changes nothing.
        """
        return {
            "Error": {"Code": self.code, "Message": self.message},
            "ResponseMetadata": {"RequestId": self.request_id or "", "HTTPStatusCode": self.status},
        }

    @property
    def operation_name(self) -> str | None:
        """The operation that was called: botocore's ``ClientError.operation_name``."""
        return self.operation

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_service_error,
            (type(self), self.message, self.code, self.status, self.request_id, self.operation),
        )


def _rebuild_service_error(
    cls: type[ServiceError],
    message: str,
    code: str,
    status: int,
    request_id: str | None,
    operation: str | None,
) -> ServiceError:
    return cls(message, code=code, status=status, request_id=request_id, operation=operation)


class TransportError(CognitoError):
    """The service could not be reached, or answered something that is not Cognito JSON.

    Attributes:
        status: the HTTP status when a reply came, else ``None``.
        excerpt: the first characters of a reply that could not be read.
        sent: whether the request may have reached the service.
    """

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        excerpt: str = "",
        operation: str | None = None,
        sent: bool = True,
    ) -> None:
        self.status = status
        self.excerpt = excerpt
        self.operation = operation
        self.sent = sent
        text = message
        if operation:
            text = f"{operation}: {text}"
        if status is not None:
            text += f" (HTTP {status})"
        if excerpt:
            text += f": {excerpt!r}"
        super().__init__(text)


class ProtocolError(CognitoError):
    """A reply that is JSON, but not what the operation or sign-in step should get.

    Attributes:
        step: the operation or sign-in step that got it.
        field: the field that was missing or malformed, when one was.
    """

    def __init__(self, message: str, *, step: str | None = None, field: str | None = None) -> None:
        self.step = step
        self.field = field
        text = message
        if field:
            text = f"{field}: {text}"
        if step:
            text = f"{step}: {text}"
        super().__init__(text)


class SignedOutError(CognitoError):
    """The user object was signed out (``sign_out`` or ``global_sign_out``) and refuses further calls."""


class SessionExpiredError(CognitoError):
    """A sign-in step, or a user's session, expired before it was answered or refreshed."""


def error_code_from_type(error_type: str) -> str:
    """Read an error code from ``__type`` or ``x-amzn-ErrorType`` the way botocore does.

    ``"com.amazonaws#NotAuthorizedException:http://..."`` gives ``"NotAuthorizedException"``.
    """
    code = error_type.split(":", 1)[0]
    return code.rsplit("#", 1)[-1].strip()


def error_class_for(code: str) -> type[ServiceError]:
    """The exception class of a wire code; a plain :class:`ServiceError` for an unknown code."""
    return _BY_CODE.get(code, ServiceError)


def error_from_reply(
    error_type: str,
    message: str,
    *,
    status: int,
    request_id: str | None = None,
    operation: str | None = None,
) -> ServiceError:
    """Build the exception for an error reply."""
    code = error_code_from_type(error_type)
    cls = _BY_CODE.get(code, ServiceError)
    return cls(message, code=code, status=status, request_id=request_id, operation=operation)
