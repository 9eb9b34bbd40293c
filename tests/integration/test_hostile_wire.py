"""The IO edges against hostile servers on 127.0.0.1: redirects, bombs, huge replies, crowds, dead ports.

Every server here is a real HTTP server the test starts (aiohttp.web, or a bare asyncio protocol where the
test counts connections). What each test proves is said in its name; the ones that matter most:

- no request body ever reaches a URL the caller did not configure: a redirecting server's ``Location``
  (another local server that counts requests) gets nothing, from the transport, the JWKS fetch, every
  OAuth endpoint and the identity-pool calls, with the pool's own session or a lent one;
- a gzip bomb costs at most about the reply cap in memory (tracemalloc's peak), for a lent session too;
- 1,000 concurrent callers share at most ``max_connections`` sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import time
import tracemalloc
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

import aiocognito
from aiocognito import OAuthClient, RetryPolicy, Timeouts, TokenVerifier, UserPool

pytestmark = pytest.mark.integration

POOL_ID = "us-east-1_Hostile1"
CLIENT_ID = "client123"
PASSWORD = "Hostile-Passw0rd!"
SECRET = "s3cr3t-client-secret-value-0123456789"
MIB = 1024 * 1024
FAST_RETRY = RetryPolicy(max_attempts=4, budget=10.0, base_delay=0.001, max_delay=0.002)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass
class Recorder:
    """An HTTP server on 127.0.0.1 that records every request and answers with ``answer``."""

    answer: Handler
    url: str = ""
    hits: list[tuple[str, str, bytes]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append((request.method, request.path, await request.read()))
        return await self.answer(request)


@asynccontextmanager
async def serving(answer: Handler) -> AsyncIterator[Recorder]:
    recorder = Recorder(answer)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    recorder.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield recorder
    finally:
        await runner.cleanup()


def json_reply(document: Any, status: int = 200) -> Handler:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=json.dumps(document).encode(), status=status, content_type="application/json"
        )

    return answer


def raw_reply(body: bytes, *, status: int = 200, headers: dict[str, str] | None = None) -> Handler:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=body,
            status=status,
            headers={"Content-Type": "application/x-amz-json-1.1", **(headers or {})},
        )

    return answer


def make_pool(url: str, **options: Any) -> UserPool:
    options.setdefault("retry", FAST_RETRY)
    return UserPool(POOL_ID, CLIENT_ID, endpoint_url=url, **options)


def password_attempt() -> dict[str, Any]:
    return {
        "AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": CLIENT_ID,
        "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD},
    }


# --- redirects -----------------------------------------------------------------------------------


@asynccontextmanager
async def redirecting(status: int) -> AsyncIterator[tuple[Recorder, Recorder]]:
    """(the configured server, which redirects everything, and the ``Location`` it names)."""
    async with serving(json_reply({"Username": "stolen"})) as elsewhere:

        async def redirect(request: web.Request) -> web.StreamResponse:
            return web.Response(status=status, headers={"Location": f"{elsewhere.url}/stolen"})

        async with serving(redirect) as configured:
            yield configured, elsewhere


def assert_refused_redirect(error: aiocognito.TransportError, status: int, elsewhere: Recorder) -> None:
    assert error.status == status
    assert f"(HTTP {status})" in str(error) and "redirect" in str(error)
    assert error.sent is True
    assert elsewhere.hits == []


@pytest.mark.parametrize("status", REDIRECTS)
async def test_a_redirect_never_carries_a_password_attempt_elsewhere(status: int) -> None:
    async with redirecting(status) as (configured, elsewhere), make_pool(configured.url) as pool:
        with pytest.raises(aiocognito.TransportError) as caught:
            await pool.call("InitiateAuth", password_attempt())
    assert_refused_redirect(caught.value, status, elsewhere)
    assert len(configured.hits) == 1  # sent once, never again
    assert PASSWORD not in str(caught.value)


@pytest.mark.parametrize("status", [307, 308])
async def test_a_redirect_is_refused_with_a_lent_session_and_for_reads(status: int) -> None:
    async with (
        redirecting(status) as (configured, elsewhere),
        aiohttp.ClientSession() as session,  # aiohttp's defaults would follow the redirect
        make_pool(configured.url, session=session) as pool,
    ):
        with pytest.raises(aiocognito.TransportError) as caught:
            await pool.call("GetUser", {"AccessToken": "a.b.c"})
    assert_refused_redirect(caught.value, status, elsewhere)
    assert len(configured.hits) == 1  # not retried: the same request gets the same redirect


@pytest.mark.parametrize("status", [302, 307, 308])
async def test_identity_pool_calls_never_follow_a_redirect(status: int) -> None:
    async with (
        redirecting(status) as (configured, elsewhere),
        make_pool("http://127.0.0.1:9", identity_endpoint_url=configured.url) as pool,
    ):
        with pytest.raises(aiocognito.TransportError) as caught:
            await pool.call(
                "GetId",
                {"IdentityPoolId": "us-east-1:0000", "Logins": {"issuer": "id.token"}},
                service="cognito-identity",
            )
    assert_refused_redirect(caught.value, status, elsewhere)


@pytest.mark.parametrize("status", [302, 307, 308])
async def test_the_jwks_fetch_never_follows_a_redirect(status: int) -> None:
    async with redirecting(status) as (configured, elsewhere):
        verifier = TokenVerifier(POOL_ID, CLIENT_ID, jwks_url=f"{configured.url}/jwks.json", retry=FAST_RETRY)
        async with verifier:
            with pytest.raises(aiocognito.TransportError) as caught:
                await verifier.refresh_keys()
    assert_refused_redirect(caught.value, status, elsewhere)
    assert len(configured.hits) == 1


@pytest.mark.parametrize("status", REDIRECTS)
async def test_no_oauth_endpoint_follows_a_redirect(status: int) -> None:
    async with redirecting(status) as (configured, elsewhere):
        client = OAuthClient(
            configured.url,
            CLIENT_ID,
            client_secret=SECRET,
            issuer_url=f"{configured.url}/pool",
            retry=FAST_RETRY,
        )
        calls: list[Callable[[], Awaitable[Any]]] = [
            client.client_credentials,
            lambda: client.refresh("refresh-token-value"),
            lambda: client.revoke("refresh-token-value"),
            lambda: client.user_info("access-token-value"),
            client.discovery,
        ]
        async with client:
            for call in calls:
                with pytest.raises(aiocognito.TransportError) as caught:
                    await call()
                assert_refused_redirect(caught.value, status, elsewhere)
                assert SECRET not in str(caught.value) and "token-value" not in str(caught.value)
    assert [path for _, path, _ in configured.hits] == [
        "/oauth2/token",
        "/oauth2/token",
        "/oauth2/revoke",
        "/oauth2/userInfo",
        "/pool/.well-known/openid-configuration",
    ]


# --- bounded replies -------------------------------------------------------------------------------


def gzip_bomb(mib: int) -> bytes:
    """``{"Username":"000...0"}`` of ``mib`` MiB, gzip-compressed a MiB at a time (about 1 KiB per MiB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(b'{"Username":"')]
    block = b"0" * MIB
    parts += [packer.compress(block) for _ in range(mib)]
    parts += [packer.compress(b'"}'), packer.flush()]
    return b"".join(parts)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb(64)


