"""The rate limiters' arithmetic (aiocognito.core.gcra), the RateLimiter protocol, and what
RedisRateLimiter refuses before it ever talks to Redis. With a real redis-server:
tests/integration/test_rate_limit_redis.py.
"""

from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aiocognito
from aiocognito.bulk import TokenBucket
from aiocognito.core import gcra
from aiocognito.limits import (
    KEY_PREFIX,
    RateLimiter,
    RateLimiterError,
    RateLimitTimeoutError,
    RedisRateLimiter,
)

# --- GCRA -----------------------------------------------------------------------------------------


def _run(times: list[float], *, rate: float, capacity: float, max_wait: float = math.inf) -> list[gcra.Grant]:
    tat = -math.inf
    grants = []
    for now in times:
        grant = gcra.reserve(tat, now=now, interval=1 / rate, capacity=capacity, max_wait=max_wait)
        tat = grant.tat
        grants.append(grant)
    return grants


@settings(max_examples=300, deadline=None)
@given(
    gaps=st.lists(st.floats(min_value=0, max_value=0.3), min_size=1, max_size=120),
    rate=st.floats(min_value=0.5, max_value=500),
    capacity=st.floats(min_value=1, max_value=20),
    max_wait=st.one_of(st.just(math.inf), st.floats(min_value=0, max_value=2)),
)
def test_slots_never_exceed_rate_times_window_plus_capacity(
    gaps: list[float], rate: float, capacity: float, max_wait: float
) -> None:
    times = [sum(gaps[: i + 1]) for i in range(len(gaps))]
    grants = _run(times, rate=rate, capacity=capacity, max_wait=max_wait)
    slots = sorted(now + g.wait for now, g in zip(times, grants, strict=True) if g.granted)
    for g in grants:
        assert g.wait >= 0
        assert not g.granted or g.wait <= max_wait
    for i, start in enumerate(slots):
        for end in slots[i:]:
            window = end - start
            count = sum(1 for s in slots if start <= s <= end)
            assert count <= rate * window + capacity + 1e-6


def test_burst_then_one_slot_per_interval() -> None:
    grants = _run([0.0] * 6, rate=10, capacity=3)
    assert [round(g.wait, 9) for g in grants] == [0, 0, 0, 0.1, 0.2, 0.3]


def test_a_refused_slot_takes_nothing() -> None:
    first = gcra.reserve(0.0, now=0.0, interval=1.0, capacity=1, max_wait=0.5)
    refused = gcra.reserve(first.tat, now=0.0, interval=1.0, capacity=1, max_wait=0.5)
    assert first.granted and not refused.granted
    assert refused.wait == 1.0 and refused.tat == first.tat


def test_a_state_beyond_the_horizon_starts_afresh() -> None:
    assert gcra.reserve(1e9, now=0.0, interval=1.0, capacity=1, horizon=10).wait == 0
    assert gcra.reserve(5.0, now=0.0, interval=1.0, capacity=1, horizon=10).wait == 5.0


def test_a_cut_wears_off_and_close_cuts_count_once() -> None:
    slow = gcra.cut(None, now=100.0, by=0.7, floor=0.05, recovery=10, cooldown=1)
    assert slow is not None and slow.factor == 0.7
    assert gcra.factor_at(slow, now=100.0) == 0.7
    assert gcra.factor_at(slow, now=105.0) == pytest.approx(0.85)
    assert gcra.factor_at(slow, now=110.0) == 1.0 and slow.ends_at == pytest.approx(110.0)
    assert gcra.cut(slow, now=100.5, by=0.7, floor=0.05, recovery=10, cooldown=1) is None
    again = gcra.cut(slow, now=101.0, by=0.7, floor=0.05, recovery=10, cooldown=1)
    assert again is not None and again.factor == pytest.approx(0.73 * 0.7)
    lowest = None
    for step in range(40):
        lowest = gcra.cut(lowest, now=200.0 + step, by=0.5, floor=0.05, recovery=1e6, cooldown=1)
    assert lowest is not None and lowest.factor == 0.05
    assert gcra.factor_at(None, now=0) == 1.0


# --- the protocol and the errors ------------------------------------------------------------------


def test_both_limiters_are_rate_limiters_and_a_number_is_not() -> None:
    assert isinstance(TokenBucket(10), RateLimiter)
    assert isinstance(RedisRateLimiter("redis://127.0.0.1:1/0", "n", 10), RateLimiter)
    assert not isinstance(10.0, RateLimiter)
    assert aiocognito.RedisRateLimiter is RedisRateLimiter
    assert aiocognito.RateLimiter is RateLimiter
    assert issubclass(aiocognito.RateLimitTimeoutError, aiocognito.RateLimiterError)
    assert issubclass(aiocognito.RateLimiterError, aiocognito.CognitoError)


def test_errors_survive_pickling() -> None:
    error = pickle.loads(pickle.dumps(RateLimiterError("rate limiter 'n': Redis did not answer", name="n")))
    assert type(error) is RateLimiterError and error.name == "n" and "did not answer" in str(error)
    timeout = pickle.loads(pickle.dumps(RateLimitTimeoutError("far", name="m", wait=2.5)))
    assert type(timeout) is RateLimitTimeoutError and timeout.name == "m" and timeout.wait == 2.5


# --- what RedisRateLimiter refuses, without a server ---------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"rate": 0}, ValueError, "rate must be a finite number above 0"),
        ({"rate": math.inf}, ValueError, "rate"),
        ({"rate": math.nan}, ValueError, "rate"),
        ({"rate": "10"}, TypeError, "rate must be a number"),
        ({"rate": True}, TypeError, "rate must be a number"),
        ({"capacity": 0.5}, ValueError, "capacity must be at least 1"),
        ({"fallback_rate": -1}, ValueError, "fallback_rate"),
        ({"max_wait": 3601}, ValueError, "at most 3600"),
        ({"timeout": 0}, ValueError, "timeout"),
        ({"recovery": math.inf}, ValueError, "recovery"),
        ({"name": ""}, ValueError, "name must be text"),
        ({"name": "x" * 257}, ValueError, "name must be text"),
        ({"name": "bad \ud800"}, ValueError, "name must be text"),
        ({"redis": "http://127.0.0.1:6379"}, ValueError, "redis://, rediss:// or unix://"),
        ({"redis": object()}, TypeError, "redis.asyncio client"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    arguments: dict[str, object] = {"redis": "redis://127.0.0.1:6379/0", "name": "n", "rate": 10, **kwargs}
    with pytest.raises(error, match=match):
        RedisRateLimiter(**arguments)  # type: ignore[arg-type]


def test_a_malformed_url_is_refused_without_showing_it() -> None:
    with pytest.raises(ValueError, match="not shown") as raised:
        RedisRateLimiter("redis://:Pa55word@127.0.0.1:port/0", "n", 10)
    assert "Pa55word" not in str(raised.value)


def test_repr_and_properties_never_show_the_url() -> None:
    limiter = RedisRateLimiter(
        "redis://user:Pa55word@127.0.0.1:6379/0", "sign-ins", 40, capacity=2, fallback_rate=10
    )
    assert repr(limiter) == "<RedisRateLimiter 'sign-ins' 40/s capacity=2 shared>"
    assert "Pa55word" not in repr(limiter)
    assert (limiter.name, limiter.rate, limiter.capacity, limiter.fallback_rate) == ("sign-ins", 40, 2, 10)
    assert limiter.key == KEY_PREFIX + "{sign-ins}" == "aiocognito:rl:{sign-ins}"
    assert limiter.shared
