"""examples/fastapi_oauth_app.py end to end: the app in process (ASGI), the user pool domain over HTTP."""

from __future__ import annotations

import importlib.util
import sys
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from aiocognito.testing import LocalUserPool, ServerThread

pytestmark = pytest.mark.integration

APP_URL = "http://localhost:8000"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_oauth_app.py"


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_oauth_app_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example() -> ModuleType:
    return _load_example()


@pytest.fixture(scope="module")
def local() -> Iterator[tuple[ServerThread, str, str, str]]:
    handle = LocalUserPool.start_in_thread(shared_signing_key=True)
    server = handle.server
    try:
        pool_id = handle.run(server.create_pool())
        client = handle.run(
            server.create_client(
                pool_id,
                generate_secret=True,
                AllowedOAuthFlowsUserPoolClient=True,
                AllowedOAuthFlows=["code"],
                AllowedOAuthScopes=["openid", "email", "profile"],
                CallbackURLs=[f"{APP_URL}/callback"],
                LogoutURLs=[f"{APP_URL}/"],
            )
        )
        handle.run(
            server.create_user(pool_id, "alice", "Passw0rd!", attributes={"email": "alice@example.com"})
        )
        assert client.client_secret
        yield handle, pool_id, client.client_id, client.client_secret
    finally:
        handle.stop()


@pytest.fixture
async def browser(
    example: ModuleType, local: tuple[ServerThread, str, str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    handle, pool_id, client_id, secret = local
    settings = example.Settings(
        domain_url=handle.server.oauth.domain_url(pool_id),
        client_id=client_id,
        client_secret=secret,
        app_url=APP_URL,
    )
    app = example.create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=APP_URL) as client,
    ):
        yield client


def _sign_in_at_the_domain(local: tuple[ServerThread, str, str, str], authorize_url: str) -> str:
    """What the browser does on the managed login pages: the callback path and query it comes back with."""
    callback = local[0].server.oauth.sign_in(authorize_url, "alice")
    assert callback.startswith(f"{APP_URL}/callback?")
    return callback[len(APP_URL) :]


async def test_login_callback_and_logout(browser: httpx.AsyncClient, local: Any) -> None:
    assert (await browser.get("/")).json() == {"signed_in": False, "login": "/login"}
    started = await browser.get("/login")
    assert started.status_code == 303
    authorize = started.headers["location"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize).query))
    assert query["code_challenge_method"] == "S256" and query["redirect_uri"] == f"{APP_URL}/callback"
    # Nothing secret in the cookie: a random id of the pending sign-in kept by the app.
    assert browser.cookies["login_id"] not in authorize
    back = await browser.get(_sign_in_at_the_domain(local, authorize))
    assert back.status_code == 303 and back.headers["location"] == "/"
    home = (await browser.get("/")).json()
    assert home["signed_in"] is True and home["username"] == "alice" and home["email"] == "alice@example.com"

    pool = local[0].server.store.pools[local[1]]
    live = [r for r in pool.refresh_tokens.values() if not r.revoked]
    out = await browser.get("/logout")
    assert out.status_code == 303
    assert out.headers["location"].startswith(local[0].server.oauth.domain_url(local[1]) + "/logout?")
    assert urllib.parse.quote(f"{APP_URL}/", safe="") in out.headers["location"]
    assert all(r.revoked for r in live)
    assert (await browser.get("/")).json()["signed_in"] is False


async def test_forged_replayed_and_unexpected_callbacks(browser: httpx.AsyncClient, local: Any) -> None:
    # No sign-in started by this browser.
    lost = await browser.get("/callback?code=abc&state=xyz")
    assert lost.status_code == 400 and lost.json()["error"] == "no_pending_login"

    # A callback whose state is not the one of the sign-in started here (login CSRF).
    await browser.get("/login")
    forged = await browser.get("/callback?code=abc&state=forged")
    assert forged.status_code == 400 and forged.json()["error"] == "state_mismatch"

    # A code used twice: the second time, with a fresh sign-in's state, the domain refuses it.
    started = await browser.get("/login")
    callback = _sign_in_at_the_domain(local, started.headers["location"])
    assert (await browser.get(callback)).status_code == 303
    second = await browser.get("/login")
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(second.headers["location"]).query))["state"]
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))["code"]
    replayed = await browser.get(f"/callback?{urllib.parse.urlencode({'code': code, 'state': state})}")
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"

    # The domain sent an error back (here: a scope the app client may not ask for).
    started = await browser.get("/login")
    denied = urllib.parse.urlsplit(started.headers["location"])
    query = dict(urllib.parse.parse_qsl(denied.query))
    refused = local[0].server.oauth.sign_in(
        denied._replace(query=urllib.parse.urlencode({**query, "scope": "phone"})).geturl(), "alice"
    )
    answer = await browser.get(refused[len(APP_URL) :])
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_scope"
