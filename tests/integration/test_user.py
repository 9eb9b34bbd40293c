"""The signed-in user and the pool's account operations against real servers on 127.0.0.1.

- the local user pool (aiocognito.testing): everything, and alone devices and attribute verification
  (neither emulator has them); codes come from its outbox;
- ministack: sign-up code 123456, reset code 654321, RevokeToken, GlobalSignOut, DeleteUser, real TOTP,
  identity-pool credentials for a checked ID token;
- moto: sign-up, attributes, passwords and GlobalSignOut (it lacks RevokeToken, DeleteUser and
  ResendConfirmationCode).

Wrong or expired codes, revoked tokens and invalid attributes give the typed error of their Cognito code.
"""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import servers
from clocks import OffsetClock

import aiocognito
from aiocognito import User, UserPool
from aiocognito.testing import AppClient, LocalUserPool
from aiocognito.token_store import FileTokenStore, MemoryTokenStore

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
NEW_PASSWORD = "N3w-Passw0rd!"


@dataclass
class Local:
    server: LocalUserPool
    clock: OffsetClock  # the server's clock
    pool_id: str
    client: AppClient

    def pool(self, **kwargs: Any) -> UserPool:
        options: dict[str, Any] = {
            "client_secret": self.client.client_secret,
            "endpoint_url": self.server.endpoint_url,
            **kwargs,
        }
        return UserPool(self.pool_id, self.client.client_id, **options)

    async def user(self, pool: UserPool, username: str = "alice", password: str = PASSWORD) -> User:
        step = await pool.sign_in(username, password)
        assert step.name == "DONE" and step.user is not None
        return step.user


class Switch:
    """A caller that sends each call through the pool the test points it at."""

    target: UserPool | None = None

    async def call(
        self,
        operation: str,
        params: Mapping[str, Any],
        *,
        service: str = "cognito-idp",
        max_reply_bytes: int | None = None,
    ) -> dict[str, Any]:
        assert self.target is not None
        return await self.target.call(operation, params, service=service, max_reply_bytes=max_reply_bytes)


async def _local(**pool_kwargs: Any) -> AsyncIterator[Local]:
    clock = OffsetClock()
    async with LocalUserPool(shared_signing_key=True, clock=clock) as server:
        pool_id = await server.create_pool(**pool_kwargs)
        client = await server.create_client(pool_id, generate_secret=True)
        await server.create_user(pool_id, "alice", PASSWORD, attributes={"email": "alice@example.com"})
        yield Local(server, clock, pool_id, client)


@pytest.fixture
async def local() -> AsyncIterator[Local]:
    async for value in _local():
        yield value


@pytest.fixture
async def local_devices() -> AsyncIterator[Local]:
    config = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True}
    async for value in _local(device_configuration=config):
        yield value


# --- sign-up and passwords (local) ----------------------------------------------------------------------


async def test_sign_up_confirm_and_resend(local: Local) -> None:
    async with local.pool() as pool:
        result = await pool.sign_up("bob", PASSWORD, attributes={"email": "bob@example.com"})
        assert not result.confirmed
        assert result.user_sub
        assert result.code_delivery is not None
        assert result.code_delivery.medium == "EMAIL"
        assert result.code_delivery.attribute == "email"
        stopped = await pool.sign_in("bob", PASSWORD, flow="USER_PASSWORD_AUTH")
        assert stopped.name == "CONFIRM_SIGN_UP"
        assert isinstance(stopped.error, aiocognito.UserNotConfirmedError)
        first = local.server.outbox.last_code("bob", "SIGN_UP")
        delivery = await pool.resend_confirmation_code("bob")
        assert delivery is not None and delivery.destination and "@" in delivery.destination
        second = local.server.outbox.last_code("bob", "SIGN_UP")
        wrong = "000000" if second != "000000" else "111111"
        with pytest.raises(aiocognito.CodeMismatchError):
            await pool.confirm_sign_up("bob", wrong)
        if first != second:
            with pytest.raises((aiocognito.CodeMismatchError, aiocognito.ExpiredCodeError)):
                await pool.confirm_sign_up("bob", first)
        await pool.confirm_sign_up("bob", second)
        user = await local.user(pool, "bob")
        assert (await user.get_attributes())["sub"] == result.user_sub
        with pytest.raises(aiocognito.UsernameExistsError):
            await pool.sign_up("bob", PASSWORD)
        with pytest.raises(aiocognito.InvalidPasswordError):
            await pool.sign_up("carol", "short")
        with pytest.raises(aiocognito.InvalidParameterError):
            await pool.sign_up("dave", PASSWORD, attributes={"no_such_attribute": "x"})


