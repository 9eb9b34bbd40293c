"""SRP sign-ins per second against a server that costs nothing: the client's own ceiling.

The server (``benchmarks/_util.py serve``, a bare asyncio HTTP/1.1 keep-alive server in another process)
replays one valid exchange: every ``InitiateAuth`` gets the same PASSWORD_VERIFIER challenge (``SRP_B``,
``SALT``, ``SECRET_BLOCK``, ``USER_ID_FOR_SRP``, computed once at start-up for one user and password with
the local pool's SRP math), every ``RespondToAuthChallenge`` the same ``AuthenticationResult`` (JWT-shaped
tokens with Cognito's claims, good for a day). It checks nothing, so the client's SRP math, JSON, HTTP and
token handling are all that is measured; what the server costs is read from /proc and shown beside.

Each measurement runs in a fresh child process: a warm-up of ``--warmup`` sign-ins (connections, imports,
worker threads), then ``--users`` sign-ins timed with ``time.perf_counter`` and ``getrusage`` (SELF +
CHILDREN: the SRP worker threads are in SELF), and ``time.thread_time`` of the thread that runs the event
loop, whose share bounds the rate whatever the cores. Rounds are interleaved (every tool once per round),
the median is reported with the min-max spread, and the load average before and after: the figures are
only the client's ceiling when nothing else runs.

- aiocognito ``sign_in_many`` (rate off) with a compute pool of 1 and of 2 worker threads;
- aiocognito ``UserPool.sign_in`` under ``asyncio.gather``, at most ``--concurrency`` at once, with the
  pool's default compute pool (one worker per usable core);
- pycognito ``AWSSRP.authenticate_user`` on one boto3 client (``endpoint_url`` at the fake) in a thread
  pool of 1 and of 2.

    python benchmarks/bench_throughput.py [--users N] [--rounds R] [--concurrency C] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._util import JsonServer, command_line, cpu_seconds, machine_lines, markdown_table

POOL_ID = "us-east-1_BenchPool1"
CLIENT_ID = "4bench0client0id0fake00000"
USERNAME = "bench-user"
PASSWORD = "Bench-Passw0rd!"
_SUB = "5b1b0a6e-7f0c-4c1e-9a53-0d2f3c7d9e11"
_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


# --- the one exchange the server replays ---------------------------------------------------------------


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _jwt(claims: dict[str, Any]) -> str:
    """A token shaped like Cognito's: RS256 header, the claims, a 256-byte signature nobody checks."""
    header = {"kid": "bench-key-1", "alg": "RS256"}
    parts = (json.dumps(header).encode(), json.dumps(claims).encode(), secrets.token_bytes(256))
    return ".".join(_b64url(part) for part in parts)


def challenge_reply() -> dict[str, Any]:
    """InitiateAuth's PASSWORD_VERIFIER challenge for USERNAME, as the local pool would compute it."""
    from aiocognito.core import srp
    from aiocognito.testing.server import srp_math

    salt = secrets.token_bytes(16).hex()
    x = srp.compute_x(srp.pool_name(POOL_ID), USERNAME, PASSWORD, int(salt, 16))
    big_b = srp_math.server_public_value(srp_math.verifier(x), secrets.randbits(256))
    return {
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {
            "SALT": salt,
            # Cognito's SECRET_BLOCK is an opaque blob of about 1.7 kB of base64.
            "SECRET_BLOCK": base64.b64encode(secrets.token_bytes(1300)).decode("ascii"),
            "SRP_B": format(big_b, "x"),
            "USERNAME": USERNAME,
            "USER_ID_FOR_SRP": USERNAME,
        },
    }


def tokens_reply(now: int) -> dict[str, Any]:
    """RespondToAuthChallenge's AuthenticationResult: tokens issued at ``now`` for a day."""
    iss = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
    common = {"sub": _SUB, "iss": iss, "origin_jti": secrets.token_hex(16), "event_id": secrets.token_hex(16)}
    times = {"auth_time": now, "iat": now, "exp": now + 86_400}
    access = {
        **common,
        "client_id": CLIENT_ID,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        **times,
        "jti": secrets.token_hex(16),
        "username": USERNAME,
    }
    identity = {
        **common,
        "email_verified": True,
        "cognito:username": USERNAME,
        "aud": CLIENT_ID,
        "token_use": "id",
        **times,
        "jti": secrets.token_hex(16),
        "email": f"{USERNAME}@example.com",
    }
    return {
        "AuthenticationResult": {
            "AccessToken": _jwt(access),
            "ExpiresIn": 86_400,
            "IdToken": _jwt(identity),
            # Cognito's refresh token is an encrypted JWT of about 1.8 kB; the client never reads it.
            "RefreshToken": ".".join(_b64url(secrets.token_bytes(size)) for size in (50, 256, 12, 1000, 16)),
            "TokenType": "Bearer",
        },
        "ChallengeParameters": {},
    }


