"""Properties over hostile values: whatever JSON a server (or a resumed step) puts in the JWT claims and the
challenge parameters the flows read, a sign-in ends in an outcome or a ProtocolError, never another exception;
nothing it sends is unencodable; and a TokenSet it accepts never makes a later call raise.

Flows are driven by hand (generators, no event loop); the SRP math runs for real.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Generator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiocognito import ProtocolError
from aiocognito.core import srp
from aiocognito.core.flows import (
    LOCAL_EMAIL_SETUP,
    LOCAL_PASSWORD,
    LOCAL_TOTP_SETUP,
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
    Stopped,
    answer_challenge,
    start_sign_in,
)
from aiocognito.core.steps import SignInStep
from aiocognito.core.tokens import TokenSet
from aiocognito.token_store import SessionRecord, StoreKey, TokenStoreError

NOW = 1_700_000_000
CFG = ClientConfig("us-east-1_Property1", "client-property", "client-secret-property")
ENV = Env(now=lambda: float(NOW), random_bytes=lambda n: bytes(range(1, n + 1)))
DEVICE = DeviceCredentials("us-east-1_dev", "-group", "device-password")
B_HEX = "3cecdadd3677bbff30deffba23287e24c551d49baa2cd82ad7316d597290bfac" * 12
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- values ----------------------------------------------------------------------------------------------

_HOSTILE_TEXT = st.text(st.characters() | st.sampled_from(["\ud800", "\udfff", "\x00", "é"]), max_size=12)
_HUGE = st.sampled_from([10**400, -(10**400), 2**63, 32_503_680_001, NOW, NOW + 3600, 0, -1])
#: Anything a JSON document can hold, and what Python's json writes besides: NaN, the infinities, lone
#: surrogates. Inside a JWT payload (base64 in a string) nothing but the client stops these.
HOSTILE_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _HUGE | st.floats() | _HOSTILE_TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_HOSTILE_TEXT, children, max_size=3),
    max_leaves=6,
)
#: What a reply body can hold once the transport has read it (aiocognito._json.loads): finite numbers,
#: valid Unicode, shallow nesting; any type in any field, and integers of any size.
REPLY_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | _HUGE
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


def either(good: Any) -> st.SearchStrategy[Any]:
    """The good value most of the time, any value otherwise (even one the transport would refuse)."""
    return st.one_of(st.just(good), st.just(good), HOSTILE_VALUES)


@st.composite
def jwts(draw: st.DrawFn, token_use: str) -> Any:
    name = "username" if token_use == "access" else "cognito:username"
    claims = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "exp": either(NOW + 3600),
                "iat": either(NOW),
                "auth_time": either(NOW),
                name: either("alice"),
                "sub": either("5b1b0a6e-7f0c-4c1e-9a53-0d2f3c7d9e11"),
                "extra": HOSTILE_VALUES,
            },
        )
    )
    if token_use == "access":
        claims.setdefault("exp", NOW + 3600)
        claims.setdefault("iat", NOW)
    shape = draw(st.sampled_from(["json", "json", "ascii", "deep", "bytes", "not a token"]))
    if shape == "not a token":
        return draw(HOSTILE_VALUES)
    if shape == "bytes":
        raw = draw(st.binary(max_size=40))
    else:
        # Python writes NaN, Infinity and lone surrogates; a hostile server may too.
        text = json.dumps(claims, ensure_ascii=shape == "ascii", allow_nan=True, default=str)
        if shape == "deep":  # written by hand: json.dumps itself recurses
            depth = draw(st.integers(30, 3000))
            text = '{"nest":' + "[" * depth + "]" * depth + "," + text[1:] if len(text) > 2 else text
        raw = text.encode("utf-8", "surrogatepass")
    payload = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return f"e30.{payload}.c2ln"


def auth_results() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"AccessToken": jwts("access"), "IdToken": jwts("id")},
        optional={
            "RefreshToken": either("refresh-token"),
            "TokenType": either("Bearer"),
            "ExpiresIn": either(3600),
            "NewDeviceMetadata": either({"DeviceKey": "us-east-1_new", "DeviceGroupKey": "-grp"})
            | st.fixed_dictionaries({"DeviceKey": either("us-east-1_new"), "DeviceGroupKey": either("-grp")}),
        },
    )


@st.composite
def spoiled(draw: st.DrawFn, good: dict[str, Any], bad: dict[str, tuple[Any, ...]]) -> dict[str, Any]:
    """``good`` with at most one field spoiled: dropped, set to a known bad value, or to any value a reply
    can hold. One at a time, so the flow gets past the fields before it and meets each check."""
    value = dict(good)
    name = draw(st.sampled_from([None, None, *good]))
    if name is not None:
        how = draw(st.sampled_from(["drop", "known", "any"]))
        if how == "drop":
            del value[name]
        elif how == "known" and bad.get(name):
            value[name] = draw(st.sampled_from(bad[name]))
        else:
            value[name] = draw(REPLY_VALUES)
    return value


def _token(claims: dict[str, Any]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"e30.{payload}.c2ln"


_GOOD_ACCESS = {"sub": "s-1", "username": "alice", "iat": NOW, "exp": NOW + 3600, "auth_time": NOW}
_GOOD_ID = {"sub": "s-1", "cognito:username": "alice", "iat": NOW, "exp": NOW + 3600}
_SPOILED_CLAIMS = (
    {"exp": 10**400},
    {"iat": 1.5e9},
    {"exp": NOW},
    {"username": "u" * 2000},
    {"auth_time": -1},
)
_BAD_TOKENS = (
    *(_token({**_GOOD_ACCESS, **change}) for change in _SPOILED_CLAIMS),
    "e30.e30",
    "not a jwt",
    "é.e30.sig",
)


def signed_replies() -> st.SearchStrategy[dict[str, Any]]:
    good = spoiled(
        {
            "AccessToken": _token(_GOOD_ACCESS),
            "IdToken": _token(_GOOD_ID),
            "RefreshToken": "refresh-token",
            "TokenType": "Bearer",
            "ExpiresIn": 3600,
        },
        {
            "AccessToken": _BAD_TOKENS,
            "IdToken": _BAD_TOKENS,
            "RefreshToken": ("\ud800", ""),
            "TokenType": ("\ud800", None),
        },
    )
    device = spoiled(
        {"DeviceKey": "us-east-1_new", "DeviceGroupKey": "-grp"},
        {"DeviceKey": ("", "\ud800", "k" * 2000), "DeviceGroupKey": ("", "\ud800", "g" * 2000)},
    )
    with_device = st.tuples(good, device).map(lambda pair: {**pair[0], "NewDeviceMetadata": pair[1]})
    return st.fixed_dictionaries({"AuthenticationResult": good | with_device | auth_results()})


_VERIFIER_PARAMETERS = spoiled(
    {
        "SALT": "5da59fcb4f5a9b542a00cb5668ef821e",
        "SRP_B": B_HEX,
        "SECRET_BLOCK": "c2VjcmV0LWJsb2Nr",
        "USERNAME": "internal-id",
        "USER_ID_FOR_SRP": "internal-id",
    },
    {
        "SALT": ("-7bd8e94f4bcac21e3e2", "a" * 300, "xyz", ""),
        "SRP_B": ("0", format(srp.N, "x"), "-" + B_HEX, "00" + B_HEX, "f" * 2000, B_HEX + "\ud800"),
        "SECRET_BLOCK": ("8d2e57a1-4b4c-4f5e-9a6b-7c8d9e0f1a2b", "A" * 20_000, "c2 Vj", "\ud800"),
        "USERNAME": ("\ud800", "", "u" * 2000),
        "USER_ID_FOR_SRP": ("\ud800", "", "u" * 2000),
    },
)
_CALLER_PARAMETERS = spoiled(
    {
        "USERNAME": "internal-id",
        "MFAS_CAN_SETUP": '["SOFTWARE_TOKEN_MFA","EMAIL_OTP"]',
        "MFAS_CAN_CHOOSE": '["SMS_MFA","SOFTWARE_TOKEN_MFA"]',
        "requiredAttributes": '["userAttributes.name"]',
        "userAttributes": '{"email":"a@example.com"}',
        "CODE_DELIVERY_DESTINATION": "+***1234",
        "CREDENTIAL_REQUEST_OPTIONS": '{"challenge":"abc"}',
    },
    {
        "USERNAME": ("\ud800", "u" * 2000),
        "MFAS_CAN_SETUP": ("['SOFTWARE_TOKEN_MFA']", '["SOFTWARE_TOKEN_MFA"]', "[" * 3000, '["\\ud800"]'),
        "MFAS_CAN_CHOOSE": ('["\\ud800"]', "[" * 3000, "[NaN]"),
        "requiredAttributes": ("[NaN]", "[" * 3000, '{"a": 1}'),
        "userAttributes": ('{"a":' * 3000, '{"a": 1e400}', "[]"),
    },
)
_VERIFIERS = ("PASSWORD_VERIFIER", "DEVICE_PASSWORD_VERIFIER")
_CHALLENGE_NAMES = (
    *_VERIFIERS,
    "DEVICE_SRP_AUTH",
    "SMS_MFA",
    "SOFTWARE_TOKEN_MFA",
    "EMAIL_OTP",
    "SELECT_MFA_TYPE",
    "MFA_SETUP",
    "NEW_PASSWORD_REQUIRED",
    "CUSTOM_CHALLENGE",
    "SELECT_CHALLENGE",
    "WEB_AUTHN",
    "PASSWORD_SRP",
)


@st.composite
def challenge_replies(draw: st.DrawFn, name: str | None = None) -> dict[str, Any]:
    """A challenge reply, ``name`` or any; at most one of its fields (or parameters) spoiled."""
    if name is None:
        name = draw(st.sampled_from(_CHALLENGE_NAMES))
    parameters = draw(_VERIFIER_PARAMETERS if name in _VERIFIERS else _CALLER_PARAMETERS)
    good: dict[str, Any] = {"ChallengeName": name, "ChallengeParameters": parameters, "Session": "s" * 40}
    if name == "SELECT_CHALLENGE":
        good["AvailableChallenges"] = ["PASSWORD_SRP", "EMAIL_OTP"]
    bad = {
        "ChallengeName": ("UNKNOWN_ONE", "X" * 100_000, ""),
        "ChallengeParameters": (None, [], "x"),
        "Session": ("\ud800", "s" * 20_000, ""),
        "AvailableChallenges": (["\ud800"], ["x" * 2000], "PASSWORD_SRP"),
    }
    return draw(spoiled(good, bad))


def other_replies() -> st.SearchStrategy[Any]:
    return st.one_of(
        challenge_replies(),
        signed_replies(),
        totp_replies("SecretCode"),
        totp_replies("Status"),
        REPLY_VALUES,
    )


def totp_replies(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """AssociateSoftwareToken's reply (``SecretCode``) or VerifySoftwareToken's (``Status``)."""
    good = {"SecretCode": "JBSWY3DPEHPK3PXP"} if kind == "SecretCode" else {"Status": "SUCCESS"}
    bad = {"SecretCode": ("\ud800", "A" * 2000), "Status": ("ERROR", "X" * 100_000), "Session": ("\ud800",)}
    return spoiled({**good, "Session": "t" * 40}, bad)


#: Sign-ins as a real server leads them: (auth flow, remembered device, the replies in order). Each test
#: example spoils at most one field of each reply.
CHAINS: dict[str, tuple[AuthFlow, bool, tuple[str, ...]]] = {
    "srp": (AuthFlow.USER_SRP_AUTH, False, ("PASSWORD_VERIFIER",)),
    "srp-sms": (AuthFlow.USER_SRP_AUTH, False, ("PASSWORD_VERIFIER", "SMS_MFA")),
    "device-srp": (
        AuthFlow.USER_SRP_AUTH,
        True,
        ("PASSWORD_VERIFIER", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER"),
    ),
    "totp-setup": (AuthFlow.USER_SRP_AUTH, False, ("PASSWORD_VERIFIER", "MFA_SETUP", "SecretCode", "Status")),
    "user-auth": (AuthFlow.USER_AUTH, False, ("SELECT_CHALLENGE", "PASSWORD_VERIFIER")),
    "web-authn": (AuthFlow.USER_AUTH, False, ("WEB_AUTHN",)),
    "new-password": (AuthFlow.USER_PASSWORD_AUTH, False, ("NEW_PASSWORD_REQUIRED",)),
    "select-mfa": (AuthFlow.USER_PASSWORD_AUTH, True, ("SELECT_MFA_TYPE", "SOFTWARE_TOKEN_MFA")),
    "custom": (AuthFlow.CUSTOM_AUTH, False, ("PASSWORD_VERIFIER", "CUSTOM_CHALLENGE", "CUSTOM_CHALLENGE")),
    "password": (AuthFlow.USER_PASSWORD_AUTH, False, ()),
}


def chain_replies(names: tuple[str, ...]) -> st.SearchStrategy[list[Any]]:
    parts = [totp_replies(n) if n in ("SecretCode", "Status") else challenge_replies(n) for n in names]
    return st.tuples(*parts, signed_replies()).map(list)


# --- driving -------------------------------------------------------------------------------------------


class Script:
    """Answers a flow's calls from a list of replies (then ``{}``); runs its Computes inline."""

    def __init__(self, replies: list[Any]) -> None:
        self.replies = list(replies)

    def run(self, flow: Generator[Any, Any, Any]) -> Any:
        value: Any = None
        for _ in range(100):  # a flow that never ends would fail here
            try:
                effect = flow.send(value)
            except StopIteration as stop:
                return stop.value
            if isinstance(effect, Compute):
                value = effect.function(*effect.args, **effect.kwargs)
            else:
                assert isinstance(effect, Call)
                # What the flow sends is valid Unicode JSON: it never reaches the transport unencodable.
                json.dumps(effect.params, ensure_ascii=False, allow_nan=False).encode("utf-8")
                value = self.replies.pop(0) if self.replies else {}
        raise AssertionError("the flow did not end")


