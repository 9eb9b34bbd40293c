"""A rate limiter shared by every process and machine that uses one Redis: GCRA in one atomic Lua script.

:class:`RedisRateLimiter` keeps :mod:`aiocognito.core.gcra`'s state in Redis. Each acquisition is one
``EVALSHA`` of :data:`_ACQUIRE` (redis-py loads the script again when Redis answers ``NOSCRIPT``, after a
restart or a ``SCRIPT FLUSH``): the script reads the clock with ``TIME``, applies the shared slow-down,
takes the next slot and stores the new state, all in one step, so two clients can never both read the same
state (no read-modify-write race) and machines whose clocks disagree still share one rate. It answers the
wait; the client sleeps it, locally. A reservation never waits more than ``max_wait``: a slot further
away is refused and nothing is taken.

Keys (``<name>`` percent-encoded but for ``:``; the braces are a Redis Cluster hash tag, which keeps both
in one slot):

- ``aiocognito:rl:{<name>}``: the theoretical arrival time, in microseconds of Redis's clock; it expires
  once in the past (an idle limiter leaves nothing behind);
- ``aiocognito:rl:{<name>}:slow``: the shared slow-down after throttling, a hash of ``f`` (the rate factor
  just after the last cut), ``t`` (its time, microseconds) and ``r`` (the factor regained per
  microsecond); it expires when the factor is back to 1.

Throttling feedback: :meth:`RedisRateLimiter.slow_down` (after a ``TooManyRequestsException``) runs
:data:`_SLOW`, which cuts the shared factor to 70 % (at most once a second, however many requests were
throttled at once, and never below 5 %); every process's next acquisition applies it, and it wears off on
Redis's clock in ``recovery`` seconds.

When Redis does not answer (refused, timed out, an error), an acquisition fails with
:class:`~aiocognito.limits.RateLimiterError`; with ``fallback_rate``, it is taken from a bucket of this
process at that rate instead, and Redis is tried again by one acquisition at a time, 0.25 s after the
failure, then at doubling intervals up to 5 s, until it answers.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import math
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from ..core import gcra
from ..core.safe_json import is_valid_text
from .protocol import RateLimiterError, RateLimitTimeoutError

__all__ = ["KEY_PREFIX", "RedisRateLimiter", "Reservation"]

_log = logging.getLogger("aiocognito.limits")

#: Every key of a limiter starts with this.
KEY_PREFIX = "aiocognito:rl:"
_URL_SCHEMES = ("redis://", "rediss://", "unix://")
_MAX_NAME_CHARS = 256
# The shared slow-down: the same numbers as TokenBucket's (sign_in_many's limiter).
_CUT_BY = 0.7
_SLOWEST = 0.05
# Throttled requests less than this apart (seconds) cut the rate once: they saw the same congestion.
_COOLDOWN = 1.0
# Probes of a Redis that did not answer, while on the fallback: after this, doubling up to the maximum.
_FIRST_PROBE = 0.25
_MAX_PROBE = 5.0
_US = 1_000_000
# Bounds of a sane reply: the script's times are microseconds since 1970 (below 2**53).
_MAX_US = 2**53
_DETAIL_CHARS = 200

# One acquisition. KEYS[1] the GCRA state, KEYS[2] the slow-down; ARGV: the interval at the full rate
# (microseconds), the capacity (acquisitions), the longest wait granted and the horizon past which a stored
# state is taken for a clock that went back (both microseconds). Returns {granted (0/1), wait (us),
# factor (millionths), Redis's time (us)}. Mirrors aiocognito.core.gcra.reserve and factor_at.
_ACQUIRE = """
if redis.replicate_commands then redis.replicate_commands() end -- TIME, then writes (Redis < 5)
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local horizon = tonumber(ARGV[4])
local factor = 1
local slow = redis.call('HMGET', KEYS[2], 'f', 't', 'r')
local f0, t0, speed = tonumber(slow[1]), tonumber(slow[2]), tonumber(slow[3])
if f0 and t0 and speed and f0 > 0 and f0 <= 1 and t0 == t0 and speed >= 0 and speed < 1 then
    factor = math.min(1, f0 + math.max(0, now - t0) * speed)
