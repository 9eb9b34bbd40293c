"""What a hostile server and a crowd of callers cost the client: memory under a gzip bomb, sockets in use.

Two measurements, each of the client in a process of its own with its servers in others:

- **Gzip bomb**: a server on 127.0.0.1 answers ``UserPool.call("GetUser", ...)`` with a gzip body of a few
  hundred KiB that expands to ``--bomb-mib`` MiB of JSON (``{"Username": "xxx..."}``). Reported: the growth
  of the client's peak RSS during that one call (``/proc/self/clear_refs`` resets the peak first, after a
  warm-up call to a normal endpoint), and what the call raised. Once with the pool's own session and once
  with a lent ``aiohttp.ClientSession()`` (aiohttp's default: automatic decompression on).
- **Sockets**: ``--callers`` concurrent ``pool.call("GetUser", ...)`` with a signed-in user's access token
  against the local user pool (``benchmarks/_local_pool.py``) through one ``UserPool`` with its defaults.
  A thread samples ``/proc/net/tcp`` every millisecond or so and the report gives the most client sockets
  ESTABLISHED to the pool's port at one time, and how many calls succeeded.

    python benchmarks/bench_hostile.py [--bomb-mib 300] [--callers 2000] [--quick] [--out FILE]

Linux only (``/proc``). Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _local_pool import PASSWORD, LocalPoolProcess
from _util import reap

from benchmarks._util import command_line, machine_lines, markdown_table

HERE = Path(__file__).resolve()
POOL_ID = "us-east-1_hostile"
_BOMB_PATH = "/bomb"
_WARM_PATH = "/warm"
_PACKAGES = ("aiohttp", "yarl", "multidict")


# --- the bomb server (a process of its own) --------------------------------------------------------


def _bomb_body(mib: int) -> bytes:
    """``{"Username":"xxx...x"}`` of about ``mib`` MiB, gzip-compressed (level 9), built a MiB at a time."""
    import io

    out = io.BytesIO()
    block = b"x" * (1 << 20)
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as packed:
        packed.write(b'{"Username":"')
        for _ in range(mib):
            packed.write(block)
        packed.write(b'"}')
    return out.getvalue()


class _Answer(asyncio.Protocol):
    """Answers each request: the bomb on ``/bomb``, a small JSON reply elsewhere (keep-alive)."""

    def __init__(self, bomb: bytes) -> None:
        self._bomb = bomb
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0 or self._transport is None:
                return
            lines = bytes(self._buffer[:end]).split(b"\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self._buffer) < end + 4 + length:
                return
            del self._buffer[: end + 4 + length]
            path = lines[0].split(b" ")[1].decode("ascii", "replace")
            if path == _BOMB_PATH:
                head = f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(self._bomb)}\r\n"
                body = self._bomb
            else:
                body = b'{"Username":"warm"}'
                head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n"
            head += "Content-Type: application/x-amz-json-1.1\r\n\r\n"
            self._transport.write(head.encode("ascii") + body)


async def _serve_bomb(mib: int) -> None:
    bomb = _bomb_body(mib)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Answer(bomb), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port, "compressed": len(bomb)}), flush=True)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    async with server:
        await reader.read()  # until the parent closes stdin


# --- the bomb client (a process of its own) --------------------------------------------------------


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> int:
    """Start the peak RSS (VmHWM) again from the current RSS; return it, in KiB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kib("VmHWM")


async def _bomb_client(port: int, lent: bool) -> dict[str, Any]:
    import aiohttp

    import aiocognito

    base = f"http://127.0.0.1:{port}"
    params = {"AccessToken": "a.b.c"}
    async with aiocognito.UserPool(POOL_ID, "client", endpoint_url=base + _WARM_PATH) as warm:
        await warm.call("GetUser", params)  # imports and warms everything on the way
    session = aiohttp.ClientSession() if lent else None
    # Entering the pool makes its session, so the measured call pays for the reply only.
    bomb = aiocognito.UserPool(POOL_ID, "client", endpoint_url=base + _BOMB_PATH, session=session)
    async with bomb as pool:
        before = _reset_peak()
        started = time.perf_counter()
        outcome = "returned"
        try:
            await pool.call("GetUser", params)
        except Exception as exc:  # the report says what came out, MemoryError included
            outcome = f"{type(exc).__name__}: {str(exc)[:90]}"
        seconds = time.perf_counter() - started
        peak = _status_kib("VmHWM")
    if session is not None:
        await session.close()
    return {"growth_mib": (peak - before) / 1024, "seconds": seconds, "outcome": outcome}


