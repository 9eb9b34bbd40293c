"""AWS Amplify JS v6, a client aiocognito did not write, against the local user pool.

node runs ``tests/js/amplify.js`` (``aws-amplify`` pinned in ``tests/js/package.json`` and its lock file,
configured with ``userPoolEndpoint``); ``npm ci`` installs it when it is missing. Each scenario is one
node process: the codes the pool "sends" are read from its outbox and written to the script's stdin
when it asks. Every request Amplify made comes back in ``calls``, so the flow that really ran is
checked, not only its end. The module prints a table of the scenarios and how each went.

Without node or npm the tests are skipped, except in CI (``$CI`` true), where that is a failure.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import servers
from cryptography.hazmat.primitives import serialization
from soft_webauthn import SoftAuthenticator

from aiocognito import UserPool
from aiocognito.testing import LocalUserPool, ServerThread

pytestmark = pytest.mark.integration

VERSION = "6.22.1"
PASSWORD = "Passw0rd!amp"
SCENARIO_TIMEOUT = 60.0
_ROWS: list[tuple[str, str]] = []


@pytest.fixture(scope="module")
def node() -> str:
    """node, with aws-amplify installed by ``npm ci`` if it is missing."""
    return servers.node_with("aws-amplify", VERSION)


@pytest.fixture(scope="module")
def local(request: pytest.FixtureRequest) -> Iterator[ServerThread]:
    handle = LocalUserPool.start_in_thread(shared_signing_key=True)
    try:
        yield handle
    finally:
        servers.close_clients(handle.endpoint_url)
        handle.stop()
        _print_table(request.config)


def _print_table(config: pytest.Config) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not _ROWS:
        return
    width = max(len(name) for name, _ in _ROWS)
    with capture.global_and_fixture_disabled():  # the table is for the person reading the run
        reporter.write_line("")
        reporter.write_line(f"AWS Amplify JS {VERSION} against the local user pool:")
        for name, outcome in _ROWS:
            reporter.write_line(f"  {name.ljust(width)}  {outcome}")
        passed = sum(outcome == "pass" for _, outcome in _ROWS)
        reporter.write_line(f"  {passed} of {len(_ROWS)} scenarios pass")


@pytest.fixture
def row(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """The scenario's row in the table: its name, then "pass" once every check of the test held."""
    cell = [str(request.node.callspec.params["name"])]
    yield cell
    if len(cell) > 1:
        outcome = "pass"
    else:
        marker = request.node.get_closest_marker("xfail")
        outcome = f"fail (xfail: {marker.kwargs['reason']})" if marker else "FAIL"
    _ROWS.append((cell[0], outcome))