end
interval = interval / factor
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat ~= tat or tat < now or tat - now > horizon then
    tat = now
end
local new_tat = tat + interval
local wait = math.max(0, new_tat - capacity * interval - now)
local ppm = math.floor(factor * 1000000 + 0.5)
if wait > max_wait then
    return {0, math.floor(wait + 0.5), ppm, now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1)
return {1, math.floor(wait + 0.5), ppm, now}
"""

# A cut after throttling. KEYS[1] the slow-down; ARGV: the multiplier of a cut, the floor, the factor
# regained per microsecond, the cooldown (microseconds). Returns {cut (0/1), factor (millionths)}.
# Mirrors aiocognito.core.gcra.cut.
_SLOW = """
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local by, lowest, speed, cooldown = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local factor = 1
local slow = redis.call('HMGET', KEYS[1], 'f', 't', 'r')
local f0, t0, r0 = tonumber(slow[1]), tonumber(slow[2]), tonumber(slow[3])
if f0 and t0 and r0 and f0 > 0 and f0 <= 1 and t0 == t0 and r0 >= 0 and r0 < 1 then
    factor = math.min(1, f0 + math.max(0, now - t0) * r0)
    if now - t0 >= 0 and now - t0 < cooldown then
        return {0, math.floor(factor * 1000000 + 0.5)}
    end
end
local new = math.max(lowest, factor * by)
redis.call('HSET', KEYS[1], 'f', string.format('%.6f', new), 't', string.format('%.0f', now),
    'r', string.format('%.17g', speed))
redis.call('PEXPIRE', KEYS[1], math.floor((1 - new) / speed / 1000) + 1)
return {1, math.floor(new * 1000000 + 0.5)}
"""


@dataclass(frozen=True, slots=True)
class Reservation:
    """An acquisition taken by :meth:`RedisRateLimiter.reserve`, to be used ``wait`` seconds from now.

    Attributes:
        wait: seconds to wait before using it.
        at: when it may be used, in epoch seconds of the clock that granted it: Redis's (``shared``) or
            this machine's (on the fallback).
        rate: the rate it was granted under: the limiter's (or fallback) rate times the slow-down factor.
        shared: whether Redis granted it (``False``: the fallback bucket of this process did).
    """

    wait: float
    at: float
    rate: float
    shared: bool


class _Unavailable(Exception):
    """Redis did not answer an acquisition as the script does; the text is safe to show."""


def _import_redis() -> tuple[Any, Any, type[Exception]]:
    try:
        module = importlib.import_module("redis.asyncio")
        retry = importlib.import_module("redis.asyncio.retry")
        backoff = importlib.import_module("redis.backoff")
        exceptions = importlib.import_module("redis.exceptions")
    except ImportError as exc:
        raise ImportError(
            "RedisRateLimiter needs the redis package: pip install 'aiocognito[redis]'"
        ) from exc
    error: type[Exception] = exceptions.RedisError
    # One retry: a pooled connection that went stale (Redis restarted) is replaced once, then it fails.
    return module, retry.Retry(backoff.NoBackoff(), 1), error


def _positive(name: str, value: object, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number")
    number = float(value)
    if not math.isfinite(number) or number <= minimum:
        raise ValueError(f"{name} must be a finite number above {minimum:g}")
    return number


def _url_secrets(url: str) -> list[str]:
    """The password and user name a Redis URL holds, to keep out of every message."""
    try:
        parts = urlsplit(url)
        found = [parts.password, parts.username]
        found += parse_qs(parts.query).get("password", []) + parse_qs(parts.query).get("username", [])
    except ValueError:
        return []
    return [unquote(s) for s in found if s] + [s for s in found if s]


def _client_secrets(client: Any) -> list[str]:
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None)
    if not isinstance(kwargs, dict):
        return []
    return [s for s in (kwargs.get("password"), kwargs.get("username")) if isinstance(s, str) and s]


def _reply_ints(reply: object, count: int) -> list[int]:
    if not isinstance(reply, list) or len(reply) != count or any(type(v) is not int for v in reply):
        raise _Unavailable(f"an unexpected reply to the limiter's script ({type(reply).__name__})")
    return reply


class _LocalBucket:
    """The fallback: this process's share, GCRA on the local monotonic clock (aiocognito.core.gcra)."""

    def __init__(self, rate: float, capacity: float, max_wait: float, recovery: float) -> None:
        self.rate = rate
        self._interval = 1.0 / rate
        self._capacity = capacity
        self._max_wait = max_wait
        self._recovery = recovery
        self._tat = time.monotonic()
        self._slow: gcra.SlowDown | None = None
        # Slot times are monotonic; shown as wall-clock times by one fixed offset, so they keep their spacing.
        self.wall_offset = time.time() - self._tat

    def reserve(self) -> tuple[gcra.Grant, float, float]:
        """The grant, the slow-down factor it was made under, and the (monotonic) time it was made at."""
        now = time.monotonic()
        factor = gcra.factor_at(self._slow, now=now)
        grant = gcra.reserve(
            self._tat,
            now=now,
            interval=self._interval / factor,
            capacity=self._capacity,
            max_wait=self._max_wait,
        )
        self._tat = grant.tat
        return grant, factor, now

    def slow_down(self) -> None:
        now = time.monotonic()
        slowed = gcra.cut(
            self._slow, now=now, by=_CUT_BY, floor=_SLOWEST, recovery=self._recovery, cooldown=_COOLDOWN
        )
        if slowed is not None:
            self._slow = slowed