async def test_expired_code_is_refused(local: Local) -> None:
    async with local.pool() as pool:
        await pool.forgot_password("alice")
        code = local.server.outbox.last_code("alice", "FORGOT_PASSWORD")
        local.clock.offset = 2 * 86400.0  # codes live an hour (24 h for sign-up)
        with pytest.raises(aiocognito.ExpiredCodeError):
            await pool.confirm_forgot_password("alice", code, NEW_PASSWORD)


async def test_forgot_password_and_change_password(local: Local) -> None:
    async with local.pool() as pool:
        delivery = await pool.forgot_password("alice")
        assert delivery is not None and delivery.attribute == "email"
        code = local.server.outbox.last_code("alice", "FORGOT_PASSWORD")
        with pytest.raises(aiocognito.CodeMismatchError):
            await pool.confirm_forgot_password("alice", "000000" if code != "000000" else "1", NEW_PASSWORD)
        await pool.confirm_forgot_password("alice", code, NEW_PASSWORD)
        user = await local.user(pool, password=NEW_PASSWORD)
        with pytest.raises(aiocognito.NotAuthorizedError):
            await user.change_password("not-the-password", PASSWORD)
        await user.change_password(NEW_PASSWORD, PASSWORD)
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.sign_in("alice", NEW_PASSWORD)
        assert (await pool.sign_in("alice", PASSWORD)).name == "DONE"


# --- attributes and user data (local) -------------------------------------------------------------------


async def test_attributes_and_verification(local: Local) -> None:
    async with local.pool() as pool:
        user = await local.user(pool)
        attributes = await user.get_attributes()
        assert attributes["email"] == "alice@example.com"
        assert attributes["email_verified"] == "true"
        deliveries = await user.update_attributes({"email": "alice@new.example", "name": "Alice"})
        assert [d.attribute for d in deliveries] == ["email"]
        attributes = await user.get_attributes()
        assert attributes["name"] == "Alice"
        assert attributes.get("email_verified") != "true"
        code = local.server.outbox.last_code("alice@new.example")
        with pytest.raises(aiocognito.CodeMismatchError):
            await user.verify_attribute("email", "000000" if code != "000000" else "111111")
        await user.verify_attribute("email", code)
        assert (await user.get_attributes())["email_verified"] == "true"
        # Ask for a code again, then use it.
        delivery = await user.send_attribute_verification_code("email")
        assert delivery is not None and delivery.attribute == "email"
        await user.verify_attribute("email", local.server.outbox.last_code("alice", "VERIFY_ATTRIBUTE"))
        with pytest.raises(aiocognito.InvalidParameterError):
            await user.send_attribute_verification_code("phone_number")  # the user has none
        with pytest.raises(aiocognito.InvalidParameterError):
            await user.update_attributes({"no_such_attribute": "x"})
        await user.delete_attributes(["name"])
        assert "name" not in await user.get_attributes()
        data = await user.get_user_data()
        assert data.username == "alice"
        assert data.mfa.preferred is None and data.mfa.enabled == ()


