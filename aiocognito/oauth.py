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
:class:`~aiocognito.token_store.TokenStore`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import random
import re
import secrets
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

import aiohttp

from .core.safe_json import JsonError, is_valid_text, loads
from .core.tokens import TokenSet
from .errors import CognitoError, ProtocolError, TransportError
from .token_store import SessionRecord, StoreKey, TokenStore, TokenStoreError
from .wire.endpoints import endpoint_url, region_from_pool_id
from .wire.transport import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_REPLY_BYTES,
    USER_AGENT,
    AttemptFailed,
    Reply,
    RetryPolicy,
    Timeouts,
    Transport,
    is_json_syntax_error,
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

_log = logging.getLogger("aiocognito")

_BY_ERROR: dict[str, type[OAuthError]] = {}
_EXCERPT_CHARS = 120
_TIMEOUTS = Timeouts()
_RETRY = RetryPolicy()
# RFC 7636 section 4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_BEARER_ERROR = re.compile(r'error="([^"]{1,64})"')
_BEARER_DESCRIPTION = re.compile(r'error_description="([^"]{0,512})"')
# An OAuth error code or description longer than this is cut (RFC 6749's are a few words).
_MAX_ERROR_CHARS = 128
_MAX_DESCRIPTION_CHARS = 2048


# --- errors ------------------------------------------------------------------------------------------


class OAuthError(CognitoError):
    """An error of the OAuth 2.0 authorization server (RFC 6749 section 5.2), or of the redirect back.

    The class statement registers its OAuth error code (``error=`` keyword); an unknown code gives a
    plain :class:`OAuthError` carrying it.

    Attributes:
        error: the OAuth error code (``invalid_grant``).
        description: the server's ``error_description``, when it gave one.
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
    """The access token sent to ``/oauth2/userInfo`` is invalid, expired, revoked or lacks ``openid``."""


class StateMismatchError(OAuthError, error="state_mismatch"):
    """The ``state`` of a redirect back is missing or not the one sent: a forged or stale callback."""


class NonceMismatchError(OAuthError, error="nonce_mismatch"):
    """The id token's ``nonce`` is not the one sent with the authorization request."""


def oauth_error(error: str, description: str = "", *, status: int = 400) -> OAuthError:
    """The exception for an OAuth error code (its own subclass, else a plain :class:`OAuthError`)."""
    return _BY_ERROR.get(error, OAuthError)(description, error=error, status=status)


# --- pure helpers ------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_code_verifier(*, token_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A PKCE code verifier: 32 random bytes, base64url without padding (43 characters, RFC 7636 4.1)."""
    return _b64url(token_bytes(32))


