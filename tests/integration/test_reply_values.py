"""Hostile values from a real server path: the local user pool behind a proxy that rewrites its replies.

Everything travels over HTTP on 127.0.0.1 through the real transport, driver and token store. The proxy
rewrites values the transport cannot see (a JWT payload is base64 inside a string) or that are valid JSON
but not valid values (an exp of 10**400, a device date of 10**400): the sign-in or call fails with a
ProtocolError naming the step and field, and nothing is stored.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from aiocognito import ProtocolError, UserPool
from aiocognito.testing import AppClient, LocalUserPool
from aiocognito.token_store import FileTokenStore

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
Mutator = Callable[[dict[str, Any]], None]


@dataclass
class RewritingProxy:
    """Forwards every request to the local pool as it is; rewrites the JSON replies of chosen operations."""

    upstream: str
    mutators: dict[str, Mutator] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        target = request.headers.get("X-Amz-Target", "")
        operation = target.rpartition(".")[2]
        self.seen.append(operation)
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "x-amz-target")}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.upstream, data=await request.read(), headers=headers) as upstream,
        ):
            body = await upstream.read()
            status = upstream.status
            content_type = upstream.headers.get("Content-Type", "application/x-amz-json-1.1")
        mutate = self.mutators.get(operation)
        if mutate is not None and status == 200:
            reply = json.loads(body)
            mutate(reply)
            body = json.dumps(reply).encode()
        return web.Response(body=body, status=status, headers={"Content-Type": content_type})


def rewrite_claims(token: str, **claims: Any) -> str:
    """The token with its payload claims changed; the signature is kept (the client does not check it)."""
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(claims)
    raw = json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return f"{header}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{signature}"


def rewrite_access_token(**claims: Any) -> Mutator:
    def mutate(reply: dict[str, Any]) -> None:
        result = reply.get("AuthenticationResult")
        if result is not None:
            result["AccessToken"] = rewrite_claims(result["AccessToken"], **claims)

    return mutate


@dataclass
class Setup:
    server: LocalUserPool
    proxy: RewritingProxy
    url: str
    pool_id: str
    client: AppClient

    def pool(self, **kwargs: Any) -> UserPool:
        return UserPool(
            self.pool_id,
            self.client.client_id,
            client_secret=self.client.client_secret,
            endpoint_url=self.url,
            **kwargs,
        )


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    async with LocalUserPool(shared_signing_key=True) as server:
        pool_id = await server.create_pool(
            device_configuration={
                "ChallengeRequiredOnNewDevice": False,
                "DeviceOnlyRememberedOnUserPrompt": False,
            }
        )
        client = await server.create_client(pool_id, generate_secret=True)
        await server.create_user(pool_id, "alice", PASSWORD, attributes={"email": "alice@example.com"})
        proxy = RewritingProxy(server.endpoint_url + "/")
        app = web.Application()
        app.router.add_post("/", proxy.handle)
        front = TestServer(app, host="127.0.0.1")
        await front.start_server()
        try:
            yield Setup(server, proxy, str(front.make_url("/")), pool_id, client)
        finally:
            await front.close()


@pytest.mark.parametrize(
    ("claims", "claim"),
    [
        ({"exp": 10**400}, "exp"),  # before: signed in, then every user.tokens() raised OverflowError
        ({"iat": 1.5e9}, "iat"),
        ({"auth_time": -(10**400)}, "auth_time"),
        ({"username": "u" * 5000}, "username"),
    ],
)
async def test_a_token_value_that_would_break_later_calls_fails_the_sign_in(
    setup: Setup, tmp_path: Path, claims: dict[str, Any], claim: str
) -> None:
    path = tmp_path / "tokens.json"
    setup.proxy.mutators["RespondToAuthChallenge"] = rewrite_access_token(**claims)
    async with setup.pool(token_store=FileTokenStore(path)) as pool:
        with pytest.raises(ProtocolError) as error:
            await pool.sign_in("alice", PASSWORD)
        assert (error.value.step, error.value.field) == ("AccessToken", claim)
        # The device was never confirmed with tokens the pool refused, and nothing was stored.
        assert "ConfirmDevice" not in setup.proxy.seen
        assert not path.exists()
        assert await pool.current_user() is None
        # The same pool signs in once the server behaves.
        setup.proxy.mutators.clear()
        step = await pool.sign_in("alice", PASSWORD)
        assert step.user is not None
        assert (await step.user.tokens()).username == "alice"


async def test_a_lone_surrogate_in_a_jwt_payload_is_refused_before_it_is_stored(
    setup: Setup, tmp_path: Path
) -> None:
    # Base64 inside a string: the transport's check cannot see it. Before, FileTokenStore's write raised
    # UnicodeEncodeError on the username, and REFRESH_TOKEN_AUTH's SECRET_HASH on it too.
    path = tmp_path / "tokens.json"
    setup.proxy.mutators["RespondToAuthChallenge"] = rewrite_access_token(username="al\ud800ice")
    async with setup.pool(token_store=FileTokenStore(path)) as pool:
        with pytest.raises(ProtocolError, match=r"surrogate|UTF-8") as error:
            await pool.sign_in("alice", PASSWORD)
        assert error.value.step == "AccessToken"
        assert not path.exists()


async def test_a_device_date_of_ten_to_the_400_is_a_protocol_error(setup: Setup) -> None:
    async with setup.pool() as pool:
        step = await pool.sign_in("alice", PASSWORD)
        assert step.user is not None and step.device_remembered
        devices = [device async for device in step.user.list_devices()]
        assert len(devices) == 1 and isinstance(devices[0].created_at, float)

        def huge_date(reply: dict[str, Any]) -> None:
            reply["Devices"][0]["DeviceLastAuthenticatedDate"] = 10**400

        # Before: float(10**400) raised OverflowError in Device.from_wire.
        setup.proxy.mutators["ListDevices"] = huge_date
        with pytest.raises(ProtocolError) as error:
            [device async for device in step.user.list_devices()]
        assert (error.value.step, error.value.field) == ("ListDevices", "DeviceLastAuthenticatedDate")


async def test_the_local_pool_refuses_a_lone_surrogate_in_a_request(setup: Setup) -> None:
    # Before: the server hashed the username into SECRET_HASH, raised UnicodeEncodeError, answered HTTP 500.
    params = {"USERNAME": "al\ud800ice", "PASSWORD": "x", "SECRET_HASH": "x"}
    request = {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": setup.client.client_id, "AuthParameters": params}
    body = json.dumps(request)  # ensure_ascii: the surrogate travels as the escape \ud800
    assert "\\ud800" in body
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(setup.server.endpoint_url + "/", data=body.encode(), headers=headers) as reply,
    ):
        assert reply.status == 400
        assert (await reply.json(content_type=None))["__type"] == "SerializationException"