def check_later_uses(tokens: TokenSet) -> None:
    """Everything a stored session goes through later works on a TokenSet that was accepted."""
    for now in (0.0, float(NOW), NOW + 10**6 + 0.5):
        tokens.seconds_left(now=now)
        tokens.is_valid(now=now, margin=300.0)
    assert tokens.expires_at > tokens.issued_at
    result = tokens.authentication_result()
    json.dumps(result, ensure_ascii=False, allow_nan=False).encode("utf-8")
    record = SessionRecord(tokens=tokens, device=DEVICE)
    text = json.dumps(record.to_dict(), ensure_ascii=False, allow_nan=False).encode("utf-8")
    assert SessionRecord.from_dict(json.loads(text)) == record
    name = tokens.username or tokens.sub
    if name is not None:
        StoreKey(CFG.pool_id, CFG.client_id, name)
        assert CFG.secret_hash(name)  # REFRESH_TOKEN_AUTH hashes it


def answer_for(challenge: Challenge) -> Answer:
    name = challenge.challenge_name
    if name == "SELECT_MFA_TYPE":
        return Answer("TOTP")
    if name == "MFA_SETUP":
        return Answer("TOTP")
    if name == "SELECT_CHALLENGE":
        return Answer(challenge.available_challenges[0] if challenge.available_challenges else "PASSWORD_SRP")
    if name in ("PASSWORD", "PASSWORD_SRP", LOCAL_PASSWORD):
        return Answer("Passw0rd!")
    if name == LOCAL_EMAIL_SETUP:
        return Answer("a@example.com")
    if name == "WEB_AUTHN":
        return Answer('{"id":"abc"}')
    return Answer("123456", friendly_device_name="phone" if name == LOCAL_TOTP_SETUP else None)