@dataclass(frozen=True)
class Amplify:
    node: str
    local: ServerThread
    pool_id: str
    client_id: str

    def user(self, *, email: bool = True) -> str:
        username = servers.random_name("amp")
        attributes = {"email": f"{username}@example.com"} if email else {}
        self.local.run(self.local.server.create_user(self.pool_id, username, PASSWORD, attributes=attributes))
        return username

    def run(self, scenario: str, username: str, **extra: Any) -> dict[str, Any]:
        """Run one scenario; a code it asks for comes from the outbox (the newest of that kind)."""
        config = {
            "endpoint": self.local.endpoint_url,
            "poolId": self.pool_id,
            "clientId": self.client_id,
            "username": username,
            "password": PASSWORD,
            "email": f"{username}@example.com",
            **extra,
        }
        result: dict[str, Any] | None = None
        with subprocess.Popen(
            [self.node, str(servers.JS_DIR / "amplify.js"), scenario],
            cwd=servers.JS_DIR,
            env={**os.environ, "AIOCOGNITO_JS_CONFIG": json.dumps(config)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as process:
            assert process.stdin is not None and process.stdout is not None and process.stderr is not None
            lines: queue.Queue[str | None] = queue.Queue()
            stdout = process.stdout

            def read() -> None:
                for line in stdout:
                    lines.put(line)
                lines.put(None)

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            deadline = time.monotonic() + SCENARIO_TIMEOUT
            try:
                for _ in range(20):  # a scenario asks for a few codes at most
                    line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
                    if line is None:
                        break
                    message = json.loads(line)
                    if message.get("need") != "code":
                        result = message
                        break
                    code = self.local.outbox.last_code(username, message["what"])
                    process.stdin.write(code + "\n")
                    process.stdin.flush()
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=10)
                reader.join(timeout=10)
            stderr = process.stderr.read()[-3000:]
        assert result is not None, f"{scenario}: no result (status {process.returncode}):\n{stderr}"
        assert result["ok"], f"{scenario}: {result}\n{stderr}"
        return result


def make(node: str, local: ServerThread, **pool: Any) -> Amplify:
    pool_id = local.run(local.server.create_pool(servers.random_name("amp"), **pool))
    client = local.run(local.server.create_client(pool_id))
    return Amplify(node, local, pool_id, client.client_id)


def _signed_in(result: dict[str, Any], username: str) -> None:
    assert result["tokens"]["username"] == username


Check = Callable[[Amplify], None]
CHOICE_BASED = {"first_factors": ["PASSWORD", "EMAIL_OTP"]}


def srp_password(amp: Amplify) -> None:
    username = amp.user()
    result = amp.run("srp-password", username)
    _signed_in(result, username)
    assert result["refused"]["code"] == "NotAuthorizedException"
    assert result["calls"][:2] == ["InitiateAuth:USER_SRP_AUTH", "RespondToAuthChallenge:PASSWORD_VERIFIER"]


def user_auth_password(amp: Amplify) -> None:
    username = amp.user()
    result = amp.run("user-auth-password", username)
    for preferred in ("PASSWORD_SRP", "PASSWORD"):
        assert result[preferred]["steps"] == []
        assert result[preferred]["tokens"]["username"] == username
    assert "InitiateAuth:USER_AUTH" in result["calls"]
    assert "RespondToAuthChallenge:PASSWORD_VERIFIER" in result["calls"]  # after PASSWORD_SRP


def user_auth_select(amp: Amplify) -> None:
    username = amp.user()
    result = amp.run("user-auth-select", username)
    assert result["available"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]
    assert result["steps"] == [
        "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION",
        "CONFIRM_SIGN_IN_WITH_PASSWORD",
    ]
    _signed_in(result, username)


def user_auth_email_otp(amp: Amplify) -> None:
    username = amp.user()
    result = amp.run("user-auth-email-otp", username)
    assert result["steps"] == ["CONFIRM_SIGN_IN_WITH_EMAIL_CODE"]
    assert result["calls"][:2] == ["InitiateAuth:USER_AUTH", "RespondToAuthChallenge:EMAIL_OTP"]
    _signed_in(result, username)


def totp_mfa(amp: Amplify) -> None:
    username = amp.user(email=False)
    result = amp.run("totp-mfa", username)
    assert result["setup"] == ["CONTINUE_SIGN_IN_WITH_TOTP_SETUP"]
    assert result["preference"]["enabled"] == ["TOTP"]
    assert result["again"] == ["CONFIRM_SIGN_IN_WITH_TOTP_CODE"]
    assert "VerifySoftwareToken" in result["calls"]
    assert "RespondToAuthChallenge:SOFTWARE_TOKEN_MFA" in result["calls"]
    _signed_in(result, username)


def email_mfa(amp: Amplify) -> None:
    username = amp.user()
    result = amp.run("email-mfa", username)
    assert result["steps"] == ["CONFIRM_SIGN_IN_WITH_EMAIL_CODE"]
    assert "RespondToAuthChallenge:EMAIL_OTP" in result["calls"]
    _signed_in(result, username)


def devices(amp: Amplify) -> None:
    username = amp.user()
    result = amp.run("devices", username)
    key = result["firstTokens"]["deviceKey"]
    assert key and [d["id"] for d in result["listed"]] == [key]
    assert "ConfirmDevice" in result["calls"] and "UpdateDeviceStatus" in result["calls"]
    assert "RespondToAuthChallenge:DEVICE_PASSWORD_VERIFIER" in result["secondCalls"]
    assert result["secondTokens"]["deviceKey"] == key
    assert result["after"] == []


def refresh(amp: Amplify) -> None:
    username = amp.user()
    result = amp.run("refresh", username)
    assert result["after"]["jti"] != result["before"]["jti"]
    assert result["after"]["username"] == result["current"] == username
    assert result["refreshCalls"] in (["InitiateAuth:REFRESH_TOKEN_AUTH"], ["GetTokensFromRefreshToken"])


def passkey_list(amp: Amplify) -> None:
    username = amp.user()
    authenticator = SoftAuthenticator()

    async def register() -> None:
        async with UserPool(amp.pool_id, amp.client_id, endpoint_url=amp.local.endpoint_url) as pool:
            step = await pool.sign_in(username, PASSWORD)
            assert step.user is not None
            for _ in range(2):
                options = await step.user.start_passkey_registration()
                await step.user.complete_passkey_registration(authenticator.create(options))

    amp.local.run(register())
    result = amp.run("passkey-list", username)
    assert sorted(result["ids"]) == sorted(authenticator.keys)
    assert result["first"]["relyingPartyId"] == "localhost"
    assert result["after"] == [i for i in result["ids"] if i != result["ids"][0]]


def passkey_sign_in(amp: Amplify) -> None:
    username = amp.user()
    authenticator = SoftAuthenticator()

    async def register() -> None:
        async with UserPool(amp.pool_id, amp.client_id, endpoint_url=amp.local.endpoint_url) as pool:
            step = await pool.sign_in(username, PASSWORD)
            assert step.user is not None
            options = await step.user.start_passkey_registration()
            await step.user.complete_passkey_registration(authenticator.create(options))

    amp.local.run(register())
    ((key_id, key),) = authenticator.keys.items()
    pem = key.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    passkey = {
        "pem": pem,
        "id": key_id,
        "userHandle": key.user_handle,
        "signCount": key.sign_count,
        "origin": authenticator.origin,
    }
    result = amp.run("passkey-sign-in", username, passkey=passkey)
    assert result["steps"] == []
    assert result["calls"] == ["InitiateAuth:USER_AUTH", "RespondToAuthChallenge:WEB_AUTHN"]
    _signed_in(result, username)
    stored = amp.local.server.store.pools[amp.pool_id].users[username].passkeys
    assert stored[0]["sign_count"] == 1


def auto_sign_in(amp: Amplify) -> None:
    username = servers.random_name("amp")
    result = amp.run("auto-sign-in", username)
    assert result["steps"] == ["CONFIRM_SIGN_UP", "COMPLETE_AUTO_SIGN_IN"]
    assert result["isSignedIn"], f"stopped at {result['next']}"
    _signed_in(result, username)


SCENARIOS: list[Any] = [
    pytest.param("password (USER_SRP_AUTH), wrong password", srp_password, {}, id="srp-password"),
    pytest.param("USER_AUTH PASSWORD_SRP / PASSWORD", user_auth_password, CHOICE_BASED, id="user-auth-pw"),
    pytest.param("USER_AUTH SELECT_CHALLENGE", user_auth_select, CHOICE_BASED, id="user-auth-select"),
    pytest.param("USER_AUTH EMAIL_OTP", user_auth_email_otp, CHOICE_BASED, id="user-auth-email-otp"),
    pytest.param("TOTP MFA: set-up, then a code", totp_mfa, {"mfa": "ON", "totp": True}, id="totp-mfa"),
    pytest.param("e-mail MFA", email_mfa, {"mfa": "ON", "email_mfa": True}, id="email-mfa"),
    pytest.param(
        "devices: confirm, remember, list, device SRP, forget",
        devices,
        {
            "device_configuration": {
                "ChallengeRequiredOnNewDevice": True,
                "DeviceOnlyRememberedOnUserPrompt": True,
            }
        },
        id="devices",
    ),
    pytest.param("refresh (fetchAuthSession forceRefresh)", refresh, {}, id="refresh"),
    pytest.param(
        "passkeys: list, delete", passkey_list, {"first_factors": ["PASSWORD", "WEB_AUTHN"]}, id="passkeys"
    ),
    pytest.param(
        "USER_AUTH WEB_AUTHN (passkey sign-in)",
        passkey_sign_in,
        {"first_factors": ["PASSWORD", "WEB_AUTHN"]},
        id="passkey-sign-in",
    ),
    pytest.param("signUp + autoSignIn (USER_AUTH)", auto_sign_in, CHOICE_BASED, id="auto-sign-in"),
]


@pytest.mark.parametrize(("name", "check", "pool"), SCENARIOS)
def test_amplify(
    node: str, local: ServerThread, row: list[str], name: str, check: Check, pool: dict[str, Any]
) -> None:
    check(make(node, local, **pool))
    row.append("pass")
