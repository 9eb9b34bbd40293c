"""OAuth 2.0 through a user pool's domain: client credentials, managed login with PKCE, refresh, revoke.

Cognito's authorization server lives on the pool's domain (``https://<prefix>.auth.<region>.amazoncognito.com``
or a custom domain), not on the JSON API. Its endpoints (Cognito developer guide, "User pool endpoints
and managed login reference"):

- ``/oauth2/authorize`` (browser): ``response_type=code``, ``client_id``, ``redirect_uri``, ``state``,
  ``scope``, ``nonce``, ``identity_provider``, ``code_challenge`` and ``code_challenge_method=S256``.
- ``/oauth2/token`` (RFC 6749 section 4): form-encoded POST with ``grant_type`` ``authorization_code``,
  ``client_credentials`` or ``refresh_token``; the client authenticates with HTTP Basic (RFC 6749
  section 2.3.1) or ``client_id``/``client_secret`` in the body. Errors are ``{"error": ...}`` (section 5.2).
- ``/oauth2/revoke`` (RFC 7009), ``/oauth2/userInfo`` (OpenID Connect Core 5.3), ``/logout``.

PKCE is RFC 7636 with the S256 method. The pure helpers (:func:`code_challenge`, :func:`authorize_url`,
:func:`parse_token_reply`, :func:`oauth_error`) do no IO; :class:`OAuthClient` is the IO edge and
:class:`M2MTokens` a single-flight cache of client credentials tokens over a
:class:`~aiocognito.stores.TokenStore`.

The modules: :mod:`~aiocognito.oauth.errors`, :mod:`~aiocognito.oauth.pkce`,
:mod:`~aiocognito.oauth.authorize` (the authorization request), :mod:`~aiocognito.oauth.replies`
(reading the endpoints' replies), :mod:`~aiocognito.oauth.client` and :mod:`~aiocognito.oauth.m2m`.
"""

from __future__ import annotations

from .authorize import AuthorizationRequest, authorize_url, domain_url
from .client import OAuthClient
from .errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    InvalidTokenError,
    NonceMismatchError,
    OAuthError,
    StateMismatchError,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
    oauth_error,
)
from .m2m import M2MTokens
from .pkce import code_challenge, new_code_verifier
from .replies import parse_token_reply

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
