"""OAuth 2.0 through a user pool domain, against the local user pool's domain endpoints over HTTP."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from clocks import OffsetClock

import aiocognito
from aiocognito import M2MTokens, OAuthClient
from aiocognito.testing import Fault, LocalUserPool, ServerThread
from aiocognito.token_store import FileTokenStore, MemoryTokenStore

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
CALLBACK = "http://localhost:8000/callback"
SIGNED_OUT = "http://localhost:8000/"


@dataclass(frozen=True)
class Setup:
    server: ServerThread
    pool_id: str
    m2m_id: str
    m2m_secret: str
    web_id: str
    web_secret: str
    public_id: str

    @property
    def domain(self) -> str:
        return self.server.server.oauth.domain_url(self.pool_id)

    def requests(self, grant: str = "client_credentials") -> int:
        return self.server.server.oauth.token_requests[grant]


@pytest.fixture(scope="module")
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture(autouse=True)
def _reset_clock(clock: OffsetClock) -> Iterator[None]:
    clock.offset = 0.0
    yield
    clock.offset = 0.0


@pytest.fixture(scope="module")
def setup(clock: OffsetClock) -> Iterator[Setup]:
    handle = LocalUserPool.start_in_thread(clock=clock, shared_signing_key=True)
    server = handle.server
    try:
        pool_id = handle.run(server.create_pool())
        handle.run(
            server.call(
                "CreateResourceServer",
                {
                    "UserPoolId": pool_id,
                    "Identifier": "api",
                    "Name": "API",
                    "Scopes": [
                        {"ScopeName": "read", "ScopeDescription": "read"},
                        {"ScopeName": "write", "ScopeDescription": "write"},
                        {"ScopeName": "admin", "ScopeDescription": "admin"},
                    ],
                },
            )
        )
        m2m = handle.run(
            server.create_client(
                pool_id,
                generate_secret=True,
                name="m2m",
                AllowedOAuthFlowsUserPoolClient=True,
                AllowedOAuthFlows=["client_credentials"],
                AllowedOAuthScopes=["api/read", "api/write"],
            )
        )
        web_settings: dict[str, Any] = {
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["openid", "email", "profile", "aws.cognito.signin.user.admin"],
            "CallbackURLs": [CALLBACK],
            "LogoutURLs": [SIGNED_OUT],
        }
        web = handle.run(server.create_client(pool_id, generate_secret=True, name="web", **web_settings))
        public = handle.run(server.create_client(pool_id, name="spa", **web_settings))
        handle.run(
            server.create_user(
                pool_id, "alice", PASSWORD, attributes={"email": "alice@example.com", "name": "Alice"}
            )
        )
        assert m2m.client_secret and web.client_secret
        yield Setup(
            handle,
            pool_id,
            m2m.client_id,
            m2m.client_secret,
            web.client_id,
            web.client_secret,
            public.client_id,
        )
    finally:
        handle.stop()


def _query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


# --- client credentials --------------------------------------------------------------------------


@pytest.mark.parametrize("client_auth", ["basic", "body"])
async def test_client_credentials(setup: Setup, client_auth: Any) -> None:
    async with OAuthClient(
        setup.domain, setup.m2m_id, client_secret=setup.m2m_secret, client_auth=client_auth
    ) as client:
        everything = await client.client_credentials()
        assert everything.access_claims["scope"] == "api/read api/write"
        assert everything.access_claims["client_id"] == setup.m2m_id
        assert everything.access_claims["token_use"] == "access"
        assert everything.id_token == "" and everything.refresh_token is None
        assert 3500 < everything.seconds_left(now=time.time()) <= 3600
        read = await client.client_credentials(["api/read"])
        assert read.access_claims["scope"] == "api/read"
        with pytest.raises(aiocognito.InvalidScopeError):
            await client.client_credentials(["api/admin"])
        with pytest.raises(aiocognito.InvalidScopeError):
            await client.client_credentials("openid")


async def test_client_credentials_errors(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="aiocognito")
    wrong = "x" * len(setup.m2m_secret)
    for auth in ("basic", "body"):
        async with OAuthClient(setup.domain, setup.m2m_id, client_secret=wrong, client_auth=auth) as client:  # type: ignore[arg-type]
            with pytest.raises(aiocognito.InvalidClientError) as caught:
                await client.client_credentials()
            assert caught.value.status == 400 and wrong not in str(caught.value)
    async with OAuthClient(setup.domain, "nosuchclient", client_secret=wrong) as client:
        with pytest.raises(aiocognito.InvalidClientError):
            await client.client_credentials()
    async with OAuthClient(setup.domain, setup.web_id, client_secret=setup.web_secret) as client:
        with pytest.raises(aiocognito.UnauthorizedClientError):
            await client.client_credentials(["api/read"])
    async with OAuthClient(setup.domain, setup.public_id) as client:
        with pytest.raises(ValueError, match="secret"):
            await client.client_credentials()
    for record in caplog.records:
        assert setup.m2m_secret not in record.getMessage() and wrong not in record.getMessage()


async def test_unsupported_grant_and_domain(setup: Setup) -> None:
    server = setup.server.server
    setup.server.run(server.call("CreateUserPoolDomain", {"UserPoolId": setup.pool_id, "Domain": "my-app"}))
    described = setup.server.run(server.call("DescribeUserPoolDomain", {"Domain": "my-app"}))
    assert described["DomainDescription"]["UserPoolId"] == setup.pool_id
    async with OAuthClient(
        server.oauth.domain_url("my-app"), setup.m2m_id, client_secret=setup.m2m_secret
    ) as client:
        assert (await client.client_credentials(["api/write"])).access_claims["scope"] == "api/write"
        with pytest.raises(aiocognito.UnsupportedGrantTypeError):
            await client._token_request({"grant_type": "password"}, operation="password", repeatable=False)
        with pytest.raises(aiocognito.InvalidRequestError):
            await client._token_request({}, operation="none", repeatable=False)
    setup.server.run(server.call("DeleteUserPoolDomain", {"UserPoolId": setup.pool_id, "Domain": "my-app"}))


def test_app_client_oauth_settings_are_checked(setup: Setup) -> None:
    server = setup.server.server
    with pytest.raises(Fault, match="client secret"):
        setup.server.run(
            server.create_client(
                setup.pool_id,
                AllowedOAuthFlowsUserPoolClient=True,
                AllowedOAuthFlows=["client_credentials"],
                AllowedOAuthScopes=["api/read"],
            )
        )
    with pytest.raises(Fault, match="Invalid scope requested: api/nope") as unknown:
        setup.server.run(
            server.create_client(
                setup.pool_id,
                generate_secret=True,
                AllowedOAuthFlowsUserPoolClient=True,
                AllowedOAuthFlows=["client_credentials"],
                AllowedOAuthScopes=["api/nope"],
            )
        )
    assert unknown.value.code == "ScopeDoesNotExistException"
    with pytest.raises(Fault, match="https"):
        setup.server.run(
            server.create_client(
                setup.pool_id,
                AllowedOAuthFlowsUserPoolClient=True,
                AllowedOAuthFlows=["code"],
                AllowedOAuthScopes=["openid"],
                CallbackURLs=["http://app.example/cb"],
            )
        )
    described = setup.server.run(
        server.call("DescribeUserPoolClient", {"UserPoolId": setup.pool_id, "ClientId": setup.web_id})
    )["UserPoolClient"]
    assert described["AllowedOAuthFlows"] == ["code"] and described["CallbackURLs"] == [CALLBACK]
    assert described["AllowedOAuthFlowsUserPoolClient"] is True


# --- authorization code --------------------------------------------------------------------------


async def test_code_flow_with_pkce_through_the_test_hook(setup: Setup) -> None:
    async with OAuthClient(
        setup.domain, setup.web_id, client_secret=setup.web_secret, redirect_uri=CALLBACK
    ) as client:
        request = client.authorize_url(scopes=["openid", "email", "aws.cognito.signin.user.admin"])
        callback = setup.server.server.oauth.sign_in(request.url, "alice")
        assert callback.startswith(CALLBACK + "?")
        params = _query(callback)
        assert params["state"] == request.state
        tokens = await client.finish_authorization(params, expected=request)
        assert tokens.id_claims["nonce"] == request.nonce
        assert tokens.id_claims["email"] == "alice@example.com" and tokens.username == "alice"
        assert tokens.access_claims["scope"] == "openid email aws.cognito.signin.user.admin"
        assert tokens.refresh_token
        # The API accepts the token too: it carries aws.cognito.signin.user.admin.
        async with aiocognito.UserPool(
            setup.pool_id,
            setup.web_id,
            client_secret=setup.web_secret,
            endpoint_url=setup.server.endpoint_url,
        ) as pool:
            reply = await pool.call("GetUser", {"AccessToken": tokens.access_token})
            assert reply["Username"] == "alice"
        # A code is used once.
        with pytest.raises(aiocognito.InvalidGrantError, match="already used"):
            await client.exchange_code(params["code"], state=params["state"], expected=request)


async def test_public_client_code_flow_and_user_info_and_refresh_and_revoke(setup: Setup) -> None:
    async with OAuthClient(setup.domain, setup.public_id, redirect_uri=CALLBACK) as client:
        request = client.authorize_url(scopes=["openid", "profile", "email"])
        params = _query(setup.server.server.oauth.sign_in(request.url, "alice"))
        tokens = await client.exchange_code(params["code"], state=params["state"], expected=request)
        info = await client.user_info(tokens.access_token)
        assert info["username"] == "alice" and info["email"] == "alice@example.com"
        assert info["sub"] == tokens.sub and info["name"] == "Alice"
        assert tokens.refresh_token is not None
        refreshed = await client.refresh(tokens.refresh_token)
        assert refreshed.refresh_token == tokens.refresh_token
        assert refreshed.access_claims["scope"] == "openid profile email"
        assert refreshed.id_token and refreshed.access_token != tokens.access_token
        await client.revoke(tokens.refresh_token)
        with pytest.raises(aiocognito.InvalidGrantError, match="revoked"):
            await client.refresh(tokens.refresh_token)
        with pytest.raises(aiocognito.InvalidTokenError, match="revoked"):
            await client.user_info(refreshed.access_token)
        with pytest.raises(aiocognito.InvalidTokenError):
            await client.user_info("not-a-token")
        await client.revoke("unknown-opaque-token")  # RFC 7009: nothing to revoke is fine


async def test_user_info_needs_the_openid_scope(setup: Setup) -> None:
    async with OAuthClient(setup.domain, setup.public_id, redirect_uri=CALLBACK) as client:
        request = client.authorize_url(scopes=["aws.cognito.signin.user.admin"])
        params = _query(setup.server.server.oauth.sign_in(request.url, "alice"))
        tokens = await client.exchange_code(params["code"], state=params["state"], expected=request)
        assert tokens.id_token == ""  # no openid scope: no id token, and no nonce to check
        with pytest.raises(aiocognito.InvalidTokenError, match="openid"):
            await client.user_info(tokens.access_token)


async def test_bad_callbacks(setup: Setup, clock: OffsetClock) -> None:
    oauth = setup.server.server.oauth
    async with OAuthClient(setup.domain, setup.public_id, redirect_uri=CALLBACK) as client:
        request = client.authorize_url()
        params = _query(oauth.sign_in(request.url, "alice"))
        # A wrong state is refused here, and the code stays unused.
        with pytest.raises(aiocognito.StateMismatchError):
            await client.exchange_code(params["code"], state="forged", expected=request)
        # A missing verifier is refused by the server, and the code is spent.
        without = dataclasses.replace(request, code_verifier=None)
        with pytest.raises(aiocognito.InvalidGrantError, match="code_verifier is missing"):
            await client.exchange_code(params["code"], state=params["state"], expected=without)
        with pytest.raises(aiocognito.InvalidGrantError):
            await client.exchange_code(params["code"], state=params["state"], expected=request)
        # A wrong verifier.
        params = _query(oauth.sign_in(request.url, "alice"))
        other = dataclasses.replace(request, code_verifier=client.authorize_url().code_verifier)
        with pytest.raises(aiocognito.InvalidGrantError, match="does not match"):
            await client.exchange_code(params["code"], state=params["state"], expected=other)
        # An expired code (the server's clock moves past its 5 minutes).
        params = _query(oauth.sign_in(request.url, "alice"))
        clock.offset = 301
        with pytest.raises(aiocognito.InvalidGrantError, match="expired"):
            await client.exchange_code(params["code"], state=params["state"], expected=request)
        clock.offset = 0
        # Another redirect URI than the one of the request.
        params = _query(oauth.sign_in(request.url, "alice"))
        moved = dataclasses.replace(request, redirect_uri="http://localhost:8000/other")
        with pytest.raises(aiocognito.InvalidGrantError, match="redirect_uri"):
            await client.exchange_code(params["code"], state=params["state"], expected=moved)
        # Errors the authorize endpoint sends back to the app.
        bad_scope = client.authorize_url(scopes=["api/read"])
        refused = _query(oauth.sign_in(bad_scope.url, "alice"))
        assert refused["error"] == "invalid_scope" and refused["state"] == bad_scope.state
        with pytest.raises(aiocognito.OAuthError) as caught:
            await client.finish_authorization(refused, expected=bad_scope)
        assert caught.value.error == "invalid_scope"
        with pytest.raises(ValueError, match="redirect_mismatch"):
            oauth.sign_in(client.authorize_url(redirect_uri="http://localhost:9/evil").url, "alice")


def _hidden(page: str) -> dict[str, str]:
    """The hidden fields of a login page's form (its flow and CSRF tokens)."""
    return dict(re.findall(r"<input type='hidden' name='([^']+)' value='([^']*)'>", page))


