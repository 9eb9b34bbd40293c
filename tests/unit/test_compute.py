"""ComputePool: the math off the event loop, batched per loop turn, shared, cancelled and closed cleanly."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

import aiocognito
from aiocognito.compute import ComputePool, default_compute_pool, run_default
from aiocognito.core import bignum, srp
from aiocognito.core.flows import Compute

A_BYTES = bytes(range(1, 81))


class CountingExecutor(concurrent.futures.ThreadPoolExecutor):
    """A thread pool that counts the batches handed to it."""

    def __init__(self, workers: int = 2) -> None:
        super().__init__(workers)
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


def _thread_of(value: int) -> tuple[int, int]:
    return value, threading.get_ident()


def _gil_released(_: int) -> bool:
    if bignum.backend_name() == "pycryptodome":  # its C calls go through ctypes, which lets go of the GIL
        return True
    import gmpy2

    return bool(gmpy2.get_context().allow_release_gil)


def _nice_of_this_thread(_: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def _fail(message: str) -> None:
    raise ValueError(message)


async def test_effects_run_in_worker_threads_with_gmpys_gil_release_set() -> None:
    async with ComputePool(workers=2) as pool:
        value, thread = await pool.run(Compute(_thread_of, (7,)))
        assert value == 7
        assert thread != threading.get_ident()
        assert await pool.run(Compute(srp.ephemeral, (A_BYTES,))) == srp.ephemeral(A_BYTES)
        assert await pool.run(Compute(_gil_released, (0,))) is True


async def test_effects_of_one_loop_turn_go_in_one_batch_per_worker() -> None:
    executor = CountingExecutor()
    try:
        pool = ComputePool(workers=2, executor=executor)
        results = await asyncio.gather(*(pool.run(Compute(_thread_of, (i,))) for i in range(10)))
        assert [value for value, _ in results] == list(range(10))
        assert executor.submitted == 2  # 10 effects, 2 workers: 2 batches of 5
        executor.submitted = 0
        await asyncio.gather(*(pool.run(Compute(_thread_of, (i,))) for i in range(100)))
        assert executor.submitted == 4  # batches of at most MAX_BATCH (32)
        await pool.aclose()
        assert executor.submit(int).result() == 0  # a lent executor is left running
    finally:
        executor.shutdown()


async def test_an_error_reaches_only_the_effect_that_raised_it() -> None:
    async with ComputePool(workers=1) as pool:
        failed, fine = await asyncio.gather(
            pool.run(Compute(_fail, ("boom",))), pool.run(Compute(_thread_of, (1,))), return_exceptions=True
        )
    assert isinstance(failed, ValueError) and str(failed) == "boom"
    assert fine[0] == 1


async def test_a_cancelled_effect_is_dropped_and_the_rest_of_its_batch_still_ends() -> None:
    executor = CountingExecutor(1)
    try:
        pool = ComputePool(workers=1, executor=executor)
        before_flush = asyncio.ensure_future(pool.run(Compute(_thread_of, (0,))))
        await asyncio.sleep(0)  # the task has submitted its effect; the flush is scheduled
        before_flush.cancel()
        await asyncio.sleep(0.01)
        assert executor.submitted == 0  # nothing left to run

        gate = threading.Event()
        started = threading.Event()

        def blocked(value: int) -> int:
            started.set()
            gate.wait(5)
            return value

        first = asyncio.ensure_future(pool.run(Compute(blocked, (1,))))
        second = asyncio.ensure_future(pool.run(Compute(_thread_of, (2,))))
        await asyncio.to_thread(started.wait, 5)
        first.cancel()
        gate.set()
        assert (await second)[0] == 2
        with pytest.raises(asyncio.CancelledError):
            await first
    finally:
        executor.shutdown()


async def test_closing_fails_what_is_in_flight_and_refuses_more() -> None:
    pool = ComputePool(workers=1)
    gate = threading.Event()
    started = threading.Event()

    def blocked(value: int) -> int:
        started.set()
        gate.wait(5)
        return value

    running = asyncio.ensure_future(pool.run(Compute(blocked, (1,))))
    await asyncio.to_thread(started.wait, 5)
    closing = asyncio.ensure_future(pool.aclose())
    await asyncio.sleep(0.01)
    with pytest.raises(RuntimeError, match="closed"):
        await running
    gate.set()
    await closing
    assert pool.closed
    with pytest.raises(RuntimeError, match="closed"):
        await pool.run(Compute(_thread_of, (1,)))


def test_one_pool_serves_several_event_loops_in_turn() -> None:
    pool = ComputePool(workers=2)
    try:
        for i in range(3):
            value, _ = asyncio.run(pool.run(Compute(_thread_of, (i,))))
            assert value == i
    finally:
        pool.close()


async def test_workers_zero_runs_inline_on_the_event_loop() -> None:
    pool = ComputePool(workers=0)
    assert pool.inline
    _, thread = await pool.run(Compute(_thread_of, (1,)))
    assert thread == threading.get_ident()


def test_negative_workers_are_refused() -> None:
    with pytest.raises(ValueError, match="workers"):
        ComputePool(workers=-1)
    for nice in (-1, 20, 1.5):
        with pytest.raises(ValueError, match="nice"):
            ComputePool(nice=nice)  # type: ignore[arg-type]


@pytest.mark.parametrize("nice", [0, 3, 10])
async def test_worker_threads_yield_the_cores_to_the_event_loop(nice: int) -> None:
    own = _nice_of_this_thread(0)
    async with ComputePool(workers=2, nice=nice) as pool:
        niceness = await asyncio.gather(*(pool.run(Compute(_nice_of_this_thread, (i,))) for i in range(4)))
    # Only Linux has per-thread priorities; elsewhere the pool leaves them (and the process's) alone.
    expected = min(19, own + nice) if sys.platform.startswith("linux") else own
    assert niceness == [expected] * 4
    assert _nice_of_this_thread(0) == own  # the loop's thread keeps its priority


async def test_without_a_gil_free_backend_each_thread_feeds_a_worker_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bignum, "RELEASES_GIL", False)
    async with ComputePool(workers=2) as pool:
        assert pool.processes
        results = await asyncio.gather(*(pool.run(Compute(srp.ephemeral, (A_BYTES,))) for _ in range(4)))
        with pytest.raises(ValueError, match="boom"):
            await pool.run(Compute(_fail, ("boom",)))
    assert results == [srp.ephemeral(A_BYTES)] * 4


async def test_the_default_pool_is_made_once_and_shared_by_pools_given_none() -> None:
    assert default_compute_pool() is default_compute_pool()
    assert (await run_default(Compute(_thread_of, (3,))))[0] == 3
    pool = aiocognito.UserPool("us-east-1_Compute", "client")
    assert pool.sign_ins.compute is run_default


async def test_a_user_pool_given_a_compute_pool_uses_it_for_its_sign_ins() -> None:
    shared = ComputePool(workers=1)
    first = aiocognito.UserPool("us-east-1_Compute", "client", compute=shared)
    second = aiocognito.UserPool("us-east-1_Other", "client", compute=shared)
    assert first.sign_ins.compute == shared.run
    assert second.sign_ins.compute == shared.run
    await shared.aclose()
