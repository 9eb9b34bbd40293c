"""Auth events against the local pool: signed-in, tokens-refreshed, refresh-failed, signed-out (by this
process, by NotAuthorized, found gone from a shared store) and device-remembered; callbacks that fail
never break the call that fired them; coroutine callbacks are awaited by ``pool.aclose()``. And
examples/fastapi_session_events.py, whose session cookie follows these events.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from clocks import OffsetClock

import aiocognito
from aiocognito import RetryPolicy, UserPool
from aiocognito.events import AuthEvent, AuthEventKind, SignOutReason
from aiocognito.testing import LocalUserPool
from aiocognito.token_store import MemoryTokenStore

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_session_events.py"


@pytest.fixture
async def local() -> AsyncIterator[LocalUserPool]:
    async with LocalUserPool() as server:
        yield server


async def _ids(local: LocalUserPool, **pool: object) -> tuple[str, str]:
    pool_id = await local.create_pool(**pool)  # type: ignore[arg-type]
    client = await local.create_client(pool_id)
    await local.create_user(pool_id, "alice", PASSWORD, attributes={"email": "alice@example.com"})
    return pool_id, client.client_id


def _kinds(events: list[AuthEvent]) -> list[str]:
    return [f"{e.kind.value}:{e.reason.value}" if e.reason else e.kind.value for e in events]


async def test_sign_in_refresh_and_sign_out_events(local: LocalUserPool) -> None:
    pool_id, client_id = await _ids(local)
    clock = OffsetClock()
    seen: list[AuthEvent] = []
    async with UserPool(pool_id, client_id, endpoint_url=local.endpoint_url, clock=clock) as pool:
        pool.events.subscribe(seen.append)
        step = await pool.sign_in("alice", PASSWORD)
        assert step.user is not None
        assert seen[0].tokens == step.user.current_tokens
        clock.offset = 3700.0
        fresh = await step.user.tokens()
        assert seen[-1].kind is AuthEventKind.TOKENS_REFRESHED and seen[-1].tokens == fresh
        await step.user.sign_out()
    assert _kinds(seen) == ["signed_in", "tokens_refreshed", "signed_out:by_this_process"]


async def test_signed_out_by_not_authorized_and_gone_from_store(local: LocalUserPool) -> None:
    pool_id, client_id = await _ids(local)
    clock = OffsetClock()
    seen: list[AuthEvent] = []
    shared = MemoryTokenStore()
    async with (
        UserPool(pool_id, client_id, endpoint_url=local.endpoint_url, clock=clock) as phone_pool,
        UserPool(pool_id, client_id, endpoint_url=local.endpoint_url, clock=clock) as laptop_pool,
        UserPool(
            pool_id, client_id, endpoint_url=local.endpoint_url, clock=clock, token_store=shared
        ) as web1,
        UserPool(
            pool_id, client_id, endpoint_url=local.endpoint_url, clock=clock, token_store=shared
        ) as web2,
    ):
        for pool in (phone_pool, web1, web2):
            pool.events.subscribe(seen.append)
        phone = (await phone_pool.sign_in("alice", PASSWORD)).user
        laptop = (await laptop_pool.sign_in("alice", PASSWORD)).user
        assert phone is not None and laptop is not None
        await laptop.global_sign_out()  # revokes the phone's refresh token at Cognito
        clock.offset = 3700.0
        with pytest.raises(aiocognito.SignedOutError):
            await phone.tokens()
        assert seen[-1].reason is SignOutReason.NOT_AUTHORIZED
        assert isinstance(seen[-1].error, aiocognito.NotAuthorizedError)

        clock.offset = 0.0
        first = (await web1.sign_in("alice", PASSWORD)).user
        assert first is not None
        second = await web2.current_user("alice")  # another process reading the shared store
        assert second is not None
        await first.sign_out()
        clock.offset = 3700.0
        with pytest.raises(aiocognito.SignedOutError):
            await second.tokens()
    assert _kinds(seen)[-3:] == ["signed_in", "signed_out:by_this_process", "signed_out:gone_from_store"]


async def test_refresh_failed_carries_the_error() -> None:
    clock = OffsetClock()
    seen: list[AuthEvent] = []
    async with LocalUserPool() as local:
        pool_id, client_id = await _ids(local)
        pool = UserPool(
            pool_id,
            client_id,
            endpoint_url=local.endpoint_url,
            clock=clock,
            retry=RetryPolicy(max_attempts=1),
        )
        await pool.__aenter__()
        step = await pool.sign_in("alice", PASSWORD)
    # The server is gone: the refresh cannot reach it.
    try:
        pool.events.subscribe(seen.append, kinds=["refresh_failed"])
        clock.offset = 3700.0
        assert step.user is not None
        with pytest.raises(aiocognito.TransportError):
            await step.user.tokens()
    finally:
        await pool.aclose()
    assert _kinds(seen) == ["refresh_failed"]
    assert isinstance(seen[0].error, aiocognito.TransportError)


async def test_device_remembered_event(local: LocalUserPool) -> None:
    pool_id, client_id = await _ids(
        local,
        device_configuration={
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": False,
        },
    )
    seen: list[AuthEvent] = []
    async with UserPool(pool_id, client_id, endpoint_url=local.endpoint_url) as pool:
        pool.events.subscribe(seen.append, kinds=[AuthEventKind.DEVICE_REMEMBERED])
        step = await pool.sign_in("alice", PASSWORD)
        device = await pool.remembered_device("alice")
    assert step.device_remembered and device is not None
    assert [(e.kind, e.device_key) for e in seen] == [(AuthEventKind.DEVICE_REMEMBERED, device.device_key)]


async def test_failing_callbacks_never_break_the_call_and_async_ones_are_awaited(
    local: LocalUserPool, caplog: pytest.LogCaptureFixture
) -> None:
    pool_id, client_id = await _ids(local)
    finished: list[str] = []

    def broken(event: AuthEvent) -> None:
        raise RuntimeError("callback bug")

    async def slow(event: AuthEvent) -> None:
        await asyncio.sleep(0.2)
        finished.append(event.kind.value)

    async def broken_async(event: AuthEvent) -> None:
        raise RuntimeError("async callback bug")

    async with UserPool(pool_id, client_id, endpoint_url=local.endpoint_url) as pool:
        pool.events.subscribe(broken)
        pool.events.subscribe(slow)
        pool.events.subscribe(broken_async)
        step = await pool.sign_in("alice", PASSWORD)
        assert step.name == "DONE"
        assert finished == []  # still running as a task
    assert finished == ["signed_in"]  # awaited by aclose()
    assert caplog.text.count("an auth event callback failed") == 2


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_session_events_example", _EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


async def test_fastapi_session_cookie_follows_the_events() -> None:
    clock = OffsetClock()  # the server's and the app's: tokens issued later expire later
    async with LocalUserPool(clock=clock) as local:
        pool_id, client_id = await _ids(local)
        async with (
            UserPool(pool_id, client_id, endpoint_url=local.endpoint_url, clock=clock) as pool,
            UserPool(pool_id, client_id, endpoint_url=local.endpoint_url, clock=clock) as elsewhere,
        ):
            await _run_example_app(pool, elsewhere, clock)


async def _run_example_app(pool: UserPool, elsewhere: UserPool, clock: OffsetClock) -> None:
    app = _example().create_app(pool)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as browser:
        login = await browser.post("/login", json={"username": "alice", "password": PASSWORD})
        assert login.status_code == 200, login.text
        sid = browser.cookies["sid"]
        web = app.state.sessions.by_id[sid]
        first_expiry = web.expires_at
        assert (await browser.get("/me")).json() == {"username": "alice"}
        clock.offset = 3700.0  # due for a refresh: the event moves the session on
        me = await browser.get("/me")
        assert me.status_code == 200 and web.expires_at > first_expiry
        assert "sid=" in me.headers["set-cookie"]

        other = (await elsewhere.sign_in("alice", PASSWORD)).user
        assert other is not None
        await other.global_sign_out()  # revoked at Cognito: the next refresh is refused
        clock.offset = 7400.0
        gone = await browser.get("/me")
        assert gone.status_code == 401
        assert sid not in app.state.sessions.by_id
        assert (await browser.get("/me")).status_code == 401

        await browser.post("/login", json={"username": "alice", "password": PASSWORD})
        sid = browser.cookies["sid"]
        assert (await browser.post("/logout")).status_code == 200
        assert sid not in app.state.sessions.by_id
