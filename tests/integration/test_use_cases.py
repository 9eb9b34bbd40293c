"""The README's 24 use cases of amazon-cognito-identity-js, run as written against the local user pool.

Each ``<!-- use-case: N -->`` code block of README.md is compiled with top-level ``await`` and run with
the names it uses bound: ``pool``, ``user`` (signed in), ``aiocognito``, ``POOL_ID``, ``CLIENT_ID``,
``TOKEN_FILE``, ``IDENTITY_POOL_ID``, and ``input`` answering with the code the server just "sent".
Then the test checks the effect at the server or in the names the block left behind.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import servers

import aiocognito
from aiocognito import User, UserPool
from aiocognito.testing import LocalUserPool
from aiocognito.token_store import FileTokenStore

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"<!-- use-case: (\d+) -->\n```python\n(.*?)```", re.DOTALL)
PASSWORD = "Passw0rd!"
NEW_PASSWORD = "N3w-Passw0rd!"


def examples() -> dict[int, str]:
    return {int(number): code for number, code in _BLOCK.findall(README.read_text())}


def test_the_readme_has_all_24_use_cases() -> None:
    assert sorted(examples()) == list(range(1, 25))


@dataclass
class Case:
    server: LocalUserPool
    pool_id: str
    client_id: str
    pool: UserPool
    tmp_path: Path
    names: dict[str, Any] = field(default_factory=dict)
    running: dict[str, Any] = field(default_factory=dict)  # the names of the block being run

    async def sign_in(self, username: str = "alice", password: str = PASSWORD, **kwargs: Any) -> User:
        pool = UserPool(self.pool_id, self.client_id, endpoint_url=self.server.endpoint_url, **kwargs)
        async with pool:
            step = await pool.sign_in(username, password)
        assert step.user is not None
        step.user.pool = self.pool
        return step.user

    async def user_signed_in(self) -> User:
        step = await self.pool.sign_in("alice", PASSWORD)
        assert step.user is not None
        return step.user

    def answer(self, code: Callable[[], str]) -> None:
        self.names["input"] = lambda prompt="": code()

    async def run(self, number: int) -> dict[str, Any]:
        source = examples()[number]
        names = {
            "aiocognito": aiocognito,
            "pool": self.pool,
            "POOL_ID": self.pool_id,
            "CLIENT_ID": self.client_id,
            **self.names,
        }
        self.running = names
        compiled = compile(source, f"README use case {number}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(compiled, names)  # the README's own examples
        if inspect.iscoroutine(result):
            await result
        return names

    def outbox_code(self, username: str, kind: str) -> Callable[[], str]:
        return lambda: self.server.outbox.last_code(username, kind)


@pytest.fixture
async def case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Case]:
    async with LocalUserPool(shared_signing_key=True) as server:
        pool_id = await server.create_pool(
            mfa="OPTIONAL",
            totp=True,
            sms=True,
            device_configuration={
                "ChallengeRequiredOnNewDevice": False,
                "DeviceOnlyRememberedOnUserPrompt": True,
            },
        )
        client = await server.create_client(pool_id)
        # Use case 16 builds its own UserPool(POOL_ID, CLIENT_ID): the endpoint comes from the environment.
        monkeypatch.setenv(aiocognito.pool.ENDPOINT_ENV, server.endpoint_url)
        async with UserPool(pool_id, client.client_id, endpoint_url=server.endpoint_url) as pool:
            yield Case(server, pool_id, client.client_id, pool, tmp_path)


async def alice(case: Case, *, confirmed: bool = True, **attributes: str) -> None:
    values = {"email": "alice@example.com", "phone_number": "+15555550100", **attributes}
    await case.server.create_user(case.pool_id, "alice", PASSWORD, attributes=values, confirmed=confirmed)


async def signed_in(case: Case, **attributes: str) -> User:
    await alice(case, **attributes)
    user = await case.user_signed_in()
    case.names["user"] = user
    return user


# --- 1 to 4: sign-up and sign-in ------------------------------------------------------------------------


async def test_1_sign_up(case: Case) -> None:
    names = await case.run(1)
    assert names["result"].user_sub and not names["result"].confirmed
    assert case.server.store.pool(case.pool_id).find_user("alice") is not None


async def test_2_confirm_registration(case: Case) -> None:
    await case.pool.sign_up("alice", PASSWORD, attributes={"email": "alice@example.com"})
    case.answer(case.outbox_code("alice", "SIGN_UP"))
    await case.run(2)
    assert (await case.pool.sign_in("alice", PASSWORD)).name == "DONE"


async def test_3_resend_confirmation_code(case: Case) -> None:
    await case.pool.sign_up("alice", PASSWORD, attributes={"email": "alice@example.com"})
    names = await case.run(3)
    assert names["delivery"].medium == "EMAIL"
    assert len([m for m in case.server.outbox if m.kind == "SIGN_UP"]) == 2


async def test_4_sign_in(case: Case) -> None:
    await alice(case)
    names = await case.run(4)
    assert isinstance(names["user"], User) and names["user"].username == "alice"
    assert names["tokens"].id_claims["email"] == "alice@example.com"


# --- 5 to 11: the signed-in user's account --------------------------------------------------------------


async def test_5_get_attributes(case: Case) -> None:
    await signed_in(case)
    names = await case.run(5)
    assert names["attributes"]["email"] == "alice@example.com"


async def test_6_verify_attribute(case: Case) -> None:
    user = await signed_in(case, email_verified="false")
    case.answer(case.outbox_code("alice", "VERIFY_ATTRIBUTE"))
    await case.run(6)
    assert (await user.get_attributes())["email_verified"] == "true"


async def test_7_delete_attribute(case: Case) -> None:
    user = await signed_in(case, nickname="Ally")
    await case.run(7)
    assert "nickname" not in await user.get_attributes()


async def test_8_update_attributes(case: Case) -> None:
    user = await signed_in(case)
    names = await case.run(8)
    assert (await user.get_attributes())["nickname"] == "Al"
    assert [d.attribute for d in names["deliveries"]] == ["email"]


async def test_9_enable_mfa(case: Case) -> None:
    user = await signed_in(case)
    await case.run(9)
    assert await user.get_mfa_options() == ({"DeliveryMedium": "SMS", "AttributeName": "phone_number"},)
    step = await case.pool.sign_in("alice", PASSWORD)
    assert step.name == "CONFIRM_SIGN_IN_WITH_SMS_CODE"


async def test_10_disable_mfa(case: Case) -> None:
    user = await signed_in(case)
    await user.enable_mfa()
    await case.run(10)
    assert await user.get_mfa_options() == ()
    assert (await case.pool.sign_in("alice", PASSWORD)).name == "DONE"


async def test_11_change_password(case: Case) -> None:
    await signed_in(case)
    await case.run(11)
    assert (await case.pool.sign_in("alice", NEW_PASSWORD)).name == "DONE"


# --- 12 to 16: passwords, account end, sign-out, the stored user ----------------------------------------


async def test_12_forgot_password(case: Case) -> None:
    await alice(case)
    case.answer(case.outbox_code("alice", "FORGOT_PASSWORD"))
    await case.run(12)
    assert (await case.pool.sign_in("alice", NEW_PASSWORD)).name == "DONE"


async def test_13_delete_user(case: Case) -> None:
    user = await signed_in(case)
    await case.run(13)
    assert user.signed_out
    with pytest.raises(aiocognito.UserNotFoundError):
        await case.pool.sign_in("alice", PASSWORD)


async def test_14_sign_out(case: Case) -> None:
    user = await signed_in(case)
    await case.run(14)
    with pytest.raises(aiocognito.SignedOutError):
        await user.get_attributes()
    assert await case.pool.current_user() is None


async def test_15_global_sign_out(case: Case) -> None:
    await signed_in(case)
    other = await case.user_signed_in()
    await case.run(15)
    with pytest.raises(aiocognito.NotAuthorizedError):
        await other.get_attributes()


async def test_16_current_user_from_the_token_store(case: Case) -> None:
    await alice(case)
    token_file = case.tmp_path / "tokens.json"
    await case.sign_in(token_store=FileTokenStore(token_file))
    case.names["TOKEN_FILE"] = token_file
    names = await case.run(16)
    assert names["user"] is not None and names["user"].username == "alice"


async def test_17_identity_pool_credentials(case: Case) -> None:
    await signed_in(case)
    reply = await case.server.call(
        "CreateIdentityPool",
        {
            "IdentityPoolName": "ids",
            "AllowUnauthenticatedIdentities": False,
            "CognitoIdentityProviders": [
                {
                    "ProviderName": f"cognito-idp.us-east-1.amazonaws.com/{case.pool_id}",
                    "ClientId": case.client_id,
                }
            ],
        },
        service="cognito-identity",
    )
    case.names["IDENTITY_POOL_ID"] = reply["IdentityPoolId"]
    names = await case.run(17)
    assert names["aws"].access_key_id and names["aws"].session_token
    frozen = await names["for_aiobotocore"].get_frozen_credentials()
    assert frozen.access_key == names["aws"].access_key_id
    # The sessions: public API only, the same credentials first in their chains.
    from_session = await (await names["session"].get_credentials()).get_frozen_credentials()
    assert from_session.access_key == names["aws"].access_key_id
    assert names["boto"].get_credentials().method == "aiocognito-identity-pool"


# --- 18 to 22: devices ----------------------------------------------------------------------------------


async def test_18_list_devices(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    user = await signed_in(case)
    await case.sign_in()  # another pool object, another store: a second device
    await case.run(18)
    printed = capsys.readouterr().out
    assert user.device is not None and user.device.device_key in printed
    assert len(printed.splitlines()) == 2


async def test_19_this_device(case: Case) -> None:
    user = await signed_in(case)
    names = await case.run(19)
    assert user.device is not None and names["device"].device_key == user.device.device_key


async def test_20_remember_device(case: Case) -> None:
    user = await signed_in(case)
    assert not (await user.get_device()).remembered
    await case.run(20)
    assert (await user.get_device()).remembered


async def test_21_do_not_remember_device(case: Case) -> None:
    user = await signed_in(case)
    await user.remember_device()
    await case.run(21)
    assert not (await user.get_device()).remembered


async def test_22_forget_device(case: Case) -> None:
    user = await signed_in(case)
    key = user.device.device_key if user.device else ""
    await case.run(22)
    assert user.device is None
    with pytest.raises(aiocognito.ResourceNotFoundError):
        await user.get_device(key)


# --- 23, 24: new password, MFA settings -----------------------------------------------------------------


async def test_23_new_password_required(case: Case) -> None:
    await case.server.call(
        "AdminCreateUser",
        {
            "UserPoolId": case.pool_id,
            "Username": "bob",
            "TemporaryPassword": "Temp-Passw0rd!",
            "MessageAction": "SUPPRESS",
        },
    )
    names = await case.run(23)
    assert names["step"].name == "DONE"
    assert (await names["step"].user.get_attributes())["name"] == "Bob"


async def test_24_mfa_settings(case: Case) -> None:
    user = await signed_in(case)
    # ``input`` answers with the code of the secret the block got from AssociateSoftwareToken a line before.
    case.answer(lambda: servers.totp_now(case.running["secret"].secret))
    names = await case.run(24)
    assert (await user.get_user_data()).mfa.preferred == "SOFTWARE_TOKEN_MFA"
    assert names["data"].mfa.enabled == ("SOFTWARE_TOKEN_MFA",)
