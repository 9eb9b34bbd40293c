"""Bulk sign-ins against the local user pool in another process: aiocognito against pycognito and boto3.

Every measurement runs in a fresh child process of this script, so ``getrusage(SELF) + getrusage(CHILDREN)``
of that child is exactly the client's CPU, worker processes included (they are reaped before it reads
it). The server (``benchmarks/_local_pool.py``, LocalUserPool with gmpy2) runs in its own process; its CPU
is read from /proc around each run and reported beside.

- **CPU per SRP sign-in** and **sign-ins per second**, rate limit off, ``--concurrency`` in flight:
  ``aiocognito sign_in_many`` (SRP math in worker threads), ``pycognito AWSSRP`` on one boto3 client in
  a thread pool of the same size, and ``boto3 USER_PASSWORD_AUTH`` (no SRP at all) in the same pool.
- **The CLI**: ``aiocognito bulk-sign-in`` (through ``aiocognito.cli.main`` in the child, a users file in,
  JSON lines out) with its defaults (``--rate 55``, ``--concurrency 64``) and with ``--rate off``; its
  client CPU per SRP sign-in over pycognito's of the same round, median and spread over ``--repeats``
  interleaved rounds.
- **Event-loop lag**: a ticker sleeps 1 ms and records how late it wakes, during 500 concurrent SRP
  sign-ins, with the math in workers (the default) and on the loop (``workers=0``).
- **Peak memory** (max RSS of the child) streaming N users through ``sign_in_many`` with
  USER_PASSWORD_AUTH, against N/10 users.

    python benchmarks/bench_bulk.py [--users N] [--memory-users M] [--concurrency C] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _local_pool import PASSWORD, LocalPoolProcess

from benchmarks._util import command_line, markdown_table

_ENV = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}


def _cpu() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


# --- what runs in a child ------------------------------------------------------------------------------


async def _aiocognito(info: dict[str, Any]) -> dict[str, Any]:
    import aiocognito

    users = ((f"u{i}", PASSWORD) for i in range(info["first"], info["first"] + info["n"]))
    ok = 0
    async with aiocognito.UserPool(
        info["pool_id"], info["client_id"], endpoint_url=info["endpoint_url"]
    ) as pool:
        async for result in pool.sign_in_many(
            users,
            concurrency=info["concurrency"],
            rate=None,
            flow=info.get("flow", "USER_SRP_AUTH"),
            workers=info.get("workers"),
        ):
            ok += result.ok
    return {"ok": ok}


def _threads(info: dict[str, Any], kind: str) -> dict[str, Any]:
    from concurrent.futures import ThreadPoolExecutor

    import boto3

    client = boto3.client("cognito-idp", endpoint_url=info["endpoint_url"], region_name="us-east-1")

    if kind == "pycognito":
        from pycognito.aws_srp import AWSSRP

        def one(i: int) -> bool:
            srp = AWSSRP(f"u{i}", PASSWORD, info["pool_id"], info["client_id"], client=client)
            return "AccessToken" in srp.authenticate_user()["AuthenticationResult"]
    else:

        def one(i: int) -> bool:
            reply = client.initiate_auth(
                AuthFlow="USER_PASSWORD_AUTH",
                ClientId=info["client_id"],
                AuthParameters={"USERNAME": f"u{i}", "PASSWORD": PASSWORD},
            )
            return "AccessToken" in reply["AuthenticationResult"]

    with ThreadPoolExecutor(info["concurrency"]) as pool:
        ok = sum(pool.map(one, range(info["first"], info["first"] + info["n"])))
    return {"ok": ok}


async def _lag(info: dict[str, Any]) -> dict[str, Any]:
    lateness: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            before = loop.time()
            await asyncio.sleep(0.001)
            lateness.append(max(0.0, loop.time() - before - 0.001))

    task = asyncio.create_task(ticker())
    result = await _aiocognito({**info, "concurrency": info["n"]})
    stop.set()
    await task
    lateness.sort()
    return {
        **result,
        "p50_ms": 1000 * lateness[len(lateness) // 2],
        "p99_ms": 1000 * lateness[min(len(lateness) - 1, int(len(lateness) * 0.99))],
        "max_ms": 1000 * lateness[-1],
    }


def _cli(info: dict[str, Any]) -> dict[str, Any]:
    """``aiocognito bulk-sign-in`` as a user runs it: its own defaults plus ``info["extra"]``."""
    from aiocognito.cli import main as cli_main

    out = info["csv"] + ".out.jsonl"
    argv = ["bulk-sign-in", info["csv"], "--pool-id", info["pool_id"], "--client-id", info["client_id"]]
    argv += ["--endpoint-url", info["endpoint_url"], "--out", out, *info.get("extra", [])]
    status = cli_main(argv)
    return {"status": status, "out": out}


def _child(mode: str, info: dict[str, Any]) -> None:
    start_cpu, start = _cpu(), time.perf_counter()
    if mode == "aiocognito":
        result = asyncio.run(_aiocognito(info))
    elif mode == "cli":
        result = _cli(info)
    elif mode == "lag":
        result = asyncio.run(_lag(info))
    else:
        result = _threads(info, mode)
    wall = time.perf_counter() - start
    result.update(
        cpu=_cpu() - start_cpu, wall=wall, max_rss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    )
    if mode == "cli":  # counted after the CPU was read
        with open(result.pop("out"), encoding="utf-8") as lines:
            result["ok"] = sum("AuthenticationResult" in line for line in lines)
    print(json.dumps(result))


# --- the parent ------------------------------------------------------------------------------------------


def _users_csv(folder: str, first: int, n: int) -> str:
    """A users file for ``aiocognito bulk-sign-in``: users ``u<first>`` .. ``u<first+n-1>``."""
    path = os.path.join(folder, f"users{first}.csv")
    with open(path, "w", encoding="utf-8") as file:
        file.write("username,password\n")
        file.writelines(f"u{i},{PASSWORD}\n" for i in range(first, first + n))
    return path


def _run(mode: str, server: LocalPoolProcess, **info: Any) -> dict[str, Any]:
    info.update(endpoint_url=server.endpoint_url, pool_id=server.pool_id, client_id=server.client_id)
    if mode == "cli":
        info["csv"] = _users_csv(info.pop("folder"), info["first"], info["n"])
    env = {**os.environ, **_ENV, "AWS_EC2_METADATA_DISABLED": "true"}
    server_before = server.server_cpu_seconds()
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, json.dumps(info)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["server_cpu"] = server.server_cpu_seconds() - server_before
    result["n"] = info["n"]
    if result["ok"] != info["n"]:
        raise SystemExit(f"{mode}: only {result['ok']} of {info['n']} signed in")
    return result


_SRP_MANY = "aiocognito sign_in_many, USER_SRP_AUTH"
_PYCOGNITO = "pycognito AWSSRP + boto3, threads"
_CLI_DEFAULTS = "aiocognito bulk-sign-in, its defaults (--rate 55, --concurrency 64)"
_CLI_RATE_OFF = "aiocognito bulk-sign-in --rate off"


def _per_server(runs: list[dict[str, Any]]) -> str:
    """The client's CPU over the server's, per run: median (min-max)."""
    ratios = sorted(r["cpu"] / r["server_cpu"] for r in runs if r["server_cpu"] > 0)
    if not ratios:
        return "?"
    return f"{statistics.median(ratios):.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f})"


def _srp_ratios(measured: dict[str, list[dict[str, Any]]], rounds: int) -> list[str]:
    """Client CPU per SRP sign-in of each aiocognito path over pycognito's in the same round."""
    rows = []
    base = measured[_PYCOGNITO]
    for label in (_SRP_MANY, _CLI_DEFAULTS, _CLI_RATE_OFF):
        ratios = sorted(r["cpu"] / b["cpu"] for r, b in zip(measured[label], base, strict=True))
        cpu_ms = sorted(1000 * r["cpu"] / r["n"] for r in measured[label])
        rows.append(
            [
                label,
                f"{statistics.median(cpu_ms):.2f} ({cpu_ms[0]:.2f}-{cpu_ms[-1]:.2f})",
                f"{statistics.median(ratios):.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f})",
                _per_server(measured[label]),
            ]
        )
    pycognito_ms = sorted(1000 * r["cpu"] / r["n"] for r in base)
    spread = f"{statistics.median(pycognito_ms):.2f} ({pycognito_ms[0]:.2f}-{pycognito_ms[-1]:.2f})"
    rows.append([_PYCOGNITO, spread, "1", _per_server(base)])
    return [
        f"Client CPU per SRP sign-in, the CLI beside `sign_in_many` and pycognito, {rounds} interleaved "
        "rounds (each round runs every tool once, in turn); median (min-max over the rounds). The ratio "
        "is taken within each round, against pycognito's run of that round. The CLI runs in the child "
        "through `aiocognito.cli.main`, reading a users file and writing its JSON lines to a file; with "
        "its defaults it is held to 55 sign-ins/s, so that row is also the cost of waiting on the rate. The "
        "last column divides by the server's CPU in the same run: the server's code is the same whatever "
        "the client, so what running at 55/s rather than flat out costs the machine shows in both.",
        "",
        markdown_table(
            ["path", "client CPU ms / sign-in", "CPU / pycognito's", "client CPU / server CPU"], rows
        ),
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, help="sign-ins per tool (default 2000; --quick 300)")
    parser.add_argument("--memory-users", type=int, help="users for the memory run (default 100000)")
    parser.add_argument("--lag-users", type=int, default=500, help="concurrent sign-ins for the lag run")
    parser.add_argument("--concurrency", type=int, default=16, help="in flight / threads (default 16)")
    parser.add_argument("--repeats", type=int, default=1, help="rounds, median reported (default 1)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], json.loads(args.child[1]))
        return
    n = args.users or (300 if args.quick else 2000)
    memory_n = args.memory_users or (5000 if args.quick else 100_000)
    c = args.concurrency
    tools = [
        ("aiocognito sign_in_many, USER_SRP_AUTH", "aiocognito", {}),
        ("pycognito AWSSRP + boto3, threads", "pycognito", {}),
        ("boto3 initiate_auth USER_PASSWORD_AUTH, threads", "boto3", {}),
        ("aiocognito sign_in_many, USER_PASSWORD_AUTH", "aiocognito", {"flow": "USER_PASSWORD_AUTH"}),
        (_CLI_DEFAULTS, "cli", {"extra": []}),
        (_CLI_RATE_OFF, "cli", {"extra": ["--rate", "off"]}),
    ]
    out = ["## Bulk sign-ins (benchmarks/bench_bulk.py)", ""]
    out += [f"Command: `{command_line()}`", ""]
    figures: dict[str, dict[str, float]] = {}
    folder = tempfile.TemporaryDirectory(prefix="bench_bulk-")
    print("starting the local user pool...", file=sys.stderr, flush=True)
    with LocalPoolProcess(args.repeats * len(tools) * n + args.lag_users * 2) as server:
        rows = []
        first = 0
        measured: dict[str, list[dict[str, Any]]] = {}
        for _ in range(args.repeats):
            for label, mode, extra in tools:
                print(f"{label}: {n} sign-ins...", file=sys.stderr, flush=True)
                where = {"folder": folder.name} if mode == "cli" else {}
                measured.setdefault(label, []).append(
                    _run(mode, server, n=n, first=first, concurrency=c, **extra, **where)
                )
                first += n
        for label, _, _ in tools:
            runs = measured[label]
            cpu_ms = statistics.median(r["cpu"] for r in runs) / n * 1000
            server_ms = statistics.median(r["server_cpu"] for r in runs) / n * 1000
            rate = statistics.median(n / r["wall"] for r in runs)
            figures[label] = {"cpu_ms": cpu_ms, "server_ms": server_ms, "rate": rate}
        base = figures[_SRP_MANY]
        for label, _, _ in tools:
            f = figures[label]
            # Sign-ins/s if the client had the machine to itself: cores / client CPU per sign-in.
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            rows.append(
                [
                    label,
                    f"{f['cpu_ms']:.2f}",
                    f"{f['cpu_ms'] / base['cpu_ms']:.1f}x",
                    f"{f['server_ms']:.2f}",
                    f"{f['rate']:.0f}",
                    f"{base['rate'] / f['rate']:.2f}x",
                    f"{cores * 1000 / f['cpu_ms']:.0f}",
                ]
            )
        out += [
            f"{n} sign-ins per tool, {c} in flight (aiocognito `concurrency={c}`, `rate=None`; a thread pool "
            f"of {c} for pycognito and boto3), median of {args.repeats}. Client CPU: user + system of the "
            "client process and its reaped children (SRP worker threads, or processes without gmpy2, "
            "started and stopped inside the measurement). Server CPU: the local pool's process, same "
            "window; it shares the cores with the client, which caps the sign-ins per second of every tool.",
            "",
            markdown_table(
                [
                    "tool",
                    "client CPU ms / sign-in",
                    "vs aiocognito",
                    "server CPU ms / sign-in",
                    "sign-ins/s",
                    "aiocognito faster by",
                    "client-only sign-ins/s (cores / CPU)",
                ],
                rows,
            ),
            "",
        ]
        out += _srp_ratios(measured, args.repeats)
        lag_rows = []
        for label, workers in (("worker threads (default)", None), ("on the event loop (workers=0)", 0)):
            print(f"event-loop lag, {label}...", file=sys.stderr, flush=True)
            r = _run(
                "lag", server, n=args.lag_users, first=first, workers=workers, concurrency=args.lag_users
            )
            first += args.lag_users
            lag_rows.append([label, f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}", f"{r['max_ms']:.1f}"])
            figures[f"lag {label}"] = {"p99_ms": r["p99_ms"]}
        out += [
            f"Event-loop lag during {args.lag_users} concurrent SRP sign-ins (a task sleeping 1 ms records "
            "how late it wakes; target p99 at most 10 ms):",
            "",
            markdown_table(["SRP math", "p50 ms", "p99 ms", "max ms"], lag_rows),
            "",
        ]
    folder.cleanup()
    mem_rows = []
    for count in (memory_n // 10, memory_n):
        print(
            f"memory: {count} users (creating them in the server takes a while)...",
            file=sys.stderr,
            flush=True,
        )
        with LocalPoolProcess(count) as server:
            r = _run(
                "aiocognito", server, n=count, first=0, concurrency=64, flow="USER_PASSWORD_AUTH", workers=0
            )
        mem_rows.append(
            [f"{count:,}", f"{r['max_rss_kib'] / 1024:.1f}", f"{r['wall']:.0f}", f"{count / r['wall']:.0f}"]
        )
        figures[f"memory {count}"] = {"max_rss_mib": r["max_rss_kib"] / 1024}
    out += [
        "Peak memory streaming users through `sign_in_many` (USER_PASSWORD_AUTH, 64 in flight, rate off, "
        "results counted and dropped): the client process's max RSS, interpreter and imports included.",
        "",
        markdown_table(["users", "max RSS MiB", "seconds", "sign-ins/s"], mem_rows),
        "",
    ]
    print("\n".join(out))
    print(f"<!-- figures {json.dumps(figures)} -->")


if __name__ == "__main__":
    main()
