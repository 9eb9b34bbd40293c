"""Token refresh against real servers on 127.0.0.1.

- the local user pool (aiocognito.testing): requests counted at the server (1,000 callers, one refresh),
  refresh-token rotation and reuse, injected 5xx/throttling, SECRET_HASH with an e-mail username;
- ministack: GetTokensFromRefreshToken, REFRESH_TOKEN_AUTH with SECRET_HASH, revoked refresh tokens;
- moto: no GetTokensFromRefreshToken (an HTML 500), so the fallback to REFRESH_TOKEN_AUTH runs.

The client's clock (``UserPool(clock=...)``) is moved forward to make the tokens stale; the servers keep
real time, and the clock drift measured at issue keeps the refreshed tokens fresh.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import servers
from clocks import OffsetClock

import aiocognito
from aiocognito import RetryPolicy, User, UserPool
from aiocognito.testing import LocalUserPool
from aiocognito.testing.faults import Fault
from aiocognito.token_store import FileTokenStore, MemoryTokenStore

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
GET_TOKENS = "GetTokensFromRefreshToken"


class Server:
    """A local user pool whose requests are counted per operation, with faults to inject."""

    def __init__(self, local: LocalUserPool) -> None:
        self.local = local
        self.counts: collections.Counter[str] = collections.Counter()
        self.faults: dict[str, Fault] = {}
        original = local._invoke

        async def invoke(prefix: str, operation: str, body: Any) -> dict[str, Any]:
            self.counts[operation] += 1
            fault = self.faults.get(operation)
            if fault is not None:
                raise fault
            return await original(prefix, operation, body)

        local._invoke = invoke  # type: ignore[method-assign]

    @property
    def endpoint_url(self) -> str:
        return self.local.endpoint_url


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with LocalUserPool(shared_signing_key=True) as local:
        yield Server(local)


async def signed_in(pool: UserPool, username: str, password: str = PASSWORD) -> User:
    step = await pool.sign_in(username, password)
    assert step.name == "DONE" and step.user is not None
    return step.user


# --- the local user pool ------------------------------------------------------------------------------


async def test_a_thousand_callers_on_an_expired_token_make_one_request(server: Server) -> None:
    pool_id = await server.local.create_pool()
    client = await server.local.create_client(pool_id)
    await server.local.create_user(pool_id, "alice", PASSWORD)
    clock = OffsetClock()
    async with UserPool(pool_id, client.client_id, endpoint_url=server.endpoint_url, clock=clock) as pool:
        user = await signed_in(pool, "alice")
        old = user.current_tokens
        clock.offset = 3700.0  # expired by an hour and more
        results = await asyncio.gather(*(user.tokens() for _ in range(1000)))
        assert server.counts[GET_TOKENS] == 1
        assert len({t.access_token for t in results}) == 1
        assert results[0].access_token != old.access_token
        assert results[0].is_valid(now=clock(), margin=3000)
        attributes = await user.get_attributes()  # the new access token works
        assert server.counts[GET_TOKENS] == 1
    assert attributes["sub"] == old.sub


async def test_rotation_stores_the_new_refresh_token_and_the_old_one_is_refused(
    server: Server, tmp_path: Path
) -> None:
    pool_id = await server.local.create_pool()
    client = await server.local.create_client(
        pool_id, RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}
    )
    await server.local.create_user(pool_id, "alice", PASSWORD)
    path = tmp_path / "tokens.json"
    clock = OffsetClock()
    kwargs: dict[str, Any] = {"endpoint_url": server.endpoint_url}
    async with (
        UserPool(pool_id, client.client_id, token_store=FileTokenStore(path), **kwargs, clock=clock) as a,
        UserPool(pool_id, client.client_id, token_store=FileTokenStore(path), **kwargs, clock=clock) as b,
    ):
        user_a = await signed_in(a, "alice")
        user_b = await b.current_user()  # "another process" reading the same file
        assert user_b is not None
        first = user_a.current_tokens
        clock.offset = 3700.0
        rotated = await user_a.tokens()
        assert rotated.refresh_token and rotated.refresh_token != first.refresh_token
        assert server.counts[GET_TOKENS] == 1
        # b's user still holds the old refresh token: it finds the successor in the file, no request.
        assert (await user_b.tokens()).access_token == rotated.access_token
        assert server.counts[GET_TOKENS] == 1
        assert await user_b.get_attributes()

    # A pool object that never sees the successor (its own store) has a dead token: reuse is detected.
    lonely = UserPool(pool_id, client.client_id, token_store=MemoryTokenStore(), **kwargs, clock=clock)
    async with lonely:
        stale = lonely.user_from_tokens("alice", first)
        with pytest.raises(aiocognito.SignedOutError) as caught:
            await stale.tokens()
    assert isinstance(caught.value.__cause__, aiocognito.RefreshTokenReuseError)
    assert stale.signed_out


async def test_transient_failures_keep_the_session(server: Server) -> None:
    pool_id = await server.local.create_pool()
    client = await server.local.create_client(pool_id)
    await server.local.create_user(pool_id, "alice", PASSWORD)
    clock = OffsetClock()
    pool = UserPool(
        pool_id,
        client.client_id,
        endpoint_url=server.endpoint_url,
        retry=RetryPolicy(max_attempts=1),
        clock=clock,
    )
    async with pool:
        user = await signed_in(pool, "alice")
        old = user.current_tokens
        server.faults[GET_TOKENS] = Fault("InternalErrorException", "An internal error occurred.", status=500)
        clock.offset = 3600 - 100  # advisory window: 100 s left
        assert await user.tokens() is old
        server.faults[GET_TOKENS] = Fault("TooManyRequestsException", "Rate exceeded")
        assert await user.tokens() is old
        clock.offset = 3700.0  # expired: the failure is raised, the session kept
        with pytest.raises(aiocognito.TooManyRequestsError):
            await user.tokens()
        assert not user.signed_out
        del server.faults[GET_TOKENS]
        fresh = await user.tokens()
        assert fresh.access_token != old.access_token
        assert server.counts[GET_TOKENS] == 4


async def test_revoked_refresh_token_ends_the_session(server: Server) -> None:
    pool_id = await server.local.create_pool()
    client = await server.local.create_client(pool_id)
    await server.local.create_user(pool_id, "alice", PASSWORD)
    clock = OffsetClock()
    # The laptop keeps its tokens in a store of its own: the phone learns of the sign-out from Cognito
    # (with one store, it would find its session gone from there first).
    elsewhere = UserPool(pool_id, client.client_id, endpoint_url=server.endpoint_url, clock=clock)
    async with (
        UserPool(pool_id, client.client_id, endpoint_url=server.endpoint_url, clock=clock) as pool,
        elsewhere,
    ):
        phone = await signed_in(pool, "alice")
        laptop = await signed_in(elsewhere, "alice")
        await laptop.global_sign_out()
        clock.offset = 3700.0
        with pytest.raises(aiocognito.SignedOutError, match="refused the refresh token"):
            await phone.tokens()
        assert phone.signed_out
        assert await pool.current_user("alice") is None


async def test_secret_hash_uses_the_internal_username_not_the_email(server: Server) -> None:
    pool_id = await server.local.create_pool(username_attributes=["email"])
    client = await server.local.create_client(pool_id, generate_secret=True)
    internal = await server.local.create_user(pool_id, "alice@example.com", PASSWORD)
    clock = OffsetClock()
    pool = UserPool(
        pool_id,
        client.client_id,
        client_secret=client.client_secret,
        endpoint_url=server.endpoint_url,
        clock=clock,
    )
    async with pool:
        user = await signed_in(pool, "alice@example.com")
        assert user.username == internal != "alice@example.com"
        clock.offset = 3700.0
        await user.tokens()  # GetTokensFromRefreshToken with ClientSecret
        pool.refresher.operation = "REFRESH_TOKEN_AUTH"  # as after a fallback
        clock.offset += 3700.0
        await user.tokens()  # InitiateAuth with SECRET_HASH over the internal username
        assert server.counts[GET_TOKENS] == 1
        assert server.counts["InitiateAuth"] == 2  # sign-in + refresh
        # The remembered e-mail alias finds the same user from the store.
        again = await pool.current_user()
        assert again is not None and again.username == internal


async def test_remembered_device_key_is_sent(server: Server) -> None:
    pool_id = await server.local.create_pool(
        device_configuration={"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False}
    )
    client = await server.local.create_client(pool_id)
    await server.local.create_user(pool_id, "alice", PASSWORD)
    sent: list[dict[str, Any]] = []
    original = server.local._invoke

    async def spy(prefix: str, operation: str, body: Any) -> dict[str, Any]:
        if operation == GET_TOKENS:
            sent.append(dict(body))
        return await original(prefix, operation, body)

    server.local._invoke = spy  # type: ignore[method-assign]
    clock = OffsetClock()
    async with UserPool(pool_id, client.client_id, endpoint_url=server.endpoint_url, clock=clock) as pool:
        user = await signed_in(pool, "alice")
        assert user.device is not None
        clock.offset = 3700.0
        tokens = await user.tokens()
    assert sent and sent[0]["DeviceKey"] == user.device.device_key
    assert tokens.access_claims.get("device_key") == user.device.device_key


# --- ministack ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [False, True], ids=["no-secret", "secret"])
async def test_ministack_refresh_both_operations(ministack_endpoint: str, secret: bool) -> None:
    pc = servers.create_pool_and_client(
        ministack_endpoint, generate_secret=secret, pool_kwargs={"UsernameAttributes": ["email"]}
    )
    user = servers.create_confirmed_user(pc, "bob@example.com", email="bob@example.com")
    clock = OffsetClock()
    pool = UserPool(
        pc.pool_id, pc.client_id, client_secret=pc.client_secret, endpoint_url=pc.endpoint_url, clock=clock
    )
    async with pool:
        signed = await signed_in(pool, "bob@example.com", user.password)
        first = signed.current_tokens
        clock.offset = 3700.0
        refreshed = await signed.tokens()  # GetTokensFromRefreshToken
        assert refreshed.access_token != first.access_token
        assert pool.refresher.operation == GET_TOKENS
        pool.refresher.operation = "REFRESH_TOKEN_AUTH"
        clock.offset += 3700.0
        again = await signed.tokens()  # SECRET_HASH over the owner's internal name, not the e-mail
        assert again.access_token not in (first.access_token, refreshed.access_token)
        assert (await signed.get_attributes())["email"] == "bob@example.com"


async def test_ministack_revoked_token_is_refused(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)
    user = servers.create_confirmed_user(pc)
    clock = OffsetClock()
    async with UserPool(pc.pool_id, pc.client_id, endpoint_url=pc.endpoint_url, clock=clock) as pool:
        signed = await signed_in(pool, user.username, user.password)
        tokens = signed.current_tokens
        await pool.call("RevokeToken", {"Token": tokens.refresh_token, "ClientId": pc.client_id})
        clock.offset = 3700.0
        with pytest.raises(aiocognito.SignedOutError) as caught:
            await signed.tokens()
    assert isinstance(caught.value.__cause__, aiocognito.NotAuthorizedError)
    assert "revoked" in caught.value.__cause__.message


# --- moto: the fallback -----------------------------------------------------------------------------------


async def test_moto_falls_back_to_refresh_token_auth_and_remembers(moto_endpoint: str) -> None:
    pc = servers.create_pool_and_client(moto_endpoint, generate_secret=True)
    user = servers.create_confirmed_user(pc)
    clock = OffsetClock()
    pool = UserPool(
        pc.pool_id, pc.client_id, client_secret=pc.client_secret, endpoint_url=pc.endpoint_url, clock=clock
    )
    async with pool:
        signed = await signed_in(pool, user.username, user.password)
        first = signed.current_tokens
        clock.offset = 3700.0
        refreshed = await signed.tokens()
        assert pool.refresher.operation == "REFRESH_TOKEN_AUTH"
        assert refreshed.access_token != first.access_token
        assert refreshed.refresh_token == first.refresh_token  # not rotated: kept
        clock.offset += 3700.0
        assert (await signed.tokens()).access_token != refreshed.access_token