async def peak_memory_of(call: Awaitable[Any]) -> tuple[int, BaseException | None]:
    """(the peak of Python allocations while ``call`` ran, what it raised)."""
    tracemalloc.start()
    try:
        try:
            await call
            raised = None
        except Exception as exc:  # returned to the test
            raised = exc
        return tracemalloc.get_traced_memory()[1], raised
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("lent", [False, True], ids=["own-session", "lent-session"])
async def test_a_gzip_bomb_costs_about_the_cap_and_is_a_transport_error(bomb: bytes, lent: bool) -> None:
    headers = {"Content-Encoding": "gzip"}
    async with (
        serving(raw_reply(bomb, headers=headers)) as server,
        aiohttp.ClientSession() as session,
        make_pool(server.url, session=session if lent else None) as pool,
    ):
        peak, raised = await peak_memory_of(pool.call("GetUser", {"AccessToken": "a.b.c"}))
    assert isinstance(raised, aiocognito.TransportError)
    assert f"reply larger than {MIB} bytes" in str(raised) and raised.status == 200
    assert peak < 8 * MIB, f"{peak / MIB:.1f} MiB for a 64 MiB bomb"
    assert len(server.hits) == 1  # a read, but the same reply would come again: not retried


async def test_a_content_length_over_the_cap_is_refused_before_reading() -> None:
    release = asyncio.Event()

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/x-amz-json-1.1"})
        response.content_length = 50 * MIB
        await response.prepare(request)
        await response.write(b" " * 1024)
        with contextlib.suppress(asyncio.TimeoutError, ConnectionError):
            await asyncio.wait_for(release.wait(), 10)  # the rest would take this long to come
        return response

    async with serving(huge) as server, make_pool(server.url, timeouts=Timeouts(total=8.0)) as pool:
        started = time.monotonic()
        try:
            with pytest.raises(aiocognito.TransportError, match="reply larger than 1048576 bytes"):
                await pool.call("GetUser", {"AccessToken": "a.b.c"})
            assert time.monotonic() - started < 2.0
        finally:
            release.set()


