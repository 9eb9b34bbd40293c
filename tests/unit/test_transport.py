"""The transport against small real HTTP servers on 127.0.0.1: errors, retries, timeouts, headers."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import aiocognito
from aiocognito import RetryPolicy, Timeouts, UserPool

POOL_ID = "us-east-1_Abc123456"
CLIENT_ID = "client123"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Scripted:
    """An HTTP server answering each request with the next handler of ``script`` (the last repeats)."""

    url: str = ""
    script: list[Handler] = field(default_factory=list)
    hits: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.hits.append({"headers": dict(request.headers), "body": body})
        handler = self.script[min(len(self.hits), len(self.script)) - 1]
        return await handler(request)


@pytest.fixture
async def server() -> AsyncIterator[Scripted]:
    scripted = Scripted()
    app = web.Application()
    app.router.add_post("/", scripted.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    scripted.url = f"http://127.0.0.1:{port}"
    yield scripted
    await runner.cleanup()


def reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        text = body if isinstance(body, str) else json.dumps(body)
        return web.Response(
            text=text,
            status=status,
            headers={"x-amzn-RequestId": "req-1", **(headers or {})},
            content_type="application/x-amz-json-1.1" if not isinstance(body, str) else "text/html",
        )

    return handler


def error(code: str, message: str = "boom", status: int = 400) -> Handler:
    return reply({"__type": code, "message": message}, status)


def slow(seconds: float) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.json_response({})

    return handler


FAST_RETRY = RetryPolicy(max_attempts=4, budget=10.0, base_delay=0.001, max_delay=0.002)


def make_pool(url: str, **kwargs: Any) -> UserPool:
    kwargs.setdefault("retry", FAST_RETRY)
    return UserPool(POOL_ID, CLIENT_ID, endpoint_url=url, **kwargs)


async def test_request_shape_and_reply(server: Scripted) -> None:
    server.script = [reply({"UserSub": "abc", "UserConfirmed": False})]
    async with make_pool(server.url) as pool:
        answer = await pool.call("SignUp", {"ClientId": CLIENT_ID, "Username": "u", "Password": "P4ssword!"})
    assert answer == {"UserSub": "abc", "UserConfirmed": False}
    headers = server.hits[0]["headers"]
    assert headers["Content-Type"] == "application/x-amz-json-1.1"
    assert headers["X-Amz-Target"] == "AWSCognitoIdentityProviderService.SignUp"
    assert headers["User-Agent"].startswith(f"aiocognito/{aiocognito.__version__}")
    assert "Authorization" not in headers  # SignUp is unauthenticated in the model
    assert json.loads(server.hits[0]["body"]) == {
        "ClientId": CLIENT_ID,
        "Username": "u",
        "Password": "P4ssword!",
    }


async def test_identity_service_target(server: Scripted) -> None:
    server.script = [reply({"IdentityId": "us-east-1:1"})]
    async with make_pool(server.url) as pool:
        answer = await pool.call("GetId", {"IdentityPoolId": "us-east-1:x"}, service="cognito-identity")
    assert answer["IdentityId"] == "us-east-1:1"
    assert server.hits[0]["headers"]["X-Amz-Target"] == "AWSCognitoIdentityService.GetId"


@pytest.mark.parametrize(
    ("wire", "cls"),
    [
        ("NotAuthorizedException", aiocognito.NotAuthorizedError),
        ("com.amazonaws.cognito#ResourceNotFoundException", aiocognito.ResourceNotFoundError),
        ("UserNotFoundException:http://internal.amazon.com/coral/", aiocognito.UserNotFoundError),
        ("aws.cognito#CodeMismatchException:extra", aiocognito.CodeMismatchError),
    ],
)
async def test_error_code_parsing(server: Scripted, wire: str, cls: type[aiocognito.ServiceError]) -> None:
    server.script = [error(wire, "Incorrect username or password.")]
    async with make_pool(server.url) as pool:
        with pytest.raises(cls) as caught:
            await pool.call("InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": CLIENT_ID})
    err = caught.value
    assert err.code == wire.split(":")[0].rsplit("#")[-1]
    assert err.message == "Incorrect username or password."
    assert err.status == 400
    assert err.request_id == "req-1"
    assert isinstance(err, aiocognito.ServiceError)
    assert isinstance(err, aiocognito.CognitoError)
    assert len(server.hits) == 1  # never retried


async def test_error_code_from_header_when_body_has_none(server: Scripted) -> None:
    server.script = [reply({"message": "nope"}, 400, {"x-amzn-ErrorType": "InvalidParameterException:"})]
    async with make_pool(server.url) as pool:
        with pytest.raises(aiocognito.InvalidParameterError):
            await pool.call("GetUser", {"AccessToken": "t"})


async def test_unknown_code_gives_plain_service_error(server: Scripted) -> None:
    server.script = [error("BrandNewException", "new")]
    async with make_pool(server.url) as pool:
        with pytest.raises(aiocognito.ServiceError) as caught:
            await pool.call("GetUser", {"AccessToken": "t"})
    assert type(caught.value) is aiocognito.ServiceError
    assert caught.value.code == "BrandNewException"


@pytest.mark.parametrize(
    "handler",
    [
        reply("<html><body><h1>502 Bad Gateway</h1></body></html>", 502),
        reply("", 500),
        reply('{"__type": "Internal', 500),
        reply("<html>captive portal</html>", 200),
    ],
    ids=["proxy-502-html", "empty-500", "truncated-json", "html-200"],
)
async def test_non_json_reply_is_transport_error(server: Scripted, handler: Handler) -> None:
    server.script = [handler]
    async with make_pool(server.url) as pool:
        with pytest.raises(aiocognito.TransportError) as caught:
            await pool.call("InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": CLIENT_ID})
    assert caught.value.status in (500, 502, 200)
    assert caught.value.excerpt
    assert len(server.hits) == 1  # InitiateAuth is never repeated after it was sent


async def test_json_that_is_not_an_object_is_protocol_error(server: Scripted) -> None:
    server.script = [reply([1, 2])]
    async with make_pool(server.url) as pool:
        with pytest.raises(aiocognito.ProtocolError):
            await pool.call("GetUser", {"AccessToken": "t"})


async def test_5xx_is_retried_for_reads_only(server: Scripted) -> None:
    server.script = [reply("<html>bad gateway</html>", 502), reply({"Username": "alice"})]
    async with make_pool(server.url) as pool:
        assert await pool.call("GetUser", {"AccessToken": "t"}) == {"Username": "alice"}
    assert len(server.hits) == 2


async def test_internal_error_not_retried_for_initiate_auth(server: Scripted) -> None:
    server.script = [error("InternalErrorException", "oops", 500), reply({})]
    async with make_pool(server.url) as pool:
        with pytest.raises(aiocognito.InternalErrorError):
            await pool.call("InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": CLIENT_ID})
    assert len(server.hits) == 1


async def test_throttled_twice_then_answered(server: Scripted) -> None:
    throttle = error("TooManyRequestsException", "Rate exceeded")
    server.script = [throttle, throttle, reply({"ChallengeName": "PASSWORD_VERIFIER"})]
    async with make_pool(server.url) as pool:
        answer = await pool.call("InitiateAuth", {"AuthFlow": "USER_SRP_AUTH", "ClientId": CLIENT_ID})
    assert answer == {"ChallengeName": "PASSWORD_VERIFIER"}
    assert len(server.hits) == 3


async def test_throttling_gives_up_after_max_attempts(server: Scripted) -> None:
    server.script = [error("TooManyRequestsException", "Rate exceeded")]
    async with make_pool(server.url) as pool:
        with pytest.raises(aiocognito.TooManyRequestsError):
            await pool.call("GetUser", {"AccessToken": "t"})
    assert len(server.hits) == FAST_RETRY.max_attempts


@pytest.mark.parametrize(
    "code",
    [
        "LimitExceededException",
        "NotAuthorizedException",
        "CodeMismatchException",
        "TooManyFailedAttemptsException",
    ],
)
async def test_never_retried_codes(server: Scripted, code: str) -> None:
    server.script = [error(code), reply({})]
    async with make_pool(server.url) as pool:
        with pytest.raises(aiocognito.ServiceError) as caught:
            await pool.call("GetUser", {"AccessToken": "t"})
    assert caught.value.code == code
    assert not caught.value.retryable
    assert len(server.hits) == 1


async def test_timeout_after_send_not_retried_for_auth(server: Scripted) -> None:
    server.script = [slow(2.0)]
    async with make_pool(server.url, timeouts=Timeouts(connect=1.0, total=0.2)) as pool:
        with pytest.raises(aiocognito.TransportError, match="timed out"):
            await pool.call("RespondToAuthChallenge", {"ClientId": CLIENT_ID, "ChallengeName": "SMS_MFA"})
    assert len(server.hits) == 1


async def test_timeout_retried_for_reads(server: Scripted) -> None:
    server.script = [slow(2.0), reply({"Username": "alice"})]
    async with make_pool(server.url, timeouts=Timeouts(connect=1.0, total=0.2)) as pool:
        assert await pool.call("GetUser", {"AccessToken": "t"}) == {"Username": "alice"}
    assert len(server.hits) == 2


async def test_connection_refused_is_retried_even_for_auth(caplog: pytest.LogCaptureFixture) -> None:
    with socket_closed_port() as port:
        pool = make_pool(f"http://127.0.0.1:{port}")
        caplog.set_level(logging.DEBUG, logger="aiocognito")
        async with pool:
            with pytest.raises(aiocognito.TransportError) as caught:
                await pool.call("InitiateAuth", {"AuthFlow": "USER_SRP_AUTH", "ClientId": CLIENT_ID})
    assert caught.value.sent is False
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == FAST_RETRY.max_attempts - 1


async def test_budget_bounds_retries(server: Scripted) -> None:
    server.script = [error("TooManyRequestsException")]
    policy = RetryPolicy(max_attempts=100, budget=0.3, base_delay=0.05, max_delay=0.05)
    async with make_pool(server.url, retry=policy) as pool:
        started = asyncio.get_running_loop().time()
        with pytest.raises(aiocognito.TooManyRequestsError):
            await pool.call("GetUser", {"AccessToken": "t"})
        assert asyncio.get_running_loop().time() - started < 2.0
    assert 1 < len(server.hits) < 100


async def test_cancelling_a_call_cancels_its_retries(server: Scripted) -> None:
    server.script = [error("TooManyRequestsException")]
    policy = RetryPolicy(max_attempts=50, budget=30.0, base_delay=0.2, max_delay=0.2)
    async with make_pool(server.url, retry=policy) as pool:
        task = asyncio.create_task(pool.call("GetUser", {"AccessToken": "t"}))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        hits = len(server.hits)
        await asyncio.sleep(0.5)
        assert len(server.hits) == hits  # nothing goes on in the background


async def test_lent_session_is_not_closed(server: Scripted) -> None:
    server.script = [reply({})]
    async with aiohttp.ClientSession() as session:
        async with make_pool(server.url, session=session) as pool:
            await pool.call("GetUser", {"AccessToken": "t"})
        assert not session.closed
    async with make_pool(server.url) as own:
        await own.call("GetUser", {"AccessToken": "t"})
        session = await own.http_session()
    assert session.closed


async def test_closed_pool_refuses_calls(server: Scripted) -> None:
    pool = make_pool(server.url)
    await pool.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await pool.call("GetUser", {"AccessToken": "t"})


def test_endpoint_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIOCOGNITO_ENDPOINT_URL", raising=False)
    assert UserPool("eu-west-1_abc", "c").endpoint_url == "https://cognito-idp.eu-west-1.amazonaws.com/"
    cn = UserPool("cn-north-1_abc", "c")
    assert cn.endpoint_url == "https://cognito-idp.cn-north-1.amazonaws.com.cn/"
    fips = UserPool("us-east-1_abc", "c", fips=True)
    assert fips.endpoint_url == "https://cognito-idp-fips.us-east-1.amazonaws.com/"
    gov = UserPool("us-gov-west-1_abc", "c")
    assert gov.endpoint_url.startswith("https://cognito-idp") and gov.endpoint_url.endswith("amazonaws.com/")
    with pytest.raises(ValueError, match="plain http"):
        UserPool("us-east-1_abc", "c", endpoint_url="http://cognito.example.com")
    assert UserPool("us-east-1_abc", "c", endpoint_url="http://example.com", allow_http=True)
    assert (
        UserPool("us-east-1_abc", "c", endpoint_url="http://[::1]:9229").endpoint_url == "http://[::1]:9229/"
    )
    monkeypatch.setenv("AIOCOGNITO_ENDPOINT_URL", "http://localhost:9229")
    local = UserPool("us-east-1_abc", "c")
    assert local.endpoint_url == "http://localhost:9229/"
    assert local.identity_endpoint_url == "http://localhost:9229/"
    with pytest.raises(ValueError, match="pool id"):
        UserPool("nonsense", "c")


async def test_debug_log_shows_call_and_no_secrets(
    server: Scripted, caplog: pytest.LogCaptureFixture
) -> None:
    secret_values = ["Sup3rSecretPassw0rd!", "s3cr3t-client-secret-value", "eyJraWQiOiJ0b2tlbi12YWx1ZSJ9"]
    server.script = [error("NotAuthorizedException", "Incorrect username or password.")]
    caplog.set_level(logging.DEBUG, logger="aiocognito")
    pool = make_pool(server.url, client_secret=secret_values[1])
    async with pool:
        with pytest.raises(aiocognito.NotAuthorizedError) as caught:
            await pool.call(
                "InitiateAuth",
                {
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": CLIENT_ID,
                    "AuthParameters": {
                        "USERNAME": "u",
                        "PASSWORD": secret_values[0],
                        "SECRET_HASH": secret_values[2],
                    },
                },
            )
    record = next(r for r in caplog.records if "InitiateAuth" in r.getMessage())
    text = record.getMessage()
    assert (
        "status=400" in text and "attempt=1" in text and "request_id=req-1" in text and "latency_ms=" in text
    )
    everything = caplog.text + repr(pool) + repr(caught.value) + str(caught.value) + repr(pool.sign_ins)
    everything += repr(pool.sessions) + repr(pool.refresher)
    for value in secret_values:
        assert value not in everything


class socket_closed_port:
    """A port on 127.0.0.1 that nothing listens on."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        port: int = self.sock.getsockname()[1]
        self.sock.close()
        return port

    def __exit__(self, *exc: object) -> None:
        pass


