"""The errors of the OAuth 2.0 authorization server (RFC 6749 section 5.2), one class per error code."""

from __future__ import annotations

from typing import Any

from ..errors import CognitoError

__all__ = [
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidRequestError",
    "InvalidScopeError",
    "InvalidTokenError",
    "NonceMismatchError",
    "OAuthError",
    "StateMismatchError",
    "UnauthorizedClientError",
    "UnsupportedGrantTypeError",
    "oauth_error",
]

_BY_ERROR: dict[str, type[OAuthError]] = {}


class OAuthError(CognitoError):
    """An error of the OAuth 2.0 authorization server (RFC 6749 section 5.2), or of the redirect back.

    The class statement registers its OAuth error code (``error=`` keyword); an unknown code gives a
    plain :class:`OAuthError` carrying it.

    Attributes:
        error: the OAuth error code (``invalid_grant``).
        description: the server's ``error_description``, when it gave one.
        message: the description, else the error code (every :class:`CognitoError` has a ``message``).
        status: the HTTP status of the reply (0 for an error that came in a redirect or was found here).
    """

    error: str = ""

    def __init_subclass__(cls, error: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if error is not None:
            cls.error = error
            _BY_ERROR[error] = cls

    def __init__(self, description: str = "", *, error: str | None = None, status: int = 400) -> None:
        self.error = error if error is not None else type(self).error
        self.description = description
        self.status = status
        self.message = description or self.error  # as ServiceError.message: the server's words
        super().__init__(f"{self.error}: {description}" if description else self.error)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_oauth_error, (type(self), self.description, self.error, self.status))


def _rebuild_oauth_error(cls: type[OAuthError], description: str, error: str, status: int) -> OAuthError:
    return cls(description, error=error, status=status)


class InvalidRequestError(OAuthError, error="invalid_request"):
    """The request misses a parameter, repeats one or is malformed."""


class InvalidClientError(OAuthError, error="invalid_client"):
    """The client failed to authenticate: unknown client id, wrong or missing client secret."""


class InvalidGrantError(OAuthError, error="invalid_grant"):
    """The code or refresh token is invalid, expired, revoked, already used, or its PKCE check failed."""


class UnauthorizedClientError(OAuthError, error="unauthorized_client"):
    """The app client may not use this grant (not in its ``AllowedOAuthFlows``)."""


class UnsupportedGrantTypeError(OAuthError, error="unsupported_grant_type"):
    """The server does not know the ``grant_type``."""


class InvalidScopeError(OAuthError, error="invalid_scope"):
    """A requested scope is unknown or not allowed for the app client."""


class InvalidTokenError(OAuthError, error="invalid_token"):
    """A token was refused: by ``/oauth2/userInfo`` (invalid, expired, revoked, lacks ``openid``) or,
    as its subclass :class:`aiocognito.verify.InvalidTokenError`, by a :class:`~aiocognito.TokenVerifier`.

    Attributes:
        reason: why, as a short stable code: ``"rejected"`` when the server refused it; the verifier's
            codes (``expired``, ``signature``...) otherwise.
    """

    reason: str = "rejected"


class StateMismatchError(OAuthError, error="state_mismatch"):
    """The ``state`` of a redirect back is missing or not the one sent: a forged or stale callback."""


class NonceMismatchError(OAuthError, error="nonce_mismatch"):
    """The id token's ``nonce`` is not the one sent with the authorization request."""


def oauth_error(error: str, description: str = "", *, status: int = 400) -> OAuthError:
    """The exception for an OAuth error code (its own subclass, else a plain :class:`OAuthError`)."""
    return _BY_ERROR.get(error, OAuthError)(description, error=error, status=status)
