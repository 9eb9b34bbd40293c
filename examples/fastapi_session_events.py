"""A FastAPI app whose session cookie follows the Cognito session, through the pool's auth events.

The browser holds an opaque session id; the tokens stay in the pool's token store. Auth events keep the
two in step: a refresh moves the cookie's expiry to the new tokens', and a sign-out (here, by Cognito
refusing a revoked refresh token, or found gone from a shared store) ends the server-side session, so the
next request gets a 401 and the cookie is cleared.

Run it against the local pool::

    aiocognito serve-local --port 9229 &   # or any Cognito pool
    COGNITO_POOL_ID=... COGNITO_CLIENT_ID=... uvicorn --factory examples.fastapi_session_events:create_app
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import Cookie, FastAPI, HTTPException, Response
from pydantic import BaseModel

import aiocognito
from aiocognito.events import AuthEvent, AuthEventKind

COOKIE = "sid"


@dataclass
class WebSession:
    username: str
    expires_at: float


class SessionTable:
    """Server-side sessions by id, kept in step with the pool's auth events."""

    def __init__(self) -> None:
        self.by_id: dict[str, WebSession] = {}

    def open(self, username: str, expires_at: float) -> str:
        sid = secrets.token_urlsafe(32)
        self.by_id[sid] = WebSession(username, expires_at)
        return sid

    def on_event(self, event: AuthEvent) -> None:
        if event.kind is AuthEventKind.TOKENS_REFRESHED and event.tokens is not None:
            for web in self.by_id.values():
                if web.username == event.username:
                    web.expires_at = event.tokens.expires_at
        elif event.kind is AuthEventKind.SIGNED_OUT:
            self.by_id = {sid: web for sid, web in self.by_id.items() if web.username != event.username}


class Credentials(BaseModel):
    username: str
    password: str


def _set_cookie(response: Response, sid: str, expires_at: float) -> None:
    max_age = max(0, int(expires_at - time.time()))
    response.set_cookie(COOKIE, sid, max_age=max_age, httponly=True, samesite="lax")


def create_app(pool: aiocognito.UserPool | None = None) -> FastAPI:
    """The app, with a pool lent to it, or one of its own from ``$COGNITO_POOL_ID`` /
    ``$COGNITO_CLIENT_ID`` (``uvicorn --factory examples.fastapi_session_events:create_app``)."""
    table = SessionTable()
    held: dict[str, aiocognito.UserPool] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if pool is not None:
            yield
            return
        async with aiocognito.UserPool(os.environ["COGNITO_POOL_ID"], os.environ["COGNITO_CLIENT_ID"]) as own:
            own.events.subscribe(table.on_event)
            held["pool"] = own
            yield

    if pool is not None:
        pool.events.subscribe(table.on_event)
        held["pool"] = pool
    api = FastAPI(lifespan=lifespan)
    api.state.sessions = table

    @api.post("/login")
    async def login(response: Response, credentials: Credentials) -> dict[str, str]:
        try:
            step = await held["pool"].sign_in(credentials.username, credentials.password)
        except aiocognito.NotAuthorizedError:
            raise HTTPException(401, "wrong username or password") from None
        if step.user is None:
            raise HTTPException(409, f"sign-in needs {step.name.value}")
        tokens = step.user.current_tokens
        _set_cookie(response, table.open(step.user.username, tokens.expires_at), tokens.expires_at)
        return {"username": step.user.username}

    async def _user(sid: str | None) -> tuple[str, aiocognito.User]:
        web = table.by_id.get(sid or "")
        user = await held["pool"].current_user(web.username) if web is not None else None
        if sid is None or user is None:
            raise HTTPException(401, "not signed in")
        return sid, user

    @api.get("/me")
    async def me(response: Response, sid: str | None = Cookie(default=None)) -> dict[str, str]:
        sid, user = await _user(sid)
        try:
            await user.tokens()  # refreshed when due: the event moves the session's expiry
        except aiocognito.SignedOutError:
            response.delete_cookie(COOKIE)
            raise HTTPException(401, "signed out") from None
        web = table.by_id.get(sid)
        if web is None:  # signed out while this request ran
            raise HTTPException(401, "signed out")
        _set_cookie(response, sid, web.expires_at)
        return {"username": user.username}

    @api.post("/logout")
    async def logout(response: Response, sid: str | None = Cookie(default=None)) -> dict[str, str]:
        sid, user = await _user(sid)
        await user.sign_out()  # the SIGNED_OUT event ends the web session
        response.delete_cookie(COOKIE)
        return {"signed_out": user.username}

    return api