async def test_a_chunked_reply_over_the_cap_is_cut_off() -> None:
    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/x-amz-json-1.1"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(64):
                await response.write(b" " * (64 * 1024))
        except ConnectionError:
            pass  # the client hung up, as it should
        return response

    async with serving(chunked) as server, make_pool(server.url, max_reply_bytes=256 * 1024) as pool:
        with pytest.raises(aiocognito.TransportError, match="reply larger than 262144 bytes"):
            await pool.call("GetUser", {"AccessToken": "a.b.c"})


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


REPLY = {"Username": "alice", "UserAttributes": [{"Name": "email", "Value": "a@example.com"}]}
ENCODED = json.dumps(REPLY).encode()


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", gzip.compress(ENCODED)),
        ("x-gzip", gzip.compress(ENCODED)),
        ("GZip ", gzip.compress(ENCODED[:20]) + gzip.compress(ENCODED[20:])),  # two members
        ("gzip", gzip.compress(ENCODED) + b"\0" * 16),  # zero padding after the end
        ("deflate", zlib.compress(ENCODED)),  # RFC 9110: the zlib format
        ("deflate", _raw_deflate(ENCODED)),  # what some servers send instead
        ("identity", ENCODED),
    ],
    ids=["gzip", "x-gzip", "gzip-members", "gzip-padded", "deflate-zlib", "deflate-raw", "identity"],
)
async def test_compressed_replies_within_the_cap_are_read(coding: str, body: bytes) -> None:
    async with (
        serving(raw_reply(body, headers={"Content-Encoding": coding})) as server,
        make_pool(server.url) as pool,
    ):
        assert await pool.call("GetUser", {"AccessToken": "a.b.c"}) == REPLY


@pytest.mark.parametrize(
    ("coding", "body", "message"),
    [
        ("br", b"\x0b\x02\x80hello\x03", "unsupported Content-Encoding 'br'"),
        ("gzip, gzip", gzip.compress(gzip.compress(ENCODED)), "unsupported Content-Encoding 'gzip, gzip'"),
        ("gzip", b"\x1f\x8b\x08\x00" + b"\xff" * 64, "gzip data is corrupt"),
        ("gzip", gzip.compress(ENCODED)[:-12], "gzip data is truncated"),
        ("deflate", zlib.compress(ENCODED) + b"more", "deflate data is followed by other data"),
    ],
    ids=["brotli", "stacked", "corrupt", "truncated", "trailing"],
)
async def test_unreadable_encodings_are_transport_errors(coding: str, body: bytes, message: str) -> None:
    async with (
        serving(raw_reply(body, headers={"Content-Encoding": coding})) as server,
        make_pool(server.url) as pool,
    ):
        with pytest.raises(aiocognito.TransportError, match=message) as caught:
            await pool.call("GetUser", {"AccessToken": "a.b.c"})
    assert caught.value.status == 200
    assert len(server.hits) == 1