async def test_totp_mfa_preferences_and_auth_factors() -> None:
    async for local in _local(mfa="OPTIONAL", totp=True, sms=True):
        async with local.pool() as pool:
            user = await local.user(pool)
            token = await user.associate_software_token()
            assert "secret" not in repr(token).lower() or token.secret not in repr(token)
            assert token.uri("MyApp", "alice").startswith("otpauth://totp/MyApp%3Aalice?secret=")
            with pytest.raises(aiocognito.EnableSoftwareTokenMFAError):
                await user.verify_software_token(
                    "000000" if servers.totp_now(token.secret) != "000000" else "111111"
                )
            await user.verify_software_token(servers.totp_now(token.secret), friendly_device_name="phone")
            await user.set_mfa_preference(totp=True, preferred="TOTP")
            data = await user.get_user_data()
            assert data.mfa.preferred == "SOFTWARE_TOKEN_MFA"
            assert data.mfa.enabled == ("SOFTWARE_TOKEN_MFA",)
            factors = await user.auth_factors()
            assert factors["preferred_mfa"] == ["SOFTWARE_TOKEN_MFA"]
            assert "PASSWORD" in factors["sign_in"]
            # The next sign-in asks for the code.
            step = await pool.sign_in("alice", PASSWORD)
            assert step.name == "CONFIRM_SIGN_IN_WITH_TOTP_CODE"
            # Legacy SMS settings (amazon-cognito-identity-js enableMFA / disableMFA / getMFAOptions).
            await user.update_attributes({"phone_number": "+15555550100"})
            await user.enable_mfa()
            assert await user.get_mfa_options() == (
                {"DeliveryMedium": "SMS", "AttributeName": "phone_number"},
            )
            assert "SMS_MFA" in (await user.get_user_data()).mfa.enabled
            await user.disable_mfa()
            assert await user.get_mfa_options() == ()
            await user.set_mfa_preference(totp=False)
            assert (await user.get_user_data()).mfa.enabled == ()
            with pytest.raises(ValueError, match="preferred and disabled"):
                await user.set_mfa_preference(totp=False, preferred="TOTP")


# --- devices (local) ------------------------------------------------------------------------------------


async def test_devices(local_devices: Local) -> None:
    local = local_devices
    async with local.pool() as laptop, local.pool() as phone, local.pool() as tablet:
        user = await local.user(laptop)
        for other in (phone, tablet):
            await local.user(other)
        assert user.device is not None
        this = await user.get_device()
        assert this.device_key == user.device.device_key
        assert this.name == "aiocognito"
        assert not this.remembered  # this pool remembers on user prompt
        await user.remember_device()
        assert (await user.get_device()).remembered
        await user.do_not_remember_device()
        assert not (await user.get_device()).remembered
        await user.remember_device()

        devices = [device async for device in user.list_devices(page_size=1)]  # three pages
        assert len(devices) == 3
        assert len({d.device_key for d in devices}) == 3
        assert user.device.device_key in {d.device_key for d in devices}
        assert all(d.created_at for d in devices)

        # Forget another device, then this one (its secret goes from the store too).
        other_key = next(d.device_key for d in devices if d.device_key != user.device.device_key)
        await user.forget_device(other_key)
        with pytest.raises(aiocognito.ResourceNotFoundError):
            await user.get_device(other_key)
        this_key = user.device.device_key
        await user.forget_device()
        assert user.device is None
        assert await laptop.remembered_device("alice") is None
        with pytest.raises(aiocognito.ResourceNotFoundError):
            await user.get_device(this_key)
        with pytest.raises(ValueError, match="no device"):
            await user.get_device()
        assert len([d async for d in user.list_devices()]) == 1


async def test_remembered_device_skips_mfa_and_survives_sign_out() -> None:
    config = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False}
    async for local in _local(mfa="OPTIONAL", totp=True, device_configuration=config):
        async with local.pool() as pool:
            user = await local.user(pool)
            token = await user.associate_software_token()
            await user.verify_software_token(servers.totp_now(token.secret))
            await user.set_mfa_preference(totp=True, preferred="TOTP")
            device = user.device
            assert device is not None
            await user.sign_out()
            assert await pool.remembered_device("alice") == device  # kept after the sign-out
            step = await pool.sign_in("alice", PASSWORD)
            assert step.name == "DONE"  # the remembered device answered DEVICE_SRP_AUTH: no TOTP


# --- sign-out, global sign-out, delete (local) ----------------------------------------------------------


async def test_sign_out_revokes_the_refresh_token(local: Local) -> None:
    async with local.pool() as pool:
        user = await local.user(pool)
        assert "origin_jti" in user.current_tokens.access_claims
        # Another holder of the same tokens, an hour later by its clock.
        later = local.pool(clock=lambda: time.time() + 3700)
        copy = later.user_from_tokens(user.username, user.current_tokens)
        await user.sign_out()
        assert user.signed_out
        assert "signed out" in repr(user)
        assert await pool.current_user() is None
        for call in (user.tokens(), user.get_attributes(), user.sign_out(), user.global_sign_out()):
            with pytest.raises(aiocognito.SignedOutError, match="signed out"):
                await call
        with pytest.raises(aiocognito.SignedOutError):
            user.aws_credentials("us-east-1:x")
        with pytest.raises(aiocognito.SignedOutError):
            await user.get_device("some-key")
        # The refresh token is dead at the server: another holder of it is refused.
        async with later:
            with pytest.raises(aiocognito.SignedOutError, match="refused"):
                await copy.tokens()


