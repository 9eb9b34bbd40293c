"""amazon-cognito-identity-js, a client aiocognito did not write, against the local user pool.

node runs ``tests/js/scenarios.js`` (amazon-cognito-identity-js 6.3.21, pinned in ``tests/js/package.json``
and its lock file); ``npm ci`` installs it into ``tests/js/node_modules`` once, when it is missing. The
scripts print one JSON line per scenario, with every request the library made. Without node or npm the
tests are skipped, except in CI (``$CI`` true), where that is a failure.

The set-up side (pools, users, TOTP enrolment) uses boto3, so neither side of these tests is aiocognito's
client.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import servers

from aiocognito.testing import LocalUserPool, ServerThread, totp

pytestmark = pytest.mark.integration

JS_DIR = servers.JS_DIR
LIBRARY = "amazon-cognito-identity-js"
VERSION = "6.3.21"
PASSWORD = "Passw0rd!js"
NEW_PASSWORD = "N3w-Passw0rd!js"
SCENARIO_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def node() -> str:
    """The node executable, with amazon-cognito-identity-js installed by ``npm ci`` if it is missing."""
    return servers.node_with(LIBRARY, VERSION)


@pytest.fixture(scope="module")
def local() -> Iterator[ServerThread]:
    handle = LocalUserPool.start_in_thread(shared_signing_key=True)
    try:
        yield handle
    finally:
        servers.close_clients(handle.endpoint_url)
        handle.stop()


@dataclass(frozen=True)
class JsPool:
    node: str
    local: ServerThread
    pool_id: str
    client_id: str

    def config(self, username: str, **extra: str) -> dict[str, str]:
        return {
            # A trailing slash, as amazon-cognito-identity-js's own default endpoint has.
            "endpoint": f"{self.local.endpoint_url}/",
            "poolId": self.pool_id,
            "clientId": self.client_id,
            "username": username,
            "password": PASSWORD,
            "newPassword": NEW_PASSWORD,
            **extra,
        }

    def run(self, scenario: str, config: dict[str, str]) -> dict[str, Any]:
        done = subprocess.run(
            [self.node, str(JS_DIR / "scenarios.js"), scenario],
            cwd=JS_DIR,
            env={**os.environ, "AIOCOGNITO_JS_CONFIG": json.dumps(config)},
            capture_output=True,
            text=True,
            timeout=SCENARIO_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        lines = done.stdout.strip().splitlines()
        assert lines, f"no output from {scenario} (status {done.returncode}):\n{done.stderr[-3000:]}"
        result: dict[str, Any] = json.loads(lines[-1])
        assert done.returncode == 0 and result["ok"], f"{scenario}: {result}\n{done.stderr[-3000:]}"
        return result


def make_pool(node: str, local: ServerThread, **pool: Any) -> JsPool:
    server = local.server
    pool_id = local.run(server.create_pool(servers.random_name("js"), **pool))
    client = local.run(server.create_client(pool_id))
    return JsPool(node, local, pool_id, client.client_id)


def make_user(js: JsPool, **attributes: str) -> str:
    """A CONFIRMED user made with boto3's admin calls (not aiocognito's client)."""
    username = servers.random_name("js")
    idp = servers.idp_client(js.local.endpoint_url)
    idp.admin_create_user(
        UserPoolId=js.pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()],
    )
    idp.admin_set_user_password(UserPoolId=js.pool_id, Username=username, Password=PASSWORD, Permanent=True)
    return username


def test_srp_sign_in_and_token_claims(node: str, local: ServerThread) -> None:
    js = make_pool(node, local)
    username = make_user(js, email="js@example.com", email_verified="true")
    result = js.run("sign-in", js.config(username))
    assert result["calls"] == ["InitiateAuth:USER_SRP_AUTH", "RespondToAuthChallenge:PASSWORD_VERIFIER"]
    assert result["challenges"] == []
    tokens = result["tokens"]
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{js.pool_id}"
    assert tokens["access"] == {
        "token_use": "access",
        "username": username,
        "client_id": js.client_id,
        "iss": issuer,
        "jti": tokens["access"]["jti"],
        "device_key": None,
    }
    assert tokens["id"] == {"token_use": "id", "aud": js.client_id, "username": username, "iss": issuer}
    assert tokens["hasRefreshToken"] and tokens["valid"]


def test_wrong_password_is_refused(node: str, local: ServerThread) -> None:
    js = make_pool(node, local)
    username = make_user(js)
    result = js.run("wrong-password", js.config(username))
    assert result["refused"] == {
        "code": "NotAuthorizedException",
        "message": "Incorrect username or password.",
    }
    assert result["calls"] == ["InitiateAuth:USER_SRP_AUTH", "RespondToAuthChallenge:PASSWORD_VERIFIER"]


def test_get_user_update_refresh_change_password_global_sign_out(node: str, local: ServerThread) -> None:
    js = make_pool(node, local)
    username = make_user(js, email="ada@example.com", email_verified="true")
    result = js.run("account", js.config(username))
    # GetUser
    assert result["attributes"]["email"] == "ada@example.com"
    assert result["attributes"]["email_verified"] == "true"
    assert "given_name" not in result["attributes"]
    # UpdateUserAttributes (then GetUser again)
    assert result["updated"]["given_name"] == "Ada-from-js"
    # refreshSession: InitiateAuth REFRESH_TOKEN_AUTH, a new access token for the same user and client
    assert result["refreshed"]["newAccessToken"]
    assert result["refreshed"]["tokens"]["access"]["username"] == username
    assert result["refreshed"]["tokens"]["access"]["client_id"] == js.client_id
    assert result["refreshed"]["tokens"]["valid"]
    # ChangePassword: the old password no longer signs in, the new one does
    assert result["oldPasswordRefused"]["code"] == "NotAuthorizedException"
    # GlobalSignOut: a token from before it is refused by the server (not by the library)
    assert result["afterSignOut"] == {
        "code": "NotAuthorizedException",
        "message": "Access Token has been revoked",
    }
    assert result["calls"] == [
        "InitiateAuth:USER_SRP_AUTH",
        "RespondToAuthChallenge:PASSWORD_VERIFIER",
        "GetUser",
        "UpdateUserAttributes",
        "GetUser",  # the library reloads its cached user data after an update
        "GetUser",
        "InitiateAuth:REFRESH_TOKEN_AUTH",
        "ChangePassword",
        "InitiateAuth:USER_SRP_AUTH",
        "RespondToAuthChallenge:PASSWORD_VERIFIER",
        "InitiateAuth:USER_SRP_AUTH",
        "RespondToAuthChallenge:PASSWORD_VERIFIER",
        "GlobalSignOut",
        "GetUser",
    ]


def enrol_totp(js: JsPool, username: str) -> str:
    """TOTP enrolled and preferred, with boto3: the authenticator's secret."""
    idp = servers.idp_client(js.local.endpoint_url)
    access = idp.initiate_auth(
        ClientId=js.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["AccessToken"]
    secret = str(idp.associate_software_token(AccessToken=access)["SecretCode"])
    code = totp(secret, int(time.time() // 30))
    assert idp.verify_software_token(AccessToken=access, UserCode=code)["Status"] == "SUCCESS"
    idp.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    return secret


def test_remembered_device_signs_in_through_device_srp(node: str, local: ServerThread) -> None:
    js = make_pool(
        node,
        local,
        mfa="OPTIONAL",
        totp=True,
        device_configuration={
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": False,
        },
    )
    username = make_user(js)
    secret = enrol_totp(js, username)
    result = js.run("device", js.config(username, totpSecret=secret))

    # First sign-in on a new device: TOTP, then the library confirms the device it was given.
    first = result["first"]
    assert first["challenges"] == ["SOFTWARE_TOKEN_MFA"]
    assert first["calls"] == [
        "InitiateAuth:USER_SRP_AUTH",
        "RespondToAuthChallenge:PASSWORD_VERIFIER",
        "RespondToAuthChallenge:SOFTWARE_TOKEN_MFA",
        "ConfirmDevice",
    ]
    device_key = result["deviceKey"]
    assert device_key and first["tokens"]["access"]["device_key"] == device_key
    stored = local.server.store.pools[js.pool_id].users[username].devices[device_key]
    assert stored.confirmed and stored.remembered

    # Second sign-in from that device: device SRP, no MFA, the same device in the tokens.
    second = result["second"]
    assert second["challenges"] == []
    assert second["calls"] == [
        "InitiateAuth:USER_SRP_AUTH",
        "RespondToAuthChallenge:PASSWORD_VERIFIER",
        "RespondToAuthChallenge:DEVICE_SRP_AUTH",
        "RespondToAuthChallenge:DEVICE_PASSWORD_VERIFIER",
    ]
    assert second["tokens"]["access"]["device_key"] == device_key
    assert device_key in result["devices"]  # ListDevices
    assert stored.last_authenticated_at > 0

    # Another device (no stored device key) is asked for TOTP again.
    assert result["other"]["challenges"] == ["SOFTWARE_TOKEN_MFA"]
