"""The package's own local Cognito user pool server (aiocognito.testing), driven by boto3, pycognito,
aiocognito's client and raw HTTP.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
import servers
from botocore.exceptions import ClientError
from clocks import OffsetClock
from pycognito.aws_srp import AWSSRP

import aiocognito
from aiocognito.core import srp
from aiocognito.testing import LocalUserPool, ServerThread, Triggers, totp

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"


@pytest.fixture(scope="module")
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture(scope="module")
def local(clock: OffsetClock) -> Iterator[ServerThread]:
    handle = LocalUserPool.start_in_thread(clock=clock, shared_signing_key=True)
    try:
        yield handle
    finally:
        servers.close_clients(handle.endpoint_url)
        handle.stop()


@pytest.fixture(autouse=True)
def _reset_clock(clock: OffsetClock) -> Iterator[None]:
    yield
    clock.offset = 0.0


@pytest.fixture
def idp(local: ServerThread) -> Any:
    return servers.boto_client("cognito-idp", local.endpoint_url)


@dataclass(frozen=True)
class Setup:
    local: ServerThread
    pool_id: str
    client_id: str
    client_secret: str | None

    def hash(self, username: str) -> dict[str, str]:
        if self.client_secret is None:
            return {}
        return {"SECRET_HASH": srp.secret_hash(username, self.client_id, self.client_secret)}

    def user(self, username: str | None = None, password: str = PASSWORD, **attributes: str) -> str:
        name = username or servers.random_name("user")
        server = self.local.server
        self.local.run(server.create_user(self.pool_id, name, password, attributes=attributes or None))
        return name


def make_setup(
    local: ServerThread, *, secret: bool = False, client: dict[str, Any] | None = None, **pool: Any
) -> Setup:
    server = local.server
    pool_id = local.run(server.create_pool(servers.random_name("pool"), **pool))
    app = local.run(server.create_client(pool_id, generate_secret=secret, **(client or {})))
    return Setup(local, pool_id, app.client_id, app.client_secret)


def code_of(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def password_sign_in(idp: Any, setup: Setup, username: str, password: str = PASSWORD) -> dict[str, Any]:
    reply: dict[str, Any] = idp.initiate_auth(
        ClientId=setup.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password, **setup.hash(username)},
    )
    return reply


def tokens_of(idp: Any, setup: Setup, username: str) -> dict[str, Any]:
    result: dict[str, Any] = password_sign_in(idp, setup, username)["AuthenticationResult"]
    return result


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), json.loads(error.read())


def wrong_totp(secret: str) -> str:
    """A code that is not valid for ``secret`` in this 30-second step or the ones either side."""
    step = int(time.time() // 30)
    valid = {totp(secret, step + delta) for delta in (-1, 0, 1, 2)}
    return next(code for code in ("000000", "111111", "222222", "333333", "444444") if code not in valid)


def idp_headers(operation: str, content_type: str = "application/x-amz-json-1.1") -> dict[str, str]:
    return {"Content-Type": content_type, "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}"}


# --- set-up calls ------------------------------------------------------------------------------------------


def test_boto3_set_up_calls(local: ServerThread, idp: Any) -> None:
    pool = idp.create_user_pool(
        PoolName="setup",
        Policies={"PasswordPolicy": {"MinimumLength": 10, "RequireSymbols": False}},
        AutoVerifiedAttributes=["email"],
        UsernameAttributes=["email"],
        MfaConfiguration="OFF",
        DeviceConfiguration={"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True},
    )["UserPool"]
    pool_id = pool["Id"]
    assert pool_id.startswith("us-east-1_") and len(pool_id.split("_")[1]) == 9
    described = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 10
    assert described["UsernameAttributes"] == ["email"]
    assert described["DeviceConfiguration"]["DeviceOnlyRememberedOnUserPrompt"] is True

    client = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="c",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AccessTokenValidity=30,
        TokenValidityUnits={"AccessToken": "minutes"},
        EnableTokenRevocation=True,
        AuthSessionValidity=5,
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 10},
    )["UserPoolClient"]
    assert client["ClientSecret"]
    again = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
    assert again["AccessTokenValidity"] == 30 and again["AuthSessionValidity"] == 5
    assert again["RefreshTokenRotation"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10}

    mfa = idp.set_user_pool_mfa_config(
        UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="OPTIONAL"
    )
    assert mfa["MfaConfiguration"] == "OPTIONAL"

    with pytest.raises(ClientError) as weak:
        idp.admin_create_user(UserPoolId=pool_id, Username="a@example.com", TemporaryPassword="short")
    assert code_of(weak) == "InvalidPasswordException"
    created = idp.admin_create_user(
        UserPoolId=pool_id,
        Username="a@example.com",
        TemporaryPassword="Temporary123",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "name", "Value": "A"}],
    )["User"]
    assert created["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    username = created["Username"]  # a UUID: the pool signs in with e-mail addresses
    assert username != "a@example.com"
    got = idp.admin_get_user(UserPoolId=pool_id, Username="a@example.com")
    assert got["Username"] == username
    assert {"Name": "email", "Value": "a@example.com"} in got["UserAttributes"]

    idp.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password="Permanent123", Permanent=True
    )
    assert idp.admin_get_user(UserPoolId=pool_id, Username=username)["UserStatus"] == "CONFIRMED"
    idp.admin_update_user_attributes(
        UserPoolId=pool_id, Username=username, UserAttributes=[{"Name": "email_verified", "Value": "true"}]
    )
    idp.create_group(UserPoolId=pool_id, GroupName="admins", Precedence=1)
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName="admins")
    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username=username)["Groups"]
    assert [g["GroupName"] for g in groups] == ["admins"]
    listed = idp.list_users(UserPoolId=pool_id, Filter='email = "a@example.com"')["Users"]
    assert [u["Username"] for u in listed] == [username]
    assert idp.list_users(UserPoolId=pool_id, Filter='email ^= "zzz"')["Users"] == []

    signed_up = idp.sign_up(
        ClientId=client["ClientId"],
        SecretHash=srp.secret_hash("b@example.com", client["ClientId"], client["ClientSecret"]),
        Username="b@example.com",
        Password="Password123",
    )
    assert signed_up["UserConfirmed"] is False
    assert signed_up["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="b@example.com")
    with pytest.raises(ClientError) as twice:
        idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="b@example.com")
    assert code_of(twice) == "NotAuthorizedException"

    idp.admin_delete_user(UserPoolId=pool_id, Username="b@example.com")
    with pytest.raises(ClientError) as gone:
        idp.admin_get_user(UserPoolId=pool_id, Username="b@example.com")
    assert code_of(gone) == "UserNotFoundException"
    assert gone.value.response["Error"]["Message"] == "User does not exist."


# --- SRP -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [False, True])
def test_srp_with_pycognito(local: ServerThread, idp: Any, secret: bool) -> None:
    setup = make_setup(local, secret=secret)
    username = setup.user()
    aws = AWSSRP(
        username=username,
        password=PASSWORD,
        pool_id=setup.pool_id,
        client_id=setup.client_id,
        client_secret=setup.client_secret,
        client=idp,
    )
    tokens = aws.authenticate_user()
    assert tokens["AuthenticationResult"]["AccessToken"]
    wrong = AWSSRP(
        username=username,
        password="Wrong-passw0rd",
        pool_id=setup.pool_id,
        client_id=setup.client_id,
        client_secret=setup.client_secret,
        client=idp,
    )
    with pytest.raises(ClientError) as refused:
        wrong.authenticate_user()
    assert code_of(refused) == "NotAuthorizedException"
    assert refused.value.response["Error"]["Message"] == "Incorrect username or password."


@pytest.mark.parametrize("secret", [False, True])
async def test_srp_with_aiocognito(local: ServerThread, secret: bool) -> None:
    setup = make_setup(local, secret=secret)
    username = setup.user()
    async with aiocognito.UserPool(
        setup.pool_id, setup.client_id, client_secret=setup.client_secret, endpoint_url=local.endpoint_url
    ) as pool:
        step = await pool.sign_in(username, PASSWORD)
        assert step.name == "DONE"
        assert step.user is not None
        claims = jwt.decode(step.user.current_tokens.access_token, options={"verify_signature": False})
        assert claims["username"] == username
        with pytest.raises(aiocognito.NotAuthorizedError, match=r"Incorrect username or password\."):
            await pool.sign_in(username, "Wrong-passw0rd")
        with pytest.raises(aiocognito.UserNotFoundError):
            await pool.sign_in("nobody", PASSWORD)


async def test_srp_hides_unknown_users_when_asked(local: ServerThread) -> None:
    setup = make_setup(local, client={"PreventUserExistenceErrors": "ENABLED"})
    async with aiocognito.UserPool(setup.pool_id, setup.client_id, endpoint_url=local.endpoint_url) as pool:
        with pytest.raises(aiocognito.NotAuthorizedError, match=r"Incorrect username or password\."):
            await pool.sign_in("nobody", PASSWORD)


def test_lock_out_after_repeated_wrong_passwords(local: ServerThread, idp: Any, clock: OffsetClock) -> None:
    setup = make_setup(local)
    username = setup.user()
    for _ in range(5):
        with pytest.raises(ClientError) as wrong:
            password_sign_in(idp, setup, username, "Wrong-passw0rd")
        assert wrong.value.response["Error"]["Message"] == "Incorrect username or password."
    with pytest.raises(ClientError) as locked:
        password_sign_in(idp, setup, username)  # even the right password, while locked out
    assert code_of(locked) == "NotAuthorizedException"
    assert locked.value.response["Error"]["Message"] == "Password attempts exceeded"
    clock.offset += 2  # the first lock-out lasts 1 s
    assert password_sign_in(idp, setup, username)["AuthenticationResult"]["IdToken"]


def test_secret_hash_is_enforced(local: ServerThread, idp: Any) -> None:
    setup = make_setup(local, secret=True)
    username = setup.user()
    params = {"USERNAME": username, "PASSWORD": PASSWORD}
    with pytest.raises(ClientError) as missing:
        idp.initiate_auth(ClientId=setup.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params)
    assert missing.value.response["Error"]["Message"] == (
        f"Client {setup.client_id} is configured with secret but SECRET_HASH was not received"
    )
    with pytest.raises(ClientError) as wrong:
        idp.initiate_auth(
            ClientId=setup.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={**params, "SECRET_HASH": base64.b64encode(b"x" * 32).decode()},
        )
    assert (
        wrong.value.response["Error"]["Message"]
        == f"Unable to verify secret hash for client {setup.client_id}"
    )
    assert password_sign_in(idp, setup, username)["AuthenticationResult"]["AccessToken"]


def test_user_password_auth_needs_the_flow(local: ServerThread, idp: Any) -> None:
    setup = make_setup(local, client={"auth_flows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]})
    username = setup.user()
    with pytest.raises(ClientError) as refused:
        password_sign_in(idp, setup, username)
    assert code_of(refused) == "InvalidParameterException"


def test_new_password_required(local: ServerThread, idp: Any) -> None:
    setup = make_setup(local)
    idp.admin_create_user(
        UserPoolId=setup.pool_id,
        Username="newbie",
        TemporaryPassword="Temp0rary!",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "n@example.com"}],
    )
    reply = password_sign_in(idp, setup, "newbie", "Temp0rary!")
    assert reply["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    params = reply["ChallengeParameters"]
    assert json.loads(params["requiredAttributes"]) == []
    assert json.loads(params["userAttributes"])["email"] == "n@example.com"
    with pytest.raises(ClientError) as weak:
        idp.respond_to_auth_challenge(
            ClientId=setup.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=reply["Session"],
            ChallengeResponses={"USERNAME": "newbie", "NEW_PASSWORD": "weak"},
        )
    assert code_of(weak) == "InvalidPasswordException"
    done = idp.respond_to_auth_challenge(
        ClientId=setup.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=reply["Session"],
        ChallengeResponses={"USERNAME": "newbie", "NEW_PASSWORD": "Brand-new-passw0rd"},
    )
    assert done["AuthenticationResult"]["AccessToken"]
    assert idp.admin_get_user(UserPoolId=setup.pool_id, Username="newbie")["UserStatus"] == "CONFIRMED"


async def test_sessions_expire_after_auth_session_validity(
    local: ServerThread, idp: Any, clock: OffsetClock
) -> None:
    setup = make_setup(local)
    idp.admin_create_user(
        UserPoolId=setup.pool_id, Username="late", TemporaryPassword="Temp0rary!", MessageAction="SUPPRESS"
    )
    reply = password_sign_in(idp, setup, "late", "Temp0rary!")
    clock.offset += 3 * 60 + 1
    with pytest.raises(ClientError) as expired:
        idp.respond_to_auth_challenge(
            ClientId=setup.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=reply["Session"],
            ChallengeResponses={"USERNAME": "late", "NEW_PASSWORD": "Brand-new-passw0rd"},
        )
    assert expired.value.response["Error"]["Message"] == "Invalid session for the user, session is expired."


# --- MFA -------------------------------------------------------------------------------------------------


def test_totp_enrolment_and_challenge(local: ServerThread, idp: Any) -> None:
    setup = make_setup(local, mfa="OPTIONAL", totp=True)
    username = setup.user()
    access = tokens_of(idp, setup, username)["AccessToken"]
    secret = idp.associate_software_token(AccessToken=access)["SecretCode"]
    assert len(secret) == 32
    with pytest.raises(ClientError) as mismatch:
        idp.verify_software_token(AccessToken=access, UserCode=wrong_totp(secret))
    assert code_of(mismatch) == "EnableSoftwareTokenMFAException"
    verified = idp.verify_software_token(
        AccessToken=access, UserCode=servers.totp_now(secret), FriendlyDeviceName="phone"
    )
    assert verified["Status"] == "SUCCESS"
    idp.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    assert idp.get_user(AccessToken=access)["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"

    reply = password_sign_in(idp, setup, username)
    assert reply["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert reply["ChallengeParameters"]["FRIENDLY_DEVICE_NAME"] == "phone"
    wrong = wrong_totp(secret)
    with pytest.raises(ClientError) as bad:
        idp.respond_to_auth_challenge(
            ClientId=setup.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=reply["Session"],
            ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": wrong},
        )
    assert code_of(bad) == "CodeMismatchException"
    done = idp.respond_to_auth_challenge(
        ClientId=setup.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=reply["Session"],
        ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": servers.totp_now(secret)},
    )
    assert done["AuthenticationResult"]["AccessToken"]


def test_mfa_setup_challenge(local: ServerThread, idp: Any) -> None:
    setup = make_setup(local, mfa="ON", totp=True)
    username = setup.user()
    reply = password_sign_in(idp, setup, username)
    assert reply["ChallengeName"] == "MFA_SETUP"
    assert json.loads(reply["ChallengeParameters"]["MFAS_CAN_SETUP"]) == ["SOFTWARE_TOKEN_MFA"]
    associated = idp.associate_software_token(Session=reply["Session"])
    verified = idp.verify_software_token(
        Session=associated["Session"], UserCode=servers.totp_now(associated["SecretCode"])
    )
    assert verified["Status"] == "SUCCESS"
    done = idp.respond_to_auth_challenge(
        ClientId=setup.client_id,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": username},
    )
    assert done["AuthenticationResult"]["AccessToken"]
    # From now on the user is asked for a TOTP code.
    assert password_sign_in(idp, setup, username)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_email_otp_with_user_auth(local: ServerThread, idp: Any) -> None:
    setup = make_setup(local, first_factors=["PASSWORD", "EMAIL_OTP"])
    username = setup.user(email="otp@example.com")
    start = idp.initiate_auth(
        ClientId=setup.client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": username}
    )
    assert start["ChallengeName"] == "SELECT_CHALLENGE"
    assert start["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]
    chosen = idp.respond_to_auth_challenge(
        ClientId=setup.client_id,
        ChallengeName="SELECT_CHALLENGE",
        Session=start["Session"],
        ChallengeResponses={"USERNAME": username, "ANSWER": "EMAIL_OTP"},
    )
    assert chosen["ChallengeName"] == "EMAIL_OTP"
    assert chosen["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "o***@e***"
    message = local.outbox.last(username, "OTP")
    assert (message.medium, message.destination) == ("EMAIL", "otp@example.com")
    done = idp.respond_to_auth_challenge(
        ClientId=setup.client_id,
        ChallengeName="EMAIL_OTP",
        Session=chosen["Session"],
        ChallengeResponses={"USERNAME": username, "EMAIL_OTP_CODE": local.outbox.last_code(username, "OTP")},
    )
    assert done["AuthenticationResult"]["IdToken"]


def test_custom_auth_two_rounds(local: ServerThread, idp: Any) -> None:
    answers = {1: "first", 2: "second"}

    def define(event: dict[str, Any]) -> dict[str, Any]:
        session = event["request"]["session"]
        response = event["response"]
        if session and not session[-1]["challengeResult"]:
            response["failAuthentication"] = True
        elif len(session) == 2:
            response["issueTokens"] = True
        else:
            response["challengeName"] = "CUSTOM_CHALLENGE"
        return event

    async def create(event: dict[str, Any]) -> None:
        round_number = len(event["request"]["session"]) + 1
        event["response"]["publicChallengeParameters"] = {"round": str(round_number)}
        event["response"]["privateChallengeParameters"] = {"answer": answers[round_number]}

    def verify(event: dict[str, Any]) -> dict[str, Any]:
        request = event["request"]
        event["response"]["answerCorrect"] = (
            request["challengeAnswer"] == request["privateChallengeParameters"]["answer"]
        )
        return event

    setup = make_setup(local, triggers=Triggers(define, create, verify))
    username = setup.user()

    def respond(session: str, answer: str) -> dict[str, Any]:
        reply: dict[str, Any] = idp.respond_to_auth_challenge(
            ClientId=setup.client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=session,
            ChallengeResponses={"USERNAME": username, "ANSWER": answer},
        )
        return reply

    first = idp.initiate_auth(
        ClientId=setup.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": username}
    )
    assert first["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert first["ChallengeParameters"]["round"] == "1"
    second = respond(first["Session"], "first")
    assert second["ChallengeParameters"]["round"] == "2"
    assert respond(second["Session"], "second")["AuthenticationResult"]["AccessToken"]

    again = idp.initiate_auth(
        ClientId=setup.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": username}
    )
    with pytest.raises(ClientError) as failed:
        respond(again["Session"], "wrong")
    assert code_of(failed) == "NotAuthorizedException"


async def test_device_confirm_and_device_srp_skip_mfa(local: ServerThread) -> None:
    setup = make_setup(
        local,
        mfa="ON",
        email_mfa=True,
        device_configuration={
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": False,
        },
    )
    username = setup.user(email="dev@example.com")
    async with aiocognito.UserPool(setup.pool_id, setup.client_id, endpoint_url=local.endpoint_url) as pool:
        step = await pool.sign_in(username, PASSWORD)
        assert step.name == "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"
        step = await step.respond(local.outbox.last_code(username, "MFA"))
        assert step.name == "DONE"
        assert step.device_remembered
        device = await pool.remembered_device(username)
        assert device is not None
        stored = local.server.store.pools[setup.pool_id].users[username].devices[device.device_key]
        assert stored.confirmed and stored.remembered
        sent = len(local.outbox)
        again = await pool.sign_in(username, PASSWORD)  # device SRP, and no MFA for a remembered device
        assert again.name == "DONE"
        assert len(local.outbox) == sent
        assert again.user is not None
        claims = jwt.decode(again.user.current_tokens.access_token, options={"verify_signature": False})
        assert claims["device_key"] == device.device_key

        # A wrong device password is refused.
        from aiocognito.core.flows import DeviceCredentials

        await pool.remember_device_credentials(
            username, DeviceCredentials(device.device_key, device.device_group_key, "not-the-password")
        )
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.sign_in(username, PASSWORD)


def test_list_devices_pagination(local: ServerThread, idp: Any) -> None:
    setup = make_setup(
        local,
        device_configuration={
            "ChallengeRequiredOnNewDevice": False,
            "DeviceOnlyRememberedOnUserPrompt": True,
        },
    )
    username = setup.user()
    access = ""
    for index in range(3):
        result = tokens_of(idp, setup, username)
        access = result["AccessToken"]
        metadata = result["NewDeviceMetadata"]
        secret = srp.device_secret(
            metadata["DeviceGroupKey"],
            metadata["DeviceKey"],
            password_bytes=secrets.token_bytes(40),
            salt_bytes=secrets.token_bytes(16),
        )
        confirmed = idp.confirm_device(
            AccessToken=access,
            DeviceKey=metadata["DeviceKey"],
            DeviceSecretVerifierConfig={"PasswordVerifier": secret.verifier, "Salt": secret.salt},
            DeviceName=f"device-{index}",
        )
        assert confirmed["UserConfirmationNecessary"] is True
    first = idp.list_devices(AccessToken=access, Limit=2)
    assert len(first["Devices"]) == 2 and first["PaginationToken"]
    rest = idp.list_devices(AccessToken=access, Limit=2, PaginationToken=first["PaginationToken"])
    assert len(rest["Devices"]) == 1 and "PaginationToken" not in rest
    names = [
        {a["Name"]: a["Value"] for a in d["DeviceAttributes"]}["device_name"]
        for d in first["Devices"] + rest["Devices"]
    ]
    assert names == ["device-0", "device-1", "device-2"]
    key = rest["Devices"][0]["DeviceKey"]
    idp.update_device_status(AccessToken=access, DeviceKey=key, DeviceRememberedStatus="remembered")
    attributes = idp.get_device(AccessToken=access, DeviceKey=key)["Device"]["DeviceAttributes"]
    assert {"Name": "dev:device_remembered_status", "Value": "remembered"} in attributes
    idp.forget_device(AccessToken=access, DeviceKey=key)
    with pytest.raises(ClientError) as forgotten:
        idp.get_device(AccessToken=access, DeviceKey=key)
    assert code_of(forgotten) == "ResourceNotFoundException"


# --- tokens ----------------------------------------------------------------------------------------------


def test_refresh_without_rotation(local: ServerThread, idp: Any) -> None:
    setup = make_setup(local)
    username = setup.user()
    first = tokens_of(idp, setup, username)
    refreshed = idp.initiate_auth(
        ClientId=setup.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )["AuthenticationResult"]
    assert "RefreshToken" not in refreshed
    old = jwt.decode(first["AccessToken"], options={"verify_signature": False})
    new = jwt.decode(refreshed["AccessToken"], options={"verify_signature": False})
    assert new["origin_jti"] == old["origin_jti"] and new["jti"] != old["jti"]
    again = idp.get_tokens_from_refresh_token(ClientId=setup.client_id, RefreshToken=first["RefreshToken"])
    assert "RefreshToken" not in again["AuthenticationResult"]


def test_refresh_with_rotation(local: ServerThread, idp: Any) -> None:
    setup = make_setup(
        local, client={"RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}}
    )
    username = setup.user()
    first = tokens_of(idp, setup, username)
    with pytest.raises(ClientError) as refused:
        idp.initiate_auth(
            ClientId=setup.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
        )
    assert code_of(refused) == "NotAuthorizedException"
    rotated = idp.get_tokens_from_refresh_token(ClientId=setup.client_id, RefreshToken=first["RefreshToken"])
    new_refresh = rotated["AuthenticationResult"]["RefreshToken"]
    assert new_refresh != first["RefreshToken"]
    time.sleep(0.01)
    with pytest.raises(ClientError) as reused:
        idp.get_tokens_from_refresh_token(ClientId=setup.client_id, RefreshToken=first["RefreshToken"])
    assert code_of(reused) == "RefreshTokenReuseException"
    assert idp.get_tokens_from_refresh_token(ClientId=setup.client_id, RefreshToken=new_refresh)[
        "AuthenticationResult"
    ]


def test_global_sign_out_revokes_old_tokens(local: ServerThread, idp: Any) -> None:
    setup = make_setup(local)
    username = setup.user()
    tokens = tokens_of(idp, setup, username)
    assert idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == username
    idp.global_sign_out(AccessToken=tokens["AccessToken"])
    with pytest.raises(ClientError) as revoked:
        idp.get_user(AccessToken=tokens["AccessToken"])
    assert code_of(revoked) == "NotAuthorizedException"
    assert revoked.value.response["Error"]["Message"] == "Access Token has been revoked"
    with pytest.raises(ClientError) as refresh:
        idp.initiate_auth(
            ClientId=setup.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    assert refresh.value.response["Error"]["Message"] == "Refresh Token has been revoked"
    assert idp.get_user(AccessToken=tokens_of(idp, setup, username)["AccessToken"])  # a new sign-in works


def test_revoke_token(local: ServerThread, idp: Any) -> None:
    setup = make_setup(local, secret=True)
    username = setup.user()
    tokens = tokens_of(idp, setup, username)
    with pytest.raises(ClientError) as unauthorized:
        idp.revoke_token(Token=tokens["RefreshToken"], ClientId=setup.client_id, ClientSecret="x" * 30)
    assert code_of(unauthorized) == "UnauthorizedException"
    idp.revoke_token(Token=tokens["RefreshToken"], ClientId=setup.client_id, ClientSecret=setup.client_secret)
    with pytest.raises(ClientError) as refresh:
        idp.get_tokens_from_refresh_token(
            ClientId=setup.client_id, ClientSecret=setup.client_secret, RefreshToken=tokens["RefreshToken"]
        )
    assert refresh.value.response["Error"]["Message"] == "Refresh Token has been revoked"
    with pytest.raises(ClientError):
        idp.get_user(AccessToken=tokens["AccessToken"])


def test_jwks_and_token_claims(local: ServerThread, idp: Any) -> None:
    setup = make_setup(local)
    username = setup.user(email="claims@example.com")
    idp.create_group(UserPoolId=setup.pool_id, GroupName="readers")
    idp.admin_add_user_to_group(UserPoolId=setup.pool_id, Username=username, GroupName="readers")
    tokens = tokens_of(idp, setup, username)
    with urllib.request.urlopen(
        f"{local.endpoint_url}/{setup.pool_id}/.well-known/jwks.json", timeout=10
    ) as reply:
        keys = json.loads(reply.read())["keys"]
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{setup.pool_id}"
    header = jwt.get_unverified_header(tokens["IdToken"])
    key = jwt.PyJWK({k: v for k, v in next(k for k in keys if k["kid"] == header["kid"]).items()})
    id_claims = jwt.decode(
        tokens["IdToken"], key, algorithms=["RS256"], audience=setup.client_id, issuer=issuer
    )
    assert id_claims["token_use"] == "id"
    assert id_claims["cognito:username"] == username
    assert id_claims["cognito:groups"] == ["readers"]
    assert id_claims["email"] == "claims@example.com" and id_claims["email_verified"] is True
    access = jwt.decode(tokens["AccessToken"], key, algorithms=["RS256"], issuer=issuer)
    assert access["token_use"] == "access" and access["client_id"] == setup.client_id
    assert access["scope"] == "aws.cognito.signin.user.admin"
    for name in ("origin_jti", "jti", "event_id", "auth_time", "iat", "exp", "sub"):
        assert name in access and name in id_claims
    assert access["exp"] - access["iat"] == 3600


# --- user operations ---------------------------------------------------------------------------------------


def test_sign_up_and_attribute_verification(local: ServerThread, idp: Any) -> None:
    setup = make_setup(local)
    reply = idp.sign_up(
        ClientId=setup.client_id,
        Username="carol",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "carol@example.com"}],
    )
    assert reply["UserConfirmed"] is False
    assert reply["CodeDeliveryDetails"] == {
        "Destination": "c***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    with pytest.raises(ClientError) as unconfirmed:
        password_sign_in(idp, setup, "carol")
    assert code_of(unconfirmed) == "UserNotConfirmedException"
    code = local.outbox.last_code("carol", "SIGN_UP")
    with pytest.raises(ClientError) as mismatch:
        idp.confirm_sign_up(
            ClientId=setup.client_id, Username="carol", ConfirmationCode=f"{(int(code) + 1) % 10**6:06d}"
        )
    assert code_of(mismatch) == "CodeMismatchException"
    idp.confirm_sign_up(ClientId=setup.client_id, Username="carol", ConfirmationCode=code)
    access = tokens_of(idp, setup, "carol")["AccessToken"]

    updated = idp.update_user_attributes(
        AccessToken=access, UserAttributes=[{"Name": "email", "Value": "carol2@example.com"}]
    )
    assert updated["CodeDeliveryDetailsList"][0]["AttributeName"] == "email"
    attributes = {a["Name"]: a["Value"] for a in idp.get_user(AccessToken=access)["UserAttributes"]}
    assert attributes["email"] == "carol2@example.com" and attributes["email_verified"] == "false"
    code = local.outbox.last_code("carol", "VERIFY_ATTRIBUTE")
    idp.verify_user_attribute(AccessToken=access, AttributeName="email", Code=code)
    attributes = {a["Name"]: a["Value"] for a in idp.get_user(AccessToken=access)["UserAttributes"]}
    assert attributes["email_verified"] == "true"

    idp.forgot_password(ClientId=setup.client_id, Username="carol")
    idp.confirm_forgot_password(
        ClientId=setup.client_id,
        Username="carol",
        ConfirmationCode=local.outbox.last_code("carol", "FORGOT_PASSWORD"),
        Password="Another-passw0rd",
    )
    assert password_sign_in(idp, setup, "carol", "Another-passw0rd")["AuthenticationResult"]


def test_identity_pool_credentials(local: ServerThread, idp: Any) -> None:
    setup = make_setup(local)
    username = setup.user()
    identity = servers.boto_client("cognito-identity", local.endpoint_url)
    provider = f"cognito-idp.us-east-1.amazonaws.com/{setup.pool_id}"
    pool = identity.create_identity_pool(
        IdentityPoolName="ids",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[{"ProviderName": provider, "ClientId": setup.client_id}],
    )
    id_token = tokens_of(idp, setup, username)["IdToken"]
    identity_id = identity.get_id(IdentityPoolId=pool["IdentityPoolId"], Logins={provider: id_token})[
        "IdentityId"
    ]
    assert identity_id.startswith("us-east-1:")
    again = identity.get_id(IdentityPoolId=pool["IdentityPoolId"], Logins={provider: id_token})
    assert again["IdentityId"] == identity_id
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins={provider: id_token})
    assert credentials["Credentials"]["AccessKeyId"].startswith("ASIA")
    with pytest.raises(ClientError) as unauthenticated:
        identity.get_id(IdentityPoolId=pool["IdentityPoolId"])
    assert code_of(unauthenticated) == "NotAuthorizedException"
    with pytest.raises(ClientError) as bad:
        identity.get_id(IdentityPoolId=pool["IdentityPoolId"], Logins={provider: "not-a-token"})
    assert code_of(bad) == "NotAuthorizedException"


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "headers", "code"),
    [
        (b"{not json", idp_headers("InitiateAuth"), "SerializationException"),
        (b"[1, 2]", idp_headers("InitiateAuth"), "SerializationException"),
        (b'{"AuthFlow": 1, "ClientId": "x"}', idp_headers("InitiateAuth"), "SerializationException"),
        (b'{"ClientId": "x"}', idp_headers("InitiateAuth"), "InvalidParameterException"),
        (b'{"AuthFlow": "NOPE", "ClientId": "x"}', idp_headers("InitiateAuth"), "InvalidParameterException"),
        (b"{}", idp_headers("InitiateAuth", "text/plain"), "SerializationException"),
        (b"{}", idp_headers("NoSuchOperation"), "UnknownOperationException"),
        (
            b"{}",
            {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Nope.X"},
            "UnknownOperationException",
        ),
        (b'{"PoolName": "p"}', idp_headers("CreateUserPool"), "MissingAuthenticationTokenException"),
        (
            b'{"AuthFlow": "USER_SRP_AUTH", "ClientId": "' + b"x" * (1024 * 1024) + b'"}',
            idp_headers("InitiateAuth"),
            "SerializationException",
        ),
    ],
    ids=[
        "malformed",
        "not-object",
        "wrong-type",
        "missing",
        "enum",
        "content-type",
        "unknown-op",
        "unknown-target",
        "unsigned",
        "too-big",
    ],
)
def test_bad_input_gets_a_cognito_shaped_400(
    local: ServerThread, body: bytes, headers: dict[str, str], code: str
) -> None:
    status, reply_headers, reply = post(local.endpoint_url + "/", body, headers)
    assert status == 400
    assert reply["__type"] == code and isinstance(reply["message"], str) and reply["message"]
    assert reply_headers["x-amzn-ErrorType"] == code
    assert "Traceback" not in reply["message"]


def test_missing_field_message_is_aws_shaped(local: ServerThread) -> None:
    _, _, reply = post(local.endpoint_url + "/", b'{"ClientId": "x"}', idp_headers("InitiateAuth"))
    assert reply["message"] == (
        "1 validation error detected: Value null at 'authFlow' failed to satisfy constraint: "
        "Member must not be null"
    )


# --- persistence ----------------------------------------------------------------------------------------


async def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    async with LocalUserPool(state_file=state, shared_signing_key=True) as server:
        pool_id = await server.create_pool(
            "kept",
            device_configuration={
                "ChallengeRequiredOnNewDevice": True,
                "DeviceOnlyRememberedOnUserPrompt": False,
            },
        )
        client = await server.create_client(pool_id)
        await server.create_user(pool_id, "dora", PASSWORD)
        async with aiocognito.UserPool(pool_id, client.client_id, endpoint_url=server.endpoint_url) as pool:
            step = await pool.sign_in("dora", PASSWORD)
            assert step.name == "DONE"
            device = await pool.remembered_device("dora")
            assert device is not None
    data = json.loads(state.read_text())
    assert "Passw0rd" not in state.read_text()
    assert list(data["pools"]) == [pool_id]
    async with (
        LocalUserPool(state_file=state) as server,
        aiocognito.UserPool(pool_id, client.client_id, endpoint_url=server.endpoint_url) as pool,
    ):
        await pool.remember_device_credentials("dora", device)
        step = await pool.sign_in("dora", PASSWORD)  # password verifier, key and device all kept
        assert step.name == "DONE"
        assert step.user is not None
        claims = jwt.decode(step.user.current_tokens.access_token, options={"verify_signature": False})
        assert claims["device_key"] == device.device_key
