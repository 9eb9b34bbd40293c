"""examples/fastapi_fleet.py, run as written: a FastAPI app whose pool shares its quotas through Redis.

The app runs under uvicorn in a thread (its own event loop) on 127.0.0.1, against the local user pool served
from this test's loop and a real redis-server, and is called over HTTP.
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import threading
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import uvicorn
from servers import RedisServer

from aiocognito.testing import LocalUserPool

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_fleet.py"
PASSWORD = "Passw0rd!-fleet"


def _example() -> Any:
    spec = importlib.util.spec_from_file_location("fastapi_fleet", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_fleet_example_signs_in_through_its_shared_limits(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with LocalUserPool() as local:
        pool_id = await local.create_pool()
        client = await local.create_client(pool_id)
        await local.create_user(pool_id, "alice", PASSWORD, attributes={"email": "alice@example.com"})
        monkeypatch.setenv("REDIS_URL", redis_server.url)
        monkeypatch.setenv("COGNITO_POOL_ID", pool_id)
        monkeypatch.setenv("COGNITO_CLIENT_ID", client.client_id)
        monkeypatch.setenv("AIOCOGNITO_ENDPOINT_URL", local.endpoint_url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(_example().create_app(), log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            for _ in range(250):
                if server.started:
                    break
                await asyncio.sleep(0.02)
            assert server.started
            async with aiohttp.ClientSession() as http:

                async def post(path: str, body: dict[str, str]) -> tuple[int, Any]:
                    async with http.post(url + path, json=body) as answer:
                        return answer.status, await answer.json()

                signed, signed_body = await post("/sign-in", {"username": "alice", "password": PASSWORD})
                refused, _ = await post("/sign-in", {"username": "alice", "password": "Wrong-passw0rd"})
                forgot, forgot_body = await post("/forgot-password", {"username": "alice"})
        finally:
            server.should_exit = True
            await asyncio.to_thread(thread.join, 10)
            sock.close()
    assert signed == 200 and "AccessToken" in signed_body["tokens"]
    assert refused == 401
    assert forgot == 200 and "sent_to" in forgot_body
