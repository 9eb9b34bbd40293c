"""Client CPU per unsigned Cognito call on loopback: aiocognito against aiohttp, aiobotocore and botocore.

Every tool makes the same unsigned ``GetUser`` call (``{"AccessToken": ...}``) to a minimal JSON server
on 127.0.0.1 that runs in another process, at concurrency 1, 10 and 100:

- ``aiohttp (floor)``: ``session.post`` with the same headers and body, then ``json.loads``;
- ``aiocognito``: ``UserPool(...).call("GetUser", ...)``, its logger at WARNING (the default);
- ``aiocognito, DEBUG log``: the same with the ``aiocognito`` logger at DEBUG into a ``NullHandler``;
- ``aiocognito, trust_env=False``: the default logging, with ``UserPool(trust_env=False)`` (a diagnostic:
  with ``trust_env`` aiohttp looks up ``.netrc`` and the proxy variables in a worker thread per request);
- ``aiobotocore``: ``get_user`` from ``AioSession().create_client("cognito-idp")`` with ``asyncio.gather``;
- ``botocore (threads)``: ``get_user`` from one botocore client shared by a ``ThreadPoolExecutor``.

Client CPU per call is this process's user + system time (``getrusage(RUSAGE_SELF)``, every thread)
over the measured calls divided by their number; the server's CPU is not in it. The median over
``--repeats`` rounds is reported, tools interleaved within each round. Also reported: wall-clock
calls/s (the server shares the machine, so it is a rough figure), and the time ``import aiocognito``
adds to a fresh interpreter against ``import aiohttp, jwt``.

    python benchmarks/bench_transport.py [--calls N] [--repeats R] [--quick] [--out FILE] [--profile]

Needs the ``bench`` extra (boto3, aiobotocore). Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import botocore.session
from aiobotocore.session import AioSession  # type: ignore[import-untyped]
from botocore.config import Config

import aiocognito
from aiocognito.wire._tables.operations import SERVICES
from benchmarks._util import (
    GET_USER_REPLY,
    REPO_ROOT,
    JsonServer,
    command_line,
    cpu_seconds,
    machine_lines,
    markdown_table,
)

TARGET_US = 100.0
TARGET_IMPORT_RATIO = 1.2
CONCURRENCIES = (1, 10, 100)
REGION = "us-east-1"
POOL_ID = "us-east-1_bench"
ACCESS_TOKEN = "eyJraWQiOiJiZW5jaCJ9.eyJzdWIiOiJiZW5jaC11c2VyIn0.c2lnbmF0dXJl"  # a dummy, never checked
PARAMS = {"AccessToken": ACCESS_TOKEN}
TARGET_HEADER = "AWSCognitoIdentityProviderService.GetUser"
PACKAGES = ("aiohttp", "yarl", "multidict", "PyJWT", "botocore", "boto3", "aiobotocore")

AIOCOGNITO = "aiocognito"
AIOCOGNITO_DEBUG = "aiocognito, DEBUG log"
AIOCOGNITO_NO_ENV = "aiocognito, trust_env=False"


def _shares(calls: int, concurrency: int) -> list[int]:
    """``calls`` split over ``concurrency`` workers as evenly as possible."""
    base, extra = divmod(calls, concurrency)
    return [base + (1 if i < extra else 0) for i in range(concurrency)]


def _check_reply(tool: str, reply: Any) -> None:
    if not isinstance(reply, dict) or reply.get("Username") != GET_USER_REPLY["Username"]:
        raise RuntimeError(f"{tool}: unexpected reply {reply!r}")


class Tool:
    """One client under test, set up for one concurrency level."""

    name = ""

    def setup(self, url: str, concurrency: int) -> None:
        raise NotImplementedError

    def run(self, calls: int, concurrency: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class AsyncTool(Tool):
    """A tool whose calls are coroutines, run by ``concurrency`` worker tasks on one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.stack = AsyncExitStack()
        self.call: Callable[[], Awaitable[Any]] | None = None

    async def open(self, url: str, concurrency: int) -> Callable[[], Awaitable[Any]]:
        raise NotImplementedError

    def setup(self, url: str, concurrency: int) -> None:
        self.call = self.loop.run_until_complete(self.open(url, concurrency))
        _check_reply(self.name, self.loop.run_until_complete(self.call()))

    def run(self, calls: int, concurrency: int) -> None:
        call = self.call
        assert call is not None

        async def worker(count: int) -> None:
            for _ in range(count):
                await call()

        async def all_workers() -> None:
            await asyncio.gather(*(worker(n) for n in _shares(calls, concurrency)))

        self.loop.run_until_complete(all_workers())

    def close(self) -> None:
        self.loop.run_until_complete(self.stack.aclose())
        self.stack = AsyncExitStack()
        self.call = None


