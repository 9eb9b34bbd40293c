"""The IO edge of OAuth 2.0: one app client on a user pool domain's endpoints (token, revoke, userInfo)."""

from __future__ import annotations

import base64
import hmac
import random
import secrets
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Literal

import aiohttp

from ..core.tokens import TokenSet
from ..wire.endpoints import endpoint_url, region_from_pool_id
from ..wire.transport import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_REPLY_BYTES,
    USER_AGENT,
    RetryPolicy,
    Timeouts,
    Transport,
)
from ..wire.urls import is_loopback
from .authorize import AuthorizationRequest, authorize_url, check_state, scope_text
from .errors import InvalidRequestError, NonceMismatchError, oauth_error
from .pkce import new_code_verifier
from .replies import parse_reply, parse_token_reply

__all__ = ["OAuthClient"]

_TIMEOUTS = Timeouts()
_RETRY = RetryPolicy()


def _checked_base(url: str, *, allow_http: bool) -> str:
    # As wire.urls.checked_url, and a domain URL has no query or fragment; kept without its slash.
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError("domain_url must be an http(s) URL")
    if parsed.query or parsed.fragment:
        raise ValueError("domain_url must not have a query or fragment")
    if parsed.scheme == "http" and not allow_http and not is_loopback(parsed.hostname):
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
            scope = scope_text(scopes)
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
        scope = scope_text(scopes)
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
        check_state(state, expected)
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
        check_state(params.get("state"), expected)
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
            parse=parse_reply,
        )
