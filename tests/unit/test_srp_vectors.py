"""The SRP core against ground-truth vectors, plus the checks no vector file covers.

``test_vector`` reads every ``tests/vectors/srp_*.json`` and checks every case of every section; a
section it does not know fails, so a new vector file cannot be silently half-checked.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import os
import pickle
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aiocognito.core import bignum, srp
from aiocognito.errors import ProtocolError

VECTOR_DIR = Path(__file__).resolve().parent.parent / "vectors"
METADATA_KEYS = {"generator", "notes"}

Case = dict[str, Any]


# --- collecting the cases ---------------------------------------------------------------------------


def _vector_params() -> Iterator[Any]:
    files = sorted(VECTOR_DIR.glob("srp_*.json"))
    if not files:
        yield pytest.param(None, "<no srp_*.json file>", None, id="no-vector-files")
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        for section, value in doc.items():
            if section in METADATA_KEYS:
                continue
            if isinstance(value, list):
                if not value:
                    yield pytest.param(doc, section, None, id=f"{path.name}::{section}[empty]")
                for index, case in enumerate(value):
                    name = case.get("name", "") if isinstance(case, dict) else ""
                    label = f"{index}-{name}" if name else str(index)
                    yield pytest.param(doc, section, case, id=f"{path.name}::{section}[{label}]")
            else:
                yield pytest.param(doc, section, value, id=f"{path.name}::{section}")


# --- helpers ----------------------------------------------------------------------------------------


def _ephemeral(a_hex: str) -> srp.Ephemeral:
    digits = a_hex if len(a_hex) % 2 == 0 else "0" + a_hex
    return srp.ephemeral(bytes.fromhex(digits))


def _check_keys(case: Case, known: set[str], what: str) -> None:
    unknown = set(case) - known
    assert not unknown, f"{what}: keys this test does not know how to check: {sorted(unknown)}"


def _compare(case: Case, computed: dict[str, Any], skip: set[str]) -> int:
    """Assert every key of ``case`` (but ``skip``) equals ``computed``; return how many were checked."""
    checked = 0
    for key, expected in case.items():
        if key in skip:
            continue
        assert key in computed, f"no computation for key {key!r}"
        assert computed[key] == expected, f"{key}: {computed[key]!r} != {expected!r}"
        checked += 1
    return checked


_HELPER_INPUTS = {
    "name",
    "pool_id",
    "user_id_for_srp",
    "password",
    "a_hex",
    "salt_hex",
    "srp_b_hex",
    "secret_block_b64",
    "timestamp",
}
_HELPER_KEYS = {
    "name",
    "inputs",
    "k_hex",
    "A_hex_as_sent",
    "A_padhex",
    "B_padhex",
    "salt_padhex",
    "u_hex",
    "u_padhex",
    "x_hex",
    "S_padhex",
    "hkdf_hex",
    "message_hex",
    "password_claim_signature",
}


def _check_helper(case: Case) -> None:
    _check_keys(case, _HELPER_KEYS, "srp helper vector")
    inputs = case["inputs"]
    _check_keys(inputs, _HELPER_INPUTS, "srp helper vector inputs")
    name = srp.pool_name(inputs["pool_id"])
    eph = _ephemeral(inputs["a_hex"])
    assert eph.a == int(inputs["a_hex"], 16)
    big_b = int(inputs["srp_b_hex"], 16)
    salt = int(inputs["salt_hex"], 16)
    u = srp.compute_u(eph.A, big_b)
    x = srp.compute_x(name, inputs["user_id_for_srp"], inputs["password"], salt)
    s = srp.compute_s(a=eph.a, big_b=big_b, x=x, u=u)
    key = srp.hkdf(u, s)
    message = srp.claim_message(
        name, inputs["user_id_for_srp"], inputs["secret_block_b64"], inputs["timestamp"]
    )
    computed = {
        "k_hex": format(srp.compute_k(), "x"),
        "A_hex_as_sent": eph.srp_a,
        "A_padhex": srp.pad_hex(eph.A),
        "B_padhex": srp.pad_hex(inputs["srp_b_hex"]),
        "salt_padhex": srp.pad_hex(inputs["salt_hex"]),
        "u_hex": format(u, "x"),
        "u_padhex": srp.pad_hex(u),
        "x_hex": format(x, "x"),
        "S_padhex": srp.pad_hex(s),
        "hkdf_hex": key.hex(),
        "message_hex": message.hex(),
        "password_claim_signature": srp.password_claim(
            pool_name=name,
            user_id_for_srp=inputs["user_id_for_srp"],
            password=inputs["password"],
            ephemeral=eph,
            srp_b=inputs["srp_b_hex"],
            salt=inputs["salt_hex"],
            secret_block=inputs["secret_block_b64"],
            timestamp=inputs["timestamp"],
        ),
    }
    assert srp.compute_k() == srp.K
    assert _compare(case, computed, {"name", "inputs"}) >= 1
    # The intermediate values must lead to the signature, not only each match on its own.
    expected_signature = base64.b64encode(hmac.digest(key, message, "sha256")).decode()
    assert computed["password_claim_signature"] == expected_signature


def _check_padhex_int(case: Case) -> None:
    _check_keys(case, {"int", "padHex"}, "padhex_int vector")
    assert srp.pad_hex(case["int"]) == case["padHex"]


def _check_padhex_hexstring(case: Case) -> None:
    _check_keys(case, {"hex_input", "bigint_toString16", "padHex"}, "padhex_hexstring vector")
    assert srp.pad_hex(case["hex_input"]) == case["padHex"]
    # BigInteger(hex_input, 16).toString(16) is the integer the string reads as.
    assert format(int(case["hex_input"], 16), "x") == case["bigint_toString16"]
    assert srp.pad_hex(int(case["bigint_toString16"], 16)) == case["padHex"]
    assert srp.pad_hex(case["bigint_toString16"]) == case["padHex"]


def _check_padhex_n(summary: str) -> None:
    match = re.fullmatch(r"([0-9a-f]+)\.\.\.\((\d+) hex chars\)", summary)
    assert match, f"padhex_N summary in an unknown form: {summary!r}"
    padded = srp.pad_hex(srp.N)
    assert padded.startswith(match.group(1))
    assert len(padded) == int(match.group(2))


def _check_timestamp(case: Case) -> None:
    _check_keys(case, {"iso", "TIMESTAMP"}, "timestamp vector")
    moment = datetime.datetime.fromisoformat(case["iso"].replace("Z", "+00:00"))
    assert srp.timestamp(moment.timestamp()) == case["TIMESTAMP"]


_DEVICE_VERIFIER_KEYS = {
    "name",
    "device_group_key",
    "device_key",
    "random_bytes_16_hex",
    "random_bytes_40_hex",
    "random_password",
    "salt_padhex",
    "verifier_padhex",
    "DeviceSecretVerifierConfig",
}


def _device_secret_of(case: Case) -> srp.DeviceSecret:
    return srp.device_secret(
        case["device_group_key"],
        case["device_key"],
        password_bytes=bytes.fromhex(case["random_bytes_40_hex"]),
        salt_bytes=bytes.fromhex(case["random_bytes_16_hex"]),
    )


def _check_device_verifier(case: Case) -> None:
    _check_keys(case, _DEVICE_VERIFIER_KEYS, "device verifier vector")
    secret = _device_secret_of(case)
    salt_padhex = srp.pad_hex(int(case["random_bytes_16_hex"], 16))
    x = srp.compute_x(case["device_group_key"], case["device_key"], secret.password, int(salt_padhex, 16))
    computed = {
        "device_group_key": case["device_group_key"],
        "device_key": case["device_key"],
        "random_bytes_16_hex": case["random_bytes_16_hex"],
        "random_bytes_40_hex": case["random_bytes_40_hex"],
        "random_password": secret.password,
        "salt_padhex": salt_padhex,
        "verifier_padhex": srp.pad_hex(pow(srp.G, x, srp.N)),
        "DeviceSecretVerifierConfig": {"Salt": secret.salt, "PasswordVerifier": secret.verifier},
    }
    assert _compare(case, computed, {"name"}) >= 1
    # Salt and PasswordVerifier are the base64 of the padded hex values' bytes.
    assert base64.b64decode(secret.salt).hex() == case["salt_padhex"]
    assert base64.b64decode(secret.verifier).hex() == case["verifier_padhex"]


# --- flows ------------------------------------------------------------------------------------------

_FLOW_KEYS = {"requests", "outcome", "storage", "device_inputs", "device_helper_vector"}
_DEVICE_INPUT_KEYS = {
    "a_hex",
    "device_group_key",
    "device_key",
    "random_password",
    "salt_hex",
    "srp_b_hex",
    "secret_block_b64",
    "timestamp",
}
_EXPECT_HELPER = "expect_signature_equals_helper_vector_"
_EXPECT_DEVICE = "expect_signature_equals_device_helper_vector"


def _check_flow(doc: Case, flow: Case) -> None:
    expectations = {key for key in flow if key.startswith("expect_")}
    _check_keys(flow, _FLOW_KEYS | expectations, "flow")
    for key in expectations:
        assert key.startswith(_EXPECT_HELPER) or key == _EXPECT_DEVICE, f"unknown expectation {key!r}"
        assert isinstance(flow[key], bool)

    helpers_by_a = {case["A_hex_as_sent"]: case for case in doc.get("srp_helper_vectors", [])}
    helpers_by_name = {case["name"]: case for case in doc.get("srp_helper_vectors", [])}
    device_inputs: Case | None = flow.get("device_inputs")
    if device_inputs is not None:
        _check_keys(device_inputs, _DEVICE_INPUT_KEYS, "device_inputs")
    if "device_helper_vector" in flow:
        helper = flow["device_helper_vector"]
        _check_helper(helper)
        assert device_inputs is not None, "device_helper_vector without device_inputs"
        inputs = helper["inputs"]
        # The helper vector computes device SRP through the user-SRP helper: pool "x_<group key>".
        assert srp.pool_name(inputs["pool_id"]) == device_inputs["device_group_key"]
        assert inputs["user_id_for_srp"] == device_inputs["device_key"]
        assert inputs["password"] == device_inputs["random_password"]
        for key in ("a_hex", "salt_hex", "srp_b_hex", "secret_block_b64", "timestamp"):
            assert inputs[key] == device_inputs[key], key

    user: Case | None = None
    user_eph: srp.Ephemeral | None = None
    device_eph: srp.Ephemeral | None = None
    device_password = device_inputs["random_password"] if device_inputs else None
    device_key = device_inputs["device_key"] if device_inputs else None
    device_group_key = device_inputs["device_group_key"] if device_inputs else None
    signatures: dict[str, list[str]] = {"PASSWORD_VERIFIER": [], "DEVICE_PASSWORD_VERIFIER": []}
    checked = 0
    previous_reply: Case = {}
    for request in flow["requests"]:
        op, params = request["op"], request["params"]
        auth = params.get("AuthParameters", {})
        responses = params.get("ChallengeResponses", {})
        challenge = params.get("ChallengeName")
        if "SRP_A" in auth:
            user = helpers_by_a.get(auth["SRP_A"])
            assert user is not None, "no srp_helper_vectors case sends this SRP_A"
            user_eph = _ephemeral(user["inputs"]["a_hex"])
            assert user_eph.srp_a == auth["SRP_A"]
            checked += 1
        if challenge == "DEVICE_SRP_AUTH":
            assert previous_reply.get("ChallengeName") == "DEVICE_SRP_AUTH"
            assert device_inputs is not None, "DEVICE_SRP_AUTH without device_inputs"
            device_eph = _ephemeral(device_inputs["a_hex"])
            assert device_eph.srp_a == responses["SRP_A"]
            assert responses["DEVICE_KEY"] == device_inputs["device_key"]
            checked += 1
        elif challenge in ("PASSWORD_VERIFIER", "DEVICE_PASSWORD_VERIFIER"):
            assert previous_reply.get("ChallengeName") == challenge
            parameters = previous_reply["ChallengeParameters"]
            if challenge == "PASSWORD_VERIFIER":
                assert user is not None
                assert user_eph is not None
                claim_inputs = {
                    "pool_name": srp.pool_name(user["inputs"]["pool_id"]),
                    "user_id_for_srp": parameters["USER_ID_FOR_SRP"],
                    "password": user["inputs"]["password"],
                    "ephemeral": user_eph,
                }
            else:
                assert device_inputs is not None
                assert device_eph is not None
                assert responses["DEVICE_KEY"] == device_inputs["device_key"]
                claim_inputs = {
                    "pool_name": device_inputs["device_group_key"],
                    "user_id_for_srp": device_inputs["device_key"],
                    "password": device_inputs["random_password"],
                    "ephemeral": device_eph,
                }
            signature = srp.password_claim(
                **claim_inputs,
                srp_b=parameters["SRP_B"],
                salt=parameters["SALT"],
                secret_block=parameters["SECRET_BLOCK"],
                timestamp=responses["TIMESTAMP"],
                step=challenge,
            )
            assert signature == responses["PASSWORD_CLAIM_SIGNATURE"]
            # The secret block goes back exactly as it came.
            assert responses["PASSWORD_CLAIM_SECRET_BLOCK"] == parameters["SECRET_BLOCK"]
            signatures[challenge].append(signature)
            checked += 1
        if op == "ConfirmDevice":
            metadata = previous_reply["AuthenticationResult"]["NewDeviceMetadata"]
            assert params["DeviceKey"] == metadata["DeviceKey"]
            matches = [
                case
                for case in doc.get("device_verifier_vectors", [])
                if case["device_key"] == metadata["DeviceKey"]
                and case["device_group_key"] == metadata["DeviceGroupKey"]
            ]
            assert len(matches) == 1, "no single device_verifier_vectors case for this device"
            secret = _device_secret_of(matches[0])
            expected = {"Salt": secret.salt, "PasswordVerifier": secret.verifier}
            assert params["DeviceSecretVerifierConfig"] == expected
            device_password, device_key = secret.password, metadata["DeviceKey"]
            device_group_key = metadata["DeviceGroupKey"]
            checked += 1
        previous_reply = request["reply"]

    for key, wanted in flow.items():
        if not key.startswith("expect_") or not wanted:
            continue
        if key == _EXPECT_DEVICE:
            made, expected_signature = signatures["DEVICE_PASSWORD_VERIFIER"], flow["device_helper_vector"]
        else:
            made, expected_signature = (
                signatures["PASSWORD_VERIFIER"],
                helpers_by_name[key[len(_EXPECT_HELPER) :]],
            )
        assert made, f"{key}: the flow makes no such claim"
        assert all(s == expected_signature["password_claim_signature"] for s in made), key

    # The device values the SDK stored are the ones the SRP math used.
    for key, value in flow.get("storage", {}).items():
        if key.endswith(".randomPasswordKey"):
            assert value == device_password
            checked += 1
        elif key.endswith(".deviceKey"):
            assert value == device_key
        elif key.endswith(".deviceGroupKey"):
            assert value == device_group_key
    assert checked >= 2, "a flow without SRP values to check"


_CHECKS: dict[str, Callable[[Case, Any], None]] = {
    "srp_helper_vectors": lambda doc, case: _check_helper(case),
    "padhex_int_vectors": lambda doc, case: _check_padhex_int(case),
    "padhex_hexstring_vectors": lambda doc, case: _check_padhex_hexstring(case),
    "padhex_N": lambda doc, case: _check_padhex_n(case),
    "timestamp_vectors": lambda doc, case: _check_timestamp(case),
    "device_verifier_vectors": lambda doc, case: _check_device_verifier(case),
    "flow_user_srp": _check_flow,
    "flow_user_srp_new_device": _check_flow,
    "flow_device_srp": _check_flow,
    "flow_custom_auth_with_srp": _check_flow,
}


@pytest.mark.parametrize(("doc", "section", "case"), list(_vector_params()))
def test_vector(doc: Case | None, section: str, case: Any) -> None:
    if doc is None:
        pytest.fail(f"no srp_*.json vector file in {VECTOR_DIR}")
    if section not in _CHECKS:
        pytest.fail(f"unknown vector section {section!r}: teach test_srp_vectors.py to check it")
    if case is None:
        pytest.fail(f"vector section {section!r} is empty")
    _CHECKS[section](doc, case)


# --- what the vectors do not cover ------------------------------------------------------------------


def _typical() -> Case:
    doc = json.loads((VECTOR_DIR / "srp_js.json").read_text(encoding="utf-8"))
    return next(case for case in doc["srp_helper_vectors"] if case["name"] == "typical")


def _claim(eph: srp.Ephemeral, **overrides: str) -> str:
    inputs = _typical()["inputs"]
    arguments: dict[str, Any] = {
        "pool_name": srp.pool_name(inputs["pool_id"]),
        "user_id_for_srp": inputs["user_id_for_srp"],
        "password": inputs["password"],
        "ephemeral": eph,
        "srp_b": inputs["srp_b_hex"],
        "salt": inputs["salt_hex"],
        "secret_block": inputs["secret_block_b64"],
        "timestamp": inputs["timestamp"],
    }
    arguments.update(overrides)
    return srp.password_claim(**arguments)


@pytest.fixture
def eph() -> srp.Ephemeral:
    return _ephemeral(_typical()["inputs"]["a_hex"])


@pytest.fixture
def no_secret_math(monkeypatch: pytest.MonkeyPatch, eph: srp.Ephemeral) -> None:
    """Make any use of the secrets with the server's values fail the test (after ``eph`` is made)."""

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        pytest.fail("secret math ran on an unsafe server value")

    for name in ("powmod", "powmod_secret", "hkdf", "compute_x", "claim_message"):
        monkeypatch.setattr(srp, name, forbidden)