async def test_sign_out_that_cannot_reach_the_server_can_be_tried_again(local: Local) -> None:
    once = aiocognito.RetryPolicy(max_attempts=1)
    switch = Switch()
    async with (
        local.pool(retry=once) as good,
        local.pool(retry=once, endpoint_url="http://127.0.0.1:1/") as unreachable,  # nothing listens there
        local.pool(caller=switch) as pool,
    ):
        switch.target = good
        user = await local.user(pool)
        switch.target = unreachable
        with pytest.raises(aiocognito.TransportError):
            await user.sign_out()
        assert not user.signed_out
        assert await pool.current_user() is not None
        switch.target = good
        await user.sign_out()
        assert user.signed_out


async def test_sign_out_refused_by_the_server_still_signs_out_here(local: Local) -> None:
    await local.server.call(
        "UpdateUserPoolClient",
        {"UserPoolId": local.pool_id, "ClientId": local.client.client_id, "EnableTokenRevocation": True},
    )
    store = aiocognito.MemoryTokenStore()
    async with (
        local.pool(token_store=store) as pool,
        local.pool(token_store=store, client_secret="not-the-secret" * 3) as wrong,
    ):
        signed_in = await local.user(pool)
        # The same session, held by a pool with a wrong secret: RevokeToken is refused.
        user = wrong.user_from_tokens(signed_in.username, signed_in.current_tokens)
        with pytest.raises(aiocognito.UnauthorizedError):
            await user.sign_out()
        assert user.signed_out
        assert await pool.current_user() is None


async def test_global_sign_out_invalidates_access_tokens(local: Local) -> None:
    async with local.pool() as pool:
        user = await local.user(pool)
        other = await local.user(pool)
        await user.global_sign_out()
        with pytest.raises(aiocognito.SignedOutError, match="globally"):
            await user.get_attributes()
        with pytest.raises(aiocognito.NotAuthorizedError):
            await other.get_attributes()  # its access token was revoked too


async def test_delete_user(local: Local) -> None:
    async with local.pool() as pool:
        user = await local.user(pool)
        await user.delete()
        with pytest.raises(aiocognito.SignedOutError, match="deleted"):
            await user.get_attributes()
        assert await pool.token_store.get(pool.sessions.key("alice")) is None
        with pytest.raises(aiocognito.UserNotFoundError):
            await pool.sign_in("alice", PASSWORD)


