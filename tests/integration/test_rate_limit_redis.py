"""RedisRateLimiter against a real redis-server on 127.0.0.1, started (and restarted, and stopped) here.

Several processes share one limiter; their clocks are offset (time.time, time.monotonic... patched in the
children); Redis restarts in the middle. The assertions are bounds that hold however loaded the machine
is: in any window of ``w`` seconds the slots granted (``Reservation.at``, on Redis's clock) number at most
``rate * w + capacity``, and no caller goes before its slot. How close the fleet gets to the rate is a
benchmark figure (benchmarks/bench_fleet.py), not a test.

redis-server comes from the Debian package ``redis-server``; the client from the ``redis`` package. Without
them these tests fail when ``CI`` is set, and are skipped with the reason otherwise.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from servers import RedisServer, free_port  # tests/ is on sys.path (see conftest.py)

from aiocognito import CognitoError
from aiocognito.limits import (
    KEY_PREFIX,
    RateLimiter,
    RateLimiterError,
    RateLimitTimeoutError,
    RedisRateLimiter,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "S3cret-Redis-Pa55"


def _missing(what: str) -> None:
    message = f"{what}; the Redis rate limiter tests need it"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{message} (CI is set, so this is an error: see .ci/run)", pytrace=False)
    pytest.skip(message)


def _binary() -> str:
    try:
        import redis  # noqa: F401
    except ImportError:
        _missing("the redis package is not installed (pip install 'aiocognito[redis]')")
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("redis-server is not on PATH (apt-get install redis-server)")
    assert binary is not None
    return binary


@pytest.fixture(scope="module")
def shared_redis() -> Iterator[RedisServer]:
    """One redis-server for the tests that do not stop it."""
    with tempfile.TemporaryDirectory() as workdir, RedisServer(_binary(), Path(workdir)) as server:
        yield server


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may stop and start again."""
    with tempfile.TemporaryDirectory() as workdir, RedisServer(_binary(), Path(workdir)) as server:
        yield server


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    return f"t-{request.node.name}-{os.urandom(4).hex()}"


@pytest.fixture
async def client(shared_redis: RedisServer) -> AsyncIterator[Any]:
    import redis.asyncio

    c = redis.asyncio.Redis.from_url(shared_redis.url)
    try:
        yield c
    finally:
        await c.aclose()


def assert_within_rate(ats: Sequence[float], rate: float, capacity: float) -> None:
    """In every window [a, a + w] starting at a slot, at most rate * w + capacity slots.

    Slot times are whole microseconds (the script's unit), so each may be 1 us off: the window is widened
    by 2 us. GCRA meets the bound exactly (the burst, then one slot per interval), so no more slack.
    """
    ats = sorted(ats)
    slack = 2e-6
    for w in (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, ats[-1] - ats[0]):
        end = 0
        for start in range(len(ats)):
            end = max(end, start)
            while end + 1 < len(ats) and ats[end + 1] <= ats[start] + w + slack:
                end += 1
            count = end - start + 1
            assert count <= rate * (w + slack) + capacity, (
                f"{count} slots in {w} s from {ats[start]:.6f}, over {rate} * {w} + {capacity}"
            )


# --- several processes, clocks offset -------------------------------------------------------------

_CHILD = r"""
import asyncio, json, sys, time
cfg = json.loads(sys.argv[1])
offset = cfg["offset"]
real = time.clock_gettime
if offset:
    # This process's clocks disagree with everybody's: the limiter must not depend on them.
    for fn in ("time", "monotonic", "perf_counter"):
        original = getattr(time, fn)
        setattr(time, fn, lambda original=original: original() + offset)
    for fn in ("time_ns", "monotonic_ns", "perf_counter_ns"):
        original = getattr(time, fn)
        setattr(time, fn, lambda original=original: original() + int(offset * 1e9))

from aiocognito.limits import RedisRateLimiter

async def worker(limiter, until, out):
    while real(time.CLOCK_REALTIME) < until:
        r = await limiter.reserve()
        await asyncio.sleep(r.wait)
        out.append([r.at, real(time.CLOCK_REALTIME), r.shared])

async def main():
    async with RedisRateLimiter(cfg["url"], cfg["name"], cfg["rate"], capacity=cfg["capacity"]) as limiter:
        print("ready", flush=True)
        start_at = float(sys.stdin.readline())  # the same moment for every process
        while real(time.CLOCK_REALTIME) < start_at:
            await asyncio.sleep(0.01)
        out, until = [], start_at + cfg["seconds"]
        await asyncio.gather(*(worker(limiter, until, out) for _ in range(cfg["tasks"])))
    print(json.dumps(out))

asyncio.run(main())
"""


