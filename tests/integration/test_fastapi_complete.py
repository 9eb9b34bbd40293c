"""aiocognito.fastapi, complete: M2M tokens, optional auth, WebSocket routes, ASGITransport, TestClient."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, WebSocket
from starlette.websockets import WebSocketDisconnect

import aiocognito
from aiocognito.fastapi import Claims, CurrentUser, OptionalClaims, lifespan, require_scopes, run_lifespan
from aiocognito.testing import LocalUserPool, ServerThread

with warnings.catch_warnings():
    # Starlette asks for httpx2 now; its TestClient still runs on httpx, which the test extra pins.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
PASSWORD = "Passw0rd!"
# At module level: the route's annotations are strings, resolved in the module's globals.
READ_SCOPE = require_scopes("api/read")


@dataclass
class Setup:
    handle: ServerThread
    pool_id: str
    m2m_id: str
    web_id: str
    machine: str  # a client_credentials access token with scope api/read
    alice: str  # alice's access token


async def _alice_token(endpoint: str, pool_id: str, client_id: str) -> str:
    async with aiocognito.UserPool(pool_id, client_id, endpoint_url=endpoint) as pool:
        step = await pool.sign_in("alice", PASSWORD)
        return step.signed_in_user.current_tokens.access_token


async def _machine_token(domain: str, client_id: str, secret: str) -> str:
    async with aiocognito.OAuthClient(domain, client_id, client_secret=secret) as client:
        return (await client.client_credentials(["api/read"])).access_token


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    handle = LocalUserPool.start_in_thread(shared_signing_key=True)
    server = handle.server
    try:
        pool_id = handle.run(server.create_pool())
        scopes = [{"ScopeName": "read", "ScopeDescription": "read"}]
        handle.run(
            server.call(
                "CreateResourceServer",
                {"UserPoolId": pool_id, "Identifier": "api", "Name": "API", "Scopes": scopes},
            )
        )
        m2m = handle.run(
            server.create_client(
                pool_id,
                generate_secret=True,
                name="m2m",
                AllowedOAuthFlowsUserPoolClient=True,
                AllowedOAuthFlows=["client_credentials"],
                AllowedOAuthScopes=["api/read"],
            )
        )
        web = handle.run(server.create_client(pool_id, name="web"))
        handle.run(server.create_user(pool_id, "alice", PASSWORD))
        assert m2m.client_secret
        machine = handle.run(
            _machine_token(server.oauth.domain_url(pool_id), m2m.client_id, m2m.client_secret)
        )
        alice = handle.run(_alice_token(server.endpoint_url, pool_id, web.client_id))
        yield Setup(handle, pool_id, m2m.client_id, web.client_id, machine, alice)
    finally:
        handle.stop()


def _app(setup: Setup) -> FastAPI:
    endpoint = setup.handle.server.endpoint_url
    app = FastAPI(lifespan=lifespan(setup.pool_id, [setup.m2m_id, setup.web_id], endpoint_url=endpoint))

    @app.get("/read")
    async def read(claims: Annotated[aiocognito.TokenClaims, Depends(READ_SCOPE)]) -> dict[str, object]:
        return {"machine": claims.is_machine, "username": claims.username, "sub": claims.sub}

    @app.get("/me")
    async def me(user: CurrentUser) -> dict[str, str]:
        return {"username": user.username}

    @app.get("/maybe")
    async def maybe(claims: OptionalClaims) -> dict[str, str | None]:
        return {"username": None if claims is None else claims.username}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, claims: Claims) -> None:
        await websocket.accept()
        await websocket.send_json({"username": claims.username, "machine": claims.is_machine})
        await websocket.close()

    return app


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_m2m_token_passes_require_scopes_under_asgi_transport(setup: Setup) -> None:
    app = _app(setup)
    async with run_lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            read = await client.get("/read", headers=_bearer(setup.machine))
            assert read.status_code == 200, read.text
            assert read.json() == {"machine": True, "username": setup.m2m_id, "sub": setup.m2m_id}
            # A user's token lacks the scope: 403, not 401.
            assert (await client.get("/read", headers=_bearer(setup.alice))).status_code == 403
            # A machine token has no user.
            me = await client.get("/me", headers=_bearer(setup.machine))
            assert me.status_code == 403, me.text
            assert "insufficient_scope" in me.headers["WWW-Authenticate"]
            assert (await client.get("/me", headers=_bearer(setup.alice))).json() == {"username": "alice"}
            # Optional auth: None without a header, the claims with one, 401 for a bad token.
            assert (await client.get("/maybe")).json() == {"username": None}
            assert (await client.get("/maybe", headers=_bearer(setup.alice))).json() == {"username": "alice"}
            bad = await client.get("/maybe", headers=_bearer(setup.alice[:-4] + "AAAA"))
            assert bad.status_code == 401
            assert 'error="invalid_token"' in bad.headers["WWW-Authenticate"]
    # Without the lifespan the error says what to do.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        with pytest.raises(RuntimeError, match="run_lifespan"):
            await client.get("/maybe", headers=_bearer(setup.alice))


def test_websocket_routes_and_test_client(setup: Setup) -> None:
    with TestClient(_app(setup)) as client:
        assert client.get("/read", headers=_bearer(setup.machine)).status_code == 200
        with client.websocket_connect("/ws", headers=_bearer(setup.alice)) as ws:
            assert ws.receive_json() == {"username": "alice", "machine": False}
        for headers in ({}, _bearer("not-a-token")):
            with (
                pytest.raises(WebSocketDisconnect) as refused,
                client.websocket_connect("/ws", headers=headers),
            ):
                pass
            assert refused.value.code == 1008
