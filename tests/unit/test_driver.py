"""The driver: effects performed, errors thrown back, SRP math kept off the event loop without gmpy2."""

from __future__ import annotations

import pytest

from aiocognito import ServiceError, driver
from aiocognito.core import srp
from aiocognito.core.flows import Call, Compute


async def test_without_gmpy2_the_math_runs_in_worker_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    a_bytes = bytes(range(1, 81))
    expected = srp.ephemeral(a_bytes)
    calls: list[object] = []
    monkeypatch.setattr(srp, "HAVE_GMPY2", False)

    def run_here(*args: object, **kwargs: object) -> None:
        calls.append(args)  # would mean the math ran on the event loop's thread

    monkeypatch.setattr(srp, "powmod", run_here)
    try:
        result = await driver.compute(Compute(srp.ephemeral, (a_bytes,)))
    finally:
        pool, driver._process_pool = driver._process_pool, None
        if pool is not None:
            pool.shutdown()
    assert result == expected
    assert not calls


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
