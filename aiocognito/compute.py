"""Where the SRP big-number math runs: worker threads (or processes), never the event loop.

A sign-in needs a few milliseconds of modular exponentiation (``g^a``, then ``g^x`` and ``S``). Two
hundred sign-ins started in one loop turn would each do theirs before they first yield and hold the loop
for a third of a second, so every :class:`~aiocognito.flows.Compute` effect goes to a
:class:`ComputePool`:

- **Threads sized to the usable cores.** The backend lets go of the GIL while it exponentiates
  (pycryptodome always; gmpy2 once ``allow_release_gil`` is set in the thread's own context, which each
  worker thread does as it starts), so the threads run in parallel with no process start-up, pickling
  or pipes.
- **Behind the event loop for a core.** On Linux the worker threads run at a lower scheduling priority
  (``nice`` +10 by default): with as many workers as cores, the loop's thread would otherwise wait for
  a core behind them, and every callback would take longer by as much.
- **Batched per loop turn.** The effects asked for in one turn of the event loop are split into at most
  one batch per worker (at most :data:`MAX_BATCH` each): one hand-off per batch, not per sign-in, and
  one callback resolves a whole batch.
- **Without pycryptodome or gmpy2** (Python's ``pow()`` holds the GIL, even in a thread) each worker
  thread feeds a worker process of its own over a pipe, with length-prefixed pickles.

The pool holds no event-loop state of its own beyond a batch queue per loop, so one pool may serve pools
on several loops in turn. ``UserPool(compute=...)`` shares one between pools; pools that pass none share
:func:`default_compute_pool`, made on first use and closed at interpreter exit.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import functools
import math
import os
import pickle
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Any, BinaryIO

from .core import bignum, srp
from .core.flows import Compute, NewEphemeral
from .ephemerals import EphemeralSpares, RandomSource

__all__ = [
    "MAX_BATCH",
    "ComputePool",
    "Jobs",
    "Results",
    "DEFAULT_NICE",
    "default_compute_pool",
    "lower_this_threads_priority",
    "release_gil_in_gmpy2",
    "run_batch",
    "run_default",
    "usable_cores",
    "worker_main",
]

#: Computations handed to a worker in one go: big enough to make the hop cheap, small enough that every
#: worker gets some.
MAX_BATCH = 32

#: Computations to run: ``(function, args, kwargs)`` each.
Jobs = list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]
#: Their outcomes, in order: ``(True, result)`` or ``(False, exception)``.
Results = list[tuple[bool, Any]]

_FRAME_HEAD = 4
# The worker: takes sys.path first (so it imports aiocognito from where this process did), keeps its
# stdout for frames (anything printed goes to stderr) and leaves Ctrl-C to the parent, which closes it.
_WORKER_BOOT = (
    "import os, pickle, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "out = os.fdopen(os.dup(1), 'wb'); os.dup2(2, 1); "
    "sys.path[:] = pickle.load(sys.stdin.buffer); "
    "from aiocognito.compute import worker_main; worker_main(sys.stdin.buffer, out)"
)


def run_batch(jobs: Jobs) -> Results:
    """Run computations: ``(True, result)`` or ``(False, exception)`` for each."""
    out: Results = []
    for function, args, kwargs in jobs:
        try:
            out.append((True, function(*args, **kwargs)))
        except Exception as exc:  # handed back to the flow that asked
            out.append((False, exc))
    return out


def worker_main(inp: BinaryIO, out: BinaryIO) -> None:
    """A worker process's loop: read a batch, run it, write the results; stop at end of input."""
    while True:
        head = inp.read(_FRAME_HEAD)
        if len(head) < _FRAME_HEAD:
            return
        jobs = pickle.loads(inp.read(int.from_bytes(head, "big")))  # noqa: S301 - from our parent
        results = run_batch(jobs)
        try:
            data = pickle.dumps(results, pickle.HIGHEST_PROTOCOL)
        except Exception:  # an exception that does not pickle: send its text
            results = [(ok, v if ok else RuntimeError(repr(v))) for ok, v in results]
            data = pickle.dumps(results, pickle.HIGHEST_PROTOCOL)
        out.write(len(data).to_bytes(_FRAME_HEAD, "big") + data)
        out.flush()


