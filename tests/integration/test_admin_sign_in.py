"""Admin sign-in with every flow: ``pool.sign_in(..., admin=True)`` sends the signed AdminInitiateAuth /
AdminRespondToAuthChallenge with USER_SRP_AUTH, CUSTOM_AUTH (with and without SRP), USER_AUTH and
ADMIN_USER_PASSWORD_AUTH, the same steps, device SRP, SECRET_HASH and ContextData. The local pool checks
the admin SRP proofs (a wrong password is refused) and the SigV4 ``Authorization`` header's presence;
ministack checks SRP proofs too.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
import servers

import aiocognito
from aiocognito import UserContext, UserPool
from aiocognito.testing import LocalUserPool, Triggers

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"


class Wire:
    """Every request body and target sent through a lent aiohttp session."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], bool]] = []
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_chunk_sent.append(self._chunk)
        self._targets: list[tuple[str, bool]] = []
        self.trace.on_request_start.append(self._start)

    async def _start(self, _: aiohttp.ClientSession, __: SimpleNamespace, params: Any) -> None:
        target = params.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
        self._targets.append((target, "Authorization" in params.headers))

    async def _chunk(self, _: aiohttp.ClientSession, __: SimpleNamespace, params: Any) -> None:
        target, signed = self._targets[-1]
        self.sent.append((target, json.loads(params.chunk), signed))

    def operations(self) -> list[str]:
        return [target for target, _, _ in self.sent]


@pytest.fixture
async def local() -> AsyncIterator[LocalUserPool]:
    async with LocalUserPool() as server:
        yield server


def _custom_triggers() -> Triggers:
    def define(event: dict[str, Any]) -> dict[str, Any]:
        session = event["request"]["session"]
        response = event["response"]
        if session and not session[-1]["challengeResult"]:
            response["failAuthentication"] = True
        elif session and session[-1]["challengeName"] == "CUSTOM_CHALLENGE":
            response["issueTokens"] = True
        elif session and session[-1]["challengeName"] == "SRP_A":
            response["challengeName"] = "PASSWORD_VERIFIER"
        else:
            response["challengeName"] = "CUSTOM_CHALLENGE"
        return event

    def create(event: dict[str, Any]) -> dict[str, Any]:
        event["response"]["publicChallengeParameters"] = {"question": "colour?"}
        event["response"]["privateChallengeParameters"] = {"answer": "blue"}
        return event

    def verify(event: dict[str, Any]) -> dict[str, Any]:
        request = event["request"]
        event["response"]["answerCorrect"] = request["challengeAnswer"] == "blue"
        return event

    return Triggers(define, create, verify)


async def _setup(local: LocalUserPool, **pool: Any) -> tuple[str, str, str | None]:
    pool_id = await local.create_pool(**pool)
    client = await local.create_client(pool_id, generate_secret=True)
    await local.create_user(pool_id, "admin-user", PASSWORD, attributes={"email": "admin@example.com"})
    return pool_id, client.client_id, client.client_secret


@contextlib.asynccontextmanager
async def _pool(
    local: LocalUserPool, wire: Wire, ids: tuple[str, str, str | None]
) -> AsyncIterator[UserPool]:
    async with (
        aiohttp.ClientSession(trace_configs=[wire.trace]) as http,
        UserPool(ids[0], ids[1], client_secret=ids[2], endpoint_url=local.endpoint_url, session=http) as pool,
    ):
        yield pool


CONTEXT = UserContext(
    ip_address="203.0.113.7", server_name="app.example.com", server_path="/login", http_headers={"a": "b"}
)