async def test_managed_login_form_session_and_logout(setup: Setup) -> None:
    async with (
        OAuthClient(
            setup.domain, setup.web_id, client_secret=setup.web_secret, redirect_uri=CALLBACK
        ) as client,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser,
    ):
        request = client.authorize_url()
        async with browser.get(request.url, allow_redirects=False) as response:
            assert response.status == 302
            login = response.headers["Location"]
        assert "/login?" in login
        async with browser.get(login) as response:
            page = await response.text()
            assert response.status == 200 and "name='password'" in page
        form = {**_hidden(page), "username": "alice", "password": "wrong"}
        async with browser.post(login.split("?")[0], data=form, allow_redirects=False) as response:
            page = await response.text()
            assert response.status == 200 and "Incorrect username or password." in page
            assert "value='alice'" in page  # the username stays filled in
        # The form that was answered is spent: only the new page's flow token works.
        async with browser.post(login.split("?")[0], data=form, allow_redirects=False) as response:
            assert response.status == 400 and "expired" in await response.text()
        form = {**_hidden(page), "username": "alice", "password": PASSWORD}
        async with browser.post(login.split("?")[0], data=form, allow_redirects=False) as response:
            assert response.status == 302
            callback = response.headers["Location"]
        tokens = await client.finish_authorization(_query(callback), expected=request)
        assert tokens.username == "alice"
        # The managed login session signs in again without the form.
        again = client.authorize_url()
        async with browser.get(again.url, allow_redirects=False) as response:
            assert response.headers["Location"].startswith(CALLBACK + "?")
            assert (
                await client.finish_authorization(_query(response.headers["Location"]), expected=again)
            ).sub
        # Logging out ends it.
        async with browser.get(client.logout_url(SIGNED_OUT), allow_redirects=False) as response:
            assert response.status == 302 and response.headers["Location"] == SIGNED_OUT
        async with browser.get(client.authorize_url().url, allow_redirects=False) as response:
            assert "/login?" in response.headers["Location"]
        async with browser.get(
            client.logout_url("http://localhost:8000/elsewhere"), allow_redirects=False
        ) as response:
            assert response.status == 400