def _run_children(url: str, name: str, offsets: Sequence[float], **cfg: Any) -> list[list[list[Any]]]:
    """Run one child per offset, start them at the same moment once all are ready, return their records."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, json.dumps({**cfg, "url": url, "name": name, "offset": offset})],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for offset in offsets
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline() == "ready\n", process.communicate(timeout=30)[1]
        start_at = time.clock_gettime(time.CLOCK_REALTIME) + 0.3
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(f"{start_at!r}\n")
            process.stdin.flush()
        results = []
        for process in processes:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            results.append(json.loads(out))
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=10)


@pytest.mark.parametrize(
    "offsets", [(0.0, 0.0, 0.0, 0.0), (-7200.0, 0.0, 3.25, 86400.0)], ids=["same-clocks", "offset-clocks"]
)
def test_processes_share_one_rate(shared_redis: RedisServer, name: str, offsets: tuple[float, ...]) -> None:
    rate, capacity = 25.0, 3.0
    results = _run_children(
        shared_redis.url, name, offsets, rate=rate, capacity=capacity, seconds=2.0, tasks=2
    )
    assert all(records for records in results), "every process acquired"
    records = [record for process in results for record in process]
    assert all(shared for _, _, shared in records)
    assert_within_rate([at for at, _, _ in records], rate, capacity)
    # Nobody went before its slot: each caller woke (real wall clock, as Redis's) at or after it.
    early = [(at, woke) for at, woke, _ in records if woke < at - 0.002]
    assert not early, f"{len(early)} acquisitions used before their slot: {early[:3]}"


# --- one process ----------------------------------------------------------------------------------


async def test_keys_are_namespaced_and_expire(shared_redis: RedisServer, client: Any) -> None:
    name = f"a b/c:{{x}}-{os.urandom(3).hex()}"
    async with RedisRateLimiter(shared_redis.url, name, 50, capacity=2) as limiter:
        assert isinstance(limiter, RateLimiter)
        assert limiter.key.startswith(KEY_PREFIX + "{a%20b%2Fc:%7Bx%7D-")
        assert limiter.key.endswith("}")
        for _ in range(3):
            await limiter.acquire()
        assert 0 < await client.pttl(limiter.key) <= 100
        limiter.slow_down()
        await asyncio.sleep(0.1)
        assert 0 < await client.pttl(limiter.key + ":slow") <= 10_000
        assert await client.exists(limiter.key + ":slow")
    await asyncio.sleep(0.15)
    assert not await client.exists(limiter.key), "an idle limiter leaves nothing behind"


async def test_max_wait_refuses_without_taking_a_slot(shared_redis: RedisServer, name: str) -> None:
    async with RedisRateLimiter(shared_redis.url, name, 2, max_wait=0.2) as limiter:
        first = await limiter.reserve()
        assert first.wait == 0
        refused = r"0\.[45]\d* s away, more than max_wait=0\.2 s"
        with pytest.raises(RateLimitTimeoutError, match=refused) as raised:
            await limiter.reserve()
        assert raised.value.name == name and 0.45 < raised.value.wait <= 0.5
        assert isinstance(raised.value, RateLimiterError) and isinstance(raised.value, CognitoError)
        await asyncio.sleep(0.35)
        # The refusal took nothing: the next slot is still the one 0.5 s after the first.
        second = await limiter.reserve()
        assert abs(second.at - (first.at + 0.5)) < 0.01


async def test_the_script_is_loaded_again_after_a_script_flush(
    shared_redis: RedisServer, name: str, client: Any
) -> None:
    async with RedisRateLimiter(shared_redis.url, name, 1000) as limiter:
        await limiter.acquire()
        await client.script_flush()
        reservation = await limiter.reserve()  # EVALSHA answers NOSCRIPT; the script is sent again
        assert reservation.shared


async def test_hostile_state_in_redis_is_reset_or_refused(
    shared_redis: RedisServer, name: str, client: Any
) -> None:
    async with RedisRateLimiter(shared_redis.url, name, 10, max_wait=1) as limiter:
        for garbage in (b"not a number", b"nan", b"inf", b"-inf", str(10**20).encode(), b"1e400"):
            await client.set(limiter.key, garbage)
            reservation = await limiter.reserve()
            assert reservation.wait == 0, garbage
            assert 1_000_000_000 < reservation.at < 10_000_000_000
        await client.delete(limiter.key)
        for slow in (
            {"f": "0", "t": "1", "r": "1"},
            {"f": "nan", "t": "x"},
            {"f": "0.5", "t": "nan", "r": "1e300"},
        ):
            await client.delete(limiter.key + ":slow")
            await client.hset(limiter.key + ":slow", mapping=slow)
            assert (await limiter.reserve()).rate == 10, slow  # ignored
            await asyncio.sleep(0.1)
        await client.delete(limiter.key)
        await client.rpush(limiter.key, "another program's list")
        with pytest.raises(
            RateLimiterError, match=rf"rate limiter '{name}': Redis did not answer \(ResponseError"
        ):
            await limiter.acquire()
        await client.delete(limiter.key)


async def test_a_lent_client_stays_open_an_owned_one_is_closed(shared_redis: RedisServer, name: str) -> None:
    import redis.asyncio

    lent = redis.asyncio.Redis.from_url(shared_redis.url)
    try:
        async with RedisRateLimiter(lent, name, 100) as limiter:
            await limiter.acquire()
        assert await lent.ping()
    finally:
        await lent.aclose()
    owned = RedisRateLimiter(shared_redis.url, name, 100)
    await owned.acquire()
    await owned.aclose()


# --- throttling feedback ----------------------------------------------------------------------------


async def test_throttling_slows_every_limiter_then_wears_off(
    shared_redis: RedisServer, name: str, client: Any
) -> None:
    one = RedisRateLimiter(shared_redis.url, name, 100, recovery=1.0)
    other = RedisRateLimiter(
        shared_redis.url, name, 100, recovery=1.0
    )  # its own connections: another process
    try:
        assert (await other.reserve()).rate == 100
        for _ in range(50):  # a burst of throttled requests: one cut, not fifty
            one.slow_down()
        await asyncio.sleep(0.1)
        slowed = await other.reserve()
        assert 70 <= slowed.rate < 75, slowed
        ttl = await client.pttl(one.key + ":slow")
        assert 700 < ttl <= 1000
        await asyncio.sleep(1.1)
        assert (await other.reserve()).rate == 100
        assert not await client.exists(one.key + ":slow")
    finally:
        await one.aclose()
        await other.aclose()
    # Cuts further apart than the cooldown compound (here: throttled processes, one after another, the
    # last cut made to look 2 s old), down to 5 % at most.
    for _ in range(12):
        await client.hset(f"{one.key}:slow", "t", str(int(time.time() * 1e6) - 2_000_000))
        async with RedisRateLimiter(client, name, 100, recovery=1000) as throttled:
            throttled.slow_down()
            await asyncio.sleep(0.05)
    async with RedisRateLimiter(client, name, 100) as observer:
        assert 5 <= (await observer.reserve()).rate < 5.1


# --- Redis stops and starts again ----------------------------------------------------------------


async def test_a_redis_restart_without_fallback_is_a_typed_error_then_shared_again(
    own_redis: RedisServer, name: str
) -> None:
    async with RedisRateLimiter(own_redis.url, name, 200, timeout=0.5) as limiter:
        await limiter.acquire()
        own_redis.stop()
        started = time.monotonic()
        for _ in range(3):
            with pytest.raises(
                RateLimiterError, match=rf"^rate limiter '{name}': Redis did not answer"
            ) as raised:
                await limiter.acquire()
            assert not isinstance(raised.value, RateLimitTimeoutError)
            assert raised.value.name == name and raised.value.retryable
        assert time.monotonic() - started < 5, "each failure is bounded by the timeout"
        own_redis.start()
        reservation = await limiter.reserve()  # a fresh connection, the script loaded again
        assert reservation.shared and limiter.shared


async def test_the_fallback_keeps_its_own_rate_then_returns_to_redis(
    own_redis: RedisServer, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    import redis.asyncio

    calls: list[float] = []

    class Counting(redis.asyncio.Redis):  # type: ignore[misc]
        async def execute_command(self, *args: Any, **options: Any) -> Any:
            calls.append(time.monotonic())
            return await super().execute_command(*args, **options)

    caplog.set_level(logging.DEBUG, logger="aiocognito.limits")
    lent = Counting.from_url(own_redis.url, socket_connect_timeout=0.5, socket_timeout=0.5)
    fallback_rate, capacity = 40.0, 2.0
    try:
        limiter = RedisRateLimiter(
            lent, name, 1000, capacity=capacity, fallback_rate=fallback_rate, timeout=0.5
        )
        await limiter.acquire()
        assert limiter.shared
        own_redis.stop()
        calls.clear()
        outage_started = time.monotonic()
        ats = []
        while time.monotonic() - outage_started < 2.5:
            reservation = await limiter.reserve()
            await asyncio.sleep(reservation.wait)
            assert not reservation.shared and not limiter.shared
            ats.append(reservation.at)
        outage = time.monotonic() - outage_started
        assert "on its fallback of 40/s" in repr(limiter)
        assert len(ats) > 20
        assert_within_rate(ats, fallback_rate, capacity)
        # Redis was asked again by one acquisition at a time, at growing intervals: not once per acquisition.
        assert 2 <= len(calls) <= 10, (
            f"{len(calls)} Redis calls in {outage:.1f} s of outage for {len(ats)} acquisitions"
        )
        own_redis.start()
        back_by = time.monotonic() + 8  # the longest probe interval is 5 s
        while not limiter.shared and time.monotonic() < back_by:
            await limiter.acquire()
        assert limiter.shared, "back on Redis once it answers"
        assert (await limiter.reserve()).shared
        messages = [record.getMessage() for record in caplog.records]
        assert any("Redis did not answer" in m and "40/s for this process" in m for m in messages)
        assert any("Redis answers again" in m for m in messages)
        await limiter.aclose()
    finally:
        await lent.aclose()


# --- no password anywhere -----------------------------------------------------------------------


async def test_no_repr_message_or_log_line_shows_the_redis_password(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    import redis.asyncio

    caplog.set_level(logging.DEBUG)
    with (
        tempfile.TemporaryDirectory() as workdir,
        RedisServer(_binary(), Path(workdir), password=PASSWORD) as server,
    ):
        assert PASSWORD in server.url
        shown: list[str] = []
        async with RedisRateLimiter(server.url, name, 100, fallback_rate=10, timeout=0.5) as limiter:
            await limiter.acquire()
            limiter.slow_down()
            await asyncio.sleep(0.1)
            shown.append(repr(limiter))
            server.stop()
            await limiter.acquire()  # falls back, logs why
            shown.append(repr(limiter))
        wrong = server.url.replace(PASSWORD, PASSWORD + "-wrong")
        server.start()
        async with RedisRateLimiter(wrong, name, 100, timeout=0.5) as limiter:
            with pytest.raises(RateLimiterError) as raised:
                await limiter.acquire()
            shown += [str(raised.value), repr(raised.value), repr(limiter)]
        lent = redis.asyncio.Redis(
            host="127.0.0.1", port=free_port(), password=PASSWORD, socket_connect_timeout=0.5
        )
        try:
            limiter = RedisRateLimiter(lent, name, 100)
            with pytest.raises(RateLimiterError) as raised:
                await limiter.acquire()
            shown += [str(raised.value), repr(limiter)]
        finally:
            await lent.aclose()
        with pytest.raises(ValueError, match="not shown") as bad:
            RedisRateLimiter(f"redis://:{PASSWORD}@127.0.0.1:notaport/0", name, 1)
        shown.append(str(bad.value))
    shown += [record.getMessage() for record in caplog.records]
    shown += [str(record.exc_info) for record in caplog.records if record.exc_info]
    assert any("Redis did not answer" in text for text in shown)
    assert not [text for text in shown if PASSWORD in text]