@pytest.mark.parametrize(
    ("flow", "preferred"),
    [
        ("USER_SRP_AUTH", None),
        ("ADMIN_USER_PASSWORD_AUTH", None),
        ("USER_PASSWORD_AUTH", None),
        ("USER_AUTH", "PASSWORD_SRP"),
        ("USER_AUTH", "PASSWORD"),
    ],
)
async def test_admin_sign_in_with_mfa_and_device_srp(
    local: LocalUserPool, flow: str, preferred: str | None
) -> None:
    ids = await _setup(
        local,
        mfa="ON",
        email_mfa=True,
        first_factors=["PASSWORD", "EMAIL_OTP"],
        device_configuration={
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": False,
        },
    )
    wire = Wire()
    async with _pool(local, wire, ids) as pool:
        step = await pool.sign_in(
            "admin-user", PASSWORD, flow=flow, preferred_challenge=preferred, admin=True, user_context=CONTEXT
        )
        assert step.name == "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"
        done = await step.respond(local.outbox.last_code("admin-user", "MFA"))
        assert done.name == "DONE" and done.user is not None and done.device_remembered
        again = await pool.sign_in(
            "admin-user", PASSWORD, flow=flow, preferred_challenge=preferred, admin=True
        )
        assert again.name == "DONE"  # device SRP through AdminRespondToAuthChallenge: no MFA
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.sign_in(
                "admin-user", "Wrong-Passw0rd!", flow=flow, preferred_challenge=preferred, admin=True
            )
    auth_calls = [(op, body, signed) for op, body, signed in wire.sent if "Auth" in op]
    assert auth_calls and all(op.startswith("Admin") and signed for op, _, signed in auth_calls)
    ops = wire.operations()
    assert "AdminInitiateAuth" in ops and "AdminRespondToAuthChallenge" in ops
    answers = [body for op, body, _ in auth_calls if op == "AdminRespondToAuthChallenge"]
    assert {a["ChallengeName"] for a in answers} >= {
        "EMAIL_OTP",
        "DEVICE_SRP_AUTH",
        "DEVICE_PASSWORD_VERIFIER",
    }
    assert all(a["ChallengeResponses"]["SECRET_HASH"] and a["UserPoolId"] == ids[0] for a in answers)
    first = auth_calls[0][1]
    wire_flow = "ADMIN_USER_PASSWORD_AUTH" if flow == "USER_PASSWORD_AUTH" else flow
    assert first["AuthFlow"] == wire_flow
    assert first["ContextData"]["IpAddress"] == "203.0.113.7"
    assert first["ContextData"]["HttpHeaders"] == [{"headerName": "a", "headerValue": "b"}]


@pytest.mark.parametrize("with_srp", [True, False], ids=["srp", "no-srp"])
async def test_admin_custom_auth(local: LocalUserPool, with_srp: bool) -> None:
    ids = await _setup(local, triggers=_custom_triggers())
    wire = Wire()
    async with _pool(local, wire, ids) as pool:
        step = await pool.sign_in(
            "admin-user", PASSWORD if with_srp else None, flow="CUSTOM_AUTH", admin=True
        )
        assert step.name == "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE"
        assert step.custom_parameters["question"] == "colour?"
        done = await step.respond("blue")
        assert done.name == "DONE" and done.user is not None
    auth_ops = [op for op in wire.operations() if "Auth" in op]
    assert auth_ops[0] == "AdminInitiateAuth" and set(auth_ops) <= {
        "AdminInitiateAuth",
        "AdminRespondToAuthChallenge",
    }


async def test_admin_step_resumed_answers_with_the_admin_call(local: LocalUserPool) -> None:
    ids = await _setup(local, mfa="ON", email_mfa=True)
    wire = Wire()
    async with _pool(local, wire, ids) as pool:
        step = await pool.sign_in("admin-user", PASSWORD, admin=True)
        resumed = pool.resume(step.to_json())
        done = await resumed.respond(local.outbox.last_code("admin-user", "MFA"))
        assert done.name == "DONE"
    assert "AdminRespondToAuthChallenge" in wire.operations()
    assert "RespondToAuthChallenge" not in wire.operations()


@pytest.mark.parametrize("secret", [False, True], ids=["no-secret", "secret"])
async def test_admin_srp_at_ministack(ministack_endpoint: str, secret: bool) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint, generate_secret=secret)
    user = servers.create_confirmed_user(pc)
    async with UserPool(
        pc.pool_id, pc.client_id, client_secret=pc.client_secret, endpoint_url=pc.endpoint_url
    ) as pool:
        step = await pool.sign_in(user.username, user.password, admin=True)
        assert step.name == "DONE" and step.user is not None
        assert step.user.current_tokens.username == user.username
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.sign_in(user.username, "Wrong-Passw0rd!", admin=True)