class AiohttpFloor(AsyncTool):
    name = "aiohttp (floor)"

    async def open(self, url: str, concurrency: int) -> Callable[[], Awaitable[Any]]:
        session = await self.stack.enter_async_context(aiohttp.ClientSession())
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET_HEADER}

        async def call() -> Any:
            body = json.dumps(PARAMS, separators=(",", ":")).encode()
            async with session.post(url, data=body, headers=headers) as response:
                raw = await response.read()
            return json.loads(raw)

        return call


class Aiocognito(AsyncTool):
    name = AIOCOGNITO

    def __init__(
        self, loop: asyncio.AbstractEventLoop, *, debug_log: bool = False, trust_env: bool = True
    ) -> None:
        super().__init__(loop)
        self.debug_log = debug_log
        self.trust_env = trust_env
        if debug_log:
            self.name = AIOCOGNITO_DEBUG
        elif not trust_env:
            self.name = AIOCOGNITO_NO_ENV

    async def open(self, url: str, concurrency: int) -> Callable[[], Awaitable[Any]]:
        if "GetUser" not in SERVICES["cognito-idp"].unauthenticated:
            raise RuntimeError("aiocognito would sign GetUser: this benchmark measures unsigned calls")
        pool = await self.stack.enter_async_context(
            aiocognito.UserPool(POOL_ID, "client", endpoint_url=url, trust_env=self.trust_env)
        )

        async def call() -> Any:
            return await pool.call("GetUser", PARAMS)

        return call

    def run(self, calls: int, concurrency: int) -> None:
        if not self.debug_log:
            super().run(calls, concurrency)
            return
        logger = logging.getLogger("aiocognito")
        handler = logging.NullHandler()
        saved = logger.level, logger.propagate
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        try:
            super().run(calls, concurrency)
        finally:
            logger.removeHandler(handler)
            logger.setLevel(saved[0])
            logger.propagate = saved[1]


def _botocore_config(concurrency: int) -> Config:
    # Standard retries with 4 attempts in all, as aiocognito's default RetryPolicy.
    return Config(max_pool_connections=concurrency, retries={"mode": "standard", "total_max_attempts": 4})


def _client_kwargs(url: str, concurrency: int) -> dict[str, Any]:
    return {
        "endpoint_url": url,
        "region_name": REGION,
        "aws_access_key_id": "x",
        "aws_secret_access_key": "y",
        "config": _botocore_config(concurrency),
    }


def _assert_unsigned(request: Any, **_: Any) -> None:
    if "Authorization" in request.headers:
        raise RuntimeError("botocore signed GetUser: this benchmark measures unsigned calls")


class Aiobotocore(AsyncTool):
    name = "aiobotocore"

    async def open(self, url: str, concurrency: int) -> Callable[[], Awaitable[Any]]:
        client = await self.stack.enter_async_context(
            AioSession().create_client("cognito-idp", **_client_kwargs(url, concurrency))
        )

        async def call() -> Any:
            return await client.get_user(AccessToken=ACCESS_TOKEN)

        self.client = client
        return call

    def setup(self, url: str, concurrency: int) -> None:
        super().setup(url, concurrency)
        # Once more with a check that the call went unsigned, then without it (it costs CPU).
        events = self.client.meta.events
        events.register("before-send.cognito-idp.GetUser", _assert_unsigned)
        assert self.call is not None
        self.loop.run_until_complete(self.call())
        events.unregister("before-send.cognito-idp.GetUser", _assert_unsigned)