@pytest.mark.parametrize("big_b", [0, srp.N, 2 * srp.N, 5 * srp.N])
@pytest.mark.parametrize("form", ["x", "0768x", "-x"])
@pytest.mark.usefixtures("no_secret_math")
def test_b_zero_modulo_n_is_refused(eph: srp.Ephemeral, big_b: int, form: str) -> None:
    text = "-" + format(big_b, "x") if form == "-x" else format(big_b, form)
    with pytest.raises(ProtocolError) as caught:
        _claim(eph, srp_b=text)
    assert caught.value.field == "SRP_B"
    assert caught.value.step == "PASSWORD_VERIFIER"


def test_u_zero_is_refused(eph: srp.Ephemeral, monkeypatch: pytest.MonkeyPatch, no_secret_math: None) -> None:
    # H(padHex(A) | padHex(B)) == 0 needs a SHA-256 preimage; stand in for one.
    monkeypatch.setattr(srp, "compute_u", lambda big_a, big_b: 0)
    with pytest.raises(ProtocolError, match="u is 0") as caught:
        _claim(eph, step="DEVICE_PASSWORD_VERIFIER")
    assert caught.value.step == "DEVICE_PASSWORD_VERIFIER"


def test_b_equal_to_k_times_verifier_is_refused(eph: srp.Ephemeral, monkeypatch: pytest.MonkeyPatch) -> None:
    # B = k*g^x makes S = 0 whatever a is; only someone holding the verifier can send it.
    inputs = _typical()["inputs"]
    x = srp.compute_x(
        srp.pool_name(inputs["pool_id"]),
        inputs["user_id_for_srp"],
        inputs["password"],
        int(inputs["salt_hex"], 16),
    )
    big_b = srp.K * pow(srp.G, x, srp.N) % srp.N

    def forbidden(*args: Any) -> Any:
        pytest.fail("S was computed")

    real = srp.powmod_secret

    def g_x_only(base: int, exponent: int, modulus: int) -> int:
        if base != srp.G:  # S's base is B - k*g^x
            pytest.fail("S was computed")
        return real(base, exponent, modulus)

    monkeypatch.setattr(srp, "powmod_secret", g_x_only)
    monkeypatch.setattr(srp, "hkdf", forbidden)
    with pytest.raises(ProtocolError) as caught:
        _claim(eph, srp_b=format(big_b, "x"))
    assert caught.value.field == "SRP_B"