async def test_managed_login_refuses_forged_and_oversized_forms(setup: Setup) -> None:
    async with (
        OAuthClient(setup.domain, setup.public_id, redirect_uri=CALLBACK) as client,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser,
        aiohttp.ClientSession() as forger,
    ):
        async with browser.get(client.authorize_url().url) as response:
            page = await response.text()
            assert response.headers["X-Frame-Options"] == "DENY"
            assert "script-src" not in response.headers["Content-Security-Policy"]
            login = str(response.url).split("?")[0]
        hidden = _hidden(page)
        # Another site's form cannot carry the XSRF-TOKEN cookie: refused, and the flow still works.
        async with forger.post(login, data={**hidden, "username": "alice", "password": PASSWORD}) as response:
            assert response.status == 403 and "CSRF" in await response.text()
        async with browser.post(login, data={**hidden, "_csrf": "guess", "username": "alice"}) as response:
            assert response.status == 403
        async with browser.post(login, data={**hidden, "username": "a" * 20_000}) as response:
            assert response.status == 413
        async with browser.post(login, json={**hidden, "username": "alice"}) as response:
            assert response.status == 415
        # What the user typed comes back escaped.
        hostile = "<img src=x onerror=alert(1)>'"
        form = {**hidden, "username": hostile, "password": "wrong"}
        async with browser.post(login, data=form, allow_redirects=False) as response:
            page = await response.text()
            assert response.status == 200 and hostile not in page
            assert "value='&lt;img src=x onerror=alert(1)&gt;&#x27;'" in page
        # A page without a flow (or an expired one) says so, without a traceback.
        async with browser.post(login, data={"username": "alice"}) as response:
            assert response.status == 400 and "expired" in await response.text()