async def test_the_cap_is_set_per_pool_per_call_and_raised_for_branding_assets() -> None:
    big = json.dumps({"ManagedLoginBranding": {"Assets": [], "Settings": {"pad": "x" * (2 * MIB)}}}).encode()
    async with serving(raw_reply(big)) as server:
        async with make_pool(server.url, credentials=("AKIDEXAMPLE", "secret")) as pool:
            assert pool.max_reply_bytes == MIB
            with pytest.raises(aiocognito.TransportError, match=f"larger than {MIB} bytes"):
                await pool.call("GetUser", {"AccessToken": "a.b.c"})
            branding = {"UserPoolId": POOL_ID, "ManagedLoginBrandingId": str(uuid.uuid4())}
            reply = await pool.call("DescribeManagedLoginBranding", branding)  # raised to 64 MiB
            assert len(reply["ManagedLoginBranding"]["Settings"]["pad"]) == 2 * MIB
            assert await pool.call("GetUser", {"AccessToken": "a.b.c"}, max_reply_bytes=4 * MIB)
            with pytest.raises(aiocognito.TransportError, match="larger than 1000 bytes"):
                await pool.call("DescribeManagedLoginBranding", branding, max_reply_bytes=1000)
            for bad in (0, -1, 1.5, True):
                with pytest.raises(ValueError, match="max_reply_bytes"):
                    await pool.call("GetUser", {"AccessToken": "a.b.c"}, max_reply_bytes=bad)  # type: ignore[arg-type]
        async with make_pool(server.url, max_reply_bytes=4 * MIB) as roomy:
            assert (await roomy.call("GetUser", {"AccessToken": "a.b.c"}))["ManagedLoginBranding"]
    for bad in (0, -5, 2.0, None):
        with pytest.raises(ValueError, match="max_reply_bytes"):
            make_pool("http://127.0.0.1:9", max_reply_bytes=bad)
        with pytest.raises(ValueError, match="max_connections"):
            make_pool("http://127.0.0.1:9", max_connections=bad)


def _rsa_jwks() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}).encode()


async def test_the_jwks_reply_is_bounded_and_may_be_compressed() -> None:
    jwks = _rsa_jwks()
    padded = jwks[:-1] + b', "pad": "' + b" " * 300_000 + b'"}'
    async with (
        serving(raw_reply(gzip.compress(jwks), headers={"Content-Encoding": "gzip"})) as server,
        TokenVerifier(POOL_ID, CLIENT_ID, jwks_url=f"{server.url}/jwks.json") as verifier,
    ):
        await verifier.refresh_keys()
        assert verifier.key_ids == ("k1",)
    async with serving(raw_reply(gzip.compress(padded), headers={"Content-Encoding": "gzip"})) as server:
        async with TokenVerifier(POOL_ID, CLIENT_ID, jwks_url=f"{server.url}/jwks.json") as verifier:
            with pytest.raises(aiocognito.TransportError, match=f"larger than {256 * 1024} bytes"):
                await verifier.refresh_keys()
        roomy = TokenVerifier(POOL_ID, CLIENT_ID, jwks_url=f"{server.url}/jwks.json", max_reply_bytes=MIB)
        async with roomy:
            await roomy.refresh_keys()
            assert roomy.key_ids == ("k1",)
        tight = TokenVerifier(POOL_ID, CLIENT_ID, jwks_url=f"{server.url}/jwks.json", max_reply_bytes=100)
        async with tight:
            with pytest.raises(aiocognito.TransportError, match="larger than 100 bytes"):
                await tight.refresh_keys()
    with pytest.raises(ValueError, match="max_reply_bytes"):
        TokenVerifier(POOL_ID, CLIENT_ID, max_reply_bytes=0)


async def test_the_oauth_client_bounds_its_replies(bomb: bytes) -> None:
    headers = {"Content-Encoding": "gzip"}
    async with (
        serving(raw_reply(bomb, headers=headers)) as server,
        OAuthClient(server.url, CLIENT_ID, client_secret=SECRET, retry=FAST_RETRY) as client,
    ):
        peak, raised = await peak_memory_of(client.client_credentials())
    assert isinstance(raised, aiocognito.TransportError)
    assert f"reply larger than {MIB} bytes" in str(raised) and SECRET not in str(raised)
    assert peak < 8 * MIB
    big = {"sub": "u", "pad": "x" * (2 * MIB)}
    async with serving(json_reply(big)) as server:
        async with OAuthClient(server.url, CLIENT_ID) as client:
            with pytest.raises(aiocognito.TransportError, match=f"larger than {MIB} bytes"):
                await client.user_info("access-token-value")
        async with OAuthClient(server.url, CLIENT_ID, max_reply_bytes=4 * MIB) as roomy:
            assert await roomy.user_info("access-token-value") == big
    with pytest.raises(ValueError, match="max_connections"):
        OAuthClient("http://127.0.0.1:9", CLIENT_ID, max_connections=0)


