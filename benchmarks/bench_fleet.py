"""A fleet sharing one rate through Redis: four ``bulk-sign-in --shard K/4 --redis`` runs, one 40/s limit.

- **The rate the server sees**: N processes (default 4), each ``aiocognito bulk-sign-in --shard K/N --redis
  URL --rate R`` over one users file, sign users in with SRP against the local user pool
  (``benchmarks/_local_pool.py --record``, which notes the arrival time of every request in the server's
  process). From the ``InitiateAuth`` arrivals (one per sign-in): the aggregate rate over the run (target:
  within 5 % of R, never above it by more than the burst), the count in each whole second (its spread), and
  the most in any 1 s and 5 s window against ``R * w + burst``.
- **The grants**: the same counts for the slots the limiter granted (``Reservation.at``, on Redis's clock),
  which each shard notes (the command runs with ``RedisRateLimiter.reserve`` wrapped to record them), and
  the delay from a sign-in's slot to its ``InitiateAuth`` reaching the server (the SRP math and scheduling
  in between: what the server sees on top of the limiter).
- **The limiter's cost per acquisition**: ``RedisRateLimiter.acquire()`` against the in-process
  ``TokenBucket.acquire()``, at a rate neither ever waits for: wall and CPU time per acquisition, one at a
  time and 32 at once, and the redis-server's own CPU per acquisition.

One real ``redis-server`` (no persistence) on 127.0.0.1 is started for the run and stopped after it.

    python benchmarks/bench_fleet.py [--rate 40] [--processes 4] [--seconds 20] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
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

from benchmarks._util import REPO_ROOT, markdown_table

_BURST = 1  # RedisRateLimiter's default capacity, which bulk-sign-in uses
# The command line, with RedisRateLimiter.reserve noting each grant's slot (to $BENCH_GRANTS at exit).
_SHARD = """
import atexit, json, os, runpy, sys
from aiocognito.limits import redis as limiter_module
grants = []
original = limiter_module.RedisRateLimiter.reserve
async def reserve(self):
    reservation = await original(self)
    grants.append(reservation.at)
    return reservation
limiter_module.RedisRateLimiter.reserve = reserve
def write():
    with open(os.environ["BENCH_GRANTS"], "w") as out:
        json.dump(grants, out)
atexit.register(write)
sys.argv = ["aiocognito", *sys.argv[1:]]
runpy.run_module("aiocognito", run_name="__main__", alter_sys=True)
"""


# --- redis-server ----------------------------------------------------------------------------------


class RedisProcess:
    """A throwaway redis-server on a free port of 127.0.0.1, stopped (and reaped) by ``stop()``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("bench_fleet needs redis-server on PATH (apt-get install redis-server)")
        for _ in range(3):
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                self.port = sock.getsockname()[1]
            command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir)]
            command += ["--save", "", "--appendonly", "no"]
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while self.process.poll() is None and time.monotonic() < deadline and not self._ping():
                time.sleep(0.05)
            if self.process.poll() is None and self._ping():
                return
            self.stop()
        raise SystemExit("redis-server did not start")

    def cpu_seconds(self) -> float:
        if self.process is None:
            return 0.0
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- the fleet -------------------------------------------------------------------------------------


