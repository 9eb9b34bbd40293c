"""Auto sign-in after sign-up (Amplify v6's autoSignIn): SignUp and ConfirmSignUp return a Session when the
client allows USER_AUTH, and InitiateAuth USER_AUTH with it signs the user in without a password, once.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

import aiocognito
from aiocognito import UserPool
from aiocognito.testing import LocalUserPool

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"


@pytest.fixture
async def local() -> AsyncIterator[LocalUserPool]:
    async with LocalUserPool() as server:
        yield server


async def _client(local: LocalUserPool, secret: bool) -> tuple[str, str, str | None]:
    pool_id = await local.create_pool()
    client = await local.create_client(pool_id, generate_secret=secret)
    return pool_id, client.client_id, client.client_secret


@pytest.mark.parametrize("secret", [False, True], ids=["no-secret", "secret"])
async def test_sign_up_confirm_then_auto_sign_in(local: LocalUserPool, secret: bool) -> None:
    pool_id, client_id, client_secret = await _client(local, secret)
    async with UserPool(
        pool_id, client_id, client_secret=client_secret, endpoint_url=local.endpoint_url
    ) as pool:
        signed_up = await pool.sign_up("newbie", PASSWORD, attributes={"email": "newbie@example.com"})
        assert signed_up.session and not signed_up.confirmed
        code = local.outbox.last_code("newbie", "SIGN_UP")
        session = await pool.confirm_sign_up("newbie", code, session=signed_up.session)
        assert session
        step = await pool.auto_sign_in("newbie", session)
        assert step.name == "DONE" and step.user is not None
        assert step.user.current_tokens.username == "newbie"
        assert (await step.user.get_user_data()).username == "newbie"
        # The session works once.
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.auto_sign_in("newbie", session)


async def test_auto_sign_in_session_is_bound_to_its_user(local: LocalUserPool) -> None:
    pool_id, client_id, _ = await _client(local, False)
    await local.create_user(pool_id, "other", PASSWORD)
    async with UserPool(pool_id, client_id, endpoint_url=local.endpoint_url) as pool:
        signed_up = await pool.sign_up("newbie", PASSWORD, attributes={"email": "newbie@example.com"})
        session = await pool.confirm_sign_up("newbie", local.outbox.last_code("newbie", "SIGN_UP"))
        assert session is not None and signed_up.session is not None
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.auto_sign_in("other", session)
        # SignUp's own session was not spent: it is refused for another user too.
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.auto_sign_in("other", signed_up.session)


async def test_no_session_without_user_auth(local: LocalUserPool) -> None:
    pool_id = await local.create_pool()
    client = await local.create_client(
        pool_id, auth_flows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )
    async with UserPool(pool_id, client.client_id, endpoint_url=local.endpoint_url) as pool:
        signed_up = await pool.sign_up("newbie", PASSWORD, attributes={"email": "newbie@example.com"})
        assert signed_up.session is None
        assert await pool.confirm_sign_up("newbie", local.outbox.last_code("newbie", "SIGN_UP")) is None


async def test_auto_sign_in_session_expires() -> None:
    offset = [0.0]
    async with LocalUserPool(clock=lambda: time.time() + offset[0]) as local:
        pool_id, client_id, _ = await _client(local, False)
        async with UserPool(pool_id, client_id, endpoint_url=local.endpoint_url) as pool:
            await pool.sign_up("newbie", PASSWORD, attributes={"email": "newbie@example.com"})
            session = await pool.confirm_sign_up("newbie", local.outbox.last_code("newbie", "SIGN_UP"))
            assert session is not None
            offset[0] = 181.0  # past the client's AuthSessionValidity (3 minutes)
            with pytest.raises(aiocognito.NotAuthorizedError):
                await pool.auto_sign_in("newbie", session)