@pytest.mark.parametrize(
    "body",
    [b"[" * 50_000 + b"]" * 50_000, b'{"Username": 1e400}', b'{"Username": NaN}', b'{"Username": "\\ud800"}'],
    ids=["deep", "infinite", "nan", "lone-surrogate"],
)
async def test_refused_json_is_a_protocol_error_when_2xx_and_a_transport_error_else(body: bytes) -> None:
    async with serving(raw_reply(body)) as server, make_pool(server.url) as pool:
        with pytest.raises(aiocognito.ProtocolError, match="GetUser: reply refused") as refused:
            await pool.call("GetUser", {"AccessToken": "a.b.c"})
        assert refused.value.step == "GetUser"
        assert len(server.hits) == 1
    async with serving(raw_reply(body, status=400)) as server, make_pool(server.url) as pool:
        with pytest.raises(aiocognito.TransportError, match="InitiateAuth: error reply refused") as caught:
            await pool.call("InitiateAuth", password_attempt())
        assert caught.value.status == 400
        assert len(server.hits) == 1


async def test_hostile_error_fields_are_bounded() -> None:
    body = json.dumps({"__type": "Boom" + "x" * 5000, "message": "m" * 100_000}).encode()
    headers = {"x-amzn-RequestId": "r" * 1000}  # aiohttp refuses headers over 8190 bytes
    async with serving(raw_reply(body, status=400, headers=headers)) as server, make_pool(server.url) as pool:
        with pytest.raises(aiocognito.ServiceError) as caught:
            await pool.call("GetUser", {"AccessToken": "a.b.c"})
    assert len(caught.value.message) <= 2048 and len(caught.value.code) <= 256
    assert caught.value.request_id is None


# --- bounded connections ---------------------------------------------------------------------------


class CountingServer(asyncio.Protocol):
    """One connection of a keep-alive JSON server that counts connections open at once."""

    open = 0
    peak = 0
    answered = 0
    body = json.dumps({"Username": "alice"}).encode()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""
        CountingServer.open += 1
        CountingServer.peak = max(CountingServer.peak, CountingServer.open)

    def connection_lost(self, exc: Exception | None) -> None:
        CountingServer.open -= 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                0,
            )
            if len(rest) < length:
                return
            self.buffer = rest[length:]
            reply = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(self.body), self.body)
            # A few milliseconds per reply, so that callers pile up.
            asyncio.get_running_loop().call_later(0.005, self._send, reply)

    def _send(self, reply: bytes) -> None:
        if not self.transport.is_closing():
            CountingServer.answered += 1
            self.transport.write(reply)


@asynccontextmanager
async def counting_server() -> AsyncIterator[str]:
    CountingServer.open = CountingServer.peak = CountingServer.answered = 0
    server = await asyncio.get_running_loop().create_server(CountingServer, "127.0.0.1", 0, backlog=4096)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(("callers", "limit"), [(1000, None), (200, 4)], ids=["default-100", "limit-4"])
async def test_concurrent_callers_share_a_bounded_number_of_connections(
    callers: int, limit: int | None
) -> None:
    options = {} if limit is None else {"max_connections": limit}
    async with counting_server() as url, make_pool(url, **options) as pool:
        replies = await asyncio.gather(
            *(pool.call("GetUser", {"AccessToken": "a.b.c"}) for _ in range(callers))
        )
    assert all(reply == {"Username": "alice"} for reply in replies)
    assert CountingServer.answered == callers
    assert 1 < CountingServer.peak <= (limit or 100)