async def test_discovery(setup: Setup) -> None:
    issuer_url = f"{setup.server.endpoint_url}/{setup.pool_id}"
    async with OAuthClient(setup.domain, setup.public_id, issuer_url=issuer_url) as client:
        document = await client.discovery()
        assert document["token_endpoint"] == f"{setup.domain}/oauth2/token"
        assert document["issuer"].endswith(setup.pool_id)
        assert await client.discovery() is document
    async with OAuthClient(setup.domain, setup.public_id) as client:
        with pytest.raises(ValueError, match="pool_id"):
            await client.discovery()


# --- machine-to-machine cache ----------------------------------------------------------------------


async def test_m2m_tokens_are_fetched_once_for_concurrent_callers(setup: Setup) -> None:
    async with OAuthClient(setup.domain, setup.m2m_id, client_secret=setup.m2m_secret) as client:
        now = [time.time()]
        m2m = M2MTokens(client, clock=lambda: now[0])
        before = setup.requests()
        tokens = await asyncio.gather(*(m2m.token(["api/read"]) for _ in range(100)))
        assert len(set(tokens)) == 1 and setup.requests() == before + 1
        assert await m2m.token(["api/read"]) == tokens[0]
        assert setup.requests() == before + 1
        # Other scopes are another token; the order of scopes does not matter.
        both = await m2m.token(["api/write", "api/read"])
        assert await m2m.token("api/read api/write") == both
        assert setup.requests() == before + 2
        # Within the margin before expiry it is renewed.
        now[0] += 3600 - 200
        renewed = await m2m.token(["api/read"])
        assert setup.requests() == before + 3 and jwt.decode(renewed, options={"verify_signature": False})
        # A caller that is cancelled does not cancel the shared request.
        now[0] += 3600
        waiter = asyncio.ensure_future(m2m.token(["api/read"]))
        await asyncio.sleep(0)
        waiter.cancel()
        assert await m2m.token(["api/read"]) and setup.requests() == before + 4
        await m2m.aclose()


