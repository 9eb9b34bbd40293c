"""examples/fastapi_app.py end to end: uvicorn on 127.0.0.1, tokens from the local user pool, over HTTP."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import aiohttp
import pytest
import uvicorn

import aiocognito
from aiocognito.testing import LocalUserPool

pytestmark = pytest.mark.integration

_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_app.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_app_example", _EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Setup:
    url: str
    access: str
    id_token: str
    admin_access: str
    foreign_access: str
    http: aiohttp.ClientSession


async def _sign_in(server: LocalUserPool, pool_id: str, client_id: str, username: str) -> aiocognito.TokenSet:
    async with aiocognito.UserPool(pool_id, client_id, endpoint_url=server.endpoint_url) as pool:
        step = await pool.sign_in(username, "Passw0rd!")
        assert step.user is not None
        return step.user.current_tokens


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    async with LocalUserPool(shared_signing_key=True) as server:
        pool_id = await server.create_pool()
        client = await server.create_client(pool_id)
        other_pool = await server.create_pool("other")
        other_client = await server.create_client(other_pool)
        await server.create_user(pool_id, "alice", "Passw0rd!", attributes={"email": "alice@example.com"})
        await server.create_user(pool_id, "root", "Passw0rd!")
        await server.create_user(other_pool, "eve", "Passw0rd!")
        await server.call("CreateGroup", {"UserPoolId": pool_id, "GroupName": "admin"})
        await server.call(
            "AdminAddUserToGroup", {"UserPoolId": pool_id, "Username": "root", "GroupName": "admin"}
        )
        alice = await _sign_in(server, pool_id, client.client_id, "alice")
        root = await _sign_in(server, pool_id, client.client_id, "root")
        eve = await _sign_in(server, other_pool, other_client.client_id, "eve")

        app = _example().create_app(pool_id, [client.client_id], endpoint_url=server.endpoint_url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        uvicorn_server = uvicorn.Server(config)
        thread = threading.Thread(target=uvicorn_server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            for _ in range(200):
                if uvicorn_server.started:
                    break
                await asyncio.sleep(0.02)
            assert uvicorn_server.started
            async with aiohttp.ClientSession() as http:
                yield Setup(
                    f"http://127.0.0.1:{port}",
                    alice.access_token,
                    alice.id_token,
                    root.access_token,
                    eve.access_token,
                    http,
                )
        finally:
            uvicorn_server.should_exit = True
            await asyncio.to_thread(thread.join, 10)
            sock.close()


async def _get(setup: Setup, path: str, token: str | None = None) -> tuple[int, dict[str, str], object]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with setup.http.get(setup.url + path, headers=headers) as response:
        return response.status, dict(response.headers), await response.json()


async def test_bearer_tokens_over_http(setup: Setup) -> None:
    assert (await _get(setup, "/health"))[0] == 200

    status, _, body = await _get(setup, "/me", setup.access)
    assert status == 200 and body == {"username": "alice", "sub": body["sub"], "groups": []}  # type: ignore[index]

    status, headers, _ = await _get(setup, "/me")
    assert status == 401 and headers["WWW-Authenticate"] == "Bearer"

    status, headers, body = await _get(setup, "/me", setup.id_token)  # an ID token where access is due
    assert status == 401 and headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    status, _, body = await _get(setup, "/whoami-id", setup.id_token)
    assert status == 200 and body == {"username": "alice", "email": "alice@example.com"}

    status, headers, _ = await _get(setup, "/me", setup.foreign_access)  # another pool's token
    assert status == 401 and "invalid_token" in headers["WWW-Authenticate"]

    status, headers, _ = await _get(setup, "/admin", setup.access)
    assert status == 403 and 'error="insufficient_scope"' in headers["WWW-Authenticate"]
    status, _, body = await _get(setup, "/admin", setup.admin_access)
    assert status == 200 and body == {"admin": "root"}

    status, headers, _ = await _get(setup, "/reports", setup.access)
    assert status == 403 and 'scope="reports/read"' in headers["WWW-Authenticate"]


async def test_the_user_acts_with_the_bearer_token(setup: Setup) -> None:
    status, _, body = await _get(setup, "/profile", setup.access)
    assert status == 200 and body["email"] == "alice@example.com"  # type: ignore[index]
    headers = {"Authorization": f"Bearer {setup.access}"}
    async with setup.http.put(setup.url + "/profile", json={"name": "Alice A."}, headers=headers) as response:
        assert response.status == 200
        assert (await response.json())["name"] == "Alice A."


@pytest.mark.parametrize(
    "bad",
    [
        "a.b",
        "a.b.c.d",
        "!!!.@@@.###",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
        "x" * 20_000,
        "é.é.é",
    ],
)
async def test_malformed_tokens_are_401_never_500(setup: Setup, bad: str) -> None:
    headers = {"Authorization": f"Bearer {bad}"}
    async with setup.http.get(setup.url + "/me", headers=headers) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_hostile_tokens_are_401(setup: Setup) -> None:
    head, payload, signature = setup.access.split(".")
    forged_kid = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImZvcmdlZCJ9"  # {"alg":"RS256","kid":"forged"}
    hs256 = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsifQ"  # {"alg":"HS256","kid":"k"}
    for token in [
        f"{head}.{payload}.{signature[:-8]}AAAAAAAA",
        f"{forged_kid}.{payload}.{signature}",
        f"{hs256}.{payload}.{signature[:43]}",
        f"{head}.{payload}",
    ]:
        status, headers, _ = await _get(setup, "/me", token)
        assert status == 401 and "invalid_token" in headers["WWW-Authenticate"], token[:40]