def settle(outcome: Any, script: Script, rounds: int) -> None:
    """Check an outcome; answer a challenge and go on, at most ``rounds`` times."""
    if isinstance(outcome, Stopped):
        return
    if isinstance(outcome, Signed):
        try:
            tokens = TokenSet.from_result(outcome.result, now=float(NOW))
        except ProtocolError:
            return
        check_later_uses(tokens)
        return
    assert isinstance(outcome, Challenge)
    try:
        # What the pool does with a challenge (pool._step): the fields a step shows are read here.
        step = SignInStep.from_challenge(outcome, expires_at=NOW + 180.0, responder=None)
    except ProtocolError:
        return
    # A step the flow made can be kept between two requests and resumed.
    back, expires_at = SignInStep.parse_json(step.to_json())
    assert (back.challenge_name, back.username, back.session, expires_at) == (
        outcome.challenge_name,
        outcome.username,
        outcome.session,
        NOW + 180.0,
    )
    if rounds == 0:
        return
    try:
        outcome = script.run(answer_challenge(CFG, outcome, answer_for(outcome), ENV))
    except ProtocolError:
        return
    settle(outcome, script, rounds - 1)


# --- properties ------------------------------------------------------------------------------------------


@SETTINGS
@given(auth_results())
def test_any_authentication_result_is_a_token_set_or_a_protocol_error(result: dict[str, Any]) -> None:
    try:
        tokens = TokenSet.from_result(result, now=float(NOW))
    except ProtocolError as error:
        step = error.step
    else:
        check_later_uses(tokens)
        return
    assert step in ("AuthenticationResult", "AccessToken", "IdToken")