# --- clear edges -----------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_a_connection_error_names_the_host_and_port_and_no_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = closed_port()
    async with make_pool(f"http://127.0.0.1:{port}", client_secret=SECRET) as pool:
        with pytest.raises(aiocognito.TransportError) as caught:
            await pool.call("InitiateAuth", password_attempt())
    assert str(caught.value) == f"InitiateAuth: cannot connect to 127.0.0.1:{port} (ClientConnectorError)"
    assert caught.value.sent is False
    verifier = TokenVerifier(
        POOL_ID, CLIENT_ID, jwks_url=f"http://127.0.0.1:{port}/jwks.json", retry=FAST_RETRY
    )
    async with verifier:
        with pytest.raises(aiocognito.TransportError, match=f"JWKS: cannot connect to 127.0.0.1:{port} "):
            await verifier.refresh_keys()
    async with OAuthClient(
        f"http://127.0.0.1:{port}", CLIENT_ID, client_secret=SECRET, retry=FAST_RETRY
    ) as oauth:
        with pytest.raises(aiocognito.TransportError, match=f"cannot connect to 127.0.0.1:{port} ") as failed:
            await oauth.client_credentials()
    assert SECRET not in str(failed.value)
    proxy_port = closed_port()
    monkeypatch.setenv("HTTP_PROXY", f"http://proxyuser:proxy-pa55@127.0.0.1:{proxy_port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with make_pool(f"http://127.0.0.1:{port}") as proxied:
        with pytest.raises(aiocognito.TransportError) as via_proxy:
            await proxied.call("GetUser", {"AccessToken": "a.b.c"})
    assert f"cannot connect to the proxy 127.0.0.1:{proxy_port}" in str(via_proxy.value)
    assert "proxy-pa55" not in str(via_proxy.value) and "proxyuser" not in str(via_proxy.value)


async def test_a_timeout_and_a_dropped_connection_name_the_host() -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(release.wait(), 5)
        return web.Response(body=b"{}")

    async with serving(slow) as server:
        pool = make_pool(server.url, timeouts=Timeouts(connect=1.0, total=0.2))
        async with pool:
            with pytest.raises(aiocognito.TransportError) as caught:
                await pool.call("RespondToAuthChallenge", {"ClientId": CLIENT_ID, "ChallengeName": "SMS_MFA"})
        release.set()
    port = server.url.rsplit(":", 1)[1]
    assert str(caught.value) == f"RespondToAuthChallenge: timed out talking to 127.0.0.1:{port}"
    assert len(server.hits) == 1

    async def drop(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        return web.Response(body=b"{}")

    async with serving(drop) as server, make_pool(server.url) as pool:
        with pytest.raises(aiocognito.TransportError) as dropped:
            await pool.call("InitiateAuth", password_attempt())
    port = server.url.rsplit(":", 1)[1]
    assert str(dropped.value).startswith(f"InitiateAuth: failed talking to 127.0.0.1:{port}: ")
    assert len(server.hits) == 1  # sent: never again


# --- identity pools --------------------------------------------------------------------------------


@pytest.mark.parametrize("expiration", ["1e300", "1" + "0" * 400, "true", "-5", '"not a time"', "1e400"])
async def test_identity_credentials_refuse_an_expiration_out_of_range(
    cognito_pool: Any, cognito_user_factory: Any, expiration: str
) -> None:
    async def identity(request: web.Request) -> web.StreamResponse:
        if request.headers["X-Amz-Target"].endswith(".GetId"):
            return web.Response(body=b'{"IdentityId": "us-east-1:0000"}')
        credentials = '{"AccessKeyId": "AKID", "SecretKey": "sk", "SessionToken": "st", "Expiration": %s}'
        return web.Response(body=b'{"Credentials": ' + (credentials % expiration).encode() + b"}")

    user = cognito_user_factory()
    async with serving(identity) as server, cognito_pool.client(identity_endpoint_url=server.url) as pool:
        step = await pool.sign_in(user.username, user.password)
        assert step.user is not None
        with pytest.raises(aiocognito.ProtocolError, match="GetCredentialsForIdentity") as caught:
            await step.user.aws_credentials("us-east-1:0000").get()
    # 1e400 is refused with the whole reply, before any field is read.
    assert caught.value.field == (None if expiration == "1e400" else "Expiration")


async def test_a_lent_session_that_raises_for_status_still_gives_cognito_errors() -> None:
    error = {"__type": "NotAuthorizedException", "message": "Incorrect username or password."}
    async with (
        serving(json_reply(error, status=400)) as server,
        aiohttp.ClientSession(raise_for_status=True) as session,
        make_pool(server.url, session=session) as pool,
    ):
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.call("InitiateAuth", password_attempt())


async def test_the_pool_keeps_no_cookie_a_server_sets() -> None:
    async def cookie(request: web.Request) -> web.StreamResponse:
        response = web.Response(body=b"{}", content_type="application/json")
        response.set_cookie("tracker", "x" * 100)
        return response

    seen: list[str | None] = []

    async def record(request: web.Request) -> web.StreamResponse:
        seen.append(request.headers.get("Cookie"))
        return await cookie(request)

    async with serving(record) as server, make_pool(server.url) as pool:
        for _ in range(2):
            await pool.call("GetUser", {"AccessToken": "a.b.c"})
    assert seen == [None, None]
