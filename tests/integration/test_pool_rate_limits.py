"""``UserPool(rate_limits=...)``: requests wait for their quota category's limiter, measured at the server.

The local user pool sits behind the fault proxy, which records when each request arrived (on the same
monotonic clock as the limiter). Bounds that hold on a loaded machine: the grants, in any window, are at
most ``rate x window + capacity``, and the k-th request reaches the server no earlier than the k-th grant
(so the server never sees more than the limiter granted by then); how close a run comes to the rate is a
benchmark figure, not a test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fault_proxy import FaultProxy
from servers import RedisServer

import aiocognito
from aiocognito.bulk import TokenBucket
from aiocognito.testing import LocalUserPool

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!-limits"


class Recording:
    """A limiter that says what was asked of it, granting through a real token bucket."""

    def __init__(self, bucket: TokenBucket) -> None:
        self.bucket = bucket
        self.acquired = self.slowed = self.recovered = 0
        self.granted: list[float] = []

    async def acquire(self) -> None:
        self.acquired += 1
        # The slot the bucket grants (a busy loop may wake the sleeper later, never earlier).
        wait = self.bucket.reserve()
        self.granted.append(time.monotonic() + wait)
        if wait > 0:
            await asyncio.sleep(wait)

    def slow_down(self) -> None:
        self.slowed += 1
        self.bucket.slow_down()

    def recover(self) -> None:
        self.recovered += 1
        self.bucket.recover()


def never_ahead_of_the_grants(arrivals: list[float], grants: list[float]) -> bool:
    """Whether by any time the server had seen no more requests than the limiter had granted."""
    return len(arrivals) <= len(grants) and all(
        a >= g - 1e-6 for a, g in zip(sorted(arrivals), sorted(grants), strict=False)
    )


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] > window:
            start += 1
        most = max(most, end - start + 1)
    return most


async def _pool_and_users(local: LocalUserPool, users: int) -> tuple[str, str]:
    pool_id = await local.create_pool()
    client = await local.create_client(pool_id)
    for index in range(users):
        await local.create_user(pool_id, f"user-{index:03d}", PASSWORD)
    return pool_id, client.client_id


@pytest.fixture
async def served() -> AsyncIterator[tuple[LocalUserPool, FaultProxy]]:
    async with LocalUserPool() as local, FaultProxy(local.endpoint_url) as proxy:
        yield local, proxy


async def test_sign_ins_wait_for_their_category(served: tuple[LocalUserPool, FaultProxy]) -> None:
    local, proxy = served
    pool_id, client_id = await _pool_and_users(local, 24)
    rate = 20.0
    limiter = Recording(TokenBucket(rate))
    async with aiocognito.UserPool(
        pool_id, client_id, endpoint_url=proxy.endpoint_url, rate_limits={"UserAuthentication": limiter}
    ) as pool:
        steps = await asyncio.gather(*(pool.sign_in(f"user-{i:03d}", PASSWORD) for i in range(24)))
    assert all(step.name == "DONE" for step in steps)
    initiate = [e.arrived_at for e in proxy.exchanges if e.operation == "InitiateAuth"]
    assert len(initiate) == 24
    # RespondToAuthChallenge has a quota of its own: only InitiateAuth waited.
    assert limiter.acquired == 24 and limiter.recovered == 24 and limiter.slowed == 0
    for window in (0.25, 0.5, 1.0):
        assert most_in_any_window(limiter.granted, window) <= rate * window + 1 + 1e-6
    assert never_ahead_of_the_grants(initiate, limiter.granted)


async def test_throttling_slows_the_category_down_and_retries_wait_too(
    served: tuple[LocalUserPool, FaultProxy],
) -> None:
    local, proxy = served
    pool_id, client_id = await _pool_and_users(local, 1)
    limiter = Recording(TokenBucket(50.0))
    user_read = Recording(TokenBucket(50.0))
    retry = aiocognito.RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)
    async with aiocognito.UserPool(
        pool_id,
        client_id,
        endpoint_url=proxy.endpoint_url,
        retry=retry,
        rate_limits={"UserAuthentication": limiter, "UserRead": user_read},
    ) as pool:
        proxy.inject("InitiateAuth", "throttle", "throttle")
        step = await pool.sign_in("user-000", PASSWORD)
        assert step.user is not None
        await step.user.get_user_data()
    assert limiter.acquired == 3 and limiter.slowed == 2 and limiter.recovered == 1
    assert limiter.bucket.rate < limiter.bucket.max_rate
    assert (user_read.acquired, user_read.slowed, user_read.recovered) == (1, 0, 1)
    assert len(proxy.forwarded("InitiateAuth")) == 1


def test_rate_limits_are_checked_where_they_enter() -> None:
    with pytest.raises(ValueError, match="neither a quota category"):
        aiocognito.UserPool("us-east-1_abc", "c", rate_limits={"Sign-ins": TokenBucket(1.0)})
    with pytest.raises(TypeError, match="not a RateLimiter"):
        aiocognito.UserPool("us-east-1_abc", "c", rate_limits={"UserRead": 5.0})  # type: ignore[dict-item]
    # An operation of its own is a valid key (RespondToAuthChallenge's separate quota).
    aiocognito.UserPool("us-east-1_abc", "c", rate_limits={"RespondToAuthChallenge": TokenBucket(1.0)})


async def test_two_pools_share_one_redis_limiter(
    served: tuple[LocalUserPool, FaultProxy], redis_server: RedisServer
) -> None:
    local, proxy = served
    pool_id, client_id = await _pool_and_users(local, 30)
    rate = 15.0
    limiters: list[Any] = [
        aiocognito.RedisRateLimiter(redis_server.url, "pool-limits-test", rate) for _ in range(2)
    ]
    pools = [
        aiocognito.UserPool(
            pool_id, client_id, endpoint_url=proxy.endpoint_url, rate_limits={"UserAuthentication": limiter}
        )
        for limiter in limiters
    ]
    try:
        steps = await asyncio.gather(*(pools[i % 2].sign_in(f"user-{i:03d}", PASSWORD) for i in range(30)))
    finally:
        for pool in pools:
            await pool.aclose()
        for limiter in limiters:
            await limiter.aclose()
    assert all(step.name == "DONE" for step in steps)
    initiate = [e.arrived_at for e in proxy.exchanges if e.operation == "InitiateAuth"]
    assert len(initiate) == 30
    # Grants are made on Redis's clock; arrivals here may bunch by the requests' transit: 0.5 s of it is
    # allowed (without the limiter all 30 arrive within a few tens of milliseconds).
    assert most_in_any_window(initiate, 1.0) <= rate * (1.0 + 0.5) + 1
