"""The one driver: the only code that both awaits and advances a flow.

It performs each effect a flow yields: a :class:`~aiocognito.flows.Call` goes to the pool's transport, a
:class:`~aiocognito.flows.Compute` runs the SRP function in a :class:`~aiocognito.ComputePool` (worker
threads, or processes without a GIL-free backend), so the event loop stays free. A Cognito error is
thrown back into the flow at the ``yield`` that caused it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .compute import run_default
from .core.flows import Call, Compute, Effect
from .errors import CognitoError

__all__ = ["compute", "drive"]


async def compute(effect: Compute) -> Any:
    """Run an SRP function in the shared :class:`~aiocognito.ComputePool`, off the event loop."""
    return await run_default(effect)


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