def release_gil_in_gmpy2() -> None:
    """Thread initializer: load the SRP backend and, with gmpy2, let this thread's context release the GIL
    during big operations (pycryptodome releases it on its own)."""
    bignum.release_gil_in_this_thread()


#: How much lower the worker threads' scheduling priority is than the process's (Linux ``nice``).
DEFAULT_NICE = 10


def lower_this_threads_priority(nice: int) -> None:
    """Raise the calling thread's ``nice`` value by ``nice`` (Linux, where priorities are per thread;
    elsewhere the call would change the whole process, so it does nothing)."""
    if nice <= 0 or not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):  # a sandbox that forbids it: the thread keeps its priority
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + nice))


def _start_worker_thread(nice: int) -> None:
    lower_this_threads_priority(nice)
    release_gil_in_gmpy2()


def usable_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)  # pragma: no cover - macOS, Windows


class _ProcessWorkers:
    """One worker process per worker thread, started by that thread on its first batch.

    Not :class:`concurrent.futures.ProcessPoolExecutor`: its ``spawn`` start runs the caller's main script
    again in every worker (a script without an ``if __name__ == "__main__"`` guard then breaks), and
    ``fork`` copies the locks held by this process's threads. The workers are children of this process
    (their CPU time shows in ``RUSAGE_CHILDREN`` once closed) and end when their input closes.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._processes: list[subprocess.Popen[bytes]] = []

    def _process(self) -> subprocess.Popen[bytes]:
        process: subprocess.Popen[bytes] | None = getattr(self._local, "process", None)
        if process is not None and process.poll() is None:
            return process
        process = subprocess.Popen(  # noqa: S603 - this interpreter, our own boot code
            [sys.executable, "-c", _WORKER_BOOT], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert process.stdin is not None
        process.stdin.write(pickle.dumps(list(sys.path)))
        with self._lock:
            self._processes.append(process)
        self._local.process = process
        return process

    def run_batch(self, jobs: Jobs) -> Results:
        """In a worker thread: send ``jobs`` to this thread's process and wait for its results."""
        process = self._process()
        assert process.stdin is not None
        assert process.stdout is not None
        data = pickle.dumps(jobs, pickle.HIGHEST_PROTOCOL)
        try:
            process.stdin.write(len(data).to_bytes(_FRAME_HEAD, "big") + data)
            process.stdin.flush()
            head = process.stdout.read(_FRAME_HEAD)
            reply = process.stdout.read(int.from_bytes(head, "big")) if len(head) == _FRAME_HEAD else b""
        except OSError as exc:
            raise RuntimeError(f"an SRP worker process ended (exit status {process.poll()})") from exc
        if not reply:
            self._local.process = None
            raise RuntimeError(f"an SRP worker process ended (exit status {process.poll()})")
        results: Results = pickle.loads(reply)  # noqa: S301 - from our own worker
        return results

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            processes, self._processes = self._processes, []
        for process in processes:
            if process.stdin is not None:
                process.stdin.close()
        for process in processes:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


_Pending = tuple[Compute, "asyncio.Future[Any]"]


class _LoopBatcher:
    """The effects one event loop asked for in its current turn, flushed as batches at the turn's end."""

    def __init__(self, pool: ComputePool, loop: asyncio.AbstractEventLoop) -> None:
        self._pool = pool
        self._loop = loop
        self._pending: list[_Pending] = []
        self._scheduled = False
        self.batches: set[asyncio.Future[Results]] = set()

    def submit(self, effect: Compute) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = self._loop.create_future()
        self._pending.append((effect, future))
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._scheduled = False
        pending, self._pending = [p for p in self._pending if not p[1].done()], []
        if not pending:
            return
        size = min(MAX_BATCH, math.ceil(len(pending) / self._pool.workers))
        for start in range(0, len(pending), size):
            chunk = pending[start : start + size]
            jobs: Jobs = [(e.function, e.args, dict(e.kwargs)) for e, _ in chunk]
            # Not a task: the executor's future resolves the chunk in one callback, and a cancelled
            # sign-in only drops its own future, never a batch others wait for.
            batch = self._pool.submit_batch(self._loop, jobs)
            self.batches.add(batch)
            batch.add_done_callback(functools.partial(self._settle, chunk=chunk))

    def _settle(
        self, batch: asyncio.Future[Results], chunk: list[tuple[Compute, asyncio.Future[Any]]]
    ) -> None:
        self.batches.discard(batch)
        if batch.cancelled():
            error: BaseException | None = RuntimeError("the compute pool was closed")
        else:
            error = batch.exception()
        for index, (_, future) in enumerate(chunk):
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
                continue
            ok, value = batch.result()[index]
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