# --- what runs in a child ------------------------------------------------------------------------------


async def _sign_in_many(url: str, n: int, info: dict[str, Any]) -> int:
    import aiocognito

    ok = 0
    async with aiocognito.UserPool(POOL_ID, CLIENT_ID, endpoint_url=url) as pool:
        users = ((USERNAME, PASSWORD) for _ in range(n))
        async for result in pool.sign_in_many(
            users, concurrency=info["concurrency"], rate=None, workers=info["workers"]
        ):
            ok += result.ok
    return ok


async def _gather(url: str, n: int, info: dict[str, Any]) -> int:
    import aiocognito

    slots = asyncio.Semaphore(info["concurrency"])
    async with aiocognito.UserPool(POOL_ID, CLIENT_ID, endpoint_url=url) as pool:

        async def one() -> bool:
            async with slots:
                step = await pool.sign_in(USERNAME, PASSWORD)
            return step.user is not None

        return sum(await asyncio.gather(*(one() for _ in range(n))))


_BOTO3_CLIENTS: dict[str, Any] = {}


def _pycognito(url: str, n: int, info: dict[str, Any]) -> int:
    from concurrent.futures import ThreadPoolExecutor

    import boto3
    from pycognito.aws_srp import AWSSRP

    # One client for the warm-up and the timed run: making one costs about 0.1 s of CPU.
    client = _BOTO3_CLIENTS.get(url)
    if client is None:
        client = _BOTO3_CLIENTS[url] = boto3.client("cognito-idp", endpoint_url=url, region_name="us-east-1")

    def one(_: int) -> bool:
        srp = AWSSRP(USERNAME, PASSWORD, POOL_ID, CLIENT_ID, client=client)
        return "AccessToken" in srp.authenticate_user()["AuthenticationResult"]

    with ThreadPoolExecutor(info["threads"]) as threads:
        return sum(threads.map(one, range(n)))


def _child(mode: str, info: dict[str, Any]) -> None:
    url, n, warmup = info["url"], info["n"], info["warmup"]
    if mode == "pycognito":
        run = _pycognito
    else:
        coroutine = _sign_in_many if mode == "sign_in_many" else _gather

        def run(url: str, n: int, info: dict[str, Any]) -> int:
            return asyncio.run(coroutine(url, n, info))

    if warmup:
        run(url, warmup, info)
    start_cpu, start_loop, start = cpu_seconds(), time.thread_time(), time.perf_counter()
    ok = run(url, n, info)
    wall = time.perf_counter() - start
    # This thread runs the event loop (aiocognito) or only waits for the threads (pycognito).
    loop = time.thread_time() - start_loop
    print(json.dumps({"ok": ok, "wall": wall, "cpu": cpu_seconds() - start_cpu, "loop": loop}))


# --- the parent ------------------------------------------------------------------------------------------


def _measure(server: JsonServer, mode: str, **info: Any) -> dict[str, float]:
    info["url"] = server.url
    server_before = server.cpu_seconds()
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, json.dumps(info)],
        capture_output=True,
        text=True,
        env={**os.environ, **_ENV},
        check=False,
        timeout=1800,
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    # The server's CPU over the whole child, warm-up included: scaled to the measured sign-ins.
    result["server_cpu"] = (server.cpu_seconds() - server_before) * info["n"] / (info["n"] + info["warmup"])
    if result["ok"] != info["n"]:
        raise SystemExit(f"{mode}: only {result['ok']} of {info['n']} signed in")
    return result


