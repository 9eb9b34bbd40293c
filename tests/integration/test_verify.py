"""The token verifier over HTTP: the local user pool's tokens and JWKS, and a JWKS server that misbehaves.

The JWKS server here counts its requests, so the tests can check that a flood of unknown key ids, or
a JWKS that is down, costs one fetch per interval and never one per request.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import servers
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

import aiocognito
from aiocognito.testing import LocalUserPool
from aiocognito.verify import InsufficientScopeError, InvalidTokenError, TokenVerifier

pytestmark = pytest.mark.integration

_PACKAGE_ROOT = str(Path(aiocognito.__file__).resolve().parent.parent)
POOL_ID = "us-east-1_Jwks123"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
KEY_1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KEY_2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    data.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return data


def token(key: rsa.RSAPrivateKey, kid: str, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "sub": "s",
        "iss": ISSUER,
        "client_id": "client",
        "token_use": "access",
        "username": "alice",
        "exp": now + 3600,
        "iat": now,
        **changes,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


class JwksServer:
    """Serves ``self.body`` (or ``self.status``) at /jwks.json and counts the requests."""

    def __init__(self) -> None:
        self.body: bytes = json.dumps({"keys": [jwk(KEY_1, "k1")]}).encode()
        self.status = 200
        self.delay = 0.0
        self.requests = 0
        self.url = ""

    def serve(self, keys: list[dict[str, Any]]) -> None:
        self.body = json.dumps({"keys": keys}).encode()
        self.status = 200

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(body=self.body, status=self.status, content_type="application/json")


@pytest.fixture
async def jwks() -> AsyncIterator[JwksServer]:
    server = JwksServer()
    app = web.Application()
    app.router.add_get("/jwks.json", server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.url = f"http://127.0.0.1:{port}/jwks.json"
    try:
        yield server
    finally:
        await runner.cleanup()


class Timer:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(jwks: JwksServer, timer: Timer | None = None, **options: Any) -> TokenVerifier:
    return TokenVerifier(
        POOL_ID,
        "client",
        jwks_url=jwks.url,
        timer=timer or Timer(),
        retry=aiocognito.RetryPolicy(max_attempts=2, base_delay=0.01, budget=5),
        **options,
    )


# --- against the local user pool ---------------------------------------------------------------------


async def test_tokens_of_the_local_user_pool_verify() -> None:
    async with LocalUserPool(shared_signing_key=True) as server:
        pool_id = await server.create_pool()
        client = await server.create_client(pool_id)
        other = await server.create_client(pool_id, name="other")
        await server.create_user(pool_id, "alice", "Passw0rd!", attributes={"email": "alice@example.com"})
        await server.call("CreateGroup", {"UserPoolId": pool_id, "GroupName": "admin"})
        await server.call(
            "AdminAddUserToGroup", {"UserPoolId": pool_id, "Username": "alice", "GroupName": "admin"}
        )
        async with aiocognito.UserPool(pool_id, client.client_id, endpoint_url=server.endpoint_url) as pool:
            step = await pool.sign_in("alice", "Passw0rd!")
            assert step.user is not None
            tokens = step.user.current_tokens
        jwks_url = f"{server.endpoint_url}/{pool_id}/.well-known/jwks.json"
        async with TokenVerifier(pool_id, [client.client_id], jwks_url=jwks_url) as verifier:
            access = await verifier.verify(tokens.access_token, token_use="access", groups=["admin"])
            ident = await verifier.verify(tokens.id_token, token_use="id")
            assert verifier.jwks_fetches == 1
        assert access.username == "alice" and access.groups == ("admin",)
        assert access.scopes == ("aws.cognito.signin.user.admin",) and access.client_id == client.client_id
        assert ident.raw["email"] == "alice@example.com" and ident.sub == access.sub
        async with TokenVerifier(pool_id, other.client_id, jwks_url=jwks_url) as verifier:
            with pytest.raises(InvalidTokenError) as caught:
                await verifier.verify(tokens.access_token)
            assert caught.value.reason == "client"
            with pytest.raises(InvalidTokenError):
                await verifier.verify(tokens.id_token)


async def test_the_cli_prints_the_claims_or_one_line_why() -> None:
    async with LocalUserPool(shared_signing_key=True) as server:
        pool_id = await server.create_pool()
        client = await server.create_client(pool_id)
        await server.create_user(pool_id, "alice", "Passw0rd!")
        async with aiocognito.UserPool(pool_id, client.client_id, endpoint_url=server.endpoint_url) as pool:
            step = await pool.sign_in("alice", "Passw0rd!")
            assert step.user is not None
            access = step.user.current_tokens.access_token
        jwks_url = f"{server.endpoint_url}/{pool_id}/.well-known/jwks.json"
        base = ["--pool-id", pool_id, "--jwks-url", jwks_url, "--client-id", "x", "--client-id"]

        async def cli(*args: str, stdin: bytes = b"") -> tuple[int, str, str]:
            env = {**os.environ, **servers.BASE_ENV}
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "aiocognito",
                "verify",
                *args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
            out, err = await asyncio.wait_for(process.communicate(stdin), 30)
            assert process.returncode is not None
            return process.returncode, out.decode(), err.decode()

        status, out, err = await cli(access, *base, client.client_id)
        assert status == 0, err
        assert json.loads(out)["username"] == "alice"
        status, out, err = await cli("-", *base, client.client_id, stdin=access.encode() + b"\n")
        assert status == 0 and json.loads(out)["token_use"] == "access"
        status, out, err = await cli(access, *base, "someone-else")
        assert (status, out) == (1, "")
        assert err == "InvalidToken: the token was issued to another app client\n"
        status, out, err = await cli(access[:-4] + "AAAA", *base, client.client_id)
        assert status == 1 and err.startswith("InvalidToken: ") and err.count("\n") == 1
        assert access.split(".")[2][:20] not in err


# --- fetching the keys ------------------------------------------------------------------------------


async def test_a_flood_of_unknown_key_ids_costs_one_fetch_per_interval(jwks: JwksServer) -> None:
    timer = Timer()
    async with make(jwks, timer, refetch_interval=60) as verifier:
        await verifier.verify(token(KEY_1, "k1"))
        assert jwks.requests == 1
        timer.now += 61
        forged = [token(KEY_2, f"forged-{i}") for i in range(200)]
        results = await asyncio.gather(*(verifier.verify(t) for t in forged), return_exceptions=True)
        assert all(isinstance(r, InvalidTokenError) and r.reason == "unknown_key" for r in results)
        assert jwks.requests == 2  # one refetch for the whole flood
        timer.now += 30
        with pytest.raises(InvalidTokenError):
            await verifier.verify(token(KEY_2, "forged-x"))
        assert jwks.requests == 2
        assert len(verifier._headers) <= 1  # forged headers are not remembered


async def test_a_new_key_is_found_by_refetching(jwks: JwksServer) -> None:
    timer = Timer()
    async with make(jwks, timer, refetch_interval=60) as verifier:
        await verifier.verify(token(KEY_1, "k1"))
        jwks.serve([jwk(KEY_1, "k1"), jwk(KEY_2, "k2")])
        timer.now += 60
        claims = await verifier.verify(token(KEY_2, "k2"))
        assert claims.username == "alice" and set(verifier.key_ids) == {"k1", "k2"}


async def test_one_fetch_in_flight_serves_every_waiting_request(jwks: JwksServer) -> None:
    jwks.delay = 0.2
    async with make(jwks) as verifier:
        tokens = [token(KEY_1, "k1", jti=str(i)) for i in range(50)]
        results = await asyncio.gather(*(verifier.verify(t) for t in tokens))
        assert len(results) == 50 and jwks.requests == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, b"oops"),
        (404, b"not here"),
        (200, b"<html>proxy login</html>"),
        (200, b'{"keys": "nope"}'),
        (200, b'{"keys": [{"kty": "RSA", "kid": "k9", "n": "AQAB", "e": "AQAB"}]}'),
        (200, b"[]"),
    ],
)
async def test_a_broken_jwks_keeps_the_keys_in_hand(
    jwks: JwksServer, status: int, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    timer = Timer()
    async with make(jwks, timer, refetch_interval=60, jwks_ttl=600) as verifier:
        good = token(KEY_1, "k1")
        await verifier.verify(good)
        jwks.status, jwks.body = status, body
        timer.now += 601  # stale: the next first-seen token refreshes in the background
        verifier.clear_cache()
        await verifier.verify(good)
        await asyncio.sleep(0.1)
        requests = jwks.requests
        assert requests >= 2
        with caplog.at_level("WARNING", logger="aiocognito"):
            timer.now += 61
            with pytest.raises(InvalidTokenError):
                await verifier.verify(token(KEY_2, "k2"))  # unknown: a refetch, which fails
        assert verifier.key_ids == ("k1",)
        assert any("keeping the 1 key(s)" in record.getMessage() for record in caplog.records)
        verifier.clear_cache()
        assert (await verifier.verify(good)).username == "alice"
        with pytest.raises(aiocognito.TransportError):
            await verifier.refresh_keys()


async def test_no_keys_at_all_is_a_transport_error_retried_after_a_pause(jwks: JwksServer) -> None:
    jwks.status = 503
    timer = Timer()
    async with make(jwks, timer) as verifier:
        for _ in range(20):
            with pytest.raises(aiocognito.TransportError):
                await verifier.verify(token(KEY_1, "k1"))
        assert jwks.requests == 2  # one fetch, retried once on the 503; then a pause
        jwks.status = 200
        timer.now += 5
        assert (await verifier.verify(token(KEY_1, "k1"))).username == "alice"


async def test_a_key_leaving_the_jwks_forgets_the_tokens_it_signed(jwks: JwksServer) -> None:
    timer = Timer()
    async with make(jwks, timer, refetch_interval=0) as verifier:
        old = token(KEY_1, "k1")
        await verifier.verify(old)
        jwks.serve([jwk(KEY_2, "k2")])
        await verifier.verify(token(KEY_2, "k2"))
        with pytest.raises(InvalidTokenError) as caught:
            await verifier.verify(old)
        assert caught.value.reason == "unknown_key"


async def test_a_lent_session_stays_open(jwks: JwksServer) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with make(jwks, session=session) as verifier:
            await verifier.verify(token(KEY_1, "k1"))
        assert not session.closed


async def test_groups_and_scopes_are_checked(jwks: JwksServer) -> None:
    async with make(jwks) as verifier:
        good = token(KEY_1, "k1", scope="read write", **{"cognito:groups": ["staff"]})
        await verifier.verify(good, groups=["staff"], scopes=["read"])
        with pytest.raises(InsufficientScopeError):
            await verifier.verify(good, scopes=["admin"])
