"""A fleet of FastAPI servers that keeps, all together, to the account's Cognito quotas, through Redis.

Cognito meters requests per quota *category* (``UserAuthentication``, ``UserAccountRecovery``...), per AWS
account and region, whatever the server or the user pool. Run this app on as many machines and workers as
you like: every copy builds one :class:`aiocognito.RedisRateLimiter` per category on the same Redis and
names, and gives them to its :class:`aiocognito.UserPool` as ``rate_limits``, so each request waits for the
fleet's next slot in its category before it is sent. A throttled request (``TooManyRequestsException``)
slows every copy down for a while. When the next slot is further away than a web request should wait, the
route answers 503 with ``Retry-After`` instead of queueing.

Run it (Redis URL in the environment, never on the command line)::

    REDIS_URL=redis://:PASSWORD@redis.internal:6379/0 COGNITO_POOL_ID=us-east-1_AbC123 \\
        COGNITO_CLIENT_ID=client-id FLEET_WORKERS=8 \\
        uvicorn --factory examples.fastapi_fleet:create_app --workers 4
"""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

import aiocognito
from aiocognito.limits import QUOTA_CATEGORIES, RateLimiterError, RateLimitTimeoutError, RedisRateLimiter

#: The share of each category's default quota this app's fleet may use: the rest is left for the
#: account's other apps (and for retries). Raise ``rate`` where AWS has raised your quota.
SHARES = {"UserAuthentication": 0.8, "UserAccountRecovery": 0.5, "UserRead": 0.5}
#: The longest a web request waits for its slot before the route answers 503.
MAX_WAIT = 2.0


class Credentials(BaseModel):
    username: str
    password: str


class Username(BaseModel):
    username: str


def _limiters(redis: Any, region: str, workers: int) -> dict[str, RedisRateLimiter]:
    """One shared limiter per category, named for the account's region: every app of the account that
    uses these names (and this Redis) shares the quota, as Cognito counts it."""
    limiters = {}
    for category, share in SHARES.items():
        rate = QUOTA_CATEGORIES[category].default_rps * share
        limiters[category] = RedisRateLimiter(
            redis,  # one client for all, so one connection pool
            f"cognito:{region}:{category}",
            rate,
            capacity=max(1.0, rate / 10),  # a tenth of a second of burst
            fallback_rate=rate / workers,  # each worker's share while Redis does not answer
            max_wait=MAX_WAIT,
        )
    return limiters


def create_app() -> FastAPI:
    """The app, configured by ``REDIS_URL``, ``COGNITO_POOL_ID``, ``COGNITO_CLIENT_ID``, ``FLEET_WORKERS``."""
    import redis.asyncio

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = redis.asyncio.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=1.0)
        pool_id = os.environ["COGNITO_POOL_ID"]
        region = pool_id.split("_", 1)[0]
        limiters = _limiters(client, region, int(os.environ.get("FLEET_WORKERS", "4")))
        pool = aiocognito.UserPool(pool_id, os.environ["COGNITO_CLIENT_ID"], rate_limits=limiters)
        try:
            async with pool:
                app.state.pool = pool
                yield
        finally:
            for limiter in limiters.values():
                await limiter.aclose()
            await client.aclose()

    app = FastAPI(lifespan=lifespan)

    def busy(error: RateLimiterError) -> HTTPException:
        """A request the fleet's quota cannot take now: 503, retry after the wait (or a second)."""
        wait = error.wait if isinstance(error, RateLimitTimeoutError) else 1.0
        headers = {"Retry-After": str(max(1, math.ceil(wait)))}
        return HTTPException(503, "Busy, try again shortly", headers=headers)

    @app.post("/sign-in")
    async def sign_in(body: Credentials, request: Request) -> dict[str, Any]:
        """An SRP sign-in: its requests wait for the fleet's UserAuthentication slots."""
        pool: aiocognito.UserPool = request.app.state.pool
        try:
            ip = request.client.host if request.client else None
            step = await pool.sign_in(body.username, body.password, user_context=ip)
        except RateLimiterError as error:
            raise busy(error) from None
        except aiocognito.NotAuthorizedError:
            raise HTTPException(401, "Incorrect username or password") from None
        if step.name != "DONE" or step.user is None:
            return {"next_step": step.name.value}
        return {"tokens": step.user.current_tokens.authentication_result()}

    @app.post("/forgot-password")
    async def forgot_password(body: Username, request: Request) -> dict[str, str]:
        """ForgotPassword waits for a UserAccountRecovery slot (30/s for the account, not adjustable)."""
        pool: aiocognito.UserPool = request.app.state.pool
        try:
            delivery = await pool.forgot_password(body.username)
        except RateLimiterError as error:
            raise busy(error) from None
        return {"sent_to": delivery.destination if delivery is not None else ""}

    return app
