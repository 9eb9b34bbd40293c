"""One state at a time, with a scripted Cognito: the challenges no emulator here offers, and bad replies.

The real servers (tests/integration) prove the math and the wire; these tests pin each state's request
and reply handling, including USER_AUTH, e-mail and SMS codes, MFA selection and malformed replies.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest

import aiocognito
from aiocognito import NewPassword, StepName, UserPool
from aiocognito.core import srp
from aiocognito.core.flows import Call

POOL_ID = "us-east-1_Scripted1"
CLIENT_ID = "client-abc"
SECRET = "client-secret-xyz"
B_HEX = "3cecdadd3677bbff30deffba23287e24c551d49baa2cd82ad7316d597290bfac" * 12
TOKENS = {
    "IdToken": "e30.eyJzdWIiOiJzIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjEsImNvZ25pdG86dXNlcm5hbWUiOiJ1In0.sig",
    "AccessToken": "e30.eyJzdWIiOiJzIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjEsInVzZXJuYW1lIjoidSJ9.sig",
    "RefreshToken": "refresh",
    "ExpiresIn": 3600,
    "TokenType": "Bearer",
}
DONE = {"AuthenticationResult": TOKENS, "ChallengeParameters": {}}
Check = Callable[[dict[str, Any]], None]


class ScriptedPool(UserPool):
    """A pool whose calls are answered by a script of (operation, check, reply or exception)."""

    def __init__(self, script: list[tuple[str, Check | None, Any]], **kwargs: Any) -> None:
        # The pool is its own caller: every call the sign-in makes comes to the script.
        super().__init__(POOL_ID, CLIENT_ID, endpoint_url="http://127.0.0.1:1", caller=self, **kwargs)
        self.script = list(script)
        self.sent: list[Call] = []

    async def call(
        self,
        operation: str,
        params: Mapping[str, Any],
        *,
        service: str = "cognito-idp",
        max_reply_bytes: int | None = None,
    ) -> dict[str, Any]:
        effect = Call(operation, dict(params), service)
        assert self.script, f"unexpected call {effect.operation}"
        operation, check, answer = self.script.pop(0)
        assert effect.operation == operation, (effect.operation, operation)
        self.sent.append(effect)
        if check is not None:
            check(effect.params)
        if isinstance(answer, Exception):
            raise answer
        return answer


def verifier(username: str = "internal-id", user_id: str = "internal-id") -> dict[str, Any]:
    return {
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {
            "SALT": "5da59fcb4f5a9b542a00cb5668ef821e",
            "SRP_B": B_HEX,
            "SECRET_BLOCK": "c2VjcmV0LWJsb2Nr",
            "USERNAME": username,
            "USER_ID_FOR_SRP": user_id,
        },
    }


def challenge(name: str, params: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"ChallengeName": name, "Session": f"session-{name}", "ChallengeParameters": params or {}, **extra}


def responses(expected: dict[str, str]) -> Check:
    def check(params: dict[str, Any]) -> None:
        for key, value in expected.items():
            assert params["ChallengeResponses"].get(key) == value, key

    return check


async def test_secret_hash_uses_the_username_cognito_returns() -> None:
    def initiate(params: dict[str, Any]) -> None:
        assert params["AuthParameters"]["SECRET_HASH"] == srp.secret_hash(
            "alice@example.com", CLIENT_ID, SECRET
        )

    def answer(params: dict[str, Any]) -> None:
        assert params["ChallengeResponses"]["USERNAME"] == "internal-id"
        assert params["ChallengeResponses"]["SECRET_HASH"] == srp.secret_hash(
            "internal-id", CLIENT_ID, SECRET
        )

    pool = ScriptedPool(
        [("InitiateAuth", initiate, verifier()), ("RespondToAuthChallenge", answer, DONE)],
        client_secret=SECRET,
    )
    step = await pool.sign_in("alice@example.com", "Passw0rd!")
    assert step.name == "DONE"


async def test_client_metadata_and_user_context_reach_every_call() -> None:
    def check(params: dict[str, Any]) -> None:
        assert params["ClientMetadata"] == {"source": "web"}
        assert params["UserContextData"] == {"IpAddress": "203.0.113.7", "EncodedData": "enc"}

    pool = ScriptedPool(
        [
            ("InitiateAuth", check, verifier()),
            (
                "RespondToAuthChallenge",
                check,
                challenge("SMS_MFA", {"CODE_DELIVERY_DESTINATION": "+***1234"}),
            ),
            ("RespondToAuthChallenge", check, DONE),
        ]
    )
    step = await pool.sign_in(
        "alice",
        "Passw0rd!",
        client_metadata={"source": "web"},
        user_context=aiocognito.UserContext(ip_address="203.0.113.7", encoded_data="enc"),
    )
    assert step.name == "CONFIRM_SIGN_IN_WITH_SMS_CODE"
    assert step.code_delivery == aiocognito.CodeDelivery("+***1234", None)
    assert (await step.respond("123456")).name == "DONE"


async def test_admin_flow_uses_admin_operations() -> None:
    def check(params: dict[str, Any]) -> None:
        assert params["UserPoolId"] == POOL_ID

    pool = ScriptedPool(
        [
            (
                "AdminInitiateAuth",
                check,
                challenge("NEW_PASSWORD_REQUIRED", {"requiredAttributes": '["userAttributes.name"]'}),
            ),
            (
                "AdminRespondToAuthChallenge",
                responses({"NEW_PASSWORD": "N3w!pass", "userAttributes.name": "Al"}),
                DONE,
            ),
        ]
    )
    step = await pool.sign_in("alice", "Passw0rd!", flow="ADMIN_USER_PASSWORD_AUTH")
    assert step.required_attributes == ("name",)
    assert (await step.respond(NewPassword("N3w!pass", {"name": "Al"}))).name == "DONE"


@pytest.mark.parametrize(
    ("challenge_name", "step_name", "field"),
    [
        ("SMS_MFA", "CONFIRM_SIGN_IN_WITH_SMS_CODE", "SMS_MFA_CODE"),
        ("SOFTWARE_TOKEN_MFA", "CONFIRM_SIGN_IN_WITH_TOTP_CODE", "SOFTWARE_TOKEN_MFA_CODE"),
        ("EMAIL_OTP", "CONFIRM_SIGN_IN_WITH_EMAIL_CODE", "EMAIL_OTP_CODE"),
        ("SMS_OTP", "CONFIRM_SIGN_IN_WITH_SMS_CODE", "SMS_OTP_CODE"),
    ],
)
async def test_code_challenges(challenge_name: str, step_name: str, field: str) -> None:
    def check(params: dict[str, Any]) -> None:
        assert params["Session"] == f"session-{challenge_name}"
        assert params["ChallengeName"] == challenge_name
        assert params["ChallengeResponses"] == {"USERNAME": "internal-id", field: "654321"}

    pool = ScriptedPool(
        [
            ("InitiateAuth", None, verifier()),
            ("RespondToAuthChallenge", None, challenge(challenge_name, {"USERNAME": "internal-id"})),
            ("RespondToAuthChallenge", check, DONE),
        ]
    )
    step = await pool.sign_in("alice", "Passw0rd!")
    assert step.name == step_name
    assert (await step.respond("654321")).name == "DONE"


async def test_mfa_selection() -> None:
    pool = ScriptedPool(
        [
            ("InitiateAuth", None, verifier()),
            (
                "RespondToAuthChallenge",
                None,
                challenge(
                    "SELECT_MFA_TYPE", {"MFAS_CAN_CHOOSE": '["SMS_MFA","SOFTWARE_TOKEN_MFA","EMAIL_OTP"]'}
                ),
            ),
            (
                "RespondToAuthChallenge",
                responses({"ANSWER": "SOFTWARE_TOKEN_MFA"}),
                challenge("SOFTWARE_TOKEN_MFA"),
            ),
            ("RespondToAuthChallenge", responses({"SOFTWARE_TOKEN_MFA_CODE": "111111"}), DONE),
        ]
    )
    step = await pool.sign_in("alice", "Passw0rd!")
    assert step.name == "CONTINUE_SIGN_IN_WITH_MFA_SELECTION"
    assert step.allowed_mfa_types == ("SMS", "TOTP", "EMAIL")
    with pytest.raises(ValueError, match="choose"):
        await step.respond("CARRIER_PIGEON")
    step = await step.respond("TOTP")
    assert step.name == "CONFIRM_SIGN_IN_WITH_TOTP_CODE"
    assert (await step.respond("111111")).name == "DONE"


async def test_mfa_setup_selection_then_email_setup() -> None:
    pool = ScriptedPool(
        [
            ("InitiateAuth", None, verifier()),
            (
                "RespondToAuthChallenge",
                None,
                challenge("MFA_SETUP", {"MFAS_CAN_SETUP": '["SOFTWARE_TOKEN_MFA","EMAIL_OTP"]'}),
            ),
            (
                "RespondToAuthChallenge",
                responses({"EMAIL": "alice@example.com"}),
                challenge(
                    "EMAIL_OTP",
                    {"CODE_DELIVERY_DESTINATION": "a***@e***", "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL"},
                ),
            ),
            ("RespondToAuthChallenge", responses({"EMAIL_OTP_CODE": "222222"}), DONE),
        ]
    )
    step = await pool.sign_in("alice", "Passw0rd!")
    assert step.name == "CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION"
    assert step.allowed_mfa_types == ("TOTP", "EMAIL")
    step = await step.respond("EMAIL")
    assert step.name == "CONTINUE_SIGN_IN_WITH_EMAIL_SETUP"
    step = await step.respond("alice@example.com")
    assert step.name == "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"
    assert step.code_delivery is not None and step.code_delivery.medium == "EMAIL"
    assert (await step.respond("222222")).name == "DONE"


async def test_user_auth_first_factor_selection_email_otp() -> None:
    def start(params: dict[str, Any]) -> None:
        assert params["AuthFlow"] == "USER_AUTH"
        assert params["AuthParameters"] == {"USERNAME": "alice"}

    pool = ScriptedPool(
        [
            (
                "InitiateAuth",
                start,
                challenge("SELECT_CHALLENGE", AvailableChallenges=["PASSWORD_SRP", "EMAIL_OTP"]),
            ),
            ("RespondToAuthChallenge", responses({"ANSWER": "EMAIL_OTP"}), challenge("EMAIL_OTP")),
            ("RespondToAuthChallenge", responses({"EMAIL_OTP_CODE": "333333"}), DONE),
        ]
    )
    step = await pool.sign_in("alice", flow="USER_AUTH")
    assert step.name == "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION"
    assert step.available_challenges == ("PASSWORD_SRP", "EMAIL_OTP")
    with pytest.raises(ValueError, match="choose one of"):
        await step.respond("SMS_OTP")
    step = await step.respond("EMAIL_OTP")
    assert step.name == "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"
    assert (await step.respond("333333")).name == "DONE"


async def test_user_auth_password_srp_chosen_without_password_asks_for_it() -> None:
    def choose(params: dict[str, Any]) -> None:
        assert params["ChallengeResponses"]["ANSWER"] == "PASSWORD_SRP"
        assert "SRP_A" in params["ChallengeResponses"]

    pool = ScriptedPool(
        [
            (
                "InitiateAuth",
                None,
                challenge("SELECT_CHALLENGE", AvailableChallenges=["PASSWORD_SRP", "WEB_AUTHN"]),
            ),
            ("RespondToAuthChallenge", choose, verifier()),
            ("RespondToAuthChallenge", responses({"USERNAME": "internal-id"}), DONE),
        ]
    )
    step = await pool.sign_in("alice", flow="USER_AUTH")
    step = await step.respond("PASSWORD_SRP")
    assert step.name == "CONFIRM_SIGN_IN_WITH_PASSWORD"
    assert (await step.respond("Passw0rd!")).name == "DONE"


async def test_user_auth_preferred_password() -> None:
    def start(params: dict[str, Any]) -> None:
        assert params["AuthParameters"] == {
            "USERNAME": "alice",
            "PREFERRED_CHALLENGE": "PASSWORD",
            "PASSWORD": "pw",
        }

    pool = ScriptedPool([("InitiateAuth", start, DONE)])
    step = await pool.sign_in("alice", "pw", flow="USER_AUTH", preferred_challenge="PASSWORD")
    assert step.name == "DONE"


async def test_web_authn_passes_options_and_credential() -> None:
    options = json.dumps({"challenge": "abc", "rpId": "example.com"})
    credential = json.dumps({"id": "cred", "response": {}})
    pool = ScriptedPool(
        [
            ("InitiateAuth", None, challenge("WEB_AUTHN", {"CREDENTIAL_REQUEST_OPTIONS": options})),
            ("RespondToAuthChallenge", responses({"CREDENTIAL": credential}), DONE),
        ]
    )
    step = await pool.sign_in("alice", flow="USER_AUTH", preferred_challenge="WEB_AUTHN")
    assert step.name == "CONFIRM_SIGN_IN_WITH_WEB_AUTHN"
    assert step.credential_request_options == options
    assert (await step.respond(credential)).name == "DONE"


async def test_custom_auth_without_srp() -> None:
    def start(params: dict[str, Any]) -> None:
        assert params["AuthParameters"] == {"USERNAME": "alice"}

    pool = ScriptedPool(
        [
            ("InitiateAuth", start, challenge("CUSTOM_CHALLENGE", {"question": "2+2", "USERNAME": "alice"})),
            ("RespondToAuthChallenge", responses({"ANSWER": "4"}), DONE),
        ]
    )
    step = await pool.sign_in("alice", flow="CUSTOM_AUTH")
    assert step.custom_parameters == {"question": "2+2"}
    assert (await step.respond("4")).name == "DONE"


async def test_password_reset_required_ends_sign_in() -> None:
    pool = ScriptedPool(
        [("InitiateAuth", None, aiocognito.PasswordResetRequiredError("Password reset required"))]
    )
    step = await pool.sign_in("alice", "pw")
    assert step.name == StepName.RESET_PASSWORD
    assert isinstance(step.error, aiocognito.PasswordResetRequiredError)


async def test_unknown_device_is_forgotten_and_sign_in_retried_once() -> None:
    device = aiocognito.DeviceCredentials("us-east-1_dev", "group", "device-password")

    def with_device(params: dict[str, Any]) -> None:
        assert params["ChallengeResponses"]["DEVICE_KEY"] == "us-east-1_dev"

    def without_device(params: dict[str, Any]) -> None:
        assert "DEVICE_KEY" not in params["ChallengeResponses"]

    pool = ScriptedPool(
        [
            ("InitiateAuth", None, verifier()),
            (
                "RespondToAuthChallenge",
                with_device,
                aiocognito.ResourceNotFoundError("Device does not exist."),
            ),
            ("InitiateAuth", None, verifier()),
            ("RespondToAuthChallenge", without_device, DONE),
        ]
    )
    await pool.remember_device_credentials("alice", device)
    step = await pool.sign_in("alice", "Passw0rd!")
    assert step.name == "DONE"
    assert await pool.remembered_device("alice") is None


async def test_confirm_device_failure_keeps_the_sign_in() -> None:
    result = {**TOKENS, "NewDeviceMetadata": {"DeviceKey": "us-east-1_d", "DeviceGroupKey": "g"}}
    pool = ScriptedPool(
        [
            ("InitiateAuth", None, verifier()),
            ("RespondToAuthChallenge", None, {"AuthenticationResult": result}),
            ("ConfirmDevice", None, aiocognito.InvalidParameterError("nope")),
        ]
    )
    step = await pool.sign_in("alice", "Passw0rd!")
    assert step.name == "DONE"
    assert not step.device_remembered
    assert await pool.remembered_device("alice") is None


async def test_expired_step_is_refused_before_any_call() -> None:
    later = 0.0
    pool = ScriptedPool(
        [("InitiateAuth", None, verifier()), ("RespondToAuthChallenge", None, challenge("SMS_MFA"))],
        session_validity=60,
        clock=lambda: time.time() + later,
    )
    step = await pool.sign_in("alice", "Passw0rd!")
    assert step.expires_at is not None
    later = step.expires_at + 1 - time.time()
    with pytest.raises(aiocognito.SessionExpiredError):
        await step.respond("123456")
    with pytest.raises(aiocognito.SessionExpiredError):
        pool.resume(step.to_json())


@pytest.mark.parametrize(
    "data",
    ["not json", "[]", json.dumps({"v": 99}), json.dumps({"v": 1, "challenge": "SMS_MFA"}), b"\xff\xfe"],
)
def test_resume_rejects_bad_data(data: str | bytes) -> None:
    pool = ScriptedPool([])
    with pytest.raises(aiocognito.StepDataError):
        pool.resume(data)


# --- malformed replies: a ProtocolError naming the step and the field, never KeyError & co. -------------

BAD_REPLIES = [
    ({"ChallengeName": "PASSWORD_VERIFIER"}, "USER_ID_FOR_SRP"),
    ({**verifier(), "ChallengeParameters": "nope"}, "ChallengeParameters"),
    (
        {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeParameters": {**verifier()["ChallengeParameters"], "SRP_B": "xyz"},
        },
        "SRP_B",
    ),
    (
        {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeParameters": {**verifier()["ChallengeParameters"], "SALT": 42},
        },
        "SALT",
    ),
    (
        {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeParameters": {**verifier()["ChallengeParameters"], "SRP_B": "0"},
        },
        "SRP_B",
    ),
    ({"ChallengeName": 7}, "ChallengeName"),
    ({"ChallengeName": "PASSWORD_VERIFIER", "Session": 5, "ChallengeParameters": {}}, "Session"),
    ({}, None),
    ({"AuthenticationResult": {"IdToken": "x"}}, "AccessToken"),
    ({"AuthenticationResult": {**TOKENS, "AccessToken": "not-a-jwt"}}, None),
]


@pytest.mark.parametrize(("reply", "field"), BAD_REPLIES)
async def test_malformed_reply(reply: dict[str, Any], field: str | None) -> None:
    pool = ScriptedPool([("InitiateAuth", None, reply)])
    with pytest.raises(aiocognito.ProtocolError) as caught:
        await pool.sign_in("alice", "Passw0rd!")
    if field is not None:
        assert caught.value.field == field
    assert caught.value.step


async def test_unknown_challenge_is_reported_with_its_name_and_parameters() -> None:
    pool = ScriptedPool([("InitiateAuth", None, challenge("TELEPATHY", {"frequency": "42"}))])
    with pytest.raises(aiocognito.ProtocolError, match="TELEPATHY") as caught:
        await pool.sign_in("alice", "Passw0rd!")
    assert "frequency" in str(caught.value)


async def test_moto_style_mfas_can_setup_repr_is_tolerated() -> None:
    pool = ScriptedPool(
        [
            ("InitiateAuth", None, verifier()),
            (
                "RespondToAuthChallenge",
                None,
                challenge("MFA_SETUP", {"MFAS_CAN_SETUP": "['SOFTWARE_TOKEN_MFA', 'EMAIL_OTP']"}),
            ),
        ]
    )
    step = await pool.sign_in("alice", "Passw0rd!")
    assert step.allowed_mfa_types == ("TOTP", "EMAIL")


async def test_verify_software_token_failure_is_protocol_error() -> None:
    pool = ScriptedPool(
        [
            ("InitiateAuth", None, verifier()),
            (
                "RespondToAuthChallenge",
                None,
                challenge("MFA_SETUP", {"MFAS_CAN_SETUP": '["SOFTWARE_TOKEN_MFA"]'}),
            ),
            ("AssociateSoftwareToken", None, {"SecretCode": "JBSWY3DPEHPK3PXP", "Session": "s2"}),
            ("VerifySoftwareToken", None, {"Status": "ERROR"}),
        ]
    )
    step = await pool.sign_in("alice", "Passw0rd!")
    assert step.name == "CONTINUE_SIGN_IN_WITH_TOTP_SETUP"
    assert "JBSWY3DPEHPK3PXP" not in step.to_json()
    with pytest.raises(aiocognito.ProtocolError, match="Status"):
        await step.respond("123456")


@pytest.mark.parametrize("where", ["MFA_SETUP", "AssociateSoftwareToken"])
async def test_totp_setup_without_a_session_is_protocol_error_before_sending_null(where: str) -> None:
    # Found by tests/integration/test_fuzz.py: a null Session went out as {"Session": null}.
    setup = challenge("MFA_SETUP", {"MFAS_CAN_SETUP": '["SOFTWARE_TOKEN_MFA"]'})
    associated: dict[str, Any] = {"SecretCode": "JBSWY3DPEHPK3PXP", "Session": "s2"}
    if where == "MFA_SETUP":
        setup["Session"] = None
    else:
        associated["Session"] = None
    script: list[tuple[str, Check | None, Any]] = [
        ("InitiateAuth", None, verifier()),
        ("RespondToAuthChallenge", None, setup),
    ]
    if where == "AssociateSoftwareToken":
        script.append(("AssociateSoftwareToken", None, associated))
    pool = ScriptedPool(script)
    with pytest.raises(aiocognito.ProtocolError) as caught:
        await pool.sign_in("alice", "Passw0rd!")
    assert caught.value.field == "Session"
    assert caught.value.step == where
    assert not pool.script
    assert [call.operation for call in pool.sent][-1] != "VerifySoftwareToken"