MALFORMED_HEX = ["", "-", "--1", "+12", "0x12", " 12", "12 ", "12\n", "1_2", "12g", "\uff11\uff12", "-0x1"]


@pytest.mark.parametrize("value", [*MALFORMED_HEX, None, 12])
@pytest.mark.parametrize("wire_field", ["SRP_B", "SALT"])
@pytest.mark.usefixtures("no_secret_math")
def test_malformed_server_hex_is_a_protocol_error(eph: srp.Ephemeral, wire_field: str, value: Any) -> None:
    with pytest.raises(ProtocolError) as caught:
        _claim(eph, **{wire_field.lower(): value})
    assert caught.value.field == wire_field
    assert caught.value.step == "PASSWORD_VERIFIER"


def test_malformed_secret_block_type_is_a_protocol_error(eph: srp.Ephemeral) -> None:
    with pytest.raises(ProtocolError) as caught:
        _claim(eph, secret_block=None)  # type: ignore[arg-type]
    assert caught.value.field == "SECRET_BLOCK"


def test_user_id_that_is_not_text_is_a_protocol_error(eph: srp.Ephemeral) -> None:
    with pytest.raises(ProtocolError) as caught:
        _claim(eph, user_id_for_srp="al\ud800ice")
    assert caught.value.field == "USER_ID_FOR_SRP"