class Botocore(Tool):
    name = "botocore (threads)"

    def __init__(self) -> None:
        self.client: Any = None
        self.executor: ThreadPoolExecutor | None = None

    def setup(self, url: str, concurrency: int) -> None:
        session = botocore.session.get_session()
        self.client = session.create_client("cognito-idp", **_client_kwargs(url, concurrency))
        self.executor = ThreadPoolExecutor(max_workers=concurrency)
        events = self.client.meta.events
        events.register("before-send.cognito-idp.GetUser", _assert_unsigned)
        _check_reply(self.name, self.client.get_user(AccessToken=ACCESS_TOKEN))
        events.unregister("before-send.cognito-idp.GetUser", _assert_unsigned)

    def run(self, calls: int, concurrency: int) -> None:
        get_user = self.client.get_user
        assert self.executor is not None

        def worker(count: int) -> None:
            for _ in range(count):
                get_user(AccessToken=ACCESS_TOKEN)

        futures = [self.executor.submit(worker, n) for n in _shares(calls, concurrency)]
        wait(futures)
        for future in futures:
            future.result()

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown()
        if self.client is not None:
            self.client.close()
        self.client = self.executor = None


@dataclass
class Result:
    tool: str
    cpu_us: float  # client CPU microseconds per call, median over rounds
    calls_per_s: float  # wall-clock, median over rounds


def measure_level(tools: list[Tool], url: str, concurrency: int, calls: int, repeats: int) -> list[Result]:
    """Set every tool up at ``concurrency``, warm it up, then measure rounds with the tools interleaved."""
    warmup = max(2 * concurrency, 100)
    for tool in tools:
        tool.setup(url, concurrency)
        tool.run(warmup, concurrency)
    cpu: dict[str, list[float]] = {tool.name: [] for tool in tools}
    rate: dict[str, list[float]] = {tool.name: [] for tool in tools}
    try:
        for _ in range(repeats):
            for tool in tools:
                wall0, cpu0 = time.perf_counter(), cpu_seconds(children=False)
                tool.run(calls, concurrency)
                cpu1, wall1 = cpu_seconds(children=False), time.perf_counter()
                cpu[tool.name].append((cpu1 - cpu0) / calls * 1e6)
                rate[tool.name].append(calls / (wall1 - wall0))
    finally:
        for tool in tools:
            tool.close()
    return [Result(t.name, statistics.median(cpu[t.name]), statistics.median(rate[t.name])) for t in tools]


def import_seconds(runs: int) -> dict[str, float]:
    """Median wall seconds of a fresh interpreter for each statement, runs interleaved, after a warm-up."""
    statements = {"pass": "pass", "aiocognito": "import aiocognito", "aiohttp, jwt": "import aiohttp, jwt"}
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    times: dict[str, list[float]] = {name: [] for name in statements}
    for round_ in range(runs + 1):
        for name, code in statements.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=REPO_ROOT)
            elapsed = time.perf_counter() - start
            if round_:  # the first round only warms the bytecode and OS file caches
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


