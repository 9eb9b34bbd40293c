"""Event-loop lag during a burst of concurrent ``pool.sign_in`` calls, SRP math inline against a ComputePool.

A web server (aiohttp, FastAPI) that signs users in makes one ``pool.sign_in`` per request; 200 requests at
once are 200 concurrent sign-ins on one loop. While they run, a ticker sleeps 1 ms again and again and
notes how late it wakes, and every callback the loop runs is timed as asyncio's debug mode times them
(around ``Handle._run``; the loop's ``slow_callback_duration`` warning): the longest single callback is
what every other request sharing the loop waits for at worst.

- **inline**: ``UserPool(compute=ComputePool(workers=0))``, the math on the event loop (the old path
  whenever gmpy2 is present).
- **ComputePool**: the default, worker threads sized to the usable cores, batched per loop turn.
- **nice=0**: the same with the workers at the event loop's scheduling priority (the default lowers
  theirs by 10 on Linux), to show what that buys.
- **ephemerals**: ``ComputePool(ephemerals=N)`` with its spare key pairs drawn before the burst.
- **gc.freeze()**: the default pool in a process that froze its start-up objects (``gc.freeze()``), as
  servers do: the longest callbacks left are the cyclic collector's, whose cost grows with the heap.
- **sign_in_many**: the same users through ``pool.sign_in_many(rate=None)``, for comparison.

The server is the package's LocalUserPool in another process (``benchmarks/_local_pool.py``). Rounds are
interleaved (inline, pool, many, inline, ...); figures are the median of the rounds with their range.
Targets: no callback longer than 5 ms, the ticker's p99 at most 10 ms.

    python benchmarks/bench_loop_lag.py [--burst N] [--rounds R] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _local_pool import PASSWORD, LocalPoolProcess

from benchmarks._util import cpu_seconds, markdown_table

TICK = 0.001
SLOW = 0.005


@contextmanager
def timed_callbacks() -> Iterator[list[tuple[float, float]]]:
    """(wall, thread CPU) seconds of every callback the loop runs meanwhile, timed around ``Handle._run``.

    The wall time is what debug mode's ``slow_callback_duration`` looks at; the thread's CPU time leaves
    out waiting for the GIL or for a core (on a busy machine the two differ).
    """
    durations: list[tuple[float, float]] = []
    handle = asyncio.events.Handle
    original = handle._run

    def run(self: asyncio.Handle) -> None:
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            original(self)
        finally:
            durations.append((time.perf_counter() - start, time.thread_time() - cpu))

    handle._run = run  # type: ignore[method-assign]
    try:
        yield durations
    finally:
        handle._run = original  # type: ignore[method-assign]


async def ticker(lateness: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(TICK)
        lateness.append(time.perf_counter() - start - TICK)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def one_round(server: LocalPoolProcess, mode: str, burst: int) -> dict[str, float]:
    import aiocognito

    if mode == "inline":
        compute = aiocognito.ComputePool(workers=0)
    elif mode == "nice0":
        compute = aiocognito.ComputePool(nice=0)
    elif mode == "spares":
        compute = aiocognito.ComputePool(ephemerals=burst)
    else:
        compute = aiocognito.ComputePool()
    async with (
        compute,
        aiocognito.UserPool(
            server.pool_id,
            server.client_id,
            endpoint_url=server.endpoint_url,
            allow_http=True,
            compute=compute,
        ) as pool,
    ):
        await pool.sign_in("u0", PASSWORD)  # warm: a connection open, the backend loaded in the workers
        if compute.spares is not None:  # a server that has been up a while has its spares drawn
            for _ in range(3000):
                if compute.spares.held() >= burst:
                    break
                await asyncio.sleep(0.01)
        frozen = mode == "freeze"
        if frozen:  # what a server does once started: objects from start-up out of the collector's way
            gc.collect()
            gc.freeze()

        async def many() -> int:
            users = [(f"u{i}", PASSWORD) for i in range(burst)]
            return sum([r.ok async for r in pool.sign_in_many(users, rate=None, concurrency=burst)])

        async def gathered() -> int:
            steps = await asyncio.gather(*(pool.sign_in(f"u{i}", PASSWORD) for i in range(burst)))
            return sum(step.user is not None for step in steps)

        work: Callable[[], Awaitable[int]] = many if mode == "many" else gathered
        lateness: list[float] = []
        stop = asyncio.Event()
        with timed_callbacks() as durations:
            tick = asyncio.create_task(ticker(lateness, stop))
            await asyncio.sleep(0.01)
            cpu, wall = cpu_seconds(children=False), time.perf_counter()
            ok = await work()
            wall, cpu = time.perf_counter() - wall, cpu_seconds(children=False) - cpu
            stop.set()
            await tick
        if frozen:
            gc.unfreeze()
        if ok != burst:
            raise SystemExit(f"{mode}: only {ok} of {burst} sign-ins succeeded")
    return {
        "p50": percentile(lateness, 0.50) * 1000,
        "p99": percentile(lateness, 0.99) * 1000,
        "max": max(lateness) * 1000,
        "longest": max(wall for wall, _ in durations) * 1000,
        "longest_cpu": max(cpu for _, cpu in durations) * 1000,
        "slow": float(sum(wall > SLOW for wall, _ in durations)),
        "wall": wall,
        "cpu": cpu / burst * 1000,
    }


def cell(values: list[float], digits: int = 1) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    if len(values) == 1:
        return f"{mid:.{digits}f}"
    return f"{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


async def run(args: argparse.Namespace) -> None:
    from aiocognito.compute import usable_cores
    from aiocognito.core import bignum

    modes = ["inline", "pool", "nice0", "spares", "freeze", "many"]
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
    with LocalPoolProcess(users=args.burst) as server:
        for _ in range(args.rounds):
            for mode in modes:
                results[mode].append(await one_round(server, mode, args.burst))
    labels = {
        "inline": "pool.sign_in x N, math inline (ComputePool(workers=0))",
        "pool": f"pool.sign_in x N, ComputePool() ({usable_cores()} threads, nice +10: the default)",
        "nice0": "pool.sign_in x N, ComputePool(nice=0) (workers at the loop's priority)",
        "spares": f"pool.sign_in x N, ComputePool(ephemerals={args.burst}) (spares drawn beforehand)",
        "freeze": "pool.sign_in x N, ComputePool(), gc.freeze() after start-up",
        "many": "pool.sign_in_many(rate=None)",
    }
    rows = []
    for mode in modes:
        got = results[mode]

        def column(key: str, got: list[dict[str, float]] = got) -> list[float]:
            return [r[key] for r in got]

        rows.append(
            [
                labels[mode],
                cell(column("p50"), 2),
                cell(column("p99")),
                cell(column("max")),
                cell(column("longest")),
                cell(column("longest_cpu")),
                cell(column("slow"), 0),
                cell(column("cpu"), 2),
                cell(column("wall"), 2),
            ]
        )
    backend = bignum.backend_name()
    print("## bench_loop_lag\n")
    print(
        f"{args.burst} concurrent sign-ins against the local pool in another process, SRP backend {backend}; "
        f"a {TICK * 1000:.0f} ms ticker's lateness and the longest single callback (ms), median of "
        f"{args.rounds} interleaved rounds (range). Targets: longest callback <= 5 ms, ticker p99 <= 10 ms.\n"
    )
    headers = [
        "run",
        "ticker p50",
        "ticker p99",
        "ticker max",
        "longest callback",
        "most CPU in one callback",
        "callbacks > 5 ms",
        "client CPU ms/sign-in",
        "wall s",
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Load average at the end: {load:.1f} on {os.cpu_count()} logical cores.\n")
    print(markdown_table(headers, rows))
    inline, pooled = results["inline"], results["pool"]
    p99 = statistics.median(r["p99"] for r in inline) / max(1e-9, statistics.median(r["p99"] for r in pooled))
    print(f"\nTicker p99, inline / ComputePool: {p99:.1f}x.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=200, help="concurrent sign-ins (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--quick", action="store_true", help="one round of 20 (checks the code path)")
    args = parser.parse_args()
    if args.quick:
        args.burst, args.rounds = 20, 1
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
