"""A user's script, checked by `mypy --strict` and pyright's strict mode, with no `Any` but raw replies
(tests/unit/test_readme_types.py): steps, tokens, the verifier, FastAPI and OAuth, typed the way the
README uses them. Never run."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI

import aiocognito
from aiocognito.fastapi import (
    VERIFIER_STATE,
    Claims,
    CurrentUser,
    OptionalClaims,
    cognito_state,
    lifespan,
    require_scopes,
)

app = FastAPI(lifespan=lifespan("us-east-1_AbC123", ["client-id"]))
READ = require_scopes("orders/read")


@app.get("/orders")
async def orders(claims: Annotated[aiocognito.TokenClaims, Depends(READ)]) -> dict[str, object]:
    return {"machine": claims.is_machine, "client": claims.client_id, "scopes": list(claims.scopes)}


@app.get("/me")
async def me(user: CurrentUser, claims: Claims) -> dict[str, str]:
    return {"username": user.username, "sub": claims.sub}


@app.get("/hello")
async def hello(claims: OptionalClaims) -> str:
    return "hello" if claims is None else f"hello {claims.username}"


async def sign_in(pool: aiocognito.UserPool) -> str:
    step = await pool.sign_in("alice", "Passw0rd!")
    while step.name != aiocognito.StepName.DONE:
        step = await step.respond(input(f"{step.name}: "))
    user: aiocognito.User = step.signed_in_user
    tokens: aiocognito.TokenSet = await user.tokens()
    return tokens.access_token


async def check(token: str) -> str:
    async with aiocognito.TokenVerifier("us-east-1_AbC123", ["client-id"]) as verifier:
        try:
            claims = await verifier.verify(token, token_use="access")
        except aiocognito.InvalidTokenError as error:
            return f"{error.reason}: {error.message}"
    return claims.username


async def machine(domain: str, secret: str) -> str:
    async with aiocognito.OAuthClient(domain, "m2m-client", client_secret=secret) as oauth:
        try:
            tokens = await oauth.client_credentials(["orders/read"])
        except aiocognito.OAuthError as error:
            return error.message
        return tokens.access_token


def code_of(error: aiocognito.ServiceError) -> str:
    code: object = error.response["Error"]["Code"]
    return f"{code} {error.message} {error.request_id}"


@asynccontextmanager
async def own_lifespan(app: FastAPI) -> AsyncGenerator[dict[str, object], None]:
    async with cognito_state("us-east-1_AbC123", "client-id") as state:
        print(state[VERIFIER_STATE].jwks_url)  # the TokenVerifier itself, typed
        yield {**state, "started": True}


other_app = FastAPI(lifespan=own_lifespan)


async def usernames(pool: aiocognito.UserPool) -> list[str]:
    reply = await pool.call("ListUsers", {"UserPoolId": pool.pool_id, "Limit": 10})  # a raw reply
    return [str(entry["Username"]) for entry in reply["Users"]]


async def email_of(domain: str, access_token: str) -> str:
    async with aiocognito.OAuthClient(domain, "web-client") as oauth:
        reply = await oauth.user_info(access_token)  # a raw reply
        return str(reply["email"])