async def test_m2m_keeps_a_usable_token_when_renewal_fails(setup: Setup) -> None:
    async with OAuthClient(setup.domain, setup.m2m_id, client_secret=setup.m2m_secret) as client:
        now = [time.time()]
        m2m = M2MTokens(client, clock=lambda: now[0], margin=300, mandatory_margin=10)
        token = await m2m.token()
        broken = OAuthClient(setup.domain, setup.m2m_id, client_secret="wrong-secret")
        m2m._client = broken
        now[0] += 3600 - 100  # advisory window: the old token is kept
        assert await m2m.token() == token
        now[0] += 95  # mandatory window: the error is raised
        with pytest.raises(aiocognito.InvalidClientError):
            await m2m.token()
        await broken.aclose()


async def test_m2m_tokens_are_shared_through_a_store(setup: Setup, tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    async with (
        OAuthClient(setup.domain, setup.m2m_id, client_secret=setup.m2m_secret) as one,
        OAuthClient(setup.domain, setup.m2m_id, client_secret=setup.m2m_secret) as two,
    ):
        # Two "processes": each its own client, cache and store object over the same file.
        first = M2MTokens(one, store=FileTokenStore(path))
        second = M2MTokens(two, store=FileTokenStore(path))
        before = setup.requests()
        tokens = await asyncio.gather(
            *(first.token(["api/write"]) for _ in range(20)),
            *(second.token(["api/write"]) for _ in range(20)),
        )
        assert len(set(tokens)) == 1 and setup.requests() == before + 1
        third = M2MTokens(one, store=FileTokenStore(path))
        assert await third.token(["api/write"]) == tokens[0] and setup.requests() == before + 1
        assert setup.m2m_secret not in path.read_text()
        memory = MemoryTokenStore()
        shared = [M2MTokens(one, store=memory), M2MTokens(two, store=memory)]
        await asyncio.gather(*(m.token(["api/read"]) for m in shared for _ in range(10)))
        assert setup.requests() == before + 2
