"""Answers carry the name Cognito knows: after a sign-in started with an e-mail alias, every
RespondToAuthChallenge names the user by the challenge's USERNAME / USER_ID_FOR_SRP and hashes SECRET_HASH
over it. The local pool refuses an alias there, as Cognito does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import aiocognito
from aiocognito import UserPool
from aiocognito.testing import LocalUserPool
from aiocognito.testing.faults import Fault

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
EMAIL = "alias.user@example.com"


@pytest.fixture
async def local() -> AsyncIterator[LocalUserPool]:
    async with LocalUserPool() as server:
        yield server


@pytest.mark.parametrize("flow", ["USER_PASSWORD_AUTH", "USER_SRP_AUTH"])
async def test_mfa_answer_names_the_user_not_the_alias(local: LocalUserPool, flow: str) -> None:
    pool_id = await local.create_pool(mfa="ON", email_mfa=True, alias_attributes=["email"])
    client = await local.create_client(pool_id, generate_secret=True)
    await local.create_user(pool_id, "alias-user", PASSWORD, attributes={"email": EMAIL})
    async with UserPool(
        pool_id, client.client_id, client_secret=client.client_secret, endpoint_url=local.endpoint_url
    ) as pool:
        step = await pool.sign_in(EMAIL, PASSWORD, flow=flow)
        assert step.name == "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"
        assert step.username == "alias-user"
        assert step.typed_username == EMAIL
        done = await step.respond(local.outbox.last_code("alias-user", "MFA"))
        assert done.name == "DONE" and done.user is not None
        assert done.username == "alias-user" and done.typed_username == EMAIL
        # A device remembered by this sign-in is found under the alias and the username alike.
        if done.device_remembered:
            assert await pool.remembered_device(EMAIL) == await pool.remembered_device("alias-user")


async def test_local_pool_refuses_an_alias_in_an_answer(local: LocalUserPool) -> None:
    pool_id = await local.create_pool(mfa="ON", email_mfa=True, alias_attributes=["email"])
    client = await local.create_client(pool_id)
    await local.create_user(pool_id, "alias-user", PASSWORD, attributes={"email": EMAIL})
    reply = await local.call(
        "InitiateAuth",
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client.client_id,
            "AuthParameters": {"USERNAME": EMAIL, "PASSWORD": PASSWORD},
        },
    )
    assert reply["ChallengeParameters"]["USER_ID_FOR_SRP"] == "alias-user"
    answer = {
        "ChallengeName": "EMAIL_OTP",
        "ClientId": client.client_id,
        "Session": reply["Session"],
        "ChallengeResponses": {"USERNAME": EMAIL, "EMAIL_OTP_CODE": local.outbox.last_code("alias-user")},
    }
    with pytest.raises(Fault) as caught:
        await local.call("RespondToAuthChallenge", answer)
    assert caught.value.code == "NotAuthorizedException"


async def test_remembered_device_under_alias_and_username(local: LocalUserPool) -> None:
    pool_id = await local.create_pool(
        mfa="ON",
        email_mfa=True,
        alias_attributes=["email"],
        device_configuration={
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": False,
        },
    )
    client = await local.create_client(pool_id, generate_secret=True)
    await local.create_user(pool_id, "alias-user", PASSWORD, attributes={"email": EMAIL})
    async with UserPool(
        pool_id, client.client_id, client_secret=client.client_secret, endpoint_url=local.endpoint_url
    ) as pool:
        step = await pool.sign_in(EMAIL, PASSWORD, flow="USER_PASSWORD_AUTH")
        done = await step.respond(local.outbox.last_code("alias-user", "MFA"))
        assert done.device_remembered
        device = await pool.remembered_device(EMAIL)
        assert device is not None and device == await pool.remembered_device("alias-user")
        sent = len(local.outbox)
        again = await pool.sign_in(EMAIL, PASSWORD, flow="USER_PASSWORD_AUTH")  # device SRP, no MFA
        assert again.name == "DONE" and len(local.outbox) == sent
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.sign_in(EMAIL, "Wrong-Passw0rd!", flow="USER_PASSWORD_AUTH")
