"""A user's script, checked by `mypy --strict` (tests/unit/test_readme_types.py): steps, tokens, the
verifier, FastAPI and OAuth, typed the way the README uses them. Never run."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI

import aiocognito
from aiocognito.fastapi import Claims, CurrentUser, OptionalClaims, lifespan, require_scopes

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
