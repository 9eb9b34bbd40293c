"""A burst of concurrent `pool.sign_in` calls, as a web server makes them, the math in a ComputePool."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import servers

import aiocognito
from aiocognito.core import srp
from aiocognito.testing import LocalUserPool, ServerThread

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
BURST = 200


@pytest.fixture(scope="module")
def local() -> Iterator[ServerThread]:
    handle = LocalUserPool.start_in_thread(shared_signing_key=True)
    try:
        yield handle
    finally:
        servers.close_clients(handle.endpoint_url)
        handle.stop()


def test_a_burst_of_concurrent_sign_ins_all_succeed_with_the_math_in_worker_threads(
    local: ServerThread,
) -> None:
    server = local.server
    pool_id = local.run(server.create_pool(servers.random_name("burst")))
    client_id = local.run(server.create_client(pool_id)).client_id

    async def create_users() -> None:
        for i in range(BURST):
            await server.create_user(pool_id, f"u{i}", PASSWORD)

    local.run(create_users(), timeout=120)
    threads: set[int] = set()
    original = srp.password_claim

    def noted(*args: Any, **kwargs: Any) -> str:
        threads.add(threading.get_ident())
        return original(*args, **kwargs)

    async def burst() -> list[aiocognito.SignInStep]:
        async with (
            aiocognito.ComputePool(workers=2) as compute,
            aiocognito.UserPool(
                pool_id, client_id, endpoint_url=local.endpoint_url, allow_http=True, compute=compute
            ) as pool,
        ):
            loop_thread = threading.get_ident()
            steps = await asyncio.gather(*(pool.sign_in(f"u{i}", PASSWORD) for i in range(BURST)))
            assert loop_thread not in threads
            return steps

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(srp, "password_claim", noted)
        steps = asyncio.run(burst())
    assert [step.name for step in steps] == [aiocognito.StepName.DONE] * BURST
    assert {step.user.username for step in steps if step.user is not None} == {f"u{i}" for i in range(BURST)}
    assert threads  # the claims were computed, and never on the event loop's thread


def test_sign_ins_with_precomputed_ephemerals_pass_the_servers_srp_check(local: ServerThread) -> None:
    # The local pool checks every PASSWORD_CLAIM_SIGNATURE: a spare pair that did not match its SRP_A, or
    # one used twice, would fail the sign-in.
    server = local.server
    pool_id = local.run(server.create_pool(servers.random_name("spares")))
    client_id = local.run(server.create_client(pool_id)).client_id
    users = 40

    async def create_users() -> None:
        for i in range(users):
            await server.create_user(pool_id, f"s{i}", PASSWORD)

    local.run(create_users(), timeout=60)
    sent: list[str] = []

    async def sign_ins() -> tuple[list[aiocognito.SignInStep], int]:
        async with (
            aiocognito.ComputePool(workers=2, ephemerals=8) as compute,
            aiocognito.UserPool(
                pool_id, client_id, endpoint_url=local.endpoint_url, allow_http=True, compute=compute
            ) as pool,
        ):
            first = [await pool.sign_in("s0", PASSWORD)]
            assert compute.spares is not None
            for _ in range(500):  # the workers fill the spares after the first sign-in
                if compute.spares.held() == 8:
                    break
                await asyncio.sleep(0.01)
            held_before = compute.spares.held()
            rest = await asyncio.gather(*(pool.sign_in(f"s{i}", PASSWORD) for i in range(1, users)))
            return first + list(rest), held_before

    original = srp.password_claim

    def noted(*args: Any, **kwargs: Any) -> str:
        sent.append(kwargs["ephemeral"].srp_a)
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(srp, "password_claim", noted)
        steps, held_before = asyncio.run(sign_ins())
    assert held_before == 8
    assert [step.name for step in steps] == [aiocognito.StepName.DONE] * users
    assert len(set(sent)) == users  # every sign-in had an A of its own