def test_password_that_is_not_text_does_not_show_in_the_error(eph: srp.Ephemeral) -> None:
    with pytest.raises(ValueError, match="password") as caught:
        _claim(eph, password="hunter2\ud800")
    assert "hunter2" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_moto_secret_block_uuid_is_accepted(eph: srp.Ephemeral) -> None:
    uuid = "8d2e57a1-4b4c-4f5e-9a6b-7c8d9e0f1a2b"
    signature = _claim(eph, secret_block=uuid)
    assert len(base64.b64decode(signature, validate=True)) == 32
    # Node reads "-" as base64url's 62; 36 characters are 27 bytes.
    assert len(srp.secret_block_bytes(uuid)) == 27


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AAAA", b"\0\0\0"),
        ("QUJDREVG", b"ABCDEF"),
        ("QUJD\nREVG", b"ABCDEF"),  # whitespace skipped
        ("QUJD REVG", b"ABCDEF"),
        ("QQ==QUJD", b"A"),  # decoding stops at the first "="
        ("QUJDR", b"ABC"),  # six leftover bits are no byte
        ("QUJDRA", b"ABCD"),  # unpadded
        ("-_-_", base64.b64decode("+/+/")),  # base64url alphabet
        ("QU*JD", b"ABC"),  # other characters skipped
        ("", b""),
        ("=", b""),
        ("a", b""),
        ("\ud800é€QUJD", b"ABC"),
    ],
)
def test_secret_block_decodes_like_node_buffer(text: str, expected: bytes) -> None:
    assert srp.secret_block_bytes(text) == expected


