"""One list of end-to-end client scenarios, run against the local user pool, moto and ministack.

The local user pool (aiocognito.testing) must not drift from real peers: every scenario runs against all
three servers. Where a server lacks a feature, the pair is marked ``xfail(strict=True)`` with the reason
(see tests/SERVERS.md), so the day a server gains the feature the test fails and the mark is removed.
Nothing is skipped silently.

Set-up (pools, app clients, users) goes through boto3 on every server; the scenarios use aiocognito's
client. Codes come from the local pool's outbox, and are ministack's fixed ones (sign-up 123456,
password reset 654321); moto accepts any confirmation code.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import servers

import aiocognito
from aiocognito import NewPassword, StepName, User, UserPool
from aiocognito.testing import ServerThread

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
NEW_PASSWORD = "N3w-Passw0rd!"
DEVICES = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False}


@dataclass(frozen=True)
class Server:
    """A server under test: where it is, and how to read the codes it "sends"."""

    name: str
    endpoint_url: str
    code: Callable[[str, str], str]  # (username, kind: SIGN_UP, FORGOT_PASSWORD, VERIFY_ATTRIBUTE)

    def pool_and_client(self, *, secret: bool = False, **pool_kwargs: Any) -> servers.PoolClient:
        return servers.create_pool_and_client(
            self.endpoint_url, generate_secret=secret, pool_kwargs=pool_kwargs
        )


def _ministack_code(username: str, kind: str) -> str:
    return {"SIGN_UP": "123456", "FORGOT_PASSWORD": "654321"}.get(kind, "000000")


def _moto_code(username: str, kind: str) -> str:
    return "123456"  # moto accepts any code (not one starting with its "moto-confirmation-code:")


def _client(pc: servers.PoolClient, **kwargs: Any) -> UserPool:
    return UserPool(
        pc.pool_id, pc.client_id, client_secret=pc.client_secret, endpoint_url=pc.endpoint_url, **kwargs
    )


async def _signed_in(pool: UserPool, username: str, password: str = PASSWORD) -> User:
    step = await pool.sign_in(username, password)
    assert step.name is StepName.DONE, step.name
    assert step.user is not None
    return step.user


def _other_code(code: str) -> str:
    return "000000" if code != "000000" else "111111"


# --- the scenarios ----------------------------------------------------------------------------------------

Scenario = Callable[[Server], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(function: Scenario) -> Scenario:
    SCENARIOS[function.__name__] = function
    return function


@scenario
async def srp_sign_in(server: Server) -> None:
    pc = server.pool_and_client()
    user = servers.create_confirmed_user(pc, password=PASSWORD)
    async with _client(pc) as pool:
        signed = await _signed_in(pool, user.username)
    tokens = signed.current_tokens
    assert tokens.username == user.username
    assert tokens.access_claims["client_id"] == pc.client_id
    assert tokens.id_claims["aud"] == pc.client_id
    assert tokens.refresh_token


@scenario
async def srp_sign_in_with_client_secret(server: Server) -> None:
    pc = server.pool_and_client(secret=True)
    user = servers.create_confirmed_user(pc, password=PASSWORD)
    async with _client(pc) as pool:
        await _signed_in(pool, user.username)


@scenario
async def wrong_password_is_refused(server: Server) -> None:
    pc = server.pool_and_client()
    user = servers.create_confirmed_user(pc, password=PASSWORD)
    async with _client(pc) as pool:
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.sign_in(user.username, "Wr0ng-Passw0rd!")


@scenario
async def user_password_auth(server: Server) -> None:
    pc = server.pool_and_client()
    user = servers.create_confirmed_user(pc, password=PASSWORD)
    async with _client(pc) as pool:
        step = await pool.sign_in(user.username, PASSWORD, flow="USER_PASSWORD_AUTH")
        assert step.name is StepName.DONE
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.sign_in(user.username, "Wr0ng-Passw0rd!", flow="USER_PASSWORD_AUTH")


@scenario
async def sign_up_confirm_and_sign_in(server: Server) -> None:
    pc = server.pool_and_client(AutoVerifiedAttributes=["email"])
    username = servers.random_name("su")
    async with _client(pc) as pool:
        result = await pool.sign_up(username, PASSWORD, attributes={"email": f"{username}@example.com"})
        assert not result.confirmed
        step = await pool.sign_in(username, PASSWORD)
        assert step.name is StepName.CONFIRM_SIGN_UP
        await pool.confirm_sign_up(username, server.code(username, "SIGN_UP"))
        await _signed_in(pool, username)


@scenario
async def wrong_confirmation_code_is_refused(server: Server) -> None:
    pc = server.pool_and_client(AutoVerifiedAttributes=["email"])
    username = servers.random_name("su")
    async with _client(pc) as pool:
        await pool.sign_up(username, PASSWORD, attributes={"email": f"{username}@example.com"})
        with pytest.raises(aiocognito.CodeMismatchError):
            await pool.confirm_sign_up(username, _other_code(server.code(username, "SIGN_UP")))


@scenario
async def forgot_password_and_reset(server: Server) -> None:
    pc = server.pool_and_client()
    user = servers.create_confirmed_user(pc, password=PASSWORD, email="fp@example.com")
    async with _client(pc) as pool:
        await pool.forgot_password(user.username)
        code = server.code(user.username, "FORGOT_PASSWORD")
        await pool.confirm_forgot_password(user.username, code, NEW_PASSWORD)
        await _signed_in(pool, user.username, NEW_PASSWORD)
        with pytest.raises(aiocognito.NotAuthorizedError):  # (not SRP: moto does not check its proofs)
            await pool.sign_in(user.username, PASSWORD, flow="USER_PASSWORD_AUTH")


@scenario
async def new_password_required(server: Server) -> None:
    pc = server.pool_and_client()
    user = servers.create_force_change_password_user(pc, email="np@example.com")
    async with _client(pc) as pool:
        step = await pool.sign_in(user.username, user.password)
        assert step.name is StepName.CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED
        done = await step.respond(NewPassword(NEW_PASSWORD))
        assert done.name is StepName.DONE
        await _signed_in(pool, user.username, NEW_PASSWORD)


@scenario
async def refresh_tokens(server: Server) -> None:
    pc = server.pool_and_client()
    user = servers.create_confirmed_user(pc, password=PASSWORD)
    async with _client(pc) as pool:
        signed = await _signed_in(pool, user.username)
        before = signed.current_tokens
        fresh = await signed.refresh()
        assert fresh.access_token != before.access_token
        assert fresh.username == user.username
        assert signed.current_tokens is fresh
        assert (await signed.get_user_data()).username == user.username


@scenario
async def get_and_update_attributes(server: Server) -> None:
    pc = server.pool_and_client()
    user = servers.create_confirmed_user(pc, password=PASSWORD, email="attr@example.com")
    async with _client(pc) as pool:
        signed = await _signed_in(pool, user.username)
        assert (await signed.get_attributes())["email"] == "attr@example.com"
        await signed.update_attributes({"given_name": "Ada"})
        assert (await signed.get_attributes())["given_name"] == "Ada"


@scenario
async def attribute_verification(server: Server) -> None:
    pc = server.pool_and_client(AutoVerifiedAttributes=["email"])
    user = servers.create_confirmed_user(pc, password=PASSWORD, email="old@example.com")
    async with _client(pc) as pool:
        signed = await _signed_in(pool, user.username)
        deliveries = await signed.update_attributes({"email": "new@example.com"})
        assert [d.attribute for d in deliveries] == ["email"]
        assert (await signed.get_attributes())["email_verified"] == "false"
        code = server.code(user.username, "VERIFY_ATTRIBUTE")
        with pytest.raises(aiocognito.CodeMismatchError):
            await signed.verify_attribute("email", _other_code(code))
        await signed.verify_attribute("email", code)
        attributes = await signed.get_attributes()
        assert attributes["email"] == "new@example.com"
        assert attributes["email_verified"] == "true"


@scenario
async def change_password(server: Server) -> None:
    pc = server.pool_and_client()
    user = servers.create_confirmed_user(pc, password=PASSWORD)
    async with _client(pc) as pool:
        signed = await _signed_in(pool, user.username)
        with pytest.raises(aiocognito.NotAuthorizedError):
            await signed.change_password("Wr0ng-Passw0rd!", NEW_PASSWORD)
        await signed.change_password(PASSWORD, NEW_PASSWORD)
        await _signed_in(pool, user.username, NEW_PASSWORD)


async def _enrol_totp(user: User) -> str:
    token = await user.associate_software_token()
    await user.verify_software_token(servers.totp_now(token.secret), friendly_device_name="phone")
    await user.set_mfa_preference(totp=True, preferred="TOTP")
    return token.secret


@scenario
async def totp_enrolment_and_sign_in(server: Server) -> None:
    pc = server.pool_and_client()
    servers.enable_totp_mfa(pc)
    user = servers.create_confirmed_user(pc, password=PASSWORD)
    async with _client(pc) as pool:
        secret = await _enrol_totp(await _signed_in(pool, user.username))
        step = await pool.sign_in(user.username, PASSWORD)
        assert step.name is StepName.CONFIRM_SIGN_IN_WITH_TOTP_CODE
        done = await step.respond(servers.totp_now(secret))
        assert done.name is StepName.DONE


@scenario
async def wrong_totp_code_is_refused(server: Server) -> None:
    pc = server.pool_and_client()
    servers.enable_totp_mfa(pc)
    user = servers.create_confirmed_user(pc, password=PASSWORD)
    async with _client(pc) as pool:
        secret = await _enrol_totp(await _signed_in(pool, user.username))
        step = await pool.sign_in(user.username, PASSWORD)
        assert step.name is StepName.CONFIRM_SIGN_IN_WITH_TOTP_CODE
        with pytest.raises(aiocognito.CodeMismatchError):
            await step.respond(_other_code(servers.totp_now(secret)))


@scenario
async def remembered_device_skips_mfa(server: Server) -> None:
    pc = server.pool_and_client(DeviceConfiguration=DEVICES)
    servers.enable_totp_mfa(pc)
    user = servers.create_confirmed_user(pc, password=PASSWORD)
    async with _client(pc) as laptop, _client(pc) as phone:
        step = await laptop.sign_in(user.username, PASSWORD)
        assert step.device_remembered, "no device was handed out and confirmed"
        assert step.user is not None
        secret = await _enrol_totp(step.user)
        device = await laptop.remembered_device(user.username)
        assert device is not None
        # A new device must answer MFA...
        step = await phone.sign_in(user.username, PASSWORD)
        assert step.name is StepName.CONFIRM_SIGN_IN_WITH_TOTP_CODE
        assert (await step.respond(servers.totp_now(secret))).name is StepName.DONE
        # ...the remembered one signs in through device SRP, without MFA.
        again = await _signed_in(laptop, user.username)
        assert again.current_tokens.access_claims.get("device_key") == device.device_key


@scenario
async def list_and_forget_devices(server: Server) -> None:
    pc = server.pool_and_client(DeviceConfiguration=DEVICES)
    user = servers.create_confirmed_user(pc, password=PASSWORD)
    async with _client(pc) as pool:
        signed = await _signed_in(pool, user.username)
        assert signed.device is not None, "no device was handed out and confirmed"
        devices = [device async for device in signed.list_devices()]
        assert [d.device_key for d in devices] == [signed.device.device_key]
        assert devices[0].remembered
        await signed.forget_device()
        assert [device async for device in signed.list_devices()] == []
        assert await pool.remembered_device(user.username) is None


@scenario
async def global_sign_out_refuses_old_tokens(server: Server) -> None:
    pc = server.pool_and_client()
    user = servers.create_confirmed_user(pc, password=PASSWORD)
    async with _client(pc) as pool:
        signed = await _signed_in(pool, user.username)
        old = signed.current_tokens.access_token
        await signed.global_sign_out()
        with pytest.raises(aiocognito.SignedOutError):
            await signed.get_attributes()
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.call("GetUser", {"AccessToken": old})


@scenario
async def sign_out_revokes_the_refresh_token(server: Server) -> None:
    pc = server.pool_and_client()
    user = servers.create_confirmed_user(pc, password=PASSWORD)
    async with _client(pc) as pool:
        signed = await _signed_in(pool, user.username)
        refresh_token = signed.current_tokens.refresh_token
        assert refresh_token
        await signed.sign_out()
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.call(
                "InitiateAuth",
                {
                    "AuthFlow": "REFRESH_TOKEN_AUTH",
                    "ClientId": pc.client_id,
                    "AuthParameters": {"REFRESH_TOKEN": refresh_token},
                },
            )


@scenario
async def delete_user(server: Server) -> None:
    pc = server.pool_and_client()
    user = servers.create_confirmed_user(pc, password=PASSWORD)
    async with _client(pc) as pool:
        signed = await _signed_in(pool, user.username)
        await signed.delete()
        with pytest.raises(aiocognito.UserNotFoundError):
            await pool.sign_in(user.username, PASSWORD)


@scenario
async def tokens_verify_against_the_jwks(server: Server) -> None:
    pc = server.pool_and_client()
    user = servers.create_confirmed_user(pc, password=PASSWORD)
    async with _client(pc) as pool:
        tokens = (await _signed_in(pool, user.username)).current_tokens
    url = f"{server.endpoint_url}/{pc.pool_id}/.well-known/jwks.json"
    with urllib.request.urlopen(url, timeout=10) as reply:  # 127.0.0.1 only (servers.py)
        keys = {key["kid"]: key for key in json.loads(reply.read())["keys"]}
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{pc.pool_id}"
    for token, use in ((tokens.access_token, "access"), (tokens.id_token, "id")):
        key = jwt.PyJWK(keys[jwt.get_unverified_header(token)["kid"]]).key
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            issuer=issuer,
            audience=pc.client_id if use == "id" else None,
            options={"verify_aud": use == "id", "require": ["exp", "iat", "token_use"]},
        )
        assert claims["token_use"] == use
        if use == "access":
            assert claims["client_id"] == pc.client_id


# --- what each server lacks ---------------------------------------------------------------------------------

_NO_DEVICES = "{} does not hand out devices (no NewDeviceMetadata, no ConfirmDevice/device SRP)"
_NO_VERIFICATION = (
    "{} sends no code when the e-mail changes and has no GetUserAttributeVerificationCode / "
    "VerifyUserAttribute"
)
LACKS: dict[tuple[str, str], str] = {
    ("wrong_password_is_refused", "moto"): "moto does not check SRP proofs: any password signs in",
    ("wrong_confirmation_code_is_refused", "moto"): "moto accepts any ConfirmSignUp code",
    ("wrong_totp_code_is_refused", "moto"): "moto accepts any TOTP code (without an env switch)",
    ("remembered_device_skips_mfa", "moto"): _NO_DEVICES.format("moto"),
    ("remembered_device_skips_mfa", "ministack"): _NO_DEVICES.format("ministack"),
    ("list_and_forget_devices", "moto"): _NO_DEVICES.format("moto"),
    ("list_and_forget_devices", "ministack"): _NO_DEVICES.format("ministack"),
    ("attribute_verification", "moto"): _NO_VERIFICATION.format("moto"),
    ("attribute_verification", "ministack"): _NO_VERIFICATION.format("ministack"),
    ("sign_out_revokes_the_refresh_token", "moto"): "moto does not implement RevokeToken (HTTP 500)",
    ("delete_user", "moto"): "moto does not implement DeleteUser (HTTP 500)",
}
SERVERS = ("local", "moto", "ministack")


def _params() -> list[Any]:
    params = []
    for name in SCENARIOS:
        for server in SERVERS:
            reason = LACKS.get((name, server))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            params.append(pytest.param(name, server, id=f"{name}-{server}", marks=marks))
    return params


def test_every_lack_names_a_scenario_and_a_server() -> None:
    for name, server in LACKS:
        assert name in SCENARIOS and server in SERVERS


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Server:
    name = request.node.callspec.params["server_name"]
    if name == "local":
        local: ServerThread = request.getfixturevalue("cognito_server")
        return Server("local", local.endpoint_url, local.outbox.last_code)
    if name == "moto":
        return Server("moto", request.getfixturevalue("moto_endpoint"), _moto_code)
    return Server("ministack", request.getfixturevalue("ministack_endpoint"), _ministack_code)


@pytest.mark.parametrize(("scenario_name", "server_name"), _params())
async def test_scenario(scenario_name: str, server_name: str, server: Server) -> None:
    await SCENARIOS[scenario_name](server)