async def test_current_user_from_a_file_store_in_a_new_process(local: Local, tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    async with local.pool(token_store=FileTokenStore(path)) as pool:
        signed = await local.user(pool)
    # A new pool object with a new store over the same file: what a new process sees.
    async with local.pool(token_store=FileTokenStore(path)) as pool:
        user = await pool.current_user()
        assert user is not None and user.username == "alice"
        assert user.current_tokens.access_token == signed.current_tokens.access_token
        assert (await user.get_attributes())["email"] == "alice@example.com"
        assert await pool.current_user("nobody") is None
        await user.sign_out()
    async with local.pool(token_store=FileTokenStore(path)) as pool:
        assert await pool.current_user() is None
    async with local.pool(token_store=MemoryTokenStore()) as pool:
        assert await pool.current_user() is None


async def test_passkey_calls_without_passkeys(local: Local) -> None:
    """A pool whose sign-in policy lacks WEB_AUTHN: the calls reach it, well-formed, and its refusal is
    typed (tests/integration/test_passkeys.py has the pool with passkeys)."""
    async with local.pool() as pool:
        user = await local.user(pool)
        with pytest.raises(aiocognito.WebAuthnNotEnabledError):
            await user.start_passkey_registration()
        with pytest.raises(aiocognito.WebAuthnNotEnabledError):
            await user.complete_passkey_registration('{"id": "abc", "type": "public-key"}')
        with pytest.raises(ValueError, match="credential JSON"):
            await user.complete_passkey_registration("not json")
        assert [c async for c in user.list_passkeys()] == []
        with pytest.raises(aiocognito.ResourceNotFoundError):
            await user.delete_passkey("credential-id")


# --- identity pools (local) -----------------------------------------------------------------------------


async def _identity_pool(local: Local) -> str:
    reply = await local.server.call(
        "CreateIdentityPool",
        {
            "IdentityPoolName": "ids",
            "AllowUnauthenticatedIdentities": False,
            "CognitoIdentityProviders": [
                {
                    "ProviderName": f"cognito-idp.us-east-1.amazonaws.com/{local.pool_id}",
                    "ClientId": local.client.client_id,
                }
            ],
        },
        service="cognito-identity",
    )
    return str(reply["IdentityPoolId"])


async def test_aws_credentials(local: Local) -> None:
    identity_pool_id = await _identity_pool(local)
    async with local.pool(clock=lambda: time.time() + local.clock.offset) as pool:
        user = await local.user(pool)
        creds = user.aws_credentials(identity_pool_id)
        first = await creds.get()
        assert first.access_key_id and first.session_token
        assert creds.identity_id and creds.identity_id.startswith("us-east-1:")
        assert await creds.get() is first  # cached
        assert first.expires_at is not None and first.expires_at > time.time() + 3000

        # aiobotocore: refreshable credentials that sign a real request.
        from aiobotocore.session import AioSession  # type: ignore[import-untyped]

        session = await creds.aiobotocore_session(AioSession())
        async with session.create_client(
            "cognito-identity", region_name="us-east-1", endpoint_url=local.server.endpoint_url
        ) as client:
            described = await client.describe_identity_pool(IdentityPoolId=identity_pool_id)
        assert described["IdentityPoolName"] == "ids"
        frozen = await (await session.get_credentials()).get_frozen_credentials()
        assert frozen.access_key == first.access_key_id
        assert (await session.get_credentials()).method == "aiocognito-identity-pool"

        # boto3 through a botocore session, from a worker thread (its calls block).
        import boto3

        boto = boto3.Session(botocore_session=await creds.botocore_session())
        boto_creds = await asyncio.to_thread(lambda: boto.get_credentials().get_frozen_credentials())
        assert boto_creds.access_key == first.access_key_id
        ids = boto.client("cognito-identity", region_name="us-east-1", endpoint_url=local.server.endpoint_url)
        try:
            named = await asyncio.to_thread(ids.describe_identity_pool, IdentityPoolId=identity_pool_id)
        finally:
            ids.close()
        assert named["IdentityPoolName"] == "ids"

        # botocore, from a worker thread, 50 minutes later (every clock moved): botocore refreshes with
        # less than 15 minutes left and refuses credentials that still have less than 10.
        sync = await creds.for_botocore()
        later = 3000.0
        local.clock.offset = later
        sync._time_fetcher = lambda: (
            datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=later)
        )
        refreshed = await asyncio.to_thread(sync.get_frozen_credentials)
        assert creds._credentials is not None and creds._credentials is not first
        assert refreshed.access_key == creds._credentials.access_key_id
        assert sync._seconds_remaining() > 3000
        sync._expiry_time = sync._expiry_time.replace(year=2000)
        with pytest.raises(RuntimeError, match="event loop"):
            sync.get_frozen_credentials()


# --- ministack ------------------------------------------------------------------------------------------


def _ministack_pool(pc: servers.PoolClient) -> UserPool:
    return UserPool(pc.pool_id, pc.client_id, client_secret=pc.client_secret, endpoint_url=pc.endpoint_url)


@pytest.mark.parametrize("secret", [False, True], ids=["no-secret", "secret"])
async def test_ministack_sign_up_and_passwords(ministack_endpoint: str, secret: bool) -> None:
    pc = servers.create_pool_and_client(
        ministack_endpoint, generate_secret=secret, pool_kwargs={"AutoVerifiedAttributes": ["email"]}
    )
    name = servers.random_name("u")
    async with _ministack_pool(pc) as pool:
        result = await pool.sign_up(name, PASSWORD, attributes={"email": f"{name}@example.com"})
        assert result.user_sub and not result.confirmed
        assert result.code_delivery is not None and result.code_delivery.medium == "EMAIL"
        assert await pool.resend_confirmation_code(name) is not None
        with pytest.raises(aiocognito.CodeMismatchError):
            await pool.confirm_sign_up(name, "000000")
        await pool.confirm_sign_up(name, "123456")
        step = await pool.sign_in(name, PASSWORD)
        assert step.user is not None
        await pool.forgot_password(name)
        with pytest.raises(aiocognito.CodeMismatchError):
            await pool.confirm_forgot_password(name, "000000", NEW_PASSWORD)
        await pool.confirm_forgot_password(name, "654321", NEW_PASSWORD)
        user = (await pool.sign_in(name, NEW_PASSWORD)).user
        assert user is not None
        with pytest.raises(aiocognito.NotAuthorizedError):
            await user.change_password("wrong-Passw0rd!", PASSWORD)
        await user.change_password(NEW_PASSWORD, PASSWORD)
        assert (await pool.sign_in(name, PASSWORD)).name == "DONE"