def test_reprs_hide_secrets() -> None:
    eph = srp.ephemeral(os.urandom(srp.EPHEMERAL_BYTES))
    text = repr(eph)
    assert str(eph.a) not in text
    assert format(eph.a, "x") not in text
    assert format(eph.A, "x") in text or str(eph.A) in text
    secret = srp.device_secret("g", "us-east-1_d", password_bytes=os.urandom(40), salt_bytes=os.urandom(16))
    assert secret.password not in repr(secret)
    assert secret.salt in repr(secret)


def test_values_survive_pickling() -> None:
    # Flows may run the math in a process pool.
    eph = srp.ephemeral(os.urandom(srp.EPHEMERAL_BYTES))
    assert pickle.loads(pickle.dumps(eph)) == eph
    secret = srp.device_secret("g", "d", password_bytes=b"p" * 40, salt_bytes=b"s" * 16)
    assert pickle.loads(pickle.dumps(secret)) == secret
    assert pickle.loads(pickle.dumps(srp.password_claim)) is srp.password_claim


@pytest.mark.parametrize("backend", ["pycryptodome", "gmpy2", "python"])
def test_every_exponentiation_backend_matches_the_vectors(
    monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    # pycryptodome and gmpy2 are both installed for the tests (one is a dependency, one the test extra).
    fast, secret = bignum.available_backends()[backend]
    monkeypatch.setattr(srp, "powmod", fast)
    monkeypatch.setattr(srp, "powmod_secret", secret)
    doc = json.loads((VECTOR_DIR / "srp_js.json").read_text(encoding="utf-8"))
    for case in doc["srp_helper_vectors"]:
        _check_helper(case)
    for case in doc["device_verifier_vectors"]:
        _check_device_verifier(case)


@pytest.mark.skipif(not srp.HAVE_GMPY2, reason="gmpy2 is not installed")
def test_n_is_the_rfc_3526_prime() -> None:
    # RFC 3526 section 4: p = 2^3072 - 2^3008 - 1 + 2^64 * ( [2^2942 pi] + 1690314 ).
    gmpy2 = pytest.importorskip("gmpy2")
    with gmpy2.context(gmpy2.get_context(), precision=3200):
        floor_pi = int(gmpy2.floor(gmpy2.const_pi() * gmpy2.mpz(2) ** 2942))
    assert 2**3072 - 2**3008 - 1 + 2**64 * (floor_pi + 1690314) == srp.N
    assert srp.G == 2


def test_ephemeral() -> None:
    eph = srp.ephemeral(os.urandom(srp.EPHEMERAL_BYTES))
    assert pow(srp.G, eph.a, srp.N) == eph.A
    assert eph.a.bit_length() <= 8 * srp.EPHEMERAL_BYTES
    assert eph.srp_a == format(eph.A, "x")
    assert srp.EPHEMERAL_BYTES * 8 >= 275  # RFC 7919's exponent for a 3072-bit group (NIST: 256)
    for bad in (b"", bytes(80), srp.N.to_bytes(384, "big"), (3 * srp.N).to_bytes(385, "big")):
        with pytest.raises(ValueError, match="zero"):
            srp.ephemeral(bad)


def test_ephemeral_reduces_modulo_n_like_the_js_sdk() -> None:
    eph = srp.ephemeral((srp.N + 42).to_bytes(384, "big"))
    assert eph.a == 42
    assert eph.srp_a == "40000000000"


def test_device_secret_sizes_and_errors() -> None:
    secret = srp.device_secret(
        "g",
        "d",
        password_bytes=os.urandom(srp.DEVICE_PASSWORD_BYTES),
        salt_bytes=os.urandom(srp.DEVICE_SALT_BYTES),
    )
    assert len(base64.b64decode(secret.password)) == 40
    with pytest.raises(ValueError, match="random bytes"):
        srp.device_secret("g", "d", password_bytes=b"", salt_bytes=b"s")
    with pytest.raises(ValueError, match="random bytes"):
        srp.device_secret("g", "d", password_bytes=b"p", salt_bytes=b"")


def test_device_secret_signs_in_with_device_srp() -> None:
    # A server holding the verifier agrees on S with a client holding the password (SRP-6a, RFC 5054).
    group, device = "-grp", "us-east-1_dev"
    secret = srp.device_secret(group, device, password_bytes=os.urandom(40), salt_bytes=os.urandom(16))
    salt = int.from_bytes(base64.b64decode(secret.salt), "big")
    v = int.from_bytes(base64.b64decode(secret.verifier), "big")
    b = int.from_bytes(os.urandom(64), "big")
    big_b = (srp.K * v + pow(srp.G, b, srp.N)) % srp.N
    eph = srp.ephemeral(os.urandom(srp.EPHEMERAL_BYTES))
    u = srp.compute_u(eph.A, big_b)
    server_s = pow(eph.A * pow(v, u, srp.N), b, srp.N)
    x = srp.compute_x(group, device, secret.password, salt)
    assert srp.compute_s(a=eph.a, big_b=big_b, x=x, u=u) == server_s
    block = base64.b64encode(os.urandom(48)).decode()
    stamp = srp.timestamp(1_700_000_000)
    key = srp.hkdf(u, server_s)
    expected = base64.b64encode(hmac.digest(key, srp.claim_message(group, device, block, stamp), "sha256"))
    claim = srp.password_claim(
        pool_name=group,
        user_id_for_srp=device,
        password=secret.password,
        ephemeral=eph,
        srp_b=format(big_b, "x"),
        salt=format(salt, "x"),
        secret_block=block,
        timestamp=stamp,
        step="DEVICE_PASSWORD_VERIFIER",
    )
    assert claim == expected.decode()


@pytest.mark.parametrize(
    ("epoch", "expected"),
    [
        (0, "Thu Jan 1 00:00:00 UTC 1970"),
        (0.999, "Thu Jan 1 00:00:00 UTC 1970"),
        (-0.5, "Wed Dec 31 23:59:59 UTC 1969"),
        (1704164645.9, "Tue Jan 2 03:04:05 UTC 2024"),
        (253402300799, "Fri Dec 31 23:59:59 UTC 9999"),
    ],
)
def test_timestamp(epoch: float, expected: str) -> None:
    assert srp.timestamp(epoch) == expected


def test_pool_name() -> None:
    assert srp.pool_name("us-east-1_AbCdEfGhI") == "AbCdEfGhI"
    assert srp.pool_name("x_-abcDEF123") == "-abcDEF123"
    with pytest.raises(ValueError, match="pool id"):
        srp.pool_name("AbCdEfGhI")


@pytest.mark.parametrize("value", MALFORMED_HEX)
def test_pad_hex_refuses_malformed_strings(value: str) -> None:
    with pytest.raises(ValueError, match="hexadecimal"):
        srp.pad_hex(value)


def test_pad_hex_negative_round_trips_as_twos_complement() -> None:
    for number in [-1, -127, -128, -129, -255, -256, -32768, -32769, -(2**64), -(2**64) + 1]:
        padded = srp.pad_hex(number)
        assert int.from_bytes(bytes.fromhex(padded), "big", signed=True) == number
        assert srp.pad_hex("-" + format(-number, "x")) == padded


def test_secret_hash() -> None:
    # Key is the client secret; the message is the user name then the client id.
    expected = base64.b64encode(
        hmac.new(b"client-secret", b"alice1example23456789", hashlib.sha256).digest()
    ).decode()
    assert srp.secret_hash("alice", "1example23456789", "client-secret") == expected
    assert srp.secret_hash("alice", "1example23456789", "other") != expected
