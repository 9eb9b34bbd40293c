"""``UserPool.sign_in_many`` against the local user pool: real SRP, real HTTP, worker processes."""

from __future__ import annotations

import asyncio
import sys
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import aiocognito
from aiocognito.bulk import ChallengeRequiredError, SignInResult
from aiocognito.testing import LocalUserPool

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
_BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
async def server() -> AsyncIterator[tuple[LocalUserPool, str, str]]:
    async with LocalUserPool(shared_signing_key=True) as server:
        pool_id = await server.create_pool()
        client = await server.create_client(pool_id)
        for i in range(24):
            await server.create_user(pool_id, f"user{i}", PASSWORD)
        yield server, pool_id, client.client_id


class CountingCalls:
    """A caller that counts the calls in flight, sending them on through a real pool."""

    def __init__(self, pool: aiocognito.UserPool) -> None:
        self._call = pool.call
        self.in_flight = 0
        self.most = 0
        self.total = 0

    async def call(self, operation: str, params: Any, **kwargs: Any) -> dict[str, Any]:
        self.in_flight += 1
        self.total += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.002)  # long enough for the others to pile up, if they could
            return await self._call(operation, params, **kwargs)
        finally:
            self.in_flight -= 1


async def test_srp_sign_ins_in_worker_processes_mix_successes_and_failures(
    server: tuple[LocalUserPool, str, str],
) -> None:
    local, pool_id, client_id = server
    await local.call(
        "AdminCreateUser",
        {
            "UserPoolId": pool_id,
            "Username": "newbie",
            "TemporaryPassword": PASSWORD,
            "MessageAction": "SUPPRESS",
        },
    )
    users = [(f"user{i}", PASSWORD if i % 3 else "Wrong-passw0rd") for i in range(24)]
    users += [("nobody", PASSWORD), ("newbie", PASSWORD)]
    async with aiocognito.UserPool(pool_id, client_id, endpoint_url=local.endpoint_url) as wire:
        counting = CountingCalls(wire)
        pool = aiocognito.UserPool(pool_id, client_id, caller=counting)
        results = [r async for r in pool.sign_in_many(users, concurrency=5, rate=None, workers=2)]
    by_index = {r.index: r for r in results}
    assert sorted(by_index) == list(range(26))
    for i in range(24):
        result = by_index[i]
        assert result.username == f"user{i}"
        if i % 3:
            assert result.ok, result.error
            assert result.tokens is not None
            assert result.tokens.username == f"user{i}"
        else:
            assert isinstance(result.error, aiocognito.NotAuthorizedError)
    assert isinstance(by_index[24].error, aiocognito.UserNotFoundError | aiocognito.NotAuthorizedError)
    challenge = by_index[25].error
    assert isinstance(challenge, ChallengeRequiredError)
    assert challenge.step == "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED"
    assert 2 <= counting.most <= 5
    # InitiateAuth and RespondToAuthChallenge each, no retries; the unknown user stops at the first.
    assert counting.total == 2 * 25 + 1


async def test_inline_math_and_async_input_and_a_rate(server: tuple[LocalUserPool, str, str]) -> None:
    local, pool_id, client_id = server

    async def users() -> AsyncIterator[dict[str, str]]:
        for i in range(6):
            yield {"username": f"user{i}", "password": PASSWORD}

    async with aiocognito.UserPool(pool_id, client_id, endpoint_url=local.endpoint_url) as pool:
        loop = asyncio.get_running_loop()
        started = loop.time()
        results = [r async for r in pool.sign_in_many(users(), rate=20.0, workers=0, store_tokens=True)]
        elapsed = loop.time() - started
        assert await pool.current_user("user3") is not None  # store_tokens=True keeps them
    assert sorted(r.index for r in results if r.ok) == list(range(6))
    assert elapsed >= 5 / 20.0 * 0.9  # six starts at 20/s: at least 0.25 s


# --- memory stays flat -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool_process() -> Iterator[Any]:
    sys.path.insert(0, str(_BENCHMARKS))
    try:
        from _local_pool import LocalPoolProcess
    finally:
        sys.path.remove(str(_BENCHMARKS))
    with LocalPoolProcess(2600, password=PASSWORD) as process:
        yield process


async def _peak(pool: aiocognito.UserPool, first: int, count: int) -> int:
    """Peak traced memory above the start while ``count`` users sign in (USER_PASSWORD_AUTH)."""
    users = ((f"u{i}", PASSWORD) for i in range(first, first + count))
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    ok = 0
    result: SignInResult
    async for result in pool.sign_in_many(
        users, concurrency=32, rate=None, flow="USER_PASSWORD_AUTH", workers=0
    ):
        ok += result.ok
    assert ok == count
    return tracemalloc.get_traced_memory()[1] - base


async def test_memory_does_not_grow_with_the_number_of_users(pool_process: Any) -> None:
    """The server runs in another process: everything traced here is the client's."""
    async with aiocognito.UserPool(
        pool_process.pool_id, pool_process.client_id, endpoint_url=pool_process.endpoint_url
    ) as pool:
        tracemalloc.start()
        try:
            await _peak(pool, 0, 100)  # warm up: connections, caches
            small = await _peak(pool, 100, 500)
            large = await _peak(pool, 600, 2000)
        finally:
            tracemalloc.stop()
    # 4x the users: a growing list of results or tokens would show as ~4x the peak.
    print(f"peak {small} B for 500 users, {large} B for 2000")
    assert large < small * 1.5 + 200_000, (small, large)