class ComputePool:
    """Runs the SRP math of sign-ins in worker threads, batched per event-loop turn.

    ``workers`` threads (default: one per usable core); ``0`` runs the math inline on the event loop (the
    old way: a few milliseconds per effect). Without pycryptodome or gmpy2 each thread feeds a worker
    process. ``executor`` hands the batches to an executor of your own instead (a process or thread
    pool; batches are pickled for a process pool), which :meth:`aclose` does not shut down.

    ``nice``: how much lower the worker threads' scheduling priority is (Linux only; ``0`` keeps the
    process's), so that the event loop's thread gets a core before the math does.

    ``ephemerals``: keep up to that many SRP key pairs ``(a, A)`` drawn ahead of time by the workers, per
    randomness source (opt-in; see :mod:`aiocognito.ephemerals`): a sign-in then starts with a pair
    already made, and another is made in its place. Each pair is used once, kept in memory only and
    dropped in a forked child. It moves ``g^a`` off the sign-in's latency path; the CPU is the same.

    Share one between pools (``UserPool(compute=pool)``); close it with :meth:`aclose` or
    ``async with``. Closing it fails the computations in flight with :class:`RuntimeError`.

    Raises:
        ValueError: ``workers`` is negative, ``nice`` is not from 0 to 19, or ``ephemerals`` is not
            from 0 to 1024 or asks for spares with ``workers=0``.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        executor: concurrent.futures.Executor | None = None,
        nice: int = DEFAULT_NICE,
        ephemerals: int = 0,
    ) -> None:
        if workers is not None and (not isinstance(workers, int) or workers < 0):
            raise ValueError("workers must be a non-negative integer")
        if not isinstance(nice, int) or not 0 <= nice <= 19:
            raise ValueError("nice must be an integer from 0 to 19")
        self.nice = nice
        if ephemerals and workers == 0:
            raise ValueError("ephemerals are drawn by worker threads: not with workers=0")
        #: The spare key pairs, or ``None`` (no ``ephemerals``).
        self.spares = EphemeralSpares(ephemerals) if ephemerals else None
        self._drawing: set[asyncio.Future[Any]] = set()
        self.workers = usable_cores() if workers is None else workers
        self.processes = executor is None and self.workers > 0 and not bignum.RELEASES_GIL
        self._own: concurrent.futures.ThreadPoolExecutor | None = None
        self._executor = executor
        self._process_workers = _ProcessWorkers() if self.processes else None
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopBatcher] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self._closed = False
        if executor is not None and self.workers == 0:
            self.workers = 1

    def __repr__(self) -> str:
        where = (
            "inline"
            if self.inline
            else "executor"
            if self._executor
            else "processes"
            if self.processes
            else "threads"
        )
        return f"<ComputePool {self.workers} {where}{' closed' if self._closed else ''}>"

    @property
    def inline(self) -> bool:
        """Whether the math runs on the event loop (``workers=0``)."""
        return self.workers == 0

    @property
    def closed(self) -> bool:
        return self._closed

    def _executor_for_batches(self) -> concurrent.futures.Executor:
        if self._executor is not None:
            return self._executor
        with self._lock:
            if self._closed:
                raise RuntimeError("the compute pool is closed")
            if self._own is None:
                # Process workers' threads only wait on pipes; their processes do the math.
                initializer = (
                    functools.partial(lower_this_threads_priority, self.nice)
                    if self.processes
                    else functools.partial(_start_worker_thread, self.nice)
                )
                self._own = concurrent.futures.ThreadPoolExecutor(
                    self.workers, thread_name_prefix="aiocognito-srp", initializer=initializer
                )
            return self._own

    def submit_batch(self, loop: asyncio.AbstractEventLoop, jobs: Jobs) -> asyncio.Future[Results]:
        """Hand one batch to a worker; its future resolves on ``loop``."""
        function = self._process_workers.run_batch if self._process_workers is not None else run_batch
        return loop.run_in_executor(self._executor_for_batches(), function, jobs)

    async def run(self, effect: Compute) -> Any:
        """Run one :class:`~aiocognito.flows.Compute` effect and return its result (or raise its error).

        Raises:
            RuntimeError: the pool is closed, or a worker process ended.
        """
        if self._closed:
            raise RuntimeError("the compute pool is closed")
        if self.inline:
            if not srp.backend_loaded():
                await asyncio.to_thread(srp.load_backend)  # importing gmpy2 takes ~20 ms: not on the loop
            return effect.function(*effect.args, **effect.kwargs)
        loop = asyncio.get_running_loop()
        batcher = self._loops.get(loop)
        if batcher is None:
            with self._lock:  # loops in other threads may share the pool
                batcher = self._loops.setdefault(loop, _LoopBatcher(self, loop))
        source = effect.source if isinstance(effect, NewEphemeral) else None
        if self.spares is None or source is None:
            return await batcher.submit(effect)
        pair = self.spares.take(source)
        own = batcher.submit(effect) if pair is None else None  # first in the batch: it is awaited
        self._draw_spares(batcher, source)
        return pair if own is None else await own

    def _draw_spares(self, batcher: _LoopBatcher, source: RandomSource) -> None:
        assert self.spares is not None
        wanted, generation = self.spares.to_draw(source)
        for _ in range(wanted):
            # The bytes come from the flow's own source, on the loop's thread like the flow's.
            future = batcher.submit(Compute(srp.ephemeral, (source(srp.EPHEMERAL_BYTES),)))
            self._drawing.add(future)
            future.add_done_callback(
                functools.partial(self._keep_spare, source=source, generation=generation)
            )

    def _keep_spare(self, future: asyncio.Future[Any], *, source: RandomSource, generation: int) -> None:
        self._drawing.discard(future)
        assert self.spares is not None
        if future.cancelled() or future.exception() is not None:
            self.spares.abandon(source)
        else:
            self.spares.put(source, future.result(), generation)

    def close(self) -> None:
        """Stop the workers without waiting for the running batches (what interpreter exit calls)."""
        self._closed = True
        if self.spares is not None:
            self.spares.clear()
        with self._lock:
            own, self._own = self._own, None
        if own is not None:
            own.shutdown(wait=False, cancel_futures=True)
        if self._process_workers is not None:
            self._process_workers.close()

    async def aclose(self) -> None:
        """Fail what is in flight, stop the worker threads and processes (a lent executor is left)."""
        self._closed = True
        if self.spares is not None:
            self.spares.clear()
        batcher = self._loops.get(asyncio.get_running_loop())
        if batcher is not None:
            for batch in list(batcher.batches):
                batch.cancel()
        with self._lock:
            own, self._own = self._own, None
        if own is not None:
            await asyncio.to_thread(own.shutdown, True, cancel_futures=True)
        if self._process_workers is not None:
            await asyncio.to_thread(self._process_workers.close)

    async def __aenter__(self) -> ComputePool:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


_default: ComputePool | None = None
_default_lock = threading.Lock()


def default_compute_pool() -> ComputePool:
    """The pool every :class:`~aiocognito.UserPool` given none shares: made on first use, closed at exit."""
    global _default  # noqa: PLW0603 - one lazily made pool for the process
    with _default_lock:
        if _default is None or _default.closed:
            _default = ComputePool()
            atexit.register(_default.close)
        return _default


def _forget_default_in_child() -> None:
    global _default  # noqa: PLW0603 - a forked child has none of its parent's worker threads
    _default = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_default_in_child)


async def run_default(effect: Compute) -> Any:
    """Run ``effect`` in :func:`default_compute_pool` (looked up at each call, so it is made lazily)."""
    return await default_compute_pool().run(effect)