class RedisRateLimiter:
    """At most ``rate`` acquisitions per second, shared by every process and machine using one Redis and name.

    Use it wherever a :class:`~aiocognito.limits.RateLimiter` is taken, and close it when done::

        async with RedisRateLimiter(os.environ["REDIS_URL"], "sign-ins", 100, fallback_rate=25) as limiter:
            await limiter.acquire()   # waits for the next of the fleet's 100 slots per second

    The rate is computed on the Redis server's clock, so machines with skewed clocks share it exactly; each
    caller sleeps its own wait. ``capacity`` is the burst allowed after a quiet time: in any window of ``w``
    seconds the fleet starts at most ``rate * w + capacity`` acquisitions (give every process the same
    ``rate`` and ``capacity`` for a name). Throttling seen by any process slows all of them (see
    :meth:`slow_down`). No repr, message or log line holds the Redis URL or password.

    Args:
        redis: a ``redis://``, ``rediss://`` or ``unix://`` URL (the limiter makes the client, with
            ``timeout`` as its socket timeouts and at most 50 connections, and closes it in
            :meth:`aclose`), or a ``redis.asyncio`` client, which the caller keeps and closes.
        name: what processes share: those using the same Redis and name share one rate (the keys are
            ``aiocognito:rl:{<name>}`` and ``aiocognito:rl:{<name>}:slow``).
        rate: acquisitions per second, for all of them together.
        capacity: the burst, in acquisitions (at least 1).
        fallback_rate: acquisitions per second *of this process* while Redis does not answer (such as
            ``rate / expected_processes``); ``None``: an acquisition then fails with
            :class:`~aiocognito.limits.RateLimiterError`.
        max_wait: the longest wait an acquisition accepts; a later slot fails with
            :class:`~aiocognito.limits.RateLimitTimeoutError` and nothing is taken (at most 3600).
        timeout: seconds one Redis round trip may take before it counts as Redis not answering.
        recovery: seconds for one slow-down (to 70 %) to wear off.

    Raises:
        ImportError: the ``redis`` package is missing.
        TypeError: ``redis`` is neither a URL nor a client, or a number is not one.
        ValueError: a malformed URL (never shown: it may hold a password), an empty or too long name, or a
            number out of range.
    """

    __slots__ = (
        "_acquire_script",
        "_capacity",
        "_client",
        "_cut_pending",
        "_cut_task",
        "_error",
        "_fallback",
        "_interval_us",
        "_key",
        "_last_cut",
        "_max_wait",
        "_name",
        "_next_probe_at",
        "_outages",
        "_owned",
        "_probe_delay",
        "_probing",
        "_rate",
        "_recovery",
        "_secrets",
        "_shared",
        "_slow_key",
        "_slow_script",
        "_timeout",
    )

    def __init__(
        self,
        redis: Any,
        name: str,
        rate: float,
        *,
        capacity: float = 1.0,
        fallback_rate: float | None = None,
        max_wait: float = 60.0,
        timeout: float = 1.0,
        recovery: float = 10.0,
    ) -> None:
        module, retry, self._error = _import_redis()
        if not isinstance(name, str) or not name or len(name) > _MAX_NAME_CHARS or not is_valid_text(name):
            raise ValueError(f"name must be text of 1 to {_MAX_NAME_CHARS} characters")
        self._name = name
        self._rate = _positive("rate", rate)
        self._capacity = _positive("capacity", capacity)
        if self._capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._max_wait = _positive("max_wait", max_wait)
        if self._max_wait > 3600:
            raise ValueError("max_wait must be at most 3600 seconds")
        self._timeout = _positive("timeout", timeout)
        self._recovery = _positive("recovery", recovery)
        self._interval_us = _US / self._rate
        self._fallback = (
            None
            if fallback_rate is None
            else _LocalBucket(
                _positive("fallback_rate", fallback_rate), self._capacity, self._max_wait, self._recovery
            )
        )
        self._key = f"{KEY_PREFIX}{{{quote(name, safe=':')}}}"
        self._slow_key = f"{self._key}:slow"
        if isinstance(redis, str):
            if not redis.startswith(_URL_SCHEMES):
                raise ValueError(
                    "redis must be a redis://, rediss:// or unix:// URL, or a redis.asyncio client"
                )
            self._secrets = _url_secrets(redis)
            try:
                pool = module.BlockingConnectionPool.from_url(
                    redis,
                    max_connections=50,
                    timeout=self._timeout,
                    socket_timeout=self._timeout,
                    socket_connect_timeout=self._timeout,
                    retry=retry,
                )
            except (ValueError, TypeError):
                raise ValueError("malformed Redis URL (not shown: it may hold a password)") from None
            self._client: Any = module.Redis.from_pool(pool)
            self._owned = True
        elif callable(getattr(redis, "register_script", None)):
            self._client = redis
            self._owned = False
            self._secrets = _client_secrets(redis)
        else:
            raise TypeError("redis must be a redis:// URL or a redis.asyncio client")
        self._acquire_script = self._client.register_script(_ACQUIRE)
        self._slow_script = self._client.register_script(_SLOW)
        self._shared = True
        self._outages = 0
        self._probing = False
        self._next_probe_at = 0.0
        self._probe_delay = _FIRST_PROBE
        self._last_cut = -math.inf
        self._cut_pending = False
        self._cut_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        # Never the URL or the client: they may hold a password.
        state = "shared"
        if not self._shared and self._fallback is not None:
            state = f"on its fallback of {self._fallback.rate:g}/s"
        return f"<RedisRateLimiter {self._name!r} {self._rate:g}/s capacity={self._capacity:g} {state}>"

    # --- what it is ------------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The shared name."""
        return self._name

    @property
    def rate(self) -> float:
        """Acquisitions per second, for every process sharing the name."""
        return self._rate

    @property
    def capacity(self) -> float:
        """The burst, in acquisitions."""
        return self._capacity

    @property
    def fallback_rate(self) -> float | None:
        """This process's rate while Redis does not answer, or ``None``."""
        return None if self._fallback is None else self._fallback.rate

    @property
    def key(self) -> str:
        """The Redis key of the limiter's state (the slow-down is at ``key + ":slow"``)."""
        return self._key

    @property
    def shared(self) -> bool:
        """Whether acquisitions go to Redis (``False`` while on the fallback)."""
        return self._shared

    @property
    def outages(self) -> int:
        """How many times Redis stopped answering and the fallback took over."""
        return self._outages

    # --- acquiring -------------------------------------------------------------------------------------

    async def reserve(self) -> Reservation:
        """Take the next acquisition and say when it may be used, without waiting for it.

        Raises:
            RateLimiterError: Redis did not answer, and there is no fallback.
            RateLimitTimeoutError: the next acquisition is more than ``max_wait`` away.
        """
        if self._cut_pending:
            await self._publish_cut()
        fallback = self._fallback
        if fallback is None:
            try:
                return await self._redis_reserve()
            except _Unavailable as exc:
                raise RateLimiterError(
                    f"rate limiter {self._name!r}: Redis did not answer ({exc})", name=self._name
                ) from None
        if self._shared:
            try:
                return await self._redis_reserve()
            except _Unavailable as exc:
                self._shared = False
                self._outages += 1
                self._probe_delay = _FIRST_PROBE
                self._next_probe_at = time.monotonic() + self._probe_delay
                _log.warning(
                    "rate limiter %r: Redis did not answer (%s); %g/s for this process until it does",
                    self._name,
                    exc,
                    fallback.rate,
                )
                return self._local_reserve(fallback)
        if self._probing or time.monotonic() < self._next_probe_at:
            return self._local_reserve(fallback)
        # One acquisition at a time asks Redis again; the others keep to the fallback meanwhile.
        self._probing = True
        try:
            reservation = await self._redis_reserve()
        except _Unavailable as exc:
            self._probe_delay = min(_MAX_PROBE, self._probe_delay * 2)
            self._next_probe_at = time.monotonic() + self._probe_delay
            _log.debug("rate limiter %r: Redis still does not answer (%s)", self._name, exc)
            return self._local_reserve(fallback)
        except RateLimitTimeoutError:
            self._back_on_redis()  # it answered: the slot is just far away
            raise
        finally:
            self._probing = False
        self._back_on_redis()
        return reservation

    def _back_on_redis(self) -> None:
        self._shared = True
        _log.warning("rate limiter %r: Redis answers again; the rate is shared again", self._name)

    async def acquire(self) -> None:
        """Wait for the next acquisition (of the whole fleet's ``rate``) and take it.

        Cancelled while waiting, the acquisition is lost (the others do not get it): the rate can only be
        lower, never higher.

        Raises:
            RateLimiterError: Redis did not answer, and there is no fallback.
            RateLimitTimeoutError: the next acquisition is more than ``max_wait`` away.
        """
        reservation = await self.reserve()
        if reservation.wait > 0:
            await asyncio.sleep(reservation.wait)

    def _local_reserve(self, fallback: _LocalBucket) -> Reservation:
        grant, factor, now = fallback.reserve()
        if not grant.granted:
            raise self._too_far(grant.wait)
        at = fallback.wall_offset + now + grant.wait
        return Reservation(grant.wait, at, fallback.rate * factor, shared=False)

    def _too_far(self, wait: float) -> RateLimitTimeoutError:
        return RateLimitTimeoutError(
            f"rate limiter {self._name!r}: the next acquisition is {wait:.3g} s away, "
            f"more than max_wait={self._max_wait:g} s",
            name=self._name,
            wait=wait,
        )

    async def _redis_reserve(self) -> Reservation:
        horizon_us = (self._max_wait + (self._capacity + 1) / (self._rate * _SLOWEST)) * _US
        reply = await self._run(
            self._acquire_script,
            [self._key, self._slow_key],
            [
                repr(self._interval_us),
                repr(self._capacity),
                str(int(self._max_wait * _US)),
                str(int(horizon_us)),
            ],
        )
        granted, wait_us, ppm, now_us = _reply_ints(reply, 4)
        if (
            granted not in (0, 1)
            or not 0 <= wait_us < _MAX_US
            or not 0 < ppm <= _US
            or not 0 < now_us < _MAX_US
        ):
            raise _Unavailable("an out-of-range reply to the limiter's script")
        if not granted:
            raise self._too_far(wait_us / _US)
        if wait_us > self._max_wait * _US + 1:
            raise _Unavailable("a wait longer than max_wait from the limiter's script")
        return Reservation(wait_us / _US, (now_us + wait_us) / _US, self._rate * ppm / _US, shared=True)

    async def _run(self, script: Any, keys: list[str], args: list[str]) -> object:
        """One script call, bounded by ``timeout``.

        Raises:
            _Unavailable: Redis did not answer it, or answered an error.
        """
        try:
            return await asyncio.wait_for(script(keys=keys, args=args), self._timeout)
        except (self._error, OSError, asyncio.TimeoutError) as exc:
            raise _Unavailable(self._detail(exc)) from None

    def _detail(self, exc: BaseException) -> str:
        if isinstance(exc, asyncio.TimeoutError | TimeoutError) and not str(exc):
            return f"no answer within {self._timeout:g} s"
        text = str(exc)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        if len(text) > _DETAIL_CHARS:
            text = text[: _DETAIL_CHARS - 3] + "..."
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

    # --- feedback --------------------------------------------------------------------------------------

    def slow_down(self) -> None:
        """A request was throttled: slow every process sharing the name down, for a while.

        The shared rate factor is cut to 70 % (never below 5 %), in the background; requests throttled less
        than a second apart (they met the same congestion) cut it once. The cut wears off by itself, on
        Redis's clock, in ``recovery`` seconds. On the fallback, only this process slows down. Never raises.
        """
        fallback = self._fallback
        if fallback is not None and not self._shared:
            fallback.slow_down()
            return
        now = time.monotonic()
        if now - self._last_cut < _COOLDOWN:
            return  # the script would not cut again: spare the round trip
        self._last_cut = now
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop here: the next acquisition sends it
            self._cut_pending = True
            return
        if self._cut_task is None or self._cut_task.done():
            self._cut_task = loop.create_task(self._publish_cut())

    def recover(self) -> None:
        """Nothing to do: the shared slow-down wears off by time, the same for every process.

        (Recovering per unthrottled request, as :class:`~aiocognito.bulk.TokenBucket` does, would let the
        busiest process speed the whole fleet up.)
        """

    async def _publish_cut(self) -> None:
        self._cut_pending = False
        speed = (1.0 - _CUT_BY) / self._recovery / _US
        try:
            reply = await self._run(
                self._slow_script,
                [self._slow_key],
                [repr(_CUT_BY), repr(_SLOWEST), repr(speed), str(int(_COOLDOWN * _US))],
            )
            done, ppm = _reply_ints(reply, 2)
        except _Unavailable as exc:
            # The feedback is best effort: the next acquisition meets the same Redis and reports it.
            _log.warning("rate limiter %r: the slow-down was not shared: %s", self._name, exc)
            if self._fallback is not None:
                self._fallback.slow_down()
            return
        if done:
            _log.info("rate limiter %r: throttled; the shared rate is cut to %.0f %%", self._name, ppm / 1e4)

    # --- lifetime --------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Wait (up to ``timeout``) for a slow-down being sent, and close the client the limiter made."""
        task, self._cut_task = self._cut_task, None
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), self._timeout)
            except (asyncio.TimeoutError, TimeoutError):
                task.cancel()
        if self._owned:
            await self._client.aclose()

    async def __aenter__(self) -> RedisRateLimiter:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