def test_backoff_is_capped_full_jitter() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=1.0)
    rng = random.Random(7)
    for attempt in range(1, 12):
        wait = policy.backoff(attempt, rng)
        assert 0 <= wait <= min(1.0, 0.1 * 2 ** (attempt - 1))


async def test_request_bodies_are_checked_against_botocore(server: Scripted) -> None:
    # The autouse fixture in conftest.py validates every body; prove it is in force.
    server.script = [reply({})]
    async with make_pool(server.url) as pool:
        with pytest.raises(AssertionError, match="botocore's model"):
            await pool.call("GetUser", {"AccesToken": "misspelt"})
    assert not server.hits


async def test_aws_xml_error_is_parsed_and_4xx_not_retried(server: Scripted) -> None:
    xml = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
        "<Message>The request signature we calculated does not match</Message></Error></ErrorResponse>"
    )
    server.script = [reply(xml, 403)]
    async with make_pool(server.url) as pool:
        with pytest.raises(aiocognito.ServiceError) as caught:
            await pool.call("GetUser", {"AccessToken": "t"})
    assert caught.value.code == "SignatureDoesNotMatch"
    assert caught.value.status == 403
    assert "does not match" in caught.value.message
    assert len(server.hits) == 1


async def test_proxy_from_environment(server: Scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    server.script = [reply({"Username": "via-proxy"})]
    monkeypatch.setenv("HTTP_PROXY", f"http://user:p%40ss@{server.url.removeprefix('http://')}")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    with socket_closed_port() as port:
        async with make_pool(f"http://127.0.0.1:{port}") as pool:
            assert await pool.call("GetUser", {"AccessToken": "t"}) == {"Username": "via-proxy"}
    assert len(server.hits) == 1  # the proxy got the request; the closed port never did
    assert server.hits[0]["headers"]["Proxy-Authorization"] == "Basic dXNlcjpwQHNz"
    async with make_pool(server.url, trust_env=False) as pool:
        await pool.call("GetUser", {"AccessToken": "t"})
    assert "Proxy-Authorization" not in server.hits[1]["headers"]


async def test_netrc_is_never_sent(server: Scripted, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("default login someone password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    server.script = [reply({})]
    async with make_pool(server.url) as pool:
        await pool.call("GetUser", {"AccessToken": "t"})
    assert "Authorization" not in server.hits[0]["headers"]


@pytest.mark.parametrize(
    ("host", "no_proxy", "bypass"),
    [
        ("cognito-idp.us-east-1.amazonaws.com", "amazonaws.com", True),
        ("cognito-idp.us-east-1.amazonaws.com", ".amazonaws.com", True),
        ("cognito-idp.us-east-1.amazonaws.com", "example.com,*", True),
        ("cognito-idp.us-east-1.amazonaws.com", "example.com", False),
        ("notamazonaws.com", "amazonaws.com", False),
        ("127.0.0.1", "localhost,127.0.0.1:9229", True),
        ("::1", "[::1]", True),
        ("host", "", False),
    ],
)
def test_no_proxy_rules(host: str, no_proxy: str, bypass: bool) -> None:
    from aiocognito.wire.transport import _bypasses_proxy

    assert _bypasses_proxy(host, no_proxy) is bypass


def _self_signed(tmp_path: Any) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aiocognito test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_file), str(key_file)


async def test_custom_ca_bundle(tmp_path: Any) -> None:
    import ssl

    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    scripted = Scripted(script=[reply({"Username": "tls"})])
    app = web.Application()
    app.router.add_post("/", scripted.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    url = f"https://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with make_pool(url, ca_bundle=cert_file) as pool:
            assert await pool.call("GetUser", {"AccessToken": "t"}) == {"Username": "tls"}
        async with make_pool(url) as pool:  # the system CAs do not know this certificate
            with pytest.raises(aiocognito.TransportError, match="not trusted"):
                await pool.call("GetUser", {"AccessToken": "t"})
        assert len(scripted.hits) == 1
    finally:
        await runner.cleanup()


def test_operations_returning_branding_assets_get_a_cap_that_fits_them() -> None:
    import botocore.session

    from aiocognito import caller as caller_module

    model = botocore.session.get_session().get_service_model("cognito-idp")

    def holds_assets(shape: Any, seen: set[str]) -> bool:
        if shape is None or shape.name in seen:
            return False
        seen.add(shape.name)
        if shape.name == "AssetType":
            return True
        if shape.type_name == "structure":
            return any(holds_assets(member, seen) for member in shape.members.values())
        if shape.type_name == "list":
            return holds_assets(shape.member, seen)
        return shape.type_name == "map" and holds_assets(shape.value, seen)

    with_assets = {
        name
        for name in model.operation_names
        if holds_assets(model.operation_model(name).output_shape, set())
    }
    assert with_assets == set(caller_module.LARGE_REPLIES)
    most_assets = model.shape_for("AssetListType").metadata["max"]
    most_bytes = model.shape_for("AssetType").members["Bytes"].metadata["max"]
    base64_bytes = most_assets * 4 * -(-most_bytes // 3)
    assert all(cap > base64_bytes + 1024 * 1024 for cap in caller_module.LARGE_REPLIES.values())


def test_inflating_a_bomb_never_holds_more_than_the_cap_nor_the_loop_for_long() -> None:
    import zlib

    from aiocognito.wire.replies import Inflater

    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = b"".join(packer.compress(b"\0" * (1 << 20)) for _ in range(32)) + packer.flush()
    limit = 8 << 20
    inflater = Inflater("gzip", limit, 200, "Op")
    out = bytearray()
    sizes = [0]

    def feed() -> None:
        for chunk in (bomb[i : i + 4096] for i in range(0, len(bomb), 4096)):
            for _ in inflater.steps(chunk, out):
                sizes.append(len(out))  # a yield: the caller lets the loop run here

    with pytest.raises(aiocognito.TransportError, match=f"Op: reply larger than {limit} bytes"):
        feed()
    assert len(out) <= limit + 1
    assert len(sizes) > 16
    # At most a step (256 KiB + 1) from the end of one chunk and one from the start of the next.
    assert max(b - a for a, b in itertools.pairwise(sizes)) <= 2 * (256 * 1024 + 1)


async def test_a_request_string_that_is_not_unicode_is_refused_before_sending(server: Scripted) -> None:
    server.script = [reply({})]
    async with make_pool(server.url) as pool:
        with pytest.raises(ValueError, match="GetUser: a request string holds a lone UTF-16 surrogate"):
            await pool.call("GetUser", {"AccessToken": "a\ud800"})
    assert server.hits == []