async def test_ministack_user_lifecycle(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)
    servers.enable_totp_mfa(pc)
    created = servers.create_confirmed_user(pc, email="m@example.com")
    async with _ministack_pool(pc) as pool:
        user = (await pool.sign_in(created.username, created.password)).user
        assert user is not None
        assert (await user.get_attributes())["email"] == "m@example.com"
        await user.update_attributes({"name": "Em"})
        assert (await user.get_attributes())["name"] == "Em"
        token = await user.associate_software_token()
        with pytest.raises(aiocognito.EnableSoftwareTokenMFAError):
            await user.verify_software_token("000000" if servers.totp_now(token.secret) != "000000" else "1")
        await user.verify_software_token(servers.totp_now(token.secret))
        await user.set_mfa_preference(totp=True, preferred="TOTP")
        assert (await user.get_user_data()).mfa.preferred == "SOFTWARE_TOKEN_MFA"

        # sign_out revokes the refresh token.
        assert "origin_jti" in user.current_tokens.access_claims
        kept = user.current_tokens
        await user.sign_out()
        with pytest.raises(aiocognito.NotAuthorizedError, match="revoked"):
            await pool.call(
                "GetTokensFromRefreshToken", {"RefreshToken": kept.refresh_token, "ClientId": pc.client_id}
            )

        # global sign-out: the access token is refused afterwards.
        step = await pool.sign_in(created.username, created.password)
        assert step.name == "CONFIRM_SIGN_IN_WITH_TOTP_CODE"
        step = await step.respond(servers.totp_now(token.secret))
        assert step.user is not None
        other = pool.user_from_tokens(step.user.username, step.user.current_tokens)
        await step.user.global_sign_out()
        with pytest.raises(aiocognito.NotAuthorizedError, match="revoked"):
            await other.get_attributes()

        # delete
        step = await pool.sign_in(created.username, created.password)
        step = await step.respond(servers.totp_now(token.secret))
        assert step.user is not None
        await step.user.delete()
        with pytest.raises(aiocognito.UserNotFoundError):
            await pool.sign_in(created.username, created.password)


async def test_ministack_aws_credentials(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)
    created = servers.create_confirmed_user(pc)
    identity = servers.boto_client("cognito-identity", ministack_endpoint)
    identity_pool_id = identity.create_identity_pool(
        IdentityPoolName=servers.random_name("ids"),
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[
            {"ProviderName": f"cognito-idp.us-east-1.amazonaws.com/{pc.pool_id}", "ClientId": pc.client_id}
        ],
    )["IdentityPoolId"]
    async with _ministack_pool(pc) as pool:
        user = (await pool.sign_in(created.username, created.password)).user
        assert user is not None
        credentials = await user.aws_credentials(identity_pool_id).get()
    assert credentials.access_key_id.startswith("ASIA")


# --- moto -----------------------------------------------------------------------------------------------


async def test_moto_account_operations(moto_endpoint: str) -> None:
    pc = servers.create_pool_and_client(moto_endpoint)
    name = servers.random_name("u")
    async with _ministack_pool(pc) as pool:
        result = await pool.sign_up(name, PASSWORD, attributes={"email": f"{name}@example.com"})
        assert result.user_sub and not result.confirmed
        await pool.confirm_sign_up(name, "any")  # moto takes any code
        user = (await pool.sign_in(name, PASSWORD)).user
        assert user is not None
        await user.update_attributes({"name": "Mo"})
        assert (await user.get_attributes())["name"] == "Mo"
        with pytest.raises(aiocognito.NotAuthorizedError):
            await user.change_password("wrong-Passw0rd!", NEW_PASSWORD)
        await user.change_password(PASSWORD, NEW_PASSWORD)
        other = pool.user_from_tokens(user.username, user.current_tokens)
        await user.global_sign_out()
        with pytest.raises(aiocognito.NotAuthorizedError):
            await other.get_attributes()
