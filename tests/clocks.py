"""Clocks that tests hand to servers and clients in place of the real one."""

from __future__ import annotations

import time


class OffsetClock:
    """Real time (``time.time``) plus an offset the test moves, to age tokens, codes and lock-outs."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


class SleepingClock:
    """A monotonic clock that only moves when someone sleeps on it; the sleeps are recorded."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