def _spread(values: list[float], digits: int) -> str:
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.{digits}f}"
    return f"{median:.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--users", type=int, help="timed sign-ins per tool and round (default 2000; quick 60)"
    )
    parser.add_argument(
        "--pycognito-users", type=int, help="timed sign-ins per pycognito row (default 200; quick 10)"
    )
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3; quick 1)")
    parser.add_argument(
        "--warmup", type=int, help="untimed sign-ins first, in each child (default 100; quick 5)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="aiocognito sign-ins in flight (32)")
    parser.add_argument("--quick", action="store_true", help="small counts: checks the code paths")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], json.loads(args.child[1]))
        return
    n = args.users or (60 if args.quick else 2000)
    # pycognito is about 15 times slower per sign-in: fewer of them take about as long.
    n_pycognito = args.pycognito_users or (10 if args.quick else 200)
    rounds = args.rounds or (1 if args.quick else 3)
    warmup = args.warmup if args.warmup is not None else (5 if args.quick else 100)
    c = args.concurrency
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    # (label, mode, what the child needs, the pycognito row it is compared with)
    tools: list[tuple[str, str, dict[str, Any], str]] = [
        ("aiocognito sign_in_many, 1 worker", "sign_in_many", {"workers": 1}, "pycognito, 1 thread"),
        ("aiocognito sign_in_many, 2 workers", "sign_in_many", {"workers": 2}, "pycognito, 2 threads"),
        (f"aiocognito pool.sign_in + gather, {cores} workers", "gather", {}, "pycognito, 2 threads"),
        ("pycognito, 1 thread", "pycognito", {"threads": 1}, "pycognito, 1 thread"),
        ("pycognito, 2 threads", "pycognito", {"threads": 2}, "pycognito, 2 threads"),
    ]
    from aiocognito.core import bignum

    load_before = os.getloadavg()
    started = time.monotonic()
    measured: dict[str, list[dict[str, float]]] = {label: [] for label, *_ in tools}
    counts = {label: n_pycognito if mode == "pycognito" else n for label, mode, *_ in tools}
    now = int(time.time())
    replies = {"InitiateAuth": challenge_reply(), "RespondToAuthChallenge": tokens_reply(now)}
    with JsonServer({}, replies=replies) as server:
        for round_ in range(rounds):
            for label, mode, extra, _ in tools:
                count = n_pycognito if mode == "pycognito" else n
                print(
                    f"round {round_ + 1}/{rounds}: {label}, {count} sign-ins...", file=sys.stderr, flush=True
                )
                info = {"n": count, "warmup": warmup, "concurrency": c, **extra}
                measured[label].append(_measure(server, mode, **info))
    took = time.monotonic() - started
    load_after = os.getloadavg()

    def rates(label: str) -> list[float]:
        return [counts[label] / r["wall"] for r in measured[label]]

    def cpu_ms(label: str) -> list[float]:
        return [1000 * r["cpu"] / counts[label] for r in measured[label]]

    rows = []
    for label, mode, _, versus in tools:
        rate, cpu = statistics.median(rates(label)), statistics.median(cpu_ms(label))
        server_ms = statistics.median(1000 * r["server_cpu"] / counts[label] for r in measured[label])
        loop_ms = statistics.median(1000 * r["loop"] / counts[label] for r in measured[label])
        rows.append(
            [
                label,
                _spread(rates(label), 0),
                _spread(cpu_ms(label), 3),
                "-" if mode == "pycognito" else f"{loop_ms:.3f} (at most {1000 / loop_ms:.0f}/s)",
                f"{server_ms:.3f}",
                f"{cores * 1000 / cpu:.0f}",
                f"{rate / statistics.median(rates(versus)):.2f}x",
                f"{statistics.median(cpu_ms(versus)) / cpu:.2f}x",
            ]
        )
    out = [
        "## SRP sign-ins per second against a free server (benchmarks/bench_throughput.py)",
        "",
        f"Command: `{command_line()}`",
        "",
        *machine_lines(["aiocognito", "aiohttp", "gmpy2", "pycryptodome", "pycognito", "boto3"]),
        f"- SRP backend: {bignum.backend_name()}",
        f"- Load average (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in load_before)} before, "
        f"{', '.join(f'{v:.2f}' for v in load_after)} after ({took:.0f} s)",
        "",
        f"{n} timed sign-ins per aiocognito row and {n_pycognito} per pycognito row in each round, after "
        f"{warmup} untimed ones in the same process; {rounds} interleaved rounds: "
        f"median (min-max). aiocognito keeps {c} sign-ins in flight (`rate=None`). Client CPU: user + system "
        "of the client process, worker threads included, and the part the event loop's thread spent (one "
        "thread: the rate can never pass 1000 / that); server CPU: the fake's process, same window. The "
        "fake shares the cores with the client. Ratios are to pycognito with as many threads as the row "
        "has workers.",
        "",
        markdown_table(
            [
                "client",
                "sign-ins/s",
                "client CPU ms / sign-in",
                "of it on the event loop's thread",
                "server CPU ms / sign-in",
                "client-only sign-ins/s (cores / CPU)",
                "rate vs pycognito",
                "CPU vs pycognito (less by)",
            ],
            rows,
        ),
        "",
    ]
    print("\n".join(out))
    figures = {
        label: {"rate": statistics.median(rates(label)), "cpu_ms": statistics.median(cpu_ms(label))}
        for label, *_ in tools
    }
    print(f"<!-- figures {json.dumps(figures)} -->")


if __name__ == "__main__":
    main()
