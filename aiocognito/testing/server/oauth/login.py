"""The managed login of a user pool domain: ``/oauth2/authorize`` checks the request and sends the browser
to ``/login`` (the pages of :mod:`.login_form`: password, MFA, new password), which redirects to the app's
callback with a code; ``/logout`` ends the session. There is no federation.
"""

from __future__ import annotations

import secrets
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from ..context import Context
from ..state import Pool, User
from .codes import Authorization, CodeBook
from .config import flows_of, scopes_of
from .domains import pool_of_domain
from .login_form import LoginForm
from .pages import PageError, Redirected, error_page, redirect

__all__ = ["SESSION_VALIDITY", "ManagedLogin"]

#: Seconds a managed login session (the ``cognito`` cookie) lasts (Cognito: one hour).
SESSION_VALIDITY = 3600
_COOKIE = "cognito"


class ManagedLogin:
    """The managed login pages of the user pool domains: ``/oauth2/authorize``, ``/login``, ``/logout``.

    A sign-in at ``/login`` sets the ``cognito`` session cookie, so a later ``/oauth2/authorize`` of the
    same pool signs in without the form; ``/logout`` ends it.
    """

    def __init__(
        self,
        ctx: Context,
        codes: CodeBook,
        domain_url: Callable[[str], str],
        save: Callable[[], Awaitable[None]],
    ) -> None:
        self._ctx = ctx
        self._codes = codes
        self._domain_url = domain_url
        self._sessions: dict[str, tuple[str, str, float]] = {}  # id -> (pool id, username, expires_at)
        self._form = LoginForm(ctx, self, domain_url, save)

    def check_authorization(self, pool: Pool, query: dict[str, str]) -> Authorization:
        """The checked authorize request ``query`` for ``pool``.

        Raises:
            PageError: an unknown client, or a redirect URI that is not one of its callbacks.
            Redirected: any other refusal, sent back to the app with ``error=``.
        """
        client = pool.clients.get(query.get("client_id", ""))
        if client is None:
            raise PageError("invalid_request", "Invalid client_id")
        redirect_uri = query.get("redirect_uri") or client.config.get("DefaultRedirectURI") or ""
        if redirect_uri not in client.config.get("CallbackURLs", []):
            raise PageError("redirect_mismatch", "redirect_uri is not one of the app client's CallbackURLs")
        state = query.get("state")

        def refuse(error: str, description: str) -> Redirected:
            return Redirected(
                redirect(redirect_uri, {"error": error, "error_description": description, "state": state})
            )

        if "code" not in flows_of(client):
            raise refuse("unauthorized_client", "the app client may not use the code flow")
        if query.get("response_type") != "code":
            raise refuse("unsupported_response_type", "response_type must be code")
        allowed = scopes_of(client)
        requested = query.get("scope", "").split() or allowed
        if not set(requested) <= set(allowed):
            raise refuse("invalid_scope", "a requested scope is not allowed for the app client")
        challenge = query.get("code_challenge")
        method = query.get("code_challenge_method")
        if (challenge is None) != (method is None) or (method is not None and method != "S256"):
            raise refuse("invalid_request", "PKCE needs code_challenge with code_challenge_method=S256")
        provider = query.get("identity_provider")
        if provider not in (None, "COGNITO"):
            raise refuse("invalid_request", "only the COGNITO identity provider is served locally")
        return Authorization(
            pool, client, redirect_uri, state, " ".join(requested), query.get("nonce"), challenge, query
        )

    def issue_code(
        self, request: Authorization, user: User, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        """The redirect to the app's callback with a new code for ``user`` (and the request's state)."""
        now = self._ctx.now()
        self._prune(now)
        code = self._codes.issue(request, user, now)
        return redirect(request.redirect_uri, {"code": code, "state": request.state}, headers=headers)

    def _prune(self, now: float) -> None:
        # Bounded memory: codes and sessions nobody will use again.
        self._codes.prune(now)
        for sid in [s for s, v in self._sessions.items() if v[2] <= now]:
            del self._sessions[sid]

    def _session_user(self, request: web.Request, pool: Pool) -> User | None:
        session = self._sessions.get(request.cookies.get(_COOKIE, ""))
        if session is None or session[0] != pool.id or session[2] <= self._ctx.now():
            return None
        user = pool.users.get(session[1])
        return user if user is not None and user.enabled else None

    async def authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        try:
            pool = pool_of_domain(self._ctx.store, request.match_info["domain"])
            checked = self.check_authorization(pool, query)
        except PageError as error:
            return error_page(error)
        except Redirected as redirected:
            return redirected.response
        user = self._session_user(request, pool)
        if user is not None and query.get("prompt") != "login":
            return self.issue_code(checked, user)
        login = f"{self._domain_url(request.match_info['domain'])}/login"
        return redirect(login, query)

    def signed_in(self, request: web.Request, authorization: Authorization, user: User) -> web.Response:
        """After a sign-in on the login pages: the ``cognito`` session cookie, and the redirect to the app
        with a code."""
        now = self._ctx.now()
        sid = secrets.token_urlsafe(32)
        self._sessions[sid] = (authorization.pool.id, user.username, now + SESSION_VALIDITY)
        path = urllib.parse.urlsplit(self._domain_url(request.match_info["domain"])).path
        cookie = f"{_COOKIE}={sid}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={SESSION_VALIDITY}"
        return self.issue_code(authorization, user, headers={"Set-Cookie": cookie})

    async def login_form(self, request: web.Request) -> web.Response:
        """GET /login: the password page of a new sign-in."""
        return await self._form.show(request)

    async def login(self, request: web.Request) -> web.Response:
        """POST /login: the answer to a login page."""
        return await self._form.submit(request)

    async def logout(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        try:
            pool = pool_of_domain(self._ctx.store, request.match_info["domain"])
            client = pool.clients.get(query.get("client_id", ""))
            if client is None:
                raise PageError("invalid_request", "Invalid client_id")
            logout_uri = query.get("logout_uri")
            if logout_uri is None:
                checked = self.check_authorization(pool, query)
            elif logout_uri not in client.config.get("LogoutURLs", []):
                raise PageError("invalid_request", "logout_uri is not one of the app client's LogoutURLs")
        except PageError as error:
            return error_page(error)
        except Redirected as redirected:
            return redirected.response
        self._sessions.pop(request.cookies.get(_COOKIE, ""), None)
        path = urllib.parse.urlsplit(self._domain_url(request.match_info["domain"])).path
        clear = {"Set-Cookie": f"{_COOKIE}=; Path={path}; HttpOnly; SameSite=Lax; Max-Age=0"}
        if logout_uri is not None:
            return redirect(logout_uri, {}, headers=clear)
        del checked  # checked above: sign in again
        login = f"{self._domain_url(request.match_info['domain'])}/login"
        return redirect(login, {k: v for k, v in query.items() if k != "logout_uri"}, headers=clear)
