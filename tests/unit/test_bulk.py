"""``sign_in_many`` without a server: the token bucket on an injected clock, throttling, ordering, input."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from clocks import SleepingClock

import aiocognito
from aiocognito.bulk import (
    ChallengeRequiredError,
    InvalidCredentialsError,
    SignInResult,
    TokenBucket,
    sign_in_many,
)


def _jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.c2ln"


def _result(username: str) -> dict[str, Any]:
    claims = {"iat": 1000, "exp": 4600, "username": username, "sub": f"sub-{username}"}
    return {
        "AuthenticationResult": {
            "IdToken": _jwt({**claims, "cognito:username": username}),
            "AccessToken": _jwt(claims),
            "RefreshToken": "refresh",
            "ExpiresIn": 3600,
            "TokenType": "Bearer",
        }
    }


class ScriptedPool:
    """A UserPool whose calls are answered by a script: no HTTP at all."""

    def __init__(self, throttle_first: int = 0) -> None:
        self.pool = aiocognito.UserPool("us-east-1_Bulk", "client", caller=self)
        self.throttle_left = throttle_first
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0

    async def call(
        self, operation: str, params: Any, *, service: str = "cognito-idp", max_reply_bytes: int | None = None
    ) -> dict[str, Any]:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.001)
            if self.throttle_left > 0:
                self.throttle_left -= 1
                raise aiocognito.TooManyRequestsError("Too many requests", operation=operation)
            username = params["AuthParameters"]["USERNAME"]
            password = params["AuthParameters"]["PASSWORD"]
            if username.startswith("mfa"):
                return {"ChallengeName": "SMS_MFA", "Session": "s", "ChallengeParameters": {}}
            if password != "right":
                raise aiocognito.NotAuthorizedError("Incorrect username or password.")
            return _result(username)
        finally:
            self.in_flight -= 1


async def _all(results: Any) -> list[SignInResult]:
    return [result async for result in results]


# --- the token bucket --------------------------------------------------------------------------------


async def test_bucket_spaces_acquisitions_by_the_rate() -> None:
    clock = SleepingClock()
    bucket = TokenBucket(10.0, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(5):
        await bucket.acquire()
        times.append(round(clock.now - 1000.0, 6))
    assert times == [0.0, 0.1, 0.2, 0.3, 0.4]


async def test_bucket_allows_its_capacity_at_once_then_the_rate() -> None:
    clock = SleepingClock()
    bucket = TokenBucket(4.0, capacity=3, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(6):
        await bucket.acquire()
        times.append(round(clock.now - 1000.0, 6))
    assert times == [0.0, 0.0, 0.0, 0.25, 0.5, 0.75]


async def test_bucket_does_not_bank_more_than_its_capacity_after_a_pause() -> None:
    clock = SleepingClock()
    bucket = TokenBucket(2.0, capacity=2, clock=clock, sleep=clock.sleep)
    clock.now += 100.0
    waits = [bucket.reserve() for _ in range(4)]
    assert waits == [0.0, 0.0, 0.5, 1.0]


def test_bucket_slows_down_and_recovers_within_bounds() -> None:
    bucket = TokenBucket(100.0)
    bucket.slow_down()
    assert bucket.rate == pytest.approx(70.0)
    for _ in range(100):
        bucket.slow_down()
    assert bucket.rate == pytest.approx(5.0)  # never below 5 % of the rate asked for
    for _ in range(1000):
        bucket.recover()
    assert bucket.rate == 100.0


@pytest.mark.parametrize(("rate", "capacity"), [(0, 1), (-1, 1), (float("inf"), 1), (1, 0.5)])
def test_bucket_refuses_nonsense(rate: float, capacity: float) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is checked in the docstring
        TokenBucket(rate, capacity)


# --- sign_in_many --------------------------------------------------------------------------------------


async def test_rate_limit_paces_the_starts_of_sign_ins() -> None:
    clock = SleepingClock()
    scripted = ScriptedPool()
    bucket = TokenBucket(20.0, clock=clock, sleep=clock.sleep)
    users = [(f"u{i}", "right") for i in range(10)]
    results = await _all(
        sign_in_many(scripted.pool, users, rate=bucket, flow="USER_PASSWORD_AUTH", workers=0)
    )
    assert len(results) == 10
    assert all(r.ok for r in results)
    # Ten starts at 20/s: the tenth waits 9/20 s after the first.
    assert clock.now - 1000.0 == pytest.approx(0.45)
    assert clock.slept == pytest.approx([0.05] * 9)


async def test_results_mix_successes_and_typed_failures_and_keep_input_positions() -> None:
    scripted = ScriptedPool()
    users: list[Any] = [
        ("alice", "right"),
        {"username": "bob", "password": "wrong"},
        ("mfa-carol", "right"),
        ("", "right"),
        ("dave", None),
        "not a pair",
    ]
    results = await _all(sign_in_many(scripted.pool, users, rate=None, flow="USER_PASSWORD_AUTH", workers=0))
    by_index = {r.index: r for r in results}
    assert sorted(by_index) == list(range(6))
    assert by_index[0].ok
    assert by_index[0].tokens is not None
    assert by_index[0].tokens.username == "alice"
    assert isinstance(by_index[1].error, aiocognito.NotAuthorizedError)
    assert by_index[1].error_code == "NotAuthorizedException"
    assert by_index[1].username == "bob"
    error = by_index[2].error
    assert isinstance(error, ChallengeRequiredError)
    assert error.step == "CONFIRM_SIGN_IN_WITH_SMS_CODE"
    assert error.challenge_name == "SMS_MFA"
    assert by_index[2].error_code == "ChallengeRequired"
    for index in (3, 4, 5):
        assert isinstance(by_index[index].error, InvalidCredentialsError)
        assert by_index[index].error_code == "InvalidCredentials"
    assert scripted.calls == 3  # nothing sent for the bad input
    assert await scripted.pool.current_user("alice") is None  # the token store was left alone


async def test_throttled_sign_ins_are_started_again_and_slow_the_bucket() -> None:
    clock = SleepingClock()
    scripted = ScriptedPool(throttle_first=2)
    bucket = TokenBucket(50.0, clock=clock, sleep=clock.sleep)
    results = await _all(
        sign_in_many(scripted.pool, [("alice", "right")], rate=bucket, flow="USER_PASSWORD_AUTH", workers=0)
    )
    assert [r.ok for r in results] == [True]
    assert scripted.calls == 3
    assert bucket.rate < 50.0  # slowed by the throttling, recovering


async def test_throttling_that_lasts_is_reported_not_raised() -> None:
    scripted = ScriptedPool(throttle_first=100)
    results = await _all(
        sign_in_many(
            scripted.pool,
            [("alice", "right")],
            rate=None,
            flow="USER_PASSWORD_AUTH",
            workers=0,
            throttle_retries=2,
        )
    )
    assert isinstance(results[0].error, aiocognito.TooManyRequestsError)
    assert scripted.calls == 3


async def test_concurrency_bound_holds_and_a_slow_reader_holds_the_slots() -> None:
    scripted = ScriptedPool()
    read = 0

    def users() -> Any:
        nonlocal read
        for i in range(40):
            read += 1
            yield (f"u{i}", "right")

    results = sign_in_many(
        scripted.pool, users(), concurrency=4, rate=None, flow="USER_PASSWORD_AUTH", workers=0
    )
    first = await results.__anext__()
    assert first.ok
    await asyncio.sleep(0.05)  # the caller is slow: no more than 4 users may be read ahead
    assert read <= 5
    rest = [r async for r in results]
    assert len(rest) == 39
    assert scripted.max_in_flight <= 4


async def test_closing_early_cancels_the_sign_ins_in_flight() -> None:
    scripted = ScriptedPool()
    results = sign_in_many(
        scripted.pool,
        ((f"u{i}", "right") for i in range(1000)),
        concurrency=8,
        rate=None,
        flow="USER_PASSWORD_AUTH",
        workers=0,
    )
    async for _ in results:
        break
    await results.aclose()
    calls = scripted.calls
    await asyncio.sleep(0.02)
    assert scripted.calls == calls  # nothing runs on after the close
    assert scripted.in_flight == 0


async def test_an_error_reading_the_input_ends_the_run() -> None:
    scripted = ScriptedPool()

    async def users() -> Any:
        yield ("alice", "right")
        raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        await _all(sign_in_many(scripted.pool, users(), rate=None, flow="USER_PASSWORD_AUTH", workers=0))


@pytest.mark.parametrize(
    "options", [{"concurrency": 0}, {"throttle_retries": -1}, {"flow": "NOPE"}, {"workers": -1}]
)
async def test_bad_options_are_value_errors(options: dict[str, Any]) -> None:
    scripted = ScriptedPool()
    with pytest.raises(ValueError):  # noqa: PT011
        await _all(sign_in_many(scripted.pool, [], **options))


async def test_pool_method_delegates() -> None:
    scripted = ScriptedPool()
    results = await _all(
        scripted.pool.sign_in_many([("alice", "right")], rate=None, flow="USER_PASSWORD_AUTH", workers=0)
    )
    assert [r.username for r in results] == ["alice"]


class CountingLimiter:
    """Any RateLimiter (not a TokenBucket): what sign_in_many asks of it."""

    def __init__(self) -> None:
        self.acquired = self.slowed = self.recovered = 0

    async def acquire(self) -> None:
        self.acquired += 1

    def slow_down(self) -> None:
        self.slowed += 1

    def recover(self) -> None:
        self.recovered += 1


async def test_any_rate_limiter_is_acquired_once_per_sign_in() -> None:
    scripted = ScriptedPool(throttle_first=2)
    limiter = CountingLimiter()
    users = [(f"u{i}", "right") for i in range(5)]
    results = await _all(
        sign_in_many(scripted.pool, users, rate=limiter, flow="USER_PASSWORD_AUTH", workers=0)
    )
    assert all(r.ok for r in results)
    # Five starts, plus a start again after each throttled reply (the script has no transport to retry).
    assert (limiter.acquired, limiter.slowed, limiter.recovered) == (7, 2, 5)


async def test_a_rate_that_is_no_limiter_is_a_type_error() -> None:
    scripted = ScriptedPool()
    with pytest.raises(TypeError, match="RateLimiter"):
        await _all(sign_in_many(scripted.pool, [("a", "b")], rate="fast"))  # type: ignore[arg-type]
