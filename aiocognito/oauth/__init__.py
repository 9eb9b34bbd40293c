"""OAuth 2.0 through a user pool's domain."""

from __future__ import annotations

from .client import (
    AuthorizationRequest,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    InvalidTokenError,
    M2MTokens,
    NonceMismatchError,
    OAuthClient,
    OAuthError,
    StateMismatchError,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
    authorize_url,
    code_challenge,
    domain_url,
    new_code_verifier,
    oauth_error,
    parse_token_reply,
)

__all__ = [
    "AuthorizationRequest",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidRequestError",
    "InvalidScopeError",
    "InvalidTokenError",
    "M2MTokens",
    "NonceMismatchError",
    "OAuthClient",
    "OAuthError",
    "StateMismatchError",
    "UnauthorizedClientError",
    "UnsupportedGrantTypeError",
    "authorize_url",
    "code_challenge",
    "domain_url",
    "new_code_verifier",
    "oauth_error",
    "parse_token_reply",
]
