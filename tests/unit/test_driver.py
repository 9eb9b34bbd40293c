"""The driver: effects performed, errors thrown back, SRP math kept off the event loop."""

from __future__ import annotations

import threading

from aiocognito import ServiceError, driver
from aiocognito.core import srp
from aiocognito.core.flows import Call, Compute


async def test_the_driver_runs_the_math_off_the_event_loop_thread() -> None:
    a_bytes = bytes(range(1, 81))
    seen: list[int] = []

    def where(value: bytes) -> object:
        seen.append(threading.get_ident())
        return srp.ephemeral(value)

    assert await driver.compute(Compute(where, (a_bytes,))) == srp.ephemeral(a_bytes)
    assert seen and seen[0] != threading.get_ident()


async def test_errors_are_thrown_back_into_the_flow() -> None:
    seen: list[str] = []

    def flow():  # type: ignore[no-untyped-def]
        try:
            yield Call("InitiateAuth", {})
        except ServiceError as error:
            seen.append(error.code)
        value = yield Compute(srp.pad_hex, (255,))
        return value

    async def failing(call: Call) -> object:
        raise ServiceError("nope", code="NotAuthorizedException")

    assert await driver.drive(flow(), failing) == "00ff"
    assert seen == ["NotAuthorizedException"]
