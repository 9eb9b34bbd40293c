"""The OAuth 2.0 endpoints of the user pool domains, as a :class:`~aiocognito.testing.LocalUserPool` serves
them (``server.oauth``): their routes, the discovery document and the sign-in test hook; the login pages
are in :mod:`.login` and the token endpoints in :mod:`.token`.
"""

from __future__ import annotations

import collections
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..context import Context
from ..state import Pool
from .codes import CodeBook
from .domains import pool_of_domain
from .login import ManagedLogin
from .pages import PageError, Redirected, error_page
from .token import TokenEndpoint

__all__ = ["OAuthEndpoints"]


class OAuthEndpoints:
    """The domain endpoints of a :class:`~aiocognito.testing.LocalUserPool` (``server.oauth``)."""

    def __init__(
        self, ctx: Context, base_url: Callable[[], str], save: Callable[[], Awaitable[None]]
    ) -> None:
        self._ctx = ctx
        self._base_url = base_url
        codes = CodeBook()
        self._login = ManagedLogin(ctx, codes, self.domain_url, save)
        self._token = TokenEndpoint(ctx, codes, save)

    @property
    def token_requests(self) -> collections.Counter[str]:
        """Token requests answered (successfully or not), by ``grant_type`` (Cognito bills M2M requests)."""
        return self._token.token_requests

    def domain_url(self, domain: str) -> str:
        """``http://HOST:PORT/oauth/<domain>``: the base URL of a pool's domain (prefix or pool id)."""
        return f"{self._base_url()}/oauth/{urllib.parse.quote(domain, safe='')}"

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Serve the endpoints under ``/oauth/{domain}`` of ``router``."""
        prefix = "/oauth/{domain}"
        router.add_get(prefix + "/oauth2/authorize", self._login.authorize)
        router.add_get(prefix + "/login", self._login.login_form)
        router.add_post(prefix + "/login", self._login.login)
        router.add_post(prefix + "/oauth2/token", self._token.token)
        router.add_post(prefix + "/oauth2/revoke", self._token.revoke)
        router.add_get(prefix + "/oauth2/userInfo", self._token.user_info)
        router.add_post(prefix + "/oauth2/userInfo", self._token.user_info)
        router.add_get(prefix + "/logout", self._login.logout)
        router.add_get(prefix + "/.well-known/openid-configuration", self._discovery)

    def discovery_document(self, pool: Pool) -> dict[str, Any]:
        """The pool's OpenID Connect discovery document, with its domain's endpoints."""
        base = self.domain_url(pool.domain or pool.id)
        return {
            "issuer": pool.issuer,
            "authorization_endpoint": f"{base}/oauth2/authorize",
            "token_endpoint": f"{base}/oauth2/token",
            "userinfo_endpoint": f"{base}/oauth2/userInfo",
            "revocation_endpoint": f"{base}/oauth2/revoke",
            "end_session_endpoint": f"{base}/logout",
            "jwks_uri": f"{self._base_url()}/{pool.id}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
            "scopes_supported": sorted({"openid", "email", "phone", "profile"}),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }

    def sign_in(self, authorize_url: str, username: str) -> str:
        """Sign ``username`` in for an ``/oauth2/authorize`` URL without a password; the callback URL.

        The URL is checked as the endpoint checks it: an error that can go back to the app gives a
        callback URL with ``error=``.

        Raises:
            ValueError: the URL is not one of this server's authorize URLs, its client or redirect URI is
                wrong (the endpoint would show an error page), or the user does not exist.
        """
        parts = urllib.parse.urlsplit(authorize_url)
        marker = "/oauth/"
        if marker not in parts.path or not parts.path.endswith("/oauth2/authorize"):
            raise ValueError("not an /oauth/<domain>/oauth2/authorize URL")
        domain = urllib.parse.unquote(parts.path.split(marker, 1)[1].split("/", 1)[0])
        query = dict(urllib.parse.parse_qsl(parts.query))
        try:
            pool = pool_of_domain(self._ctx.store, domain)
            request = self._login.check_authorization(pool, query)
        except PageError as error:
            raise ValueError(f"{error.error}: {error.description}") from None
        except Redirected as redirected:
            return str(redirected.response.headers["Location"])
        user = pool.find_user(username)
        if user is None:
            raise ValueError("no such user")
        return str(self._login.issue_code(request, user).headers["Location"])

    async def _discovery(self, request: web.Request) -> web.Response:
        try:
            pool = pool_of_domain(self._ctx.store, request.match_info["domain"])
        except PageError as error:
            return error_page(error)
        return web.json_response(self.discovery_document(pool))
