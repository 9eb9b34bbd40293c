"""The one driver: the only code that both awaits and advances a flow.

It performs each effect a flow yields: a :class:`~aiocognito.flows.Call` goes to the pool's transport, a
:class:`~aiocognito.flows.Compute` runs the SRP function (inline when gmpy2 makes it a few milliseconds,
in a process pool otherwise, so the event loop stays free). A Cognito error is thrown back into the flow
at the ``yield`` that caused it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import multiprocessing
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .core import srp
from .core.flows import Call, Compute, Effect
from .errors import CognitoError

__all__ = ["compute", "drive"]

_T = TypeVar("_T")
_process_pool: concurrent.futures.ProcessPoolExecutor | None = None


async def compute(effect: Compute) -> Any:
    """Run an SRP function without holding the event loop for more than a few milliseconds."""
    if srp.HAVE_GMPY2:
        if not srp.backend_loaded():
            await asyncio.to_thread(srp.load_backend)  # importing gmpy2 takes ~20 ms: not on the loop
        return effect.function(*effect.args, **effect.kwargs)
    # Python's pow() takes tens of milliseconds for these numbers and holds the GIL, even in a thread.
    global _process_pool  # noqa: PLW0603 - one lazily made pool of worker processes, shared by all pools
    if _process_pool is None:
        # "spawn", not "fork": a fork copies whatever locks this process's threads hold at that moment.
        # (Like all spawned workers, they import the main module: scripts need the __main__ guard.)
        spawn = multiprocessing.get_context("spawn")
        _process_pool = concurrent.futures.ProcessPoolExecutor(mp_context=spawn)
    loop = asyncio.get_running_loop()
    job = functools.partial(effect.function, *effect.args, **effect.kwargs)
    return await loop.run_in_executor(_process_pool, job)


async def drive(
    flow: Any,
    call: Callable[[Call], Awaitable[Any]],
    run: Callable[[Compute], Awaitable[Any]] = compute,
) -> Any:
    """Run ``flow`` to its end and return what it returns."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect: Effect = flow.throw(error) if error is not None else flow.send(value)
        except StopIteration as stop:
            return stop.value
        value, error = None, None
        try:
            value = await (call(effect) if isinstance(effect, Call) else run(effect))
        except CognitoError as exc:
            error = exc
