"""The in-process rate limiter: a token bucket (GCRA), slowed by throttling and recovering after it."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

__all__ = ["TokenBucket"]

# The limiter never slows below this fraction of the rate asked for, nor recovers above it.
_SLOWEST = 0.05
_SLOW_DOWN = 0.7
_RECOVER = 1.01


class TokenBucket:
    """A token-bucket rate limiter: on average at most ``rate`` acquisitions per second.

    It holds up to ``capacity`` tokens (the burst it allows after a quiet time) and starts full. It is
    computed from the clock rather than refilled by a timer, so oversleeping never lowers the rate.

    Args:
        rate: tokens per second.
        capacity: the largest burst, at least 1.
        clock: monotonic seconds (injectable for tests).
        sleep: the coroutine to wait with (injectable for tests).

    Raises:
        ValueError: ``rate`` is not positive or ``capacity`` is less than 1.
    """

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not rate > 0 or math.isinf(rate):
            raise ValueError("rate must be a positive number of sign-ins per second")
        if not capacity >= 1:
            raise ValueError("capacity must be at least 1")
        self.max_rate = float(rate)
        self.rate = float(rate)
        self.capacity = float(capacity)
        self._clock = clock
        self._sleep = sleep
        # The time at which the bucket would be full again: GCRA's "theoretical arrival time".
        self._full_at = clock()

    def __repr__(self) -> str:
        return f"<TokenBucket rate={self.rate:g}/s of {self.max_rate:g}/s capacity={self.capacity:g}>"

    def reserve(self) -> float:
        """Take a token now; return how many seconds to wait before using it."""
        now = self._clock()
        interval = 1.0 / self.rate
        start = max(now, self._full_at)
        self._full_at = start + interval
        return max(0.0, self._full_at - self.capacity * interval - now)

    async def acquire(self) -> None:
        """Wait until a token is available and take it."""
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)

    def slow_down(self) -> None:
        """Cut the rate after throttling (multiplicative decrease)."""
        self.rate = max(self.max_rate * _SLOWEST, self.rate * _SLOW_DOWN)

    def recover(self) -> None:
        """Raise the rate a little after a sign-in that was not throttled, up to the rate asked for."""
        if self.rate < self.max_rate:
            self.rate = min(self.max_rate, self.rate * _RECOVER)
