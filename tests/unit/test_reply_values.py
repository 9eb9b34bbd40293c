"""Every value taken from a reply, a token, a resumed step or a token store is checked where it enters.

Regression tests for the untyped exceptions of issue 11 (RecursionError, OverflowError, ValueError,
UnicodeEncodeError), each driven by hand through the flow generators (no event loop) or through the value
classes, and checks that the bad value is refused *before* the Compute or Call that would use it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from aiocognito import ProtocolError
from aiocognito.core import srp
from aiocognito.core.checks import MAX_EPOCH_SECONDS
from aiocognito.core.flows import (
    Answer,
    AuthFlow,
    Call,
    Challenge,
    ClientConfig,
    Compute,
    DeviceCredentials,
    Env,
    Signed,
    SignInContext,
    answer_challenge,
    name_list,
    start_sign_in,
)
from aiocognito.core.steps import SignInStep, StepDataError
from aiocognito.core.tokens import TokenSet, decode_claims
from aiocognito.token_store import FileTokenStore, SessionRecord, StoreKey, TokenStoreError
from aiocognito.user import Device

POOL_ID = "us-east-1_Values123"
CLIENT_ID = "client-values"
SECRET = "client-secret-values"
NOW = 1_700_000_000
B_HEX = "3cecdadd3677bbff30deffba23287e24c551d49baa2cd82ad7316d597290bfac" * 12
DEEP = "[" * 5000 + "]" * 5000  # json.loads raises RecursionError on this
SURROGATE = "al\ud800ice"


# --- helpers -------------------------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(claims: dict[str, Any] | None = None, *, payload: bytes | None = None) -> str:
    """An unsigned JWT of ``claims``, or of a raw ``payload`` (for JSON no encoder writes)."""
    raw = payload if payload is not None else json.dumps(claims).encode()
    return f"{_b64(b'{}')}.{_b64(raw)}.c2ln"


def result(access: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    claims = {"sub": "s", "username": "u", "iat": NOW, "exp": NOW + 3600, **(access or {})}
    return {
        "AccessToken": jwt(claims),
        "IdToken": jwt({"sub": "s", "cognito:username": "u", "iat": NOW, "exp": NOW + 3600}),
        "RefreshToken": "refresh",
        "TokenType": "Bearer",
        **extra,
    }


def verifier(**params: Any) -> dict[str, Any]:
    base = {
        "SALT": "5da59fcb4f5a9b542a00cb5668ef821e",
        "SRP_B": B_HEX,
        "SECRET_BLOCK": "c2VjcmV0LWJsb2Nr",
        "USERNAME": "internal-id",
        "USER_ID_FOR_SRP": "internal-id",
    }
    base.update(params)
    return {"ChallengeName": "PASSWORD_VERIFIER", "ChallengeParameters": base}


CFG = ClientConfig(POOL_ID, CLIENT_ID, SECRET)
ENV = Env(now=lambda: float(NOW), random_bytes=lambda n: bytes(range(1, n + 1)))


class Run:
    """Drives a flow by hand: Computes run inline, Calls are answered from a script, in order."""

    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies)
        self.calls: list[Call] = []
        self.computes: list[Callable[..., Any]] = []

    def __call__(self, flow: Generator[Any, Any, Any]) -> Any:
        value: Any = None
        while True:
            try:
                effect = flow.send(value)
            except StopIteration as stop:
                return stop.value
            if isinstance(effect, Compute):
                self.computes.append(effect.function)
                value = effect.function(*effect.args, **effect.kwargs)
            else:
                assert isinstance(effect, Call)
                # Whatever the flow sends must be encodable on the wire.
                json.dumps(effect.params, ensure_ascii=False).encode("utf-8")
                self.calls.append(effect)
                assert self.replies, f"unexpected call {effect.operation}"
                value = self.replies.pop(0)

    @property
    def operations(self) -> list[str]:
        return [call.operation for call in self.calls]


def srp_context(**kwargs: Any) -> SignInContext:
    return SignInContext(username="alice", flow=AuthFlow.USER_SRP_AUTH, password="Passw0rd!", **kwargs)


def refused(error: pytest.ExceptionInfo[ProtocolError], step: str | None, field: str | None) -> None:
    assert (error.value.step, error.value.field) == (step, field), str(error.value)


# --- JWT payloads: tokens.decode_claims, TokenSet.from_result ------------------------------------------


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nested deeper"),  # RecursionError before
        (b'{"exp": NaN}', "not finite"),
        (b'{"exp": Infinity}', "not finite"),
        (b'{"exp": 1e400}', "not finite"),
        (b'{"username": "al\\ud800ice"}', "surrogate"),
        (b'{"username": "al\xed\xa0\x80ice"}', "not UTF-8"),  # an encoded surrogate
        (b"\xff\xfe", "not UTF-8"),
        (b'{"exp": 1', "not JSON"),
    ],
)
def test_hostile_jwt_payload_is_a_protocol_error(payload: bytes, why: str) -> None:
    with pytest.raises(ProtocolError, match=why) as error:
        decode_claims(jwt(payload=payload), name="AccessToken")
    refused(error, "AccessToken", None)


def test_non_ascii_token_is_not_a_jwt() -> None:
    with pytest.raises(ProtocolError, match="not a JWT"):
        decode_claims(jwt({"exp": 1}) + "\ud800")
    with pytest.raises(ProtocolError, match="not a JWT"):
        decode_claims("é.e30.sig")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(10**400, id="10**400"),  # OverflowError in float() before
        MAX_EPOCH_SECONDS + 1,
        -1,
        True,
        1.7e9,  # not an integer
        "1700003600",
        None,
        [NOW],
    ],
)
@pytest.mark.parametrize("claim", ["exp", "iat", "auth_time"])
def test_access_token_times_are_integers_in_range(claim: str, value: Any) -> None:
    with pytest.raises(ProtocolError, match="epoch seconds") as error:
        TokenSet.from_result(result({claim: value}), now=NOW)
    refused(error, "AccessToken", claim)


@pytest.mark.parametrize("claim", ["exp", "iat", "auth_time"])
def test_id_token_times_when_present_are_checked(claim: str) -> None:
    reply = result()
    reply["IdToken"] = jwt({"sub": "s", claim: 10**400})  # the id token's times, when present
    with pytest.raises(ProtocolError) as error:
        TokenSet.from_result(reply, now=NOW)
    refused(error, "IdToken", claim)


def test_exp_not_after_iat_is_refused() -> None:
    with pytest.raises(ProtocolError, match="not after iat") as error:
        TokenSet.from_result(result({"exp": NOW}), now=NOW)
    refused(error, "AccessToken", "exp")


def test_exp_of_ten_to_the_400_never_becomes_a_session() -> None:
    # Before: the sign-in passed (int(10**400) is fine) and every user.tokens() raised OverflowError in
    # seconds_left(), every store put in json.dumps... Now the sign-in itself is refused.
    with pytest.raises(ProtocolError):
        TokenSet.from_result(result({"exp": 10**400}), now=NOW)
    tokens = TokenSet.from_result(result({"exp": MAX_EPOCH_SECONDS}), now=NOW)
    assert tokens.is_valid(now=NOW)
    assert tokens.seconds_left(now=NOW) == MAX_EPOCH_SECONDS - NOW
    assert tokens.authentication_result()["ExpiresIn"] == MAX_EPOCH_SECONDS - NOW
    assert SessionRecord.from_dict(json.loads(json.dumps(SessionRecord(tokens).to_dict()))).tokens == tokens


@pytest.mark.parametrize(
    ("claim", "value"), [("sub", ""), ("username", "u" * 1025), ("cognito:username", 7), ("sub", None)]
)
def test_name_claims_are_bounded_text(claim: str, value: Any) -> None:
    # The username claim becomes the store key and, on REFRESH_TOKEN_AUTH, the SECRET_HASH input.
    reply = result({claim: value} if claim != "cognito:username" else {})
    if claim == "cognito:username":
        reply["IdToken"] = jwt({"sub": "s", claim: value})
    with pytest.raises(ProtocolError) as error:
        TokenSet.from_result(reply, now=NOW)
    assert error.value.field == claim


def test_surrogate_in_a_username_claim_never_reaches_the_store_or_secret_hash() -> None:
    # Before: the sign-in passed, then FileTokenStore's write and the SECRET_HASH of REFRESH_TOKEN_AUTH
    # raised UnicodeEncodeError.
    for escaped in (True, False):
        payload = json.dumps({"username": SURROGATE, "iat": NOW, "exp": NOW + 1}, ensure_ascii=escaped)
        reply = result()
        reply["AccessToken"] = jwt(payload=payload.encode("utf-8", "surrogatepass"))
        with pytest.raises(ProtocolError, match=r"surrogate|UTF-8") as error:
            TokenSet.from_result(reply, now=NOW)
        refused(error, "AccessToken", None)


@pytest.mark.parametrize(
    ("wire", "value"),
    [("RefreshToken", SURROGATE), ("RefreshToken", 7), ("TokenType", SURROGATE), ("TokenType", ["Bearer"])],
)
def test_stored_strings_of_the_result_are_valid_text(wire: str, value: Any) -> None:
    # Both are stored: a lone surrogate made FileTokenStore's write raise UnicodeEncodeError.
    with pytest.raises(ProtocolError) as error:
        TokenSet.from_result(result(**{wire: value}), now=NOW)
    refused(error, "AuthenticationResult", wire)


def test_valid_result_reads_as_before() -> None:
    tokens = TokenSet.from_result(result(TokenType=None, RefreshToken=""), now=NOW + 2.5)
    assert (tokens.expires_at, tokens.issued_at, tokens.clock_drift) == (NOW + 3600, NOW, 2.5)
    assert tokens.token_type == "Bearer"
    assert tokens.refresh_token is None
    assert tokens.username == "u"


# --- challenge parameters: flows -------------------------------------------------------------------------


def test_surrogate_username_from_a_challenge_is_refused_before_it_is_echoed_or_hashed() -> None:
    run = Run(verifier(USERNAME=SURROGATE))
    with pytest.raises(ProtocolError) as error:
        run(start_sign_in(CFG, srp_context(), ENV))
    refused(error, "PASSWORD_VERIFIER", "USERNAME")
    assert run.operations == ["InitiateAuth"]
    assert srp.password_claim not in run.computes


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("USER_ID_FOR_SRP", SURROGATE),
        ("USER_ID_FOR_SRP", ""),
        ("USER_ID_FOR_SRP", "u" * 1025),
        ("USERNAME", "u" * 1025),
        ("USERNAME", 42),
        ("SRP_B", "f" * 1025),
        ("SRP_B", format(srp.N, "x")),  # not below N
        ("SRP_B", format(srp.N + 1, "x")),
        ("SRP_B", "-" + B_HEX),
        ("SRP_B", B_HEX + "\ud800"),
        ("SALT", "a" * 257),
        ("SALT", "not hex"),
        ("SECRET_BLOCK", "A" * (srp.MAX_SECRET_BLOCK_CHARS + 1)),
        ("SECRET_BLOCK", "c2Vj cmV0"),
        ("SECRET_BLOCK", "c2Vj\ud800"),
        ("SECRET_BLOCK", ["c2Vj"]),
    ],
)
def test_bad_verifier_value_is_refused_before_the_math(field: str, value: Any) -> None:
    run = Run(verifier(**{field: value}))
    with pytest.raises(ProtocolError) as error:
        run(start_sign_in(CFG, srp_context(), ENV))
    refused(error, "PASSWORD_VERIFIER", field)
    assert srp.password_claim not in run.computes
    assert run.operations == ["InitiateAuth"]


@pytest.mark.parametrize(
    ("session", "why"), [("s" * 16_385, "longer than"), (SURROGATE, "surrogate"), (7, "not a string")]
)
def test_bad_session_is_refused_before_it_is_echoed(session: Any, why: str) -> None:
    run = Run({"ChallengeName": "SMS_MFA", "Session": session, "ChallengeParameters": {}})
    with pytest.raises(ProtocolError, match=why) as error:
        run(start_sign_in(CFG, srp_context(), ENV))
    refused(error, "SMS_MFA", "Session")


def test_valid_verifier_forms_are_still_answered() -> None:
    # padHex's "00" before B, a negative salt (Cognito has sent one), moto's UUID as the secret block.
    run = Run(
        verifier(
            SRP_B="00" + B_HEX,
            SALT="-7bd8e94f4bcac21e3e2",
            SECRET_BLOCK="8d2e57a1-4b4c-4f5e-9a6b-7c8d9e0f1a2b",
        ),
        {"AuthenticationResult": result()},
    )
    outcome = run(start_sign_in(CFG, srp_context(), ENV))
    assert isinstance(outcome, Signed)
    assert run.operations == ["InitiateAuth", "RespondToAuthChallenge"]
    responses = run.calls[1].params["ChallengeResponses"]
    assert responses["USERNAME"] == "internal-id"
    assert responses["SECRET_HASH"] == srp.secret_hash("internal-id", CLIENT_ID, SECRET)


DEVICE = DeviceCredentials("us-east-1_dev", "-group", "device-password")


@pytest.mark.parametrize(
    ("field", "value"), [("SRP_B", "0"), ("SECRET_BLOCK", "!!"), ("SALT", "a" * 300), ("USERNAME", SURROGATE)]
)
def test_bad_device_verifier_value_is_refused_before_the_math(field: str, value: Any) -> None:
    params = {**verifier()["ChallengeParameters"], field: value}
    run = Run(
        {"ChallengeName": "DEVICE_SRP_AUTH", "ChallengeParameters": {}},
        {"ChallengeName": "DEVICE_PASSWORD_VERIFIER", "ChallengeParameters": params},
    )
    ctx = SignInContext(username="alice", flow=AuthFlow.USER_PASSWORD_AUTH, password="pw", device=DEVICE)
    with pytest.raises(ProtocolError) as error:
        run(start_sign_in(CFG, ctx, ENV))
    refused(error, "DEVICE_PASSWORD_VERIFIER", field)
    assert srp.password_claim not in run.computes
    assert run.operations == ["InitiateAuth", "RespondToAuthChallenge"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("DeviceKey", ""), ("DeviceKey", "k" * 1025), ("DeviceGroupKey", SURROGATE), ("DeviceGroupKey", 5)],
)
def test_bad_new_device_is_refused_before_it_is_hashed_or_confirmed(field: str, value: Any) -> None:
    # device_secret() hashes both keys: a lone surrogate raised UnicodeEncodeError there.
    metadata = {"DeviceKey": "us-east-1_new", "DeviceGroupKey": "-grp", field: value}
    run = Run({"AuthenticationResult": result(NewDeviceMetadata=metadata)})
    ctx = SignInContext(username="alice", flow=AuthFlow.USER_PASSWORD_AUTH, password="pw")
    with pytest.raises(ProtocolError) as error:
        run(start_sign_in(CFG, ctx, ENV))
    refused(error, "NewDeviceMetadata", field)
    assert srp.device_secret not in run.computes
    assert run.operations == ["InitiateAuth"]


def test_tokens_the_pool_would_refuse_never_confirm_a_device() -> None:
    metadata = {"DeviceKey": "us-east-1_new", "DeviceGroupKey": "-grp"}
    run = Run({"AuthenticationResult": result({"exp": 10**400}, NewDeviceMetadata=metadata)})
    ctx = SignInContext(username="alice", flow=AuthFlow.USER_PASSWORD_AUTH, password="pw")
    with pytest.raises(ProtocolError) as error:
        run(start_sign_in(CFG, ctx, ENV))
    refused(error, "AccessToken", "exp")
    assert run.operations == ["InitiateAuth"]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (DEEP, "nested deeper"),  # RecursionError before
        ("[" * 40 + "]" * 40, "nested deeper"),
        ('["SOFTWARE_TOKEN_MFA", NaN]', "not finite"),
        ('["\\ud800"]', "surrogate"),
        ("['SOFTWARE_TOKEN_MFA'", "not JSON"),
        ('{"a": 1}', "not a list of names"),
        (json.dumps(["A"] * 257), "not a list of names"),
        (["x" * 1025], "not a list of names"),
    ],
)
def test_malformed_name_list_is_a_protocol_error(value: Any, why: str) -> None:
    with pytest.raises(ProtocolError, match=why) as error:
        name_list(value, "MFA_SETUP")
    refused(error, "MFA_SETUP", "MFAS_CAN_SETUP")


def test_name_lists_as_servers_send_them() -> None:
    assert name_list('["SOFTWARE_TOKEN_MFA","EMAIL_OTP"]', "s") == ("SOFTWARE_TOKEN_MFA", "EMAIL_OTP")
    moto = "['SOFTWARE_TOKEN_MFA', 'EMAIL_OTP']"  # a Python repr
    assert name_list(moto, "s") == ("SOFTWARE_TOKEN_MFA", "EMAIL_OTP")
    assert name_list(["SMS_MFA"], "s") == ("SMS_MFA",)
    assert name_list("[]", "s") == name_list("", "s") == name_list(None, "s") == ()


def test_deep_mfas_can_setup_in_a_sign_in_is_a_protocol_error() -> None:
    run = Run(
        {"ChallengeName": "MFA_SETUP", "Session": "s" * 20, "ChallengeParameters": {"MFAS_CAN_SETUP": DEEP}}
    )
    with pytest.raises(ProtocolError) as error:
        run(start_sign_in(CFG, srp_context(), ENV))
    refused(error, "MFA_SETUP", "MFAS_CAN_SETUP")


def challenge(name: str, **params: Any) -> Challenge:
    return Challenge(name, "alice", "s" * 20, params, (), srp_context())


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("SELECT_MFA_TYPE", "MFAS_CAN_CHOOSE", DEEP),
        ("NEW_PASSWORD_REQUIRED", "requiredAttributes", DEEP),
        ("NEW_PASSWORD_REQUIRED", "userAttributes", '{"a":' * 3000 + "1" + "}" * 3000),  # RecursionError
        ("NEW_PASSWORD_REQUIRED", "userAttributes", '{"email": NaN}'),
        ("NEW_PASSWORD_REQUIRED", "userAttributes", '{"email": "\\udfff"}'),
        ("NEW_PASSWORD_REQUIRED", "userAttributes", "[]"),
    ],
)
def test_json_in_a_step_parameter_is_a_protocol_error(name: str, field: str, value: str) -> None:
    with pytest.raises(ProtocolError) as error:
        SignInStep.from_challenge(challenge(name, **{field: value}), expires_at=None, responder=None)
    refused(error, name, field)


def test_user_attributes_as_cognito_sends_them() -> None:
    step = SignInStep.from_challenge(
        challenge(
            "NEW_PASSWORD_REQUIRED",
            userAttributes='{"email":"a@example.com","email_verified":"true"}',
            requiredAttributes='["userAttributes.name"]',
        ),
        expires_at=None,
        responder=None,
    )
    assert step.user_attributes == {"email": "a@example.com", "email_verified": "true"}
    assert step.required_attributes == ("name",)


@pytest.mark.parametrize(
    ("reply", "field"),
    [
        ({"SecretCode": SURROGATE, "Session": "s" * 20}, "SecretCode"),
        ({"SecretCode": "A" * 1025, "Session": "s" * 20}, "SecretCode"),
        ({"SecretCode": "JBSWY3DPEHPK3PXP", "Session": SURROGATE}, "Session"),
    ],
)
def test_totp_setup_values_are_checked(reply: dict[str, Any], field: str) -> None:
    run = Run(reply)
    with pytest.raises(ProtocolError) as error:
        run(answer_challenge(CFG, challenge("MFA_SETUP"), Answer("TOTP"), ENV))
    refused(error, "AssociateSoftwareToken", field)


def test_unknown_challenge_message_is_bounded() -> None:
    params = {f"k{i}" * 100: "v" for i in range(1000)}
    run = Run({"ChallengeName": "X" * 100_000, "ChallengeParameters": params})
    with pytest.raises(ProtocolError, match="unknown challenge") as error:
        run(start_sign_in(CFG, srp_context(), ENV))
    assert len(str(error.value)) < 2000


# --- resumed steps: SignInStep.parse_json -------------------------------------------------------------


def step_data(**changes: Any) -> dict[str, Any]:
    step = SignInStep.from_challenge(
        challenge("SMS_MFA", CODE_DELIVERY_DESTINATION="+***1234"), expires_at=NOW + 180.5, responder=None
    )
    data: dict[str, Any] = json.loads(step.to_json())
    for path, value in changes.items():
        target = data
        *parents, last = path.split("__")
        for part in parents:
            target = target[part]
        target[last] = value
    return data


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(step_data())[:-1] + ',"x":' + DEEP + "}",  # RecursionError before
        json.dumps(step_data()).replace('"alice"', '"al\\ud800ice"'),  # echoed, hashed into SECRET_HASH
        json.dumps(step_data()).replace("180.5", "1e400"),
        json.dumps(step_data()).replace("180.5", "NaN"),
    ],
)
def test_hostile_step_json_is_a_step_data_error(text: str) -> None:
    with pytest.raises(StepDataError):
        SignInStep.parse_json(text)
    with pytest.raises(StepDataError):
        SignInStep.parse_json(text.encode())


@pytest.mark.parametrize(
    "changes",
    [
        {"username": SURROGATE},
        {"username": "u" * 1025},
        {"username": ""},
        {"session": SURROGATE},
        {"session": "s" * 16_385},
        {"expires_at": True},
        {"expires_at": 10**400},
        {"expires_at": float("nan")},
        {"expires_at": "soon"},
        {"v": True},
        {"available_challenges": [SURROGATE]},
        {"context__username": 5},
        {"context__client_metadata": [1, 2]},  # dict([1, 2]) raised TypeError when the step was answered
        {"context__client_metadata": {"k": 5}},
        {"context__ip_address": ["203.0.113.7"]},  # was echoed into UserContextData
        {"context__preferred_challenge": 5},
        {"context__flow": "NOPE"},
        {"challenge": "MFA_SETUP", "parameters__MFAS_CAN_SETUP": DEEP},
        {"challenge": "NEW_PASSWORD_REQUIRED", "parameters__userAttributes": '{"a": NaN}'},
    ],
)
def test_malformed_resumed_step_is_a_step_data_error(changes: dict[str, Any]) -> None:
    data = step_data(**changes)
    with pytest.raises(StepDataError):
        SignInStep.parse_json(data)  # a mapping: the same checks as for its JSON
    try:
        text = json.dumps(data)
    except ValueError:
        return
    with pytest.raises(StepDataError):
        SignInStep.parse_json(text)


def test_local_password_choice_is_one_of_two() -> None:
    data = step_data(challenge="LOCAL_PASSWORD", parameters={"CHOICE": "EMAIL_OTP"})
    with pytest.raises(StepDataError):
        SignInStep.parse_json(data)
    with pytest.raises(ValueError, match="CHOICE"):
        Run()(answer_challenge(CFG, challenge("LOCAL_PASSWORD", CHOICE=["x"]), Answer("pw"), ENV))


def test_resumed_step_round_trips() -> None:
    data = step_data()
    back, expires_at = SignInStep.parse_json(json.dumps(data))
    assert expires_at == NOW + 180.5
    assert (back.challenge_name, back.username, back.session) == ("SMS_MFA", "alice", "s" * 20)
    assert back.parameters == {"CODE_DELIVERY_DESTINATION": "+***1234"}


# --- devices: user.Device.from_wire -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [pytest.param(10**400, id="10**400"), float("inf"), float("nan"), -1, True, "2024-01-01T00:00:00Z"],
)
def test_device_dates_are_epoch_seconds(value: Any) -> None:
    # float(10**400) raised OverflowError before.
    data = {"DeviceKey": "us-east-1_d", "DeviceAttributes": [], "DeviceLastModifiedDate": value}
    with pytest.raises(ProtocolError) as error:
        Device.from_wire(data, "ListDevices")
    refused(error, "ListDevices", "DeviceLastModifiedDate")


def test_device_dates_as_cognito_sends_them() -> None:
    # AWS JSON timestamps: epoch seconds, with fractions (botocore's DateType is a timestamp).
    data = {"DeviceKey": "us-east-1_d", "DeviceCreateDate": 1.7e9 + 0.25, "DeviceLastModifiedDate": NOW}
    device = Device.from_wire(data, "GetDevice")
    assert (device.created_at, device.last_modified_at, device.last_authenticated_at) == (
        1.7e9 + 0.25,
        float(NOW),
        None,
    )


@pytest.mark.parametrize("key", ["", SURROGATE, "k" * 1025, None])
def test_device_key_is_bounded_text(key: Any) -> None:
    with pytest.raises(ProtocolError) as error:
        Device.from_wire({"DeviceKey": key}, "GetDevice")
    refused(error, "GetDevice", "DeviceKey")


# --- token stores: the JSON read paths ----------------------------------------------------------------


def record_dict(**tokens: Any) -> dict[str, Any]:
    data = SessionRecord(TokenSet.from_result(result(), now=NOW), DEVICE).to_dict()
    data["tokens"].update(tokens)
    return data


@pytest.mark.parametrize(
    ("tokens", "needle"),
    [
        ({"expires_at": 10**400}, "'expires_at'"),  # math.isfinite(10**400) raised OverflowError before
        ({"issued_at": -(10**400)}, "'issued_at'"),
        ({"clock_drift": 10**400}, "'clock_drift'"),
        ({"expires_at": float("inf")}, "'expires_at'"),
        ({"expires_at": -5}, "epoch seconds"),
        ({"access_token": jwt(payload=b'{"exp": NaN}')}, "not finite"),
        ({"access_token": jwt(payload=b"[" * 5000)}, "nested deeper"),
        ({"refresh_token": SURROGATE}, "'refresh_token'"),
        ({"token_type": SURROGATE}, "'token_type'"),
        ({"id_token": SURROGATE}, "'id_token'"),
    ],
)
def test_malformed_record_is_a_token_store_error(tokens: dict[str, Any], needle: str) -> None:
    with pytest.raises(TokenStoreError, match=needle):
        SessionRecord.from_dict(record_dict(**tokens), where="record X")


KEY = StoreKey(POOL_ID, CLIENT_ID, "alice")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b'{"version": 1, "users": ' + b"[" * 5000 + b"]" * 5000 + b', "last_user": {}}', "nested deeper"),
        (b'{"version": 1, "users": {}, "last_user": {}, "x": NaN}', "not finite"),
        (b'{"version": 1, "users": {}, "last_user": {}, "x": 1e400}', "not finite"),
        (b'{"version": 1, "users": {"p": {"c": {"al\\ud800ice": null}}}, "last_user": {}}', "surrogate"),
    ],
)
async def test_hostile_token_file_is_a_token_store_error(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "tokens.json"
    path.write_bytes(content)
    path.chmod(0o600)
    store = FileTokenStore(path)
    for attempt in (store.get(KEY), store.usernames(POOL_ID, CLIENT_ID), store.put(KEY, SessionRecord())):
        with pytest.raises(TokenStoreError, match=needle) as error:
            await attempt
        assert str(path) in str(error.value)
    assert path.read_bytes() == content


async def test_hostile_record_in_a_token_file_is_a_token_store_error(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStore(path)
    await store.put(KEY, SessionRecord(TokenSet.from_result(result(), now=NOW)))
    doc = json.loads(path.read_text())
    doc["users"][POOL_ID][CLIENT_ID]["alice"]["tokens"]["expires_at"] = 10**400
    path.write_text(json.dumps(doc))
    with pytest.raises(TokenStoreError, match="'expires_at'"):
        await FileTokenStore(path).get(KEY)


async def test_a_token_file_of_thousands_of_users_still_reads(tmp_path: Path) -> None:
    # More arrays and objects than _json's default limit for a reply (20,000): a file is not a reply.
    path = tmp_path / "tokens.json"
    record = SessionRecord(TokenSet.from_result(result(), now=NOW), DEVICE).to_dict()
    users = {f"user{i}": record for i in range(8000)}
    doc = {"version": 1, "users": {POOL_ID: {CLIENT_ID: users}}, "last_user": {}}
    path.write_text(json.dumps(doc))
    path.chmod(0o600)
    store = FileTokenStore(path)
    assert len(await store.usernames(POOL_ID, CLIENT_ID)) == 8000
    got = await store.get(StoreKey(POOL_ID, CLIENT_ID, "user7999"))
    assert got is not None and got.device == DEVICE