def code_challenge(verifier: str) -> str:
    """The S256 code challenge of a verifier: ``BASE64URL(SHA256(ASCII(verifier)))`` (RFC 7636 4.2).

    Raises:
        ValueError: the verifier is not 43 to 128 unreserved characters.
    """
    if not isinstance(verifier, str) or not _VERIFIER.fullmatch(verifier):
        raise ValueError("a PKCE code verifier is 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def domain_url(domain: str, region: str | None = None) -> str:
    """The base URL of a user pool domain.

    ``domain_url("myapp", "eu-west-1")`` is ``"https://myapp.auth.eu-west-1.amazoncognito.com"``; a host
    (``"auth.example.com"``, a custom domain) or a URL is returned as an ``https://`` URL without the
    trailing slash.

    Raises:
        ValueError: an empty domain, or a prefix without a region.
    """
    domain = domain.strip().rstrip("/")
    if not domain:
        raise ValueError("the domain is empty")
    if "://" in domain:
        return domain
    if "." not in domain:
        if region is None:
            raise ValueError("a domain prefix needs the region: domain_url(prefix, region)")
        return f"https://{domain}.auth.{region}.amazoncognito.com"
    return f"https://{domain}"


def _scope_text(scopes: Iterable[str] | str | None) -> str | None:
    if scopes is None:
        return None
    items = scopes.split() if isinstance(scopes, str) else list(scopes)
    for scope in items:
        if not isinstance(scope, str) or not scope or any(c.isspace() for c in scope):
            raise ValueError(f"a scope is a non-empty string without spaces, not {scope!r}")
    return " ".join(dict.fromkeys(items))


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """One sign-in through managed login, as the web app keeps it between the redirect and the callback.

    Keep it server side (or in an encrypted cookie): ``code_verifier`` is the PKCE secret that proves the
    code is redeemed by whoever asked for it. ``to_json``/``from_json`` give and read a JSON string.

    Attributes:
        url: the ``/oauth2/authorize`` URL to send the browser to.
        state: the anti-CSRF value the callback must bring back.
        nonce: the value the id token must carry, or ``None``.
        redirect_uri: the callback URL, sent again when the code is exchanged.
        code_verifier: the PKCE verifier, or ``None`` without PKCE. Not in the repr.
        scopes: the scopes asked for (empty: the app client's defaults).
        issued_at: when it was made, epoch seconds.
    """

    url: str
    state: str
    nonce: str | None
    redirect_uri: str
    code_verifier: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = ()
    issued_at: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "state": self.state,
            "nonce": self.nonce,
            "redirect_uri": self.redirect_uri,
            "code_verifier": self.code_verifier,
            "scopes": list(self.scopes),
            "issued_at": self.issued_at,
        }

    def to_json(self) -> str:
        """The JSON form (it holds the verifier: keep it where the browser cannot read it)."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuthorizationRequest:
        """Read :meth:`to_dict`'s form back.

        Raises:
            ValueError: the data is not an authorization request.
        """
        if not isinstance(data, Mapping):
            raise ValueError("authorization request data is not an object")
        try:
            url, state, redirect_uri = data["url"], data["state"], data["redirect_uri"]
            nonce, verifier = data.get("nonce"), data.get("code_verifier")
            scopes, issued_at = data.get("scopes", []), data.get("issued_at", 0.0)
        except KeyError as exc:
            raise ValueError(f"authorization request data lacks {exc.args[0]!r}") from None
        if not all(isinstance(v, str) and v for v in (url, state, redirect_uri)):
            raise ValueError("authorization request data: url, state and redirect_uri must be strings")
        if not all(v is None or isinstance(v, str) for v in (nonce, verifier)):
            raise ValueError("authorization request data: nonce and code_verifier must be strings")
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise ValueError("authorization request data: scopes must be a list of strings")
        if isinstance(issued_at, bool) or not isinstance(issued_at, int | float):
            raise ValueError("authorization request data: issued_at must be a number")
        return cls(url, state, nonce, redirect_uri, verifier, tuple(scopes), float(issued_at))

    @classmethod
    def from_json(cls, text: str | bytes) -> AuthorizationRequest:
        """Read :meth:`to_json`'s form back.

        Raises:
            ValueError: the text is not an authorization request.
        """
        try:
            data = loads(text)
        except JsonError:
            raise ValueError("authorization request data is not JSON") from None
        return cls.from_dict(data)


def authorize_url(
    base_url: str,
    client_id: str,
    redirect_uri: str,
    *,
    state: str,
    now: float,
    scopes: Iterable[str] | str | None = None,
    nonce: str | None = None,
    code_verifier: str | None = None,
    identity_provider: str | None = None,
    idp_identifier: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> AuthorizationRequest:
    """Build the ``/oauth2/authorize`` URL (pure: the random values are given).

    Raises:
        ValueError: a bad scope or code verifier.
    """
    params: dict[str, str] = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri}
    params["state"] = state
    scope = _scope_text(scopes)
    if scope:
        params["scope"] = scope
    if nonce is not None:
        params["nonce"] = nonce
    if code_verifier is not None:
        params["code_challenge"] = code_challenge(code_verifier)
        params["code_challenge_method"] = "S256"
    if identity_provider is not None:
        params["identity_provider"] = identity_provider
    if idp_identifier is not None:
        params["idp_identifier"] = idp_identifier
    if extra:
        params.update(extra)
    url = f"{base_url}/oauth2/authorize?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"
    return AuthorizationRequest(
        url=url,
        state=state,
        nonce=nonce,
        redirect_uri=redirect_uri,
        code_verifier=code_verifier,
        scopes=tuple(scope.split()) if scope else (),
        issued_at=now,
    )


def parse_token_reply(reply: Mapping[str, Any], *, now: float, refresh_token: str | None = None) -> TokenSet:
    """The token set of a successful token endpoint reply (RFC 6749 section 5.1).

    Raises:
        ProtocolError: no ``access_token``, or a token that is not a JWT.
    """
    return TokenSet.from_oauth(reply, now=now, refresh_token=refresh_token)


def _check_state(given: object, expected: AuthorizationRequest) -> None:
    if not isinstance(given, str) or not given:
        raise StateMismatchError("the callback has no state", status=0)
    if not hmac.compare_digest(given.encode(), expected.state.encode()):
        raise StateMismatchError("the callback's state is not the one sent with the request", status=0)


# --- the client --------------------------------------------------------------------------------------


def _checked_base(url: str, *, allow_http: bool) -> str:
    from .wire.urls import is_loopback as _is_loopback

    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError("domain_url must be an http(s) URL")
    if parsed.query or parsed.fragment:
        raise ValueError("domain_url must not have a query or fragment")
    if parsed.scheme == "http" and not allow_http and not _is_loopback(parsed.hostname):
        raise ValueError(
            "domain_url uses plain http to a host that is not loopback; pass allow_http=True if you mean it"
        )
    return url.rstrip("/")


class OAuthClient:
    """A client of one app client on a user pool domain's OAuth 2.0 endpoints.

    The aiohttp session is created on first use (or lent with ``session=``, then never closed here);
    close with ``await client.aclose()`` or ``async with``.

    Args:
        domain_url: ``https://<prefix>.auth.<region>.amazoncognito.com``, a custom domain, or (tests) the
            local user pool's ``server.oauth.domain_url(pool_id)``. See :func:`domain_url`.
        client_id: the app client id.
        client_secret: the app client secret, for clients that have one.
        redirect_uri: the default callback URL of :meth:`authorize_url`.
        client_auth: ``"basic"`` (HTTP Basic, the default) or ``"body"`` (``client_secret`` in the form).
        pool_id, issuer_url: where :meth:`discovery` looks (``issuer_url`` wins; the pool id gives
            ``https://cognito-idp.<region>.amazonaws.com/<pool id>``).
        timeouts, retry, ca_bundle, trust_env, session: as for :class:`~aiocognito.UserPool`.
        allow_http: allow plain ``http://`` to a host that is not loopback.
        max_reply_bytes: the most bytes read of one reply, on the wire and decompressed (1 MiB); a larger
            reply is a :class:`~aiocognito.TransportError`. Redirects are never followed.
        max_connections: the most connections the client's own session keeps open at once (100).
        clock: epoch seconds, for token expiry.

    Raises:
        ValueError: a malformed ``domain_url``, an unknown ``client_auth``, a cap that is not a positive int.
    """

    def __init__(
        self,
        domain_url: str,
        client_id: str,
        *,
        client_secret: str | None = None,
        redirect_uri: str | None = None,
        client_auth: Literal["basic", "body"] = "basic",
        pool_id: str | None = None,
        issuer_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        timeouts: Timeouts = _TIMEOUTS,
        retry: RetryPolicy = _RETRY,
        ca_bundle: str | None = None,
        trust_env: bool = True,
        allow_http: bool = False,
        user_agent: str = USER_AGENT,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        if not isinstance(client_id, str) or not client_id:
            raise ValueError("client_id must be a non-empty string")
        if client_auth not in ("basic", "body"):
            raise ValueError("client_auth must be 'basic' or 'body'")
        self._base = _checked_base(domain_url, allow_http=allow_http)
        self.client_id = client_id
        self._secret = client_secret or None
        self.redirect_uri = redirect_uri
        self._client_auth = client_auth
        if issuer_url is None and pool_id is not None:
            issuer_url = f"{endpoint_url('cognito-idp', region_from_pool_id(pool_id))}/{pool_id}"
        self._issuer_url = issuer_url.rstrip("/") if issuer_url else None
        self._transport = Transport(
            session=session,
            timeouts=timeouts,
            retry=retry,
            ca_bundle=ca_bundle,
            trust_env=trust_env,
            user_agent=user_agent,
            rng=rng,
            max_reply_bytes=max_reply_bytes,
            max_connections=max_connections,
        )
        self._clock = clock
        self._discovery: dict[str, Any] | None = None

    def __repr__(self) -> str:
        secret = ", client_secret=***" if self._secret else ""
        return f"OAuthClient({self._base!r}, {self.client_id!r}{secret})"

    @property
    def domain_url(self) -> str:
        """The base URL of the domain, without a trailing slash."""
        return self._base

    @property
    def has_secret(self) -> bool:
        return self._secret is not None

    async def aclose(self) -> None:
        """Close the session if it is ours."""
        await self._transport.aclose()

    async def __aenter__(self) -> OAuthClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # --- URLs (no IO) ----------------------------------------------------------------------------------

    def authorize_url(
        self,
        *,
        redirect_uri: str | None = None,
        scopes: Iterable[str] | str | None = ("openid",),
        identity_provider: str | None = None,
        idp_identifier: str | None = None,
        pkce: bool = True,
        nonce: bool = True,
        extra: Mapping[str, str] | None = None,
    ) -> AuthorizationRequest:
        """A new sign-in through managed login (or straight to ``identity_provider``, e.g. ``"Google"``).

        Fresh ``state``, ``nonce`` and PKCE verifier are made with :mod:`secrets`. Send the browser to
        ``request.url`` and keep ``request`` for :meth:`exchange_code`. ``scopes=None`` asks for the app
        client's default scopes.

        Raises:
            ValueError: no redirect URI (here or in the constructor), or a bad scope.
        """
        redirect = redirect_uri or self.redirect_uri
        if not redirect:
            raise ValueError("authorize_url needs a redirect_uri (here or in OAuthClient(...))")
        return authorize_url(
            self._base,
            self.client_id,
            redirect,
            state=secrets.token_urlsafe(24),
            now=self._clock(),
            scopes=scopes,
            nonce=secrets.token_urlsafe(24) if nonce else None,
            code_verifier=new_code_verifier() if pkce else None,
            identity_provider=identity_provider,
            idp_identifier=idp_identifier,
            extra=extra,
        )

    def logout_url(
        self,
        logout_uri: str | None = None,
        *,
        redirect_uri: str | None = None,
        state: str | None = None,
        scopes: Iterable[str] | str | None = None,
    ) -> str:
        """The ``/logout`` URL: ends the managed login session, then goes to ``logout_uri`` (one of the
        app client's ``LogoutURLs``), or, with ``redirect_uri`` instead, back to sign-in.

        Raises:
            ValueError: neither or both of ``logout_uri`` and ``redirect_uri``.
        """
        if (logout_uri is None) == (redirect_uri is None):
            raise ValueError("give exactly one of logout_uri and redirect_uri")
        params = {"client_id": self.client_id}
        if logout_uri is not None:
            params["logout_uri"] = logout_uri
        else:
            params.update({"redirect_uri": str(redirect_uri), "response_type": "code"})
            if state is not None:
                params["state"] = state
            scope = _scope_text(scopes)
            if scope:
                params["scope"] = scope
        return f"{self._base}/logout?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"

    # --- token endpoint --------------------------------------------------------------------------------

    async def client_credentials(self, scopes: Iterable[str] | str | None = None) -> TokenSet:
        """A machine-to-machine access token (``grant_type=client_credentials``).

        ``scopes=None`` gets every custom scope the app client is allowed. The token set has no id token
        (``id_token == ""``) and no refresh token. Every call is a new token request, which Cognito bills:
        use :class:`M2MTokens` to share tokens.

        Raises:
            InvalidClientError, UnauthorizedClientError, InvalidScopeError, OAuthError: the server refused.
            ValueError: the client has no secret.
            TransportError, ProtocolError: no usable reply.
        """
        if self._secret is None:
            raise ValueError("client credentials need the app client's secret")
        form = {"grant_type": "client_credentials"}
        scope = _scope_text(scopes)
        if scope:
            form["scope"] = scope
        reply = await self._token_request(form, operation="client_credentials", repeatable=True)
        return parse_token_reply(reply, now=self._clock())

    async def exchange_code(
        self, code: str, *, state: str | None, expected: AuthorizationRequest
    ) -> TokenSet:
        """Redeem the authorization code of a callback (``grant_type=authorization_code``).

        ``state`` is checked against ``expected.state`` (constant-time) before anything is sent;
        ``expected.code_verifier`` and ``expected.redirect_uri`` are sent with the code, and the id token's
        ``nonce`` is checked against ``expected.nonce``. The code is never sent twice.

        Raises:
            StateMismatchError: a missing or wrong ``state``.
            InvalidGrantError: the code is unknown, used, expired, for another redirect URI, or its PKCE
                check failed.
            NonceMismatchError: the id token does not carry the nonce.
            OAuthError, TransportError, ProtocolError: as the other calls.
        """
        _check_state(state, expected)
        if not isinstance(code, str) or not code:
            raise InvalidRequestError("the callback has no code", status=0)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": expected.redirect_uri}
        if expected.code_verifier is not None:
            form["code_verifier"] = expected.code_verifier
        reply = await self._token_request(form, operation="authorization_code", repeatable=False)
        tokens = parse_token_reply(reply, now=self._clock())
        if expected.nonce is not None and tokens.id_token:
            got = tokens.id_claims.get("nonce")
            if not isinstance(got, str) or not hmac.compare_digest(got.encode(), expected.nonce.encode()):
                raise NonceMismatchError("the id token does not carry the request's nonce", status=0)
        return tokens

    async def finish_authorization(
        self, params: Mapping[str, str], *, expected: AuthorizationRequest
    ) -> TokenSet:
        """Handle the query of a callback: check ``state``, raise a returned ``error``, redeem the ``code``.

        Raises:
            StateMismatchError: a missing or wrong ``state`` (checked first).
            OAuthError: the server redirected with ``error`` (``access_denied``...), status 0.
            InvalidRequestError: neither ``code`` nor ``error``.
            and what :meth:`exchange_code` raises.
        """
        _check_state(params.get("state"), expected)
        error = params.get("error")
        if error:
            raise oauth_error(error, params.get("error_description", ""), status=0)
        return await self.exchange_code(params.get("code", ""), state=params.get("state"), expected=expected)

    async def refresh(self, refresh_token: str) -> TokenSet:
        """New id and access tokens for a refresh token (``grant_type=refresh_token``); the refresh token
        is kept unless the server rotated it.

        Raises:
            InvalidGrantError: the refresh token is invalid, expired or revoked.
            OAuthError, TransportError, ProtocolError: as the other calls.
        """
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        reply = await self._token_request(form, operation="refresh_token", repeatable=False)
        return parse_token_reply(reply, now=self._clock(), refresh_token=refresh_token)

    async def revoke(self, refresh_token: str) -> None:
        """Revoke a refresh token and the access tokens issued with it (``/oauth2/revoke``, RFC 7009).

        Raises:
            InvalidClientError, OAuthError: the server refused (``unsupported_token_type``...).
            TransportError: no usable reply.
        """
        await self._post("/oauth2/revoke", {"token": refresh_token}, operation="revoke", repeatable=True)

    async def user_info(self, access_token: str) -> dict[str, Any]:
        """The signed-in user's attributes (``/oauth2/userInfo``): what the token's scopes allow.

        Raises:
            InvalidTokenError: the access token is invalid, expired, revoked or lacks the ``openid`` scope.
            TransportError, ProtocolError: no usable reply.
        """
        headers = {"Authorization": f"Bearer {access_token}"}
        return await self._send("GET", f"{self._base}/oauth2/userInfo", None, headers, "userInfo", True)

    async def discovery(self) -> dict[str, Any]:
        """The OpenID Connect discovery document of the pool (``<issuer>/.well-known/openid-configuration``),
        fetched once.

        Raises:
            ValueError: the client was made without ``pool_id`` or ``issuer_url``.
            TransportError, ProtocolError: no usable reply.
        """
        if self._issuer_url is None:
            raise ValueError("discovery needs OAuthClient(..., pool_id=...) or issuer_url=...")
        if self._discovery is None:
            url = f"{self._issuer_url}/.well-known/openid-configuration"
            self._discovery = await self._send("GET", url, None, {}, "discovery", True)
        return self._discovery

    # --- HTTP ------------------------------------------------------------------------------------------

    async def _token_request(
        self, form: dict[str, str], *, operation: str, repeatable: bool
    ) -> dict[str, Any]:
        return await self._post("/oauth2/token", form, operation=operation, repeatable=repeatable)

    async def _post(
        self, path: str, form: dict[str, str], *, operation: str, repeatable: bool
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        form = dict(form)
        if self._secret is not None and self._client_auth == "basic":
            # RFC 6749 section 2.3.1: form-encode the id and the secret, then Base64 "id:secret".
            pair = f"{urllib.parse.quote_plus(self.client_id)}:{urllib.parse.quote_plus(self._secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
            form.setdefault("client_id", self.client_id)
        else:
            form["client_id"] = self.client_id
            if self._secret is not None:
                form["client_secret"] = self._secret
        body = urllib.parse.urlencode(form).encode()
        return await self._send("POST", f"{self._base}{path}", body, headers, operation, repeatable)

    async def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        operation: str,
        repeatable: bool,
    ) -> dict[str, Any]:
        return await self._transport.request(
            method,
            url,
            body=body,
            headers={"Accept": "application/json", **headers},
            operation=operation,
            repeatable=repeatable,
            parse=_parse_reply,
        )


def _parse_reply(operation: str, reply: Reply) -> dict[str, Any]:
    """The JSON object of a reply, or the error it stands for (RFC 6749 section 5.2, RFC 6750 section 3)."""
    status, raw = reply.status, reply.body
    if status == 429:
        error = TransportError("throttled", status=status, excerpt=_excerpt(raw), operation=operation)
        raise AttemptFailed(error, sent=True, throttled=True)
    ok = 200 <= status < 300
    if ok and (not raw or raw.isspace()):
        return {}
    document: Any = None
    try:
        document = loads(raw)
    except JsonError as exc:
        if ok and not is_json_syntax_error(exc):
            raise ProtocolError(f"reply refused: {exc}", step=operation) from None
    if status >= 500:
        raise AttemptFailed(
            TransportError("server error", status=status, excerpt=_excerpt(raw), operation=operation),
            sent=True,
        )
    if ok:
        if not isinstance(document, dict):
            raise TransportError(
                "reply is not a JSON object", status=status, excerpt=_excerpt(raw), operation=operation
            )
        return document
    code = document.get("error") if isinstance(document, dict) else None
    if isinstance(code, str) and code:
        description = document.get("error_description")
        raise oauth_error(
            code[:_MAX_ERROR_CHARS],
            description[:_MAX_DESCRIPTION_CHARS] if isinstance(description, str) else "",
            status=status,
        )
    challenge = reply.headers.get("WWW-Authenticate", "")
    found = _BEARER_ERROR.search(challenge) if is_valid_text(challenge) else None
    if found is not None:
        described = _BEARER_DESCRIPTION.search(challenge)
        raise oauth_error(found.group(1), described.group(1) if described else "", status=status)
    if status == 401:
        raise InvalidTokenError("the server refused the token", status=status)
    raise TransportError(
        "error reply without an OAuth error code", status=status, excerpt=_excerpt(raw), operation=operation
    )


def _excerpt(raw: bytes) -> str:
    text = " ".join(raw[: _EXCERPT_CHARS * 4].decode("utf-8", "replace").split())
    return text[:_EXCERPT_CHARS] if text else "(empty body)"


# --- machine-to-machine token cache -----------------------------------------------------------------


class M2MTokens:
    """Client credentials access tokens, fetched once, shared, and renewed before they expire.

    ``await m2m.token(scopes)`` is a dict look-up while the cached token is fresh. When it is not, one
    request is made for all the callers waiting in this process (a shared, shielded task: a caller that
    is cancelled does not cancel it), and, with a ``store``, for every process sharing the store: the
    renewer holds ``store.refresh_lock`` and re-reads the store first, so a token another process just
    fetched is reused (Cognito bills each token request).

    Windows (google-auth's "advisory"/"mandatory" refresh): a token is renewed once less than
    ``margin`` seconds (at most half its lifetime) are left; if renewing fails while more than
    ``mandatory_margin`` seconds (at most a quarter of its lifetime) are left, the old token is returned
    and a warning logged, else the error is raised. A failing store (Redis down, a lock wait timed out)
    is logged and the token fetched directly.

    Args:
        client: the :class:`OAuthClient` (with a client secret); not closed by :meth:`aclose`.
        store: a :class:`~aiocognito.token_store.TokenStore` to share tokens through, or ``None``.
        margin, mandatory_margin: seconds, as above.
        clock: epoch seconds.
    """

    def __init__(
        self,
        client: OAuthClient,
        *,
        store: TokenStore | None = None,
        margin: float = 300.0,
        mandatory_margin: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if margin < 0 or mandatory_margin < 0:
            raise ValueError("margins must not be negative")
        self._client = client
        self._store = store
        self._margin = float(margin)
        self._mandatory = float(mandatory_margin)
        self._clock = clock
        self._cache: dict[str, TokenSet] = {}
        self._inflight: dict[str, asyncio.Task[TokenSet]] = {}
        self._store_pool = f"oauth2:{client.domain_url}"

    def __repr__(self) -> str:
        return f"M2MTokens({self._client!r}, cached={len(self._cache)})"

    async def token(self, scopes: Iterable[str] | str | None = None) -> str:
        """A valid access token for ``scopes`` (``None``: the app client's default scopes).

        Raises:
            OAuthError, TransportError, ProtocolError: no token could be had and none is still usable.
        """
        return (await self.token_set(scopes)).access_token

    async def token_set(self, scopes: Iterable[str] | str | None = None) -> TokenSet:
        """As :meth:`token`, the whole :class:`~aiocognito.TokenSet` (expiry, claims)."""
        given = _scope_text(scopes)
        scope = " ".join(sorted(given.split())) if given else None
        key = f"m2m:{scope}" if scope else "m2m"
        cached = self._cache.get(key)
        if cached is not None and self._fresh(cached):
            return cached
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._renew(key, scope))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    def _finished(self, key: str, task: asyncio.Task[TokenSet]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved: every waiter may have been cancelled

    async def aclose(self) -> None:
        """Cancel renewals in flight (the client and the store stay open)."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task

    def _lifetime(self, tokens: TokenSet) -> float:
        return max(0.0, tokens.expires_at - tokens.issued_at)

    def _fresh(self, tokens: TokenSet) -> bool:
        margin = min(self._margin, self._lifetime(tokens) / 2)
        return tokens.is_valid(now=self._clock(), margin=margin)

    def _usable(self, tokens: TokenSet) -> bool:
        margin = min(self._mandatory, self._lifetime(tokens) / 4)
        return tokens.is_valid(now=self._clock(), margin=margin)

    async def _renew(self, key: str, scope: str | None) -> TokenSet:
        old = self._cache.get(key)
        try:
            tokens = await self._obtain(key, scope)
        except CognitoError as exc:
            if old is not None and self._usable(old):
                _log.warning(
                    "M2M token renewal failed (%s); the current token is still used", type(exc).__name__
                )
                return old
            raise
        self._cache[key] = tokens
        return tokens

    async def _fetch(self, scope: str | None) -> TokenSet:
        return await self._client.client_credentials(scope)

    async def _obtain(self, key: str, scope: str | None) -> TokenSet:
        store = self._store
        if store is None:
            return await self._fetch(scope)
        store_key = StoreKey(self._store_pool, self._client.client_id, key)
        try:
            found = await self._stored(store, store_key)
            if found is not None:
                return found
            async with store.refresh_lock(store_key):
                found = await self._stored(store, store_key)
                if found is not None:
                    return found
                tokens = await self._fetch(scope)
                try:
                    await store.put(store_key, SessionRecord(tokens=tokens))
                except TokenStoreError as exc:
                    _log.warning("M2M token not stored: %s", type(exc).__name__)
                return tokens
        except TokenStoreError as exc:
            _log.warning("M2M token store failed (%s); fetching the token directly", type(exc).__name__)
            return await self._fetch(scope)

    async def _stored(self, store: TokenStore, key: StoreKey) -> TokenSet | None:
        record = await store.get(key)
        tokens = record.tokens if record is not None else None
        return tokens if tokens is not None and self._fresh(tokens) else None
