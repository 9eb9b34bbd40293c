"""The token cache: ``await user.tokens()`` on fresh tokens, and 1,000 callers on an expired token.

1. Cache hit: ``await user.tokens()`` on tokens with an hour left, the pool's default in-memory token store
   in place. Timed in batches with ``time.perf_counter_ns`` inside one running event loop; the median per
   call over the batches is reported (target: at most 5 µs). For comparison, pycognito's
   ``Cognito.check_token()`` on the same access token (it decodes the JWT with PyJWT on every call), when
   pycognito is installed.
2. Single flight: 1,000 concurrent ``await user.tokens()`` on an expired token against the local user pool
   (``aiocognito.testing.LocalUserPool``, in this process); the GetTokensFromRefreshToken requests are
   counted at the server (target: exactly one).

    python benchmarks/bench_tokens.py [--quick] [--batches N] [--calls-per-batch M]

The tokens of part 1 are built by hand (base64url JSON); nothing here needs PyJWT. Prints Markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import json
import secrets
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiocognito
from aiocognito import TokenSet, UserPool
from aiocognito.token_store import MemoryTokenStore, SessionRecord
from benchmarks._util import command_line, machine_lines, markdown_table

POOL_ID = "us-east-1_Bench1234"
CLIENT_ID = "bench-client"
TARGET_NS = 5_000


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _jwt(claims: dict[str, Any]) -> str:
    signature = base64.urlsafe_b64encode(secrets.token_bytes(256)).rstrip(b"=").decode()
    return f"{_b64({'kid': 'bench', 'alg': 'RS256'})}.{_b64(claims)}.{signature}"


def _fresh_result(now: float) -> dict[str, Any]:
    common = {"sub": "5b1b0a6e-7f0c-4c1e-9a53-0d2f3c7d9e11", "iat": int(now), "exp": int(now) + 3600}
    return {
        "IdToken": _jwt({**common, "cognito:username": "bench-user", "email": "bench@example.com"}),
        "AccessToken": _jwt({**common, "username": "bench-user", "origin_jti": "f", "scope": "aws"}),
        "RefreshToken": "refresh-" + secrets.token_hex(16),
        "ExpiresIn": 3600,
        "TokenType": "Bearer",
    }


# --- 1. the cache hit ---------------------------------------------------------------------------------


async def _cache_hit(batches: int, calls: int) -> tuple[list[float], TokenSet]:
    async with UserPool(POOL_ID, CLIENT_ID, endpoint_url="http://127.0.0.1:9/") as pool:
        assert isinstance(pool.token_store, MemoryTokenStore)
        tokens = TokenSet.from_result(_fresh_result(time.time()), now=time.time())
        await pool.token_store.put(pool.sessions.key("bench-user"), SessionRecord(tokens=tokens))
        user = pool.user_from_tokens("bench-user", tokens)
        for _ in range(calls):  # warm-up
            await user.tokens()
        per_call: list[float] = []
        for _ in range(batches):
            start = time.perf_counter_ns()
            for _ in range(calls):
                await user.tokens()
            per_call.append((time.perf_counter_ns() - start) / calls)
        assert await user.tokens() is tokens  # every call was a hit: no refresh happened
        return per_call, tokens


def _pycognito_check_token(tokens: TokenSet, batches: int, calls: int) -> list[float] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pycognito import Cognito  # type: ignore[import-untyped]
    except ImportError:
        return None
    cognito = Cognito(
        POOL_ID,
        CLIENT_ID,
        user_pool_region="us-east-1",
        access_token=tokens.access_token,
        id_token=tokens.id_token,
        refresh_token=tokens.refresh_token,
    )
    for _ in range(min(calls, 1000)):
        assert cognito.check_token(renew=False) is False
    per_call: list[float] = []
    for _ in range(batches):
        start = time.perf_counter_ns()
        for _ in range(calls):
            cognito.check_token(renew=False)
        per_call.append((time.perf_counter_ns() - start) / calls)
    return per_call


# --- 2. single flight at a real server ------------------------------------------------------------------


async def _single_flight(callers: int) -> dict[str, Any]:
    from aiocognito.testing import LocalUserPool

    async with LocalUserPool(shared_signing_key=True) as server:
        counts: collections.Counter[str] = collections.Counter()
        original = server._invoke

        async def counting(prefix: str, operation: str, body: Any) -> dict[str, Any]:
            counts[operation] += 1
            return await original(prefix, operation, body)

        server._invoke = counting  # type: ignore[method-assign]
        pool_id = await server.create_pool()
        client = await server.create_client(pool_id)
        await server.create_user(pool_id, "alice", "Passw0rd!")
        ahead = 0.0
        pool = UserPool(
            pool_id, client.client_id, endpoint_url=server.endpoint_url, clock=lambda: time.time() + ahead
        )
        async with pool:
            step = await pool.sign_in("alice", "Passw0rd!")
            assert step.user is not None
            user = step.user
            old = user.current_tokens
            # The client's clock an hour and more ahead: the tokens are expired for every caller.
            ahead = 3700.0
            start = time.perf_counter()
            results = await asyncio.gather(*(user.tokens() for _ in range(callers)))
            elapsed = time.perf_counter() - start
        fresh = {t.access_token for t in results}
        return {
            "callers": callers,
            "requests": counts["GetTokensFromRefreshToken"],
            "distinct_tokens": len(fresh),
            "refreshed": old.access_token not in fresh,
            "wall_ms": elapsed * 1000,
        }


# --- report -----------------------------------------------------------------------------------------------


def _fmt_ns(values: list[float]) -> str:
    median = statistics.median(values)
    return f"{median:,.0f} ns ({median / 1000:.2f} µs)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer batches (a smoke run)")
    parser.add_argument("--batches", type=int, default=0, help="timed batches (default 50, quick 10)")
    parser.add_argument("--calls-per-batch", type=int, default=0, help="calls per batch (default 20000)")
    parser.add_argument("--callers", type=int, default=1000, help="concurrent callers in part 2")
    args = parser.parse_args(argv)
    batches = args.batches or (10 if args.quick else 50)
    calls = args.calls_per_batch or (5000 if args.quick else 20000)

    hits, tokens = asyncio.run(_cache_hit(batches, calls))
    pycognito = _pycognito_check_token(tokens, batches, max(calls // 10, 100))
    flight = asyncio.run(_single_flight(args.callers))

    lines = [
        "# Token cache",
        "",
        f"`{command_line()}`",
        "",
        *machine_lines(["aiocognito", "pycognito", "PyJWT"]),
    ]
    lines += [
        "",
        f"Median per call over {batches} batches of {calls:,} calls (range: fastest .. slowest batch):",
        "",
    ]
    rows = [
        [
            "aiocognito `await user.tokens()` (fresh, in-memory store)",
            _fmt_ns(hits),
            f"{min(hits):,.0f} .. {max(hits):,.0f} ns",
        ]
    ]
    if pycognito is not None:
        rows.append(
            [
                "pycognito `Cognito.check_token(renew=False)`",
                _fmt_ns(pycognito),
                f"{min(pycognito):,.0f} .. {max(pycognito):,.0f} ns",
            ]
        )
    lines.append(markdown_table(["what", "median", "range"], rows))
    verdict = "PASS" if statistics.median(hits) <= TARGET_NS else "FAIL"
    lines += ["", f"Target at most {TARGET_NS / 1000:.0f} µs median: **{verdict}**", ""]
    lines.append(f"{flight['callers']:,} concurrent callers on an expired token (local user pool):")
    lines.append("")
    lines.append(
        markdown_table(
            ["callers", "refresh requests at the server", "distinct tokens returned", "wall time"],
            [
                [
                    f"{flight['callers']:,}",
                    flight["requests"],
                    flight["distinct_tokens"],
                    f"{flight['wall_ms']:.1f} ms",
                ]
            ],
        )
    )
    single = flight["requests"] == 1 and flight["distinct_tokens"] == 1 and flight["refreshed"]
    lines += ["", f"Exactly one refresh request: **{'PASS' if single else 'FAIL'}**"]
    print("\n".join(lines))
    return 0 if verdict == "PASS" and single else 1


if __name__ == "__main__":
    assert aiocognito.__version__
    sys.exit(main())
