"""Waiting costs nothing: the rate limiter, the progress bar and idle SRP workers wake only when due.

These count wake-ups (timers the event loop is asked for, lines drawn) and CPU over an idle stretch
against generous bounds; they assert no timings.
"""

from __future__ import annotations

import asyncio
import io
import os
import resource
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from clocks import SleepingClock

from aiocognito import ComputePool
from aiocognito.bulk import TokenBucket
from aiocognito.cli.bulk import _Progress
from aiocognito.core import srp
from aiocognito.core.flows import Compute

_T = TypeVar("_T")


class _CountingLoop(asyncio.SelectorEventLoop):
    """An event loop that counts the timers it is asked for (every sleep and ``call_later`` is one)."""

    def __init__(self) -> None:
        super().__init__()
        self.timers = 0

    def call_at(self, when: float, callback: Callable[..., object], *args: Any, **kwargs: Any) -> Any:
        self.timers += 1
        return super().call_at(when, callback, *args, **kwargs)


def _run(main: Callable[[], Awaitable[_T]]) -> tuple[_T, int]:
    """Run ``main()`` on a counting loop: its result and the timers scheduled while it ran."""
    loop = _CountingLoop()
    try:
        result = loop.run_until_complete(main())
        return result, loop.timers
    finally:
        loop.close()


def test_a_waiter_with_no_permit_for_a_second_sleeps_once() -> None:
    bucket = TokenBucket(1.0)

    async def main() -> float:
        await bucket.acquire()  # the bucket starts full: this one is free
        before = time.monotonic()
        await bucket.acquire()  # the next permit is a second away
        return time.monotonic() - before

    waited, timers = _run(main)
    assert waited > 0.5  # it did wait...
    assert timers <= 2  # ...on one timer, not a poll


def test_waiters_queued_on_an_empty_bucket_are_woken_in_order_once_each() -> None:
    bucket = TokenBucket(10.0)
    order: list[int] = []

    async def waiter(number: int) -> None:
        await bucket.acquire()
        order.append(number)

    async def main() -> None:
        await asyncio.gather(*(waiter(i) for i in range(8)))

    _, timers = _run(main)
    assert order == list(range(8))
    assert timers <= 8  # one sleep per waiter that had to wait (the first did not)


def test_a_grain_groups_the_permits_due_within_it_into_one_wake_up() -> None:
    # 40 permits at 100/s take 0.4 s; grouped by 0.1 s they need about 4 wake-ups, not 40.
    bucket = TokenBucket(100.0, capacity=1 + 100 * 0.1, grain=0.1)

    async def main() -> int:
        for _ in range(11):  # the first burst: the bucket starts full
            await bucket.acquire()
        before = time.monotonic()
        for _ in range(40):
            await bucket.acquire()
        return round((time.monotonic() - before) * 100)

    centiseconds, timers = _run(main)
    assert centiseconds >= 30  # the rate held: 40 permits at 100/s
    assert timers <= 8


def test_a_grain_keeps_the_rate_and_the_burst_within_the_capacity() -> None:
    clock = SleepingClock(now=0.0)
    bucket = TokenBucket(20.0, capacity=3, clock=clock, sleep=clock.sleep, grain=0.1)

    async def main() -> list[float]:
        times = []
        for _ in range(43):
            await bucket.acquire()
            times.append(clock.now)
        return times

    times = asyncio.run(main())
    assert times[-1] == pytest.approx(2.0, abs=0.11)  # 40 after the first burst of 3, at 20/s
    for start in times:  # in any window of w seconds at most 20 w + 3
        in_window = [t for t in times if start <= t < start + 0.5]
        assert len(in_window) <= 20 * 0.5 + 3
    assert len(clock.slept) <= 21  # one sleep per grain, not one per permit (40)


def test_a_grain_larger_than_the_capacity_pays_for_is_refused() -> None:
    with pytest.raises(ValueError, match="grain"):
        TokenBucket(100.0, capacity=2, grain=0.1)
    with pytest.raises(ValueError, match="grain"):
        TokenBucket(1.0, grain=-1)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_redraws_at_most_ten_times_a_second_whatever_the_result_rate() -> None:
    screen = _Terminal()
    progress = _Progress(screen, 100_000)

    async def main() -> int:
        done = 0
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:  # results as fast as the loop turns
            done += 1
            progress.update(done, 0)
            await asyncio.sleep(0)
        drawn = progress.draws
        quiet_from = progress.draws
        await asyncio.sleep(0.3)  # no results: nothing to redraw after the last one
        assert progress.draws - quiet_from <= 1
        progress.clear()
        return drawn

    drawn, timers = _run(main)
    assert 1 <= drawn <= 8  # ~5 in 0.5 s at 10/s, with room
    assert timers <= 12  # the bar's own timers (one per redraw) and the quiet sleep


def test_the_progress_bar_schedules_nothing_while_no_result_comes() -> None:
    progress = _Progress(_Terminal(), 10)

    async def main() -> None:
        await asyncio.sleep(0.2)
        progress.clear()

    _, timers = _run(main)
    assert progress.draws == 0
    assert timers == 1  # the test's own sleep


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def test_idle_worker_threads_burn_no_cpu() -> None:
    async with ComputePool(2) as pool:
        # Start both workers with real work, then leave them idle.
        await asyncio.gather(
            *(pool.run(Compute(srp.ephemeral, (os.urandom(srp.EPHEMERAL_BYTES),))) for _ in range(8))
        )
        before = _process_cpu()
        await asyncio.sleep(0.5)
        idle = _process_cpu() - before
    assert idle < 0.05  # blocked on their queue: nothing like a timed poll, whatever the machine
