"""Bearer-token verification, side by side: PyJWT, aiocognito (first sight and cached), fastapi-cognito.

One real Cognito-shaped access token from the local user pool (RS256, 2048-bit key), its JWKS served
over HTTP by the same pool. Every verifier fetches the keys once before timing; then each verification
is timed alone with ``time.perf_counter_ns`` and the median (and 90th percentile) is reported.

- PyJWT ``decode``: ``jwt.decode`` with the key object in hand, issuer checked (no key lookup, no
  client id check: the least a correct verifier does).
- PyJWT with kid lookup: ``get_unverified_header`` + the key of that kid + ``decode`` + client_id check,
  which is what a JWKS-based verifier built on PyJWT does per request.
- aiocognito, first sight: ``TokenVerifier.verify`` with its cache of verified tokens emptied before
  each call (the signature is checked every time).
- aiocognito, cached: the same token again, as a server sees it on every request.
- fastapi-cognito: ``decode_cognito_jwt`` (joserfc; its JWKS cache is warm), if installed.

    python benchmarks/bench_verify.py [--n 5000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
from _util import command_line, machine_lines, markdown_table

import aiocognito
from aiocognito.testing import LocalUserPool

_PACKAGES = ["aiocognito", "pyjwt", "cryptography", "fastapi-cognito", "joserfc"]


def _stats(samples: list[int]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) / 1000, ordered[int(len(ordered) * 0.9)] / 1000


async def _timed(
    call: Callable[[], Awaitable[Any]], n: int, before: Callable[[], None] | None = None
) -> list[int]:
    samples = []
    clock = time.perf_counter_ns
    for _ in range(n):
        if before is not None:
            before()
        started = clock()
        await call()
        samples.append(clock() - started)
    return samples


def _timed_sync(call: Callable[[], Any], n: int) -> list[int]:
    samples = []
    clock = time.perf_counter_ns
    for _ in range(n):
        started = clock()
        call()
        samples.append(clock() - started)
    return samples


async def _token() -> tuple[LocalUserPool, str, str, str]:
    server = LocalUserPool(shared_signing_key=True)
    await server.start()
    pool_id = await server.create_pool()
    client = await server.create_client(pool_id)
    await server.create_user(pool_id, "bench-user", "Passw0rd!", attributes={"email": "b@example.com"})
    await server.call("CreateGroup", {"UserPoolId": pool_id, "GroupName": "staff"})
    await server.call(
        "AdminAddUserToGroup", {"UserPoolId": pool_id, "Username": "bench-user", "GroupName": "staff"}
    )
    async with aiocognito.UserPool(pool_id, client.client_id, endpoint_url=server.endpoint_url) as pool:
        step = await pool.sign_in("bench-user", "Passw0rd!")
        assert step.user is not None
        token = step.user.current_tokens.access_token
    return server, pool_id, client.client_id, token


async def _run(n: int) -> list[tuple[str, list[int]]]:
    server, pool_id, client_id, token = await _token()
    jwks_url = f"{server.endpoint_url}/{pool_id}/.well-known/jwks.json"
    results: list[tuple[str, list[int]]] = []
    try:
        async with aiocognito.TokenVerifier(pool_id, client_id, jwks_url=jwks_url) as verifier:
            await verifier.verify(token)
            issuer = verifier.issuer
            jwks = jwt.PyJWKSet.from_dict(
                {
                    "keys": [
                        jwt.algorithms.RSAAlgorithm.to_jwk(k, as_dict=True)
                        for k in verifier._keys.keys.values()
                    ]
                }
            )
            by_kid = {
                kid: jwt.PyJWK(jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True) | {"kid": kid})
                for kid, key in verifier._keys.keys.items()
            }
            key = next(iter(verifier._keys.keys.values()))
            del jwks

            def pyjwt_plain() -> Any:
                return jwt.decode(
                    token, key, algorithms=["RS256"], issuer=issuer, options={"verify_aud": False}
                )

            def pyjwt_kid() -> Any:
                kid = jwt.get_unverified_header(token)["kid"]
                claims = jwt.decode(
                    token, by_kid[kid], algorithms=["RS256"], issuer=issuer, options={"verify_aud": False}
                )
                if claims["client_id"] != client_id:
                    raise ValueError("client")
                return claims

            results.append(("PyJWT `decode` (key in hand)", _timed_sync(pyjwt_plain, n)))
            results.append(("PyJWT + kid lookup + client_id", _timed_sync(pyjwt_kid, n)))
            results.append(
                (
                    "aiocognito, first sight",
                    await _timed(lambda: verifier.verify(token), n, before=verifier.clear_cache),
                )
            )
            await verifier.verify(token)
            results.append(("aiocognito, cached", await _timed(lambda: verifier.verify(token), n)))
            results.append(
                (
                    "aiocognito, cached + groups/scopes",
                    await _timed(
                        lambda: verifier.verify(
                            token,
                            token_use="access",
                            groups=("staff",),
                            scopes=("aws.cognito.signin.user.admin",),
                        ),
                        n,
                    ),
                )
            )
        try:
            from fastapi_cognito.cognito_jwt.decode import decode_cognito_jwt
        except ImportError:
            print("fastapi-cognito is not installed: pip install fastapi-cognito to compare it")
        else:

            def fastapi_cognito() -> Awaitable[Any]:
                return decode_cognito_jwt(token, "us-east-1", pool_id, client_id, jwks_url=jwks_url)

            await fastapi_cognito()
            results.append(("fastapi-cognito `decode_cognito_jwt`", await _timed(fastapi_cognito, n)))
    finally:
        await server.aclose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="verifications per row (default 5000; quick 200)")
    parser.add_argument(
        "--quick", action="store_true", help="200 verifications per row (checks the code path)"
    )
    args = parser.parse_args()
    args.n = args.n or (200 if args.quick else 5000)
    results = asyncio.run(_run(args.n))
    base = statistics.median(results[0][1]) / 1000
    rows = []
    for name, samples in results:
        median, p90 = _stats(samples)
        rows.append([name, f"{median:.2f}", f"{p90:.2f}", f"{median / base:.2f}x", f"{base / median:.1f}x"])
    print("## Verifying a Cognito access token (RS256, 2048-bit)\n")
    print("\n".join(machine_lines(_PACKAGES)))
    print(f"- Command: `{command_line()}`; {args.n} verifications per row, each timed alone\n")
    headers = ["verifier", "median us", "p90 us", "time vs PyJWT decode", "speed-up"]
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