def profile_aiocognito(url: str, calls: int, concurrency: int, top: int = 30) -> str:
    """cProfile (CPU time, all threads) of ``calls`` aiocognito calls at ``concurrency``, by own time."""
    loop = asyncio.new_event_loop()
    tool = Aiocognito(loop)
    try:
        tool.setup(url, concurrency)
        tool.run(max(2 * concurrency, 100), concurrency)
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        tool.run(calls, concurrency)
        profiler.disable()
        tool.close()
    finally:
        loop.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    out.write("\n--- by cumulative time: aiocognito, aiohttp's client and executor hops ---\n")
    frames = r"(pool|transport|client|client_reqrep|connector|threads)\.py|run_in_executor"
    stats.sort_stats("cumulative").print_stats(frames, top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, help="measured calls per tool per round (default 2000)")
    parser.add_argument("--repeats", type=int, help="measured rounds; the median is reported (default 3)")
    parser.add_argument(
        "--import-runs", type=int, help="fresh interpreters per import statement (default 10)"
    )
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=list(CONCURRENCIES), help="levels (default 1 10 100)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a short run for CI: 100 calls, 1 round, 2 imports"
    )
    parser.add_argument("--server", choices=("asyncio", "aiohttp"), default="asyncio", help="server kind")
    parser.add_argument("--profile", action="store_true", help="append a cProfile of the aiocognito path")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    calls = args.calls or (100 if args.quick else 2000)
    repeats = args.repeats or (1 if args.quick else 3)
    import_runs = args.import_runs or (2 if args.quick else 10)
    if calls < 1 or repeats < 1 or import_runs < 1 or min(args.concurrency) < 1:
        parser.error("--calls, --repeats, --import-runs and --concurrency must be positive")

    # The default: aiocognito logs at WARNING and nothing configures the root logger.
    logging.getLogger("aiocognito").setLevel(logging.WARNING)

    report = [
        "# aiocognito transport benchmark: client CPU per unsigned call",
        "",
        *machine_lines(PACKAGES),
        f"- aiocognito: {aiocognito.__version__} (from {REPO_ROOT})",
        f"- Command: `{command_line()}`",
        f"- Call: unsigned `GetUser` to a local {args.server} JSON server on 127.0.0.1 in another process; "
        f"{calls} measured calls per tool per round, {repeats} round(s), median reported",
        "",
    ]
    met_cpu: dict[int, bool] = {}
    levels: dict[int, list[Result]] = {}
    with JsonServer(GET_USER_REPLY, kind=args.server) as server:
        loop = asyncio.new_event_loop()
        try:
            for concurrency in args.concurrency:
                tools: list[Tool] = [
                    AiohttpFloor(loop),
                    Aiocognito(loop),
                    Aiocognito(loop, debug_log=True),
                    Aiocognito(loop, trust_env=False),
                    Aiobotocore(loop),
                    Botocore(),
                ]
                print(f"concurrency {concurrency}...", file=sys.stderr, flush=True)
                levels[concurrency] = measure_level(tools, server.url, concurrency, calls, repeats)
        finally:
            loop.close()
        profile = profile_aiocognito(server.url, calls, 10) if args.profile else ""

    for concurrency, results in levels.items():
        ours = next(r for r in results if r.tool == AIOCOGNITO).cpu_us
        met_cpu[concurrency] = ours <= TARGET_US
        rows = [
            (r.tool, f"{r.cpu_us:.1f}", f"{r.calls_per_s:,.0f}", f"{r.cpu_us / ours:.2f}x") for r in results
        ]
        report += [
            f"## Concurrency {concurrency}",
            "",
            markdown_table(("tool", "client CPU us/call", "calls/s (wall)", "CPU vs aiocognito"), rows),
            "",
        ]

    print("timing imports...", file=sys.stderr, flush=True)
    imports = import_seconds(import_runs)
    base = imports["pass"]
    ours_ms = (imports["aiocognito"] - base) * 1000
    theirs_ms = (imports["aiohttp, jwt"] - base) * 1000
    ratio = ours_ms / theirs_ms if theirs_ms > 0 else float("inf")
    report += [
        "## Import time",
        "",
        f"Median wall time of `python -c ...` over {import_runs} fresh interpreters, minus `python -c pass` "
        f"({base * 1000:.1f} ms).",
        "",
        markdown_table(
            ("statement", "added ms"),
            [("import aiocognito", f"{ours_ms:.1f}"), ("import aiohttp, jwt", f"{theirs_ms:.1f}")],
        ),
        "",
        f"Ratio: {ratio:.2f}x",
        "",
        "## Targets",
        "",
    ]
    for concurrency, ok in met_cpu.items():
        by_tool = {r.tool: r for r in levels[concurrency]}
        verdict = "met" if ok else "MISSED"
        line = (
            f"- <= {TARGET_US:.0f} us client CPU per call at concurrency {concurrency}: "
            f"{verdict} ({by_tool[AIOCOGNITO].cpu_us:.1f} us"
        )
        floor = by_tool.get(AiohttpFloor.name)
        if floor is not None:
            line += f"; aiohttp's floor {floor.cpu_us:.1f} us"
        no_env = by_tool.get(AIOCOGNITO_NO_ENV)
        if no_env is not None:
            line += f"; with trust_env=False {no_env.cpu_us:.1f} us"
        report.append(line + ")")
    verdict = "met" if ratio <= TARGET_IMPORT_RATIO else "MISSED"
    report.append(
        f"- `import aiocognito` <= {TARGET_IMPORT_RATIO}x `import aiohttp, jwt`: {verdict} ({ratio:.2f}x)"
    )
    if profile:
        report += ["", "## Profile: aiocognito at concurrency 10", "", "```", profile.rstrip(), "```"]
    text = "\n".join(report) + "\n"
    print(text)
    if args.out is not None:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