def measure_bomb(mib: int) -> tuple[int, list[dict[str, Any]]]:
    """(compressed bytes, one result per client kind)."""
    server = subprocess.Popen(
        [sys.executable, str(HERE), "serve-bomb", "--mib", str(mib)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        results = []
        for lent in (False, True):
            command = [sys.executable, str(HERE), "bomb-client", "--port", str(info["port"])]
            done = subprocess.run(
                [*command, *(["--lent"] if lent else [])],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"the bomb client failed: {done.stderr[-2000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result["session"] = "lent aiohttp.ClientSession()" if lent else "the pool's own"
            results.append(result)
        return info["compressed"], results
    finally:
        if server.stdin is not None:
            server.stdin.close()
        reap(server)


# --- sockets under many callers (a process of its own) ---------------------------------------------


def _established_to(port: int) -> int:
    """Client sockets ESTABLISHED to 127.0.0.1:``port`` (IPv4, this network namespace)."""
    wanted = f":{port:04X}"
    count = 0
    with open("/proc/net/tcp", encoding="ascii") as table:
        next(table)
        for line in table:
            fields = line.split(None, 4)
            if fields[3] == "01" and fields[2].endswith(wanted):
                count += 1
    return count


async def _sockets_client(endpoint: str, pool_id: str, client_id: str, callers: int) -> dict[str, Any]:
    import urllib.parse

    import aiocognito

    port = urllib.parse.urlsplit(endpoint).port or 80
    async with aiocognito.UserPool(pool_id, client_id, endpoint_url=endpoint) as pool:
        step = await pool.sign_in("u0", PASSWORD)
        assert step.user is not None
        token = (await step.user.tokens()).access_token
        peak = 0
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, _established_to(port))
                stop.wait(0.001)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        results = await asyncio.gather(
            *(pool.call("GetUser", {"AccessToken": token}) for _ in range(callers)), return_exceptions=True
        )
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
    errors: dict[str, int] = {}
    for result in results:
        if isinstance(result, BaseException):
            errors[type(result).__name__] = errors.get(type(result).__name__, 0) + 1
    ok = sum(1 for result in results if isinstance(result, dict) and result.get("Username") == "u0")
    return {"peak": peak, "ok": ok, "errors": errors, "seconds": seconds}


def measure_sockets(callers: int) -> dict[str, Any]:
    with LocalPoolProcess(users=1) as server:
        command = [sys.executable, str(HERE), "sockets-client", "--endpoint", server.endpoint_url]
        command += ["--pool-id", server.pool_id, "--client-id", server.client_id, "--callers", str(callers)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the sockets client failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- the report ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve-bomb")
    serve.add_argument("--mib", type=int, required=True)
    bomb = commands.add_parser("bomb-client")
    bomb.add_argument("--port", type=int, required=True)
    bomb.add_argument("--lent", action="store_true")
    sockets = commands.add_parser("sockets-client")
    for name in ("--endpoint", "--pool-id", "--client-id"):
        sockets.add_argument(name, required=True)
    sockets.add_argument("--callers", type=int, required=True)
    parser.add_argument("--bomb-mib", type=int, help="MiB the gzip bomb expands to (default 300)")
    parser.add_argument("--callers", type=int, help="concurrent callers (default 2000)")
    parser.add_argument("--quick", action="store_true", help="a short run: a 16 MiB bomb, 200 callers")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    env = ("AWS_EC2_METADATA_DISABLED", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    for name, value in zip(env, ("true", "testing", "testing", "us-east-1"), strict=True):
        os.environ.setdefault(name, value)
    if args.command == "serve-bomb":
        asyncio.run(_serve_bomb(args.mib))
        return
    if args.command == "bomb-client":
        print(json.dumps(asyncio.run(_bomb_client(args.port, args.lent))))
        return
    if args.command == "sockets-client":
        found = asyncio.run(_sockets_client(args.endpoint, args.pool_id, args.client_id, args.callers))
        print(json.dumps(found))
        return

    mib = args.bomb_mib or (16 if args.quick else 300)
    callers = args.callers or (200 if args.quick else 2000)
    if mib < 1 or callers < 1:
        parser.error("--bomb-mib and --callers must be positive")
    print(f"gzip bomb of {mib} MiB...", file=sys.stderr, flush=True)
    compressed, bombs = measure_bomb(mib)
    print(f"{callers} concurrent callers...", file=sys.stderr, flush=True)
    crowd = measure_sockets(callers)

    import aiocognito

    report = [
        "# aiocognito against a hostile server and a crowd: memory and sockets",
        "",
        *machine_lines(_PACKAGES),
        f"- aiocognito: {aiocognito.__version__} (from {Path(aiocognito.__file__).resolve().parent.parent})",
        f"- Command: `{command_line()}`",
        "",
        f"## Gzip bomb: {compressed / 1024:.0f} KiB of gzip expanding to {mib} MiB of JSON",
        "",
        'Growth of the client\'s peak RSS (VmHWM, reset before the call) during one `pool.call("GetUser")`.',
        "",
        markdown_table(
            ("session", "peak RSS growth MiB", "seconds", "the call"),
            [(b["session"], f"{b['growth_mib']:.1f}", f"{b['seconds']:.2f}", b["outcome"]) for b in bombs],
        ),
        "",
        f'## Sockets: {callers} concurrent `pool.call("GetUser")` through one `UserPool` (defaults)',
        "",
        markdown_table(
            ("most sockets open to the pool", "calls answered", "errors", "seconds"),
            [(crowd["peak"], crowd["ok"], json.dumps(crowd["errors"]) or "{}", f"{crowd['seconds']:.2f}")],
        ),
        "",
    ]
    text = "\n".join(report)
    print(text)
    if args.out is not None:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
