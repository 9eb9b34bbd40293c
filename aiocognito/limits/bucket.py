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

    It holds up to ``capacity`` tokens (the burst it allows after a quiet time) and starts full: in any
    window of ``w`` seconds at most ``w * rate + capacity`` acquisitions end. It is computed from the clock
    rather than refilled by a timer, so oversleeping never lowers the rate, and it never polls: a caller
    that must wait takes its slot at once and sleeps once, until that slot: slots are taken in the order
    callers come, and callers wake in that order (with a ``grain``, those of one grain wake together).

    ``grain`` groups the wake-ups: a caller that must wait sleeps until the next multiple of ``grain``
    seconds on the clock at or after its slot, so the callers due within one grain wake in one event-loop
    turn, and one caller acquiring in a loop gets the tokens due by then at once. A caller is never woken
    before its slot, and at most ``(capacity - 1) / rate`` after it, which the capacity absorbs: the rate
    is kept and the window bound above still holds. The default, 0, wakes each caller at its own slot.

    Args:
        rate: tokens per second.
        capacity: the largest burst, at least 1 (``1 + grain * rate`` with a ``grain``).
        clock: monotonic seconds (injectable for tests).
        sleep: the coroutine to wait with (injectable for tests).
        grain: seconds wake-ups are grouped by (0: none).

    Raises:
        ValueError: ``rate`` is not positive, ``capacity`` is less than 1 or ``grain`` is negative or
            leaves less than 1 of ``capacity`` (``capacity - grain * rate < 1``).
    """

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        grain: float = 0.0,
    ) -> None:
        if not rate > 0 or math.isinf(rate):
            raise ValueError("rate must be a positive number of sign-ins per second")
        if not capacity >= 1:
            raise ValueError("capacity must be at least 1")
        if not 0 <= grain < math.inf or capacity - grain * rate < 1 - 1e-9:
            raise ValueError("grain must be from 0 to (capacity - 1) / rate seconds")
        self.max_rate = float(rate)
        self.rate = float(rate)
        self.capacity = float(capacity)
        self.grain = float(grain)
        self._clock = clock
        self._sleep = sleep
        # The time at which the bucket would be full again: GCRA's "theoretical arrival time".
        self._full_at = clock()

    def __repr__(self) -> str:
        grain = f" grain={self.grain:g}s" if self.grain else ""
        return f"<TokenBucket rate={self.rate:g}/s of {self.max_rate:g}/s capacity={self.capacity:g}{grain}>"

    def reserve(self) -> float:
        """Take a token now; return how many seconds to wait before using it (rounded up to the grain)."""
        now = self._clock()
        interval = 1.0 / self.rate
        start = max(now, self._full_at)
        self._full_at = start + interval
        slot = self._full_at - self.capacity * interval
        if slot <= now:
            return 0.0
        if self.grain:
            slot = math.ceil(slot / self.grain) * self.grain
        return slot - now

    async def acquire(self) -> None:
        """Wait until a token is available and take it (one sleep, no polling)."""
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
