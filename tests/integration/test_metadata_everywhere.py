"""ClientMetadata, UserContextData and AnalyticsMetadata wherever Cognito takes them: the list comes from
botocore's model, and every call is sent to the local pool, which accepts it, with its bodies read off
the wire.
"""

from __future__ import annotations

import inspect
import json
import pathlib
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import botocore.session
import pytest

import aiocognito
from aiocognito import UserContext, UserPool
from aiocognito.analytics import ANALYTICS_OPERATIONS
from aiocognito.testing import LocalUserPool

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
_MODEL = botocore.session.get_session().get_service_model("cognito-idp")
_ROOT = pathlib.Path(aiocognito.__file__).parent
# The method a user calls for each operation aiocognito sends with a caller's metadata.
_METHODS: dict[str, Any] = {
    "InitiateAuth": UserPool.sign_in,
    "AdminInitiateAuth": UserPool.sign_in,
    "RespondToAuthChallenge": UserPool.sign_in,
    "AdminRespondToAuthChallenge": UserPool.sign_in,
    "SignUp": UserPool.sign_up,
    "ConfirmSignUp": UserPool.confirm_sign_up,
    "ResendConfirmationCode": UserPool.resend_confirmation_code,
    "ForgotPassword": UserPool.forgot_password,
    "ConfirmForgotPassword": UserPool.confirm_forgot_password,
    "UpdateUserAttributes": aiocognito.User.update_attributes,
    "GetUserAttributeVerificationCode": aiocognito.User.send_attribute_verification_code,
}
# Refreshes happen on their own, shared by every caller of a user: no one call's metadata belongs there.
_IMPLICIT = {"GetTokensFromRefreshToken"}


def _takes(operation: str, member: str) -> bool:
    return member in _MODEL.operation_model(operation).input_shape.members


def _sent_by_aiocognito() -> set[str]:
    sources = "".join(
        path.read_text()
        for path in _ROOT.rglob("*.py")
        if "testing" not in path.parts and "_tables" not in path.parts
    )
    called = {op for op in _MODEL.operation_names if f'"{op}"' in sources}
    # The sign-in flows build the Admin* names from the public ones.
    return called | {f"Admin{op}" for op in ("InitiateAuth", "RespondToAuthChallenge")}


def test_every_operation_with_metadata_has_a_method_taking_it() -> None:
    with_metadata = {
        op
        for op in _sent_by_aiocognito()
        if _takes(op, "ClientMetadata") or _takes(op, "UserContextData") or _takes(op, "ContextData")
    }
    assert with_metadata - _IMPLICIT == set(_METHODS)
    for operation, method in _METHODS.items():
        parameters = inspect.signature(method).parameters
        if _takes(operation, "ClientMetadata"):
            assert "client_metadata" in parameters, (operation, method.__qualname__)
        if _takes(operation, "UserContextData") or _takes(operation, "ContextData"):
            assert "user_context" in parameters, (operation, method.__qualname__)


def test_analytics_operations_are_the_models() -> None:
    expected = {op for op in _MODEL.operation_names if _takes(op, "AnalyticsMetadata")}
    assert expected & _sent_by_aiocognito() == ANALYTICS_OPERATIONS


class Wire:
    def __init__(self) -> None:
        self.bodies: dict[str, list[dict[str, Any]]] = {}
        self.trace = aiohttp.TraceConfig()
        self._target = ""
        self.trace.on_request_start.append(self._start)
        self.trace.on_request_chunk_sent.append(self._chunk)

    async def _start(self, _: aiohttp.ClientSession, __: SimpleNamespace, params: Any) -> None:
        self._target = params.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]

    async def _chunk(self, _: aiohttp.ClientSession, __: SimpleNamespace, params: Any) -> None:
        self.bodies.setdefault(self._target, []).append(json.loads(params.chunk))


@pytest.fixture
async def local() -> AsyncIterator[LocalUserPool]:
    async with LocalUserPool() as server:
        yield server


META = {"app": "web"}
CONTEXT = UserContext(ip_address="198.51.100.9", encoded_data="opaque")


async def test_metadata_reaches_the_server_from_every_method(local: LocalUserPool) -> None:
    pool_id = await local.create_pool()
    client = await local.create_client(pool_id, generate_secret=True)
    wire = Wire()
    async with (
        aiohttp.ClientSession(trace_configs=[wire.trace]) as http,
        UserPool(
            pool_id,
            client.client_id,
            client_secret=client.client_secret,
            endpoint_url=local.endpoint_url,
            session=http,
            analytics_endpoint_id="pinpoint-endpoint-1",
        ) as pool,
    ):
        kw: dict[str, Any] = {"client_metadata": META, "user_context": CONTEXT}
        await pool.sign_up("meta", PASSWORD, attributes={"email": "meta@example.com"}, **kw)
        await pool.resend_confirmation_code("meta", **kw)
        await pool.confirm_sign_up("meta", local.outbox.last_code("meta", "SIGN_UP"), **kw)
        await pool.forgot_password("meta", **kw)
        code = local.outbox.last_code("meta")
        await pool.confirm_forgot_password("meta", code, "Passw0rd!2", **kw)
        step = await pool.sign_in("meta", "Passw0rd!2", **kw)
        assert step.user is not None
        await step.user.update_attributes({"email": "meta2@example.com"}, client_metadata=META)
        await step.user.send_attribute_verification_code("email", client_metadata=META)
    for operation in _METHODS:
        for body in wire.bodies.get(operation, []):
            if _takes(operation, "ClientMetadata"):
                assert body["ClientMetadata"] == META, operation
            if _takes(operation, "UserContextData"):
                assert body["UserContextData"] == {"IpAddress": "198.51.100.9", "EncodedData": "opaque"}
            if _takes(operation, "AnalyticsMetadata"):
                assert body["AnalyticsMetadata"] == {"AnalyticsEndpointId": "pinpoint-endpoint-1"}, operation
    sent = {op for op in _METHODS if wire.bodies.get(op)}
    assert sent >= set(_METHODS) - {
        "AdminInitiateAuth",
        "AdminRespondToAuthChallenge",
        "RespondToAuthChallenge",
    }
    assert "AnalyticsMetadata" not in wire.bodies["GetUserAttributeVerificationCode"][0]