def _fleet(redis_url: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    users = int(args.rate * args.seconds)
    csv_path = workdir / "users.csv"
    csv_path.write_text("username,password\n" + "".join(f"u{i},{PASSWORD}\n" for i in range(users)))
    env = {
        **os.environ,
        "AIOCOGNITO_REDIS_URL": redis_url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("AIOCOGNITO_ENDPOINT_URL", None)
    with LocalPoolProcess(users, record=True) as server:
        command = [sys.executable, "-c", _SHARD, "bulk-sign-in", str(csv_path)]
        command += ["--pool-id", server.pool_id, "--client-id", server.client_id]
        command += ["--endpoint-url", server.endpoint_url, "--out", os.devnull]
        command += ["--rate", f"{args.rate:g}", "--concurrency", "16"]
        started = time.monotonic()
        shards = [
            subprocess.Popen(
                [*command, "--shard", f"{k}/{args.processes}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                env={**env, "BENCH_GRANTS": str(workdir / f"grants-{k}.json")},
            )
            for k in range(1, args.processes + 1)
        ]
        summaries = []
        for shard in shards:
            _, err = shard.communicate(timeout=args.seconds * 4 + 120)
            if shard.returncode != 0:
                raise SystemExit(f"a shard failed ({shard.returncode}): {err}")
            summaries.append(err.strip().splitlines()[-1])
        took = time.monotonic() - started
        arrivals = server.arrivals()
    arrived = {user: at for at, operation, user in arrivals if operation == "InitiateAuth"}
    if len(arrived) != users:
        raise SystemExit(f"{len(arrived)} users' InitiateAuth reached the server, for {users} users")
    # Shard K signs its rows in order, one grant each (nothing was throttled): pair them up.
    grants: list[float] = []
    delays: list[float] = []
    for k in range(1, args.processes + 1):
        slots = json.loads((workdir / f"grants-{k}.json").read_text())
        rows = range(k - 1, users, args.processes)
        if len(slots) != len(rows):
            raise SystemExit(f"shard {k}: {len(slots)} grants for {len(rows)} rows")
        grants += slots
        delays += [arrived[f"u{i}"] - slot for i, slot in zip(rows, slots, strict=True)]
    return {
        "users": users,
        "starts": sorted(arrived.values()),
        "grants": sorted(grants),
        "delays": sorted(delays),
        "summaries": summaries,
        "took": took,
    }


def _most_in_window(times: list[float], window: float) -> int:
    most = end = 0
    for start in range(len(times)):
        end = max(end, start)
        while end + 1 < len(times) and times[end + 1] <= times[start] + window:
            end += 1
        most = max(most, end - start + 1)
    return most


def _counts(times: list[float], rate: float) -> list[str]:
    """The rows' cells for one series of times: span, rate, per-second spread, most in 1 s and 5 s."""
    span = times[-1] - times[0]
    achieved = (len(times) - 1) / span
    seconds = int(span)
    per_second = [sum(1 for t in times if times[0] + i <= t < times[0] + i + 1) for i in range(seconds)]
    return [
        f"{len(times)}",
        f"{span:.2f} s",
        f"{achieved:.2f}/s ({100 * (achieved / rate - 1):+.2f} %)",
        f"{min(per_second)} / {statistics.mean(per_second):.1f} / {max(per_second)}",
        f"{statistics.pstdev(per_second):.2f}",
        f"{_most_in_window(times, 1.0)}",
        f"{_most_in_window(times, 5.0)}",
    ]


def _quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def _fleet_section(result: dict[str, Any], args: argparse.Namespace) -> list[str]:
    rate = args.rate
    labels = [
        "sign-ins",
        "first to last",
        f"aggregate rate (vs {rate:g}/s)",
        "per whole second: min / mean / max",
        "per whole second: standard deviation",
        f"most in any 1 s window (bound {rate + _BURST:g})",
        f"most in any 5 s window (bound {5 * rate + _BURST:g})",
    ]
    at_server = _counts(result["starts"], rate)
    granted = _counts(result["grants"], rate)
    rows = [[label, a, g] for label, a, g in zip(labels, at_server, granted, strict=True)]
    delays = [1000 * d for d in result["delays"]]
    rows.append(
        [
            "slot to InitiateAuth at the server: p50 / p90 / p99 / max",
            f"{_quantile(delays, 0.5):.1f} / {_quantile(delays, 0.9):.1f} / {_quantile(delays, 0.99):.1f} / "
            f"{delays[-1]:.1f} ms",
            "",
        ]
    )
    return [
        f"### {args.processes} processes sharing {rate:g}/s through one redis-server",
        "",
        f"{args.processes} runs of `aiocognito bulk-sign-in --shard K/{args.processes} --redis URL "
        f"--rate {rate:g} --concurrency 16`, {result['users']} SRP users, against the local user pool in "
        "another process; times are the arrivals of `InitiateAuth` (one per sign-in) in the server's "
        "process.",
        "",
        markdown_table(
            ["", "InitiateAuth arrivals at the server", "slots granted (Redis's clock)"], rows, "lrr"
        ),
        "",
        "The shards' own summaries:",
        "",
        *(f"- `{summary}`" for summary in result["summaries"]),
        "",
    ]


# --- cost per acquisition ----------------------------------------------------------------------------


async def _cost(redis: RedisProcess, quick: bool) -> list[list[str]]:
    from aiocognito.bulk import TokenBucket
    from aiocognito.limits import RedisRateLimiter

    unreachable = 1e12  # acquisitions per second neither limiter ever waits for
    sequential = 500 if quick else 10_000
    rows = []

    async def one_at_a_time(limiter: Any, n: int) -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(n):
            await limiter.acquire()
        return (time.perf_counter() - wall) / n, (time.process_time() - cpu) / n

    async def many_at_once(limiter: Any, n: int, tasks: int = 32) -> float:
        async def worker() -> None:
            for _ in range(n // tasks):
                await limiter.acquire()

        wall = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(tasks)))
        return (n // tasks * tasks) / (time.perf_counter() - wall)

    bucket = TokenBucket(unreachable)
    await one_at_a_time(bucket, 1_000)  # warm-up
    wall, cpu = await one_at_a_time(bucket, sequential * 10)
    rows.append(
        ["`TokenBucket` (in-process)", f"{wall * 1e6:.2f}", f"{cpu * 1e6:.2f}", "-", f"{1 / wall:,.0f}"]
    )
    async with RedisRateLimiter(redis.url, "bench-cost", unreachable) as limiter:
        await one_at_a_time(limiter, 200)  # warm-up: connections, the script loaded
        server_cpu = redis.cpu_seconds()
        wall, cpu = await one_at_a_time(limiter, sequential)
        server = (redis.cpu_seconds() - server_cpu) / sequential
        throughput = await many_at_once(limiter, sequential)
    rows.append(
        [
            "`RedisRateLimiter` (one EVALSHA)",
            f"{wall * 1e6:.0f}",
            f"{cpu * 1e6:.0f}",
            f"{server * 1e6:.0f}",
            f"{throughput:,.0f} (32 at once)",
        ]
    )
    return rows


# --- main -------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=40.0, help="the shared limit, sign-ins/s")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the fleet run lasts, about")
    parser.add_argument("--quick", action="store_true", help="a 3 s fleet run and fewer acquisitions")
    args = parser.parse_args()
    if args.quick:
        args.seconds = min(args.seconds, 3.0)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        redis = RedisProcess(workdir)
        redis.start()
        try:
            what = f"{args.processes} processes at {args.rate:g}/s for ~{args.seconds:g} s"
            print(f"fleet: {what}", file=sys.stderr)
            fleet = _fleet(redis.url, args, workdir)
            print("cost per acquisition", file=sys.stderr)
            cost = asyncio.run(_cost(redis, args.quick))
        finally:
            redis.stop()
    lines = [
        "## bench_fleet",
        "",
        *_fleet_section(fleet, args),
        "### Cost per acquisition",
        "",
        "At a rate neither limiter waits for, on this machine's redis-server over loopback: wall and CPU "
        "time of this process per acquisition (one at a time), the redis-server's CPU per acquisition, and "
        "acquisitions per second.",
        "",
        markdown_table(
            ["limiter", "wall µs/acq", "client CPU µs/acq", "redis-server CPU µs/acq", "acq/s"], cost, "lrrrr"
        ),
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
