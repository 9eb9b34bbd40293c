"""Sign-in against real emulators on 127.0.0.1.

ministack checks SRP proofs, SECRET_HASH and TOTP codes: it proves the math and the wire format.
moto does not check proofs, but walks the challenge machine around SRP (MFA_SETUP, NEW_PASSWORD_REQUIRED,
SOFTWARE_TOKEN_MFA) and sends USER_ID_FOR_SRP as the user's sub. See tests/SERVERS.md.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import servers

import aiocognito
from aiocognito import NewPassword, StepName, UserPool

pytestmark = pytest.mark.integration


def _pool(pc: servers.PoolClient, **kwargs: Any) -> UserPool:
    return UserPool(
        pc.pool_id, pc.client_id, client_secret=pc.client_secret, endpoint_url=pc.endpoint_url, **kwargs
    )


@pytest.fixture(params=[False, True], ids=["no-secret", "secret"])
def ministack_client(request: pytest.FixtureRequest, ministack_endpoint: str) -> servers.PoolClient:
    return servers.create_pool_and_client(ministack_endpoint, generate_secret=request.param)


@pytest.fixture
def moto_client(moto_endpoint: str) -> servers.PoolClient:
    return servers.create_pool_and_client(moto_endpoint)


async def test_srp_sign_in_verified_by_server(ministack_client: servers.PoolClient) -> None:
    user = servers.create_confirmed_user(ministack_client)
    async with _pool(ministack_client) as pool:
        step = await pool.sign_in(user.username, user.password)
    assert step.name == "DONE"
    assert step.name is StepName.DONE
    assert step.user is not None
    tokens = step.user.current_tokens
    assert tokens.username == user.username
    assert tokens.refresh_token
    assert tokens.is_valid(now=tokens.issued_at + tokens.clock_drift + 1)


async def test_wrong_password_refused_and_not_retried(
    ministack_client: servers.PoolClient, caplog: pytest.LogCaptureFixture
) -> None:
    user = servers.create_confirmed_user(ministack_client)
    caplog.set_level(logging.DEBUG, logger="aiocognito")
    async with _pool(ministack_client) as pool:
        with pytest.raises(aiocognito.NotAuthorizedError) as caught:
            await pool.sign_in(user.username, "Wrong-Passw0rd!")
    assert "Incorrect username or password" in caught.value.message
    calls = [r.getMessage() for r in caplog.records if r.getMessage().startswith("RespondToAuthChallenge")]
    assert len(calls) == 1  # one password attempt, never repeated
    assert "Wrong-Passw0rd!" not in caplog.text


async def test_user_password_auth(ministack_client: servers.PoolClient) -> None:
    user = servers.create_confirmed_user(ministack_client)
    async with _pool(ministack_client) as pool:
        step = await pool.sign_in(user.username, user.password, flow="USER_PASSWORD_AUTH")
        assert step.name == "DONE"
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.sign_in(user.username, "Nope-Passw0rd!", flow=aiocognito.AuthFlow.USER_PASSWORD_AUTH)


async def test_admin_user_password_auth_is_signed(ministack_client: servers.PoolClient) -> None:
    user = servers.create_confirmed_user(ministack_client)
    async with _pool(ministack_client, credentials=("testing", "testing")) as pool:
        step = await pool.sign_in(user.username, user.password, flow="ADMIN_USER_PASSWORD_AUTH")
    assert step.name == "DONE"


async def test_wrong_client_secret_is_refused(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint, generate_secret=True)
    user = servers.create_confirmed_user(pc)
    async with UserPool(
        pc.pool_id, pc.client_id, client_secret="not-the-secret", endpoint_url=pc.endpoint_url
    ) as pool:
        with pytest.raises(aiocognito.NotAuthorizedError, match="secret hash"):
            await pool.sign_in(user.username, user.password)


async def test_new_password_required(ministack_client: servers.PoolClient) -> None:
    user = servers.create_force_change_password_user(ministack_client, email="np@example.com")
    async with _pool(ministack_client) as pool:
        step = await pool.sign_in(user.username, user.password)
        assert step.name == "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED"
        assert step.required_attributes == ()
        assert step.user_attributes.get("email") == "np@example.com"
        done = await step.respond(NewPassword("N3w-Passw0rd!x"))
        assert done.name == "DONE"
        again = await pool.sign_in(user.username, "N3w-Passw0rd!x")
    assert again.name == "DONE"


async def _access_token(pool: UserPool, user: servers.TestUser) -> str:
    step = await pool.sign_in(user.username, user.password)
    assert step.user is not None
    return step.user.current_tokens.access_token


async def test_totp_mfa_with_real_codes(ministack_client: servers.PoolClient) -> None:
    servers.enable_totp_mfa(ministack_client)
    user = servers.create_confirmed_user(ministack_client)
    async with _pool(ministack_client) as pool:
        access = await _access_token(pool, user)
        secret = (await pool.call("AssociateSoftwareToken", {"AccessToken": access}))["SecretCode"]
        await pool.call("VerifySoftwareToken", {"AccessToken": access, "UserCode": servers.totp_now(secret)})
        await pool.call(
            "SetUserMFAPreference",
            {"AccessToken": access, "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}},
        )
        step = await pool.sign_in(user.username, user.password)
        assert step.name == "CONFIRM_SIGN_IN_WITH_TOTP_CODE"
        with pytest.raises(aiocognito.CodeMismatchError):
            await step.respond("000000" if servers.totp_now(secret) != "000000" else "111111")
        done = await step.respond(servers.totp_now(secret))
    assert done.name == "DONE"


async def test_step_survives_json_between_requests(ministack_client: servers.PoolClient) -> None:
    servers.enable_totp_mfa(ministack_client)
    user = servers.create_confirmed_user(ministack_client)
    async with _pool(ministack_client) as pool:
        access = await _access_token(pool, user)
        secret = (await pool.call("AssociateSoftwareToken", {"AccessToken": access}))["SecretCode"]
        await pool.call("VerifySoftwareToken", {"AccessToken": access, "UserCode": servers.totp_now(secret)})
        step = await pool.sign_in(user.username, user.password)
        kept = step.to_json()
    assert user.password not in kept
    data = json.loads(kept)
    assert data["expires_at"] == step.expires_at
    # A second "request": a new pool object, the step read back from JSON.
    async with _pool(ministack_client) as pool:
        resumed = pool.resume(kept)
        assert resumed.name == "CONFIRM_SIGN_IN_WITH_TOTP_CODE"
        done = await resumed.respond(servers.totp_now(secret))
    assert done.name == "DONE"


async def test_handler_style(ministack_client: servers.PoolClient) -> None:
    user = servers.create_force_change_password_user(ministack_client)
    seen: list[str] = []

    async def handler(step: aiocognito.SignInStep) -> Any:
        seen.append(step.name.value)
        return NewPassword("Handl3r-Passw0rd!")

    async with _pool(ministack_client) as pool:
        done = await pool.sign_in(user.username, user.password, on_challenge=handler)
    assert done.name == "DONE"
    assert seen == ["CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED"]


async def test_unconfirmed_user_gets_confirm_sign_up_step(ministack_client: servers.PoolClient) -> None:
    username, password = servers.random_name("u"), servers.random_password()
    async with _pool(ministack_client) as pool:
        params: dict[str, Any] = {
            "ClientId": ministack_client.client_id,
            "Username": username,
            "Password": password,
        }
        if ministack_client.client_secret:
            params["SecretHash"] = servers.secret_hash(
                username, ministack_client.client_id, ministack_client.client_secret
            )
        await pool.call("SignUp", params)
        step = await pool.sign_in(username, password)
    assert step.name == "CONFIRM_SIGN_UP"
    assert isinstance(step.error, aiocognito.UserNotConfirmedError)
    with pytest.raises(ValueError, match="takes no answer"):
        await step.respond("123456")


# --- moto: the challenge machine around SRP --------------------------------------------------------------


async def test_moto_user_id_for_srp_is_sub(moto_client: servers.PoolClient) -> None:
    user = servers.create_confirmed_user(moto_client)
    async with _pool(moto_client) as pool:
        step = await pool.sign_in(user.username, user.password)
    assert step.name == "DONE"


async def test_moto_mfa_setup_then_software_token(moto_client: servers.PoolClient) -> None:
    servers.enable_totp_mfa(moto_client, "ON")
    user = servers.create_confirmed_user(moto_client)
    async with _pool(moto_client) as pool:
        step = await pool.sign_in(user.username, user.password)
        # One way to set up MFA: the flow associates the token and shows the secret (moto: fixed secret).
        assert step.name == "CONTINUE_SIGN_IN_WITH_TOTP_SETUP"
        assert step.allowed_mfa_types == ("TOTP",)
        assert step.totp_secret == "asdfasdfasdf"
        assert step.totp_uri("Example").startswith("otpauth://totp/Example%3A")
        assert "asdfasdfasdf" not in repr(step)
        done = await step.respond("123456", friendly_device_name="phone")
        assert done.name == "DONE"
        assert done.user is not None
        await pool.call(
            "SetUserMFAPreference",
            {
                "AccessToken": done.user.current_tokens.access_token,
                "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True},
            },
        )
        step = await pool.sign_in(user.username, user.password)
        assert step.name == "CONFIRM_SIGN_IN_WITH_TOTP_CODE"
        done = await step.respond("123456")
    assert done.name == "DONE"


async def test_moto_new_password_then_mfa_setup(moto_client: servers.PoolClient) -> None:
    servers.enable_totp_mfa(moto_client, "ON")
    user = servers.create_force_change_password_user(moto_client)
    async with _pool(moto_client) as pool:
        step = await pool.sign_in(user.username, user.password)
        assert step.name == "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED"
        with pytest.raises(aiocognito.InvalidPasswordError):
            await step.respond("weak")
        step = await step.respond(NewPassword("N3w-Passw0rd!x"))
        assert step.name == "CONTINUE_SIGN_IN_WITH_TOTP_SETUP"
        done = await step.respond("123456")
    assert done.name == "DONE"


async def test_moto_signed_admin_call_signature_checked(moto_server: servers.MotoServer) -> None:
    pc = servers.create_pool_and_client(moto_server.endpoint_url)
    user = servers.create_confirmed_user(pc)
    with moto_server.iam_auth(initial_no_auth_action_count=3):
        key_id, secret = servers.create_moto_iam_credentials(moto_server.endpoint_url)
        async with _pool(pc, credentials=(key_id, secret)) as pool:
            got = await pool.call("AdminGetUser", {"UserPoolId": pc.pool_id, "Username": user.username})
            assert got["Username"] == user.username
        async with _pool(pc, credentials=(key_id, "wrong-secret")) as pool:
            with pytest.raises(aiocognito.ServiceError) as caught:
                await pool.call("AdminGetUser", {"UserPoolId": pc.pool_id, "Username": user.username})
    assert caught.value.code == "SignatureDoesNotMatch"
    assert caught.value.status == 403


async def test_moto_unsigned_sign_up_and_error_mapping(moto_client: servers.PoolClient) -> None:
    async with _pool(moto_client) as pool:
        reply = await pool.call(
            "SignUp",
            {
                "ClientId": moto_client.client_id,
                "Username": servers.random_name("u"),
                "Password": servers.random_password(),
            },
        )
        assert reply["UserConfirmed"] is False
        with pytest.raises(aiocognito.InvalidPasswordError):
            await pool.call(
                "SignUp", {"ClientId": moto_client.client_id, "Username": "x1", "Password": "short"}
            )
    async with UserPool(moto_client.pool_id, "no-such-client", endpoint_url=moto_client.endpoint_url) as pool:
        with pytest.raises(aiocognito.ResourceNotFoundError):
            await pool.call(
                "SignUp", {"ClientId": "no-such-client", "Username": "x2", "Password": "Passw0rd!x"}
            )


async def test_no_secret_in_logs_or_reprs(ministack_endpoint: str, caplog: pytest.LogCaptureFixture) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint, generate_secret=True)
    servers.enable_totp_mfa(pc)
    user = servers.create_confirmed_user(pc)
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    async with _pool(pc) as pool:
        step = await pool.sign_in(user.username, user.password)
        assert step.user is not None
        tokens = step.user.current_tokens
        seen += [repr(pool), repr(step), repr(step.user), repr(tokens), str(step)]
        with pytest.raises(aiocognito.NotAuthorizedError) as caught:
            await pool.sign_in(user.username, "An0ther-Wrong-Pass!")
        seen += [repr(caught.value), str(caught.value)]
    assert pc.client_secret is not None
    secrets_used = [
        user.password,
        "An0ther-Wrong-Pass!",
        pc.client_secret,
        tokens.access_token,
        tokens.id_token,
    ]
    secrets_used.append(tokens.refresh_token or "")
    secrets_used.append(servers.secret_hash(user.username, pc.client_id, pc.client_secret))
    haystack = caplog.text + "\n".join(seen)
    for value in secrets_used:
        assert value and value not in haystack
