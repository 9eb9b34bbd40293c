"""Sign people in through Cognito managed login: the OAuth 2.0 code flow with PKCE, in a FastAPI app.

Routes: ``/login`` sends the browser to the user pool domain's ``/oauth2/authorize``; ``/callback`` checks
``state``, redeems the code with the PKCE verifier and opens a session; ``/logout`` revokes the refresh
token and ends the managed login session too; ``/`` shows who is signed in.

Run it (the app client needs the code flow, ``CallbackURLs`` = ``$APP_URL/callback`` and ``LogoutURLs`` =
``$APP_URL/``)::

    COGNITO_DOMAIN_URL=https://myapp.auth.eu-west-1.amazoncognito.com COGNITO_CLIENT_ID=... \\
    COGNITO_CLIENT_SECRET=... APP_URL=http://localhost:8000 uvicorn examples.fastapi_oauth_app:app

The pending sign-ins (each holds a PKCE verifier) and the sessions live in this process, keyed by
unguessable random ids in ``HttpOnly`` cookies: nothing secret reaches the browser. With several workers,
keep them in a shared store (Redis) instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from aiocognito import AuthorizationRequest, OAuthClient, OAuthError, StateMismatchError, TokenSet

__all__ = ["Settings", "create_app"]

_LOGIN_COOKIE = "login_id"
_SESSION_COOKIE = "session_id"
_V = TypeVar("_V")


@dataclass(frozen=True)
class Settings:
    """Where the user pool domain and this app are."""

    domain_url: str
    client_id: str
    app_url: str
    client_secret: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    login_timeout: float = 600.0  # seconds a sign-in may take on the managed login pages
    session_lifetime: float = 8 * 3600.0

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            domain_url=os.environ["COGNITO_DOMAIN_URL"],
            client_id=os.environ["COGNITO_CLIENT_ID"],
            client_secret=os.environ.get("COGNITO_CLIENT_SECRET") or None,
            app_url=os.environ.get("APP_URL", "http://localhost:8000").rstrip("/"),
        )


class _Expiring(Generic[_V]):
    """A bounded dict whose entries expire: the oldest go first when it is full."""

    def __init__(self, lifetime: float, max_items: int = 10_000) -> None:
        self._lifetime = lifetime
        self._max = max_items
        self._items: OrderedDict[str, tuple[float, _V]] = OrderedDict()

    def put(self, value: _V) -> str:
        key = secrets.token_urlsafe(32)
        now = time.monotonic()
        while self._items and (len(self._items) >= self._max or next(iter(self._items.values()))[0] <= now):
            self._items.popitem(last=False)
        self._items[key] = (now + self._lifetime, value)
        return key

    def get(self, key: str | None) -> _V | None:
        entry = self._items.get(key) if key else None
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def pop(self, key: str | None) -> _V | None:
        entry = self._items.pop(key, None) if key else None
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The example app (settings from the environment when not given)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        config = settings or Settings.from_env()
        async with OAuthClient(
            config.domain_url,
            config.client_id,
            client_secret=config.client_secret,
            redirect_uri=f"{config.app_url}/callback",
        ) as oauth:
            app.state.config = config
            app.state.oauth = oauth
            app.state.pending = _Expiring[AuthorizationRequest](config.login_timeout)
            app.state.sessions = _Expiring[TokenSet](config.session_lifetime)
            yield

    app = FastAPI(lifespan=lifespan)

    def secure(request: Request) -> bool:
        return str(request.app.state.config.app_url).startswith("https:")

    @app.get("/")
    async def home(request: Request) -> dict[str, Any]:
        tokens = request.app.state.sessions.get(request.cookies.get(_SESSION_COOKIE))
        if tokens is None:
            return {"signed_in": False, "login": "/login"}
        return {
            "signed_in": True,
            "username": tokens.username,
            "email": tokens.id_claims.get("email"),
            "logout": "/logout",
        }

    @app.get("/login")
    async def login(request: Request) -> Response:
        oauth: OAuthClient = request.app.state.oauth
        pending = oauth.authorize_url(scopes=request.app.state.config.scopes)
        response = RedirectResponse(pending.url, status_code=303)
        response.set_cookie(
            _LOGIN_COOKIE,
            request.app.state.pending.put(pending),
            max_age=int(request.app.state.config.login_timeout),
            httponly=True,
            samesite="lax",  # the redirect back from the domain is a top-level GET: Lax sends it
            secure=secure(request),
        )
        return response

    @app.get("/callback")
    async def callback(request: Request) -> Response:
        # Popped: a pending sign-in is used once, whatever the outcome.
        pending: AuthorizationRequest | None = request.app.state.pending.pop(
            request.cookies.get(_LOGIN_COOKIE)
        )
        if pending is None:
            return _refuse("no_pending_login", "no sign-in in progress here (or it took too long)")
        try:
            tokens = await request.app.state.oauth.finish_authorization(
                dict(request.query_params), expected=pending
            )
        except StateMismatchError:
            return _refuse("state_mismatch", "this callback does not belong to the sign-in started here")
        except OAuthError as error:
            return _refuse(error.error, "the sign-in failed")
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(_LOGIN_COOKIE)
        response.set_cookie(
            _SESSION_COOKIE,
            request.app.state.sessions.put(tokens),
            httponly=True,
            samesite="lax",
            secure=secure(request),
        )
        return response

    @app.get("/logout")
    async def logout(request: Request) -> Response:
        oauth: OAuthClient = request.app.state.oauth
        tokens = request.app.state.sessions.pop(request.cookies.get(_SESSION_COOKIE))
        if tokens is not None and tokens.refresh_token:
            with contextlib.suppress(OAuthError):  # signing out goes on even if revocation fails
                await oauth.revoke(tokens.refresh_token)
        response = RedirectResponse(oauth.logout_url(f"{request.app.state.config.app_url}/"), status_code=303)
        response.delete_cookie(_SESSION_COOKIE)
        return response

    return app


def _refuse(error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=400)


app = create_app()