def sign_in(flow: AuthFlow, device: bool, replies: list[Any]) -> None:
    ctx = SignInContext(username="alice", flow=flow, password="Passw0rd!", device=DEVICE if device else None)
    script = Script(replies)
    try:
        outcome = script.run(start_sign_in(CFG, ctx, ENV))
    except ProtocolError:
        return
    settle(outcome, script, rounds=3)


@pytest.mark.parametrize("chain", CHAINS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_spoiled_sign_in_ends_in_an_outcome_or_a_protocol_error(chain: str, data: st.DataObject) -> None:
    flow, device, names = CHAINS[chain]
    sign_in(flow, device, data.draw(chain_replies(names), label="replies"))


@SETTINGS
@given(
    flow=st.sampled_from(list(AuthFlow)),
    device=st.booleans(),
    replies=st.lists(other_replies(), min_size=1, max_size=5),
)
def test_any_replies_end_in_an_outcome_or_a_protocol_error(
    flow: AuthFlow, device: bool, replies: list[Any]
) -> None:
    sign_in(flow, device, replies)


_RECORD = SessionRecord(
    tokens=TokenSet.from_result(
        {"AccessToken": _token(_GOOD_ACCESS), "IdToken": _token(_GOOD_ID), "RefreshToken": "r"}, now=NOW + 0.5
    ),
    device=DEVICE,
).to_dict()


@st.composite
def stored_records(draw: st.DrawFn) -> Any:
    """A record's JSON form with one value anywhere in it replaced by any value at all."""
    record = json.loads(json.dumps(_RECORD))
    section = draw(st.sampled_from([None, "tokens", "device"]))
    if section is None:
        return draw(st.sampled_from([record, None, [], "x"]))
    name = draw(st.sampled_from([None, *record[section]]))
    if name is None:
        record[section] = draw(HOSTILE_VALUES)
    elif name.endswith("_token") and draw(st.booleans()):
        record[section][name] = draw(st.sampled_from(_STORED_BAD_TOKENS) | jwts("access"))
    else:
        record[section][name] = draw(st.sampled_from(_STORED_BAD_VALUES) | HOSTILE_VALUES)
    return record


_STORED_BAD_VALUES = (10**400, -(10**400), float("nan"), float("inf"), True, "1", -1, 2**63, "", "\ud800")
_STORED_BAD_TOKENS = (
    *_BAD_TOKENS,
    "e30." + base64.urlsafe_b64encode(b"[" * 5000).decode() + ".sig",
    "e30." + base64.urlsafe_b64encode(b'{"exp": NaN}').decode() + ".sig",
    "e30." + base64.urlsafe_b64encode(b'{"sub": "\\ud800"}').decode() + ".sig",
)


@SETTINGS
@given(stored_records())
def test_any_stored_record_is_a_record_or_a_token_store_error(data: Any) -> None:
    try:
        record = SessionRecord.from_dict(data, where="record")
    except TokenStoreError as error:
        message = str(error)
    else:
        json.dumps(record.to_dict(), ensure_ascii=False, allow_nan=False).encode("utf-8")
        if record.tokens is not None:
            record.tokens.seconds_left(now=float(NOW))
            record.tokens.authentication_result()
        return
    assert message.startswith("record")
