"""A LocalUserPool in a process of its own, with a pool, an app client and N users, for benchmarks.

    python benchmarks/_local_pool.py --users 1000 [--password P] [--prefix u] [--record]

prints one JSON line when ready — ``{"endpoint_url": ..., "pool_id": ..., "client_id": ...}`` — then
serves until its stdin closes or it gets SIGTERM. Users are ``<prefix>0`` .. ``<prefix>N-1``, CONFIRMED,
all with the same password. From Python: ``with LocalPoolProcess(users=1000) as server: ...``.

With ``--record`` (``LocalPoolProcess(record=True)``), ``endpoint_url`` is a front in the same process that
notes the arrival time (``time.time()``), operation and ``AuthParameters.USERNAME`` (or "") of every request
before passing it to the pool: ``server.arrivals()`` (``GET /_arrivals`` on the front) gives them, measured
at the server.

The server's CPU time is its own (it is not a child this process has reaped until ``stop()``), so
``getrusage`` in the client counts the client only; ``server_cpu_seconds()`` reads the server's from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from _util import reap  # this folder is on sys.path: run as a script or by bench_bulk.py

__all__ = ["PASSWORD", "LocalPoolProcess"]

PASSWORD = "Bench-Passw0rd!"
_REPO_ROOT = Path(__file__).resolve().parent.parent


class LocalPoolProcess:
    """Runs this script as a subprocess; ``endpoint_url``, ``pool_id``, ``client_id`` once started."""

    def __init__(
        self,
        users: int,
        *,
        password: str = PASSWORD,
        prefix: str = "u",
        timeout: float = 600,
        record: bool = False,
    ) -> None:
        self.users = users
        self.password = password
        self.prefix = prefix
        self.timeout = timeout
        self.record = record
        self.endpoint_url = self.pool_id = self.client_id = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        command = [sys.executable, str(Path(__file__).resolve()), "--users", str(self.users)]
        command += ["--password", self.password, "--prefix", self.prefix]
        if self.record:
            command.append("--record")
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(_REPO_ROOT), os.environ.get("PYTHONPATH")])),
        }
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        try:
            info = json.loads(line)
        except ValueError:
            self.stop()
            raise RuntimeError(f"the local pool did not start: {line!r}") from None
        self.endpoint_url, self.pool_id, self.client_id = (
            info["endpoint_url"],
            info["pool_id"],
            info["client_id"],
        )

    def arrivals(self) -> list[tuple[float, str, str]]:
        """(arrival time, operation, username) of every request so far, in arrival order (``record=True``)."""
        import urllib.request

        if not self.record:
            raise RuntimeError("arrivals are recorded with record=True")
        with urllib.request.urlopen(f"{self.endpoint_url}/_arrivals", timeout=30) as response:
            return [(float(at), str(op), str(user)) for at, op, user in json.loads(response.read())]

    def server_cpu_seconds(self) -> float:
        """User + system CPU seconds of the server process so far (Linux: /proc), else 0."""
        if self._process is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        reap(process)

    def __enter__(self) -> LocalPoolProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# Headers not passed on by the recording front (hop by hop, or set by aiohttp itself).
_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length", "host"}
    | {"date", "server"}
)


@contextlib.asynccontextmanager
async def _recording_front(upstream: str) -> Any:
    """An HTTP front on 127.0.0.1 that notes each request's arrival, then passes it to ``upstream``."""
    import time

    import aiohttp
    from aiohttp import web

    arrivals: list[tuple[float, str, str]] = []
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))

    async def forward(request: web.Request) -> web.Response:
        at = time.time()
        body = await request.read()
        try:
            username = json.loads(body).get("AuthParameters", {}).get("USERNAME", "")
        except (ValueError, AttributeError):
            username = ""
        operation = request.headers.get("X-Amz-Target", "").rpartition(".")[2]
        arrivals.append((at, operation, username if isinstance(username, str) else ""))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with session.post(upstream + "/", data=body, headers=headers) as reply:
            data = await reply.read()
            kept = {k: v for k, v in reply.headers.items() if k.lower() not in _HOP}
            return web.Response(status=reply.status, body=data, headers=kept)

    async def listing(request: web.Request) -> web.Response:
        return web.json_response(arrivals)

    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_post("/", forward)
    app.router.add_get("/_arrivals", listing)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
        await session.close()


async def _serve(users: int, password: str, prefix: str, record: bool) -> None:
    from aiocognito.testing import LocalUserPool

    async with contextlib.AsyncExitStack() as stack:
        server = await stack.enter_async_context(LocalUserPool(shared_signing_key=True))
        endpoint_url = server.endpoint_url
        if record:
            endpoint_url = await stack.enter_async_context(_recording_front(endpoint_url))
        pool_id = await server.create_pool("bench")
        client = await server.create_client(pool_id)
        for i in range(users):
            await server.create_user(pool_id, f"{prefix}{i}", password)
        info: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "pool_id": pool_id,
            "client_id": client.client_id,
        }
        print(json.dumps(info), flush=True)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        # Stdin closing (the parent gone or done) also stops the server.
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        eof = asyncio.ensure_future(reader.read())
        waiter = asyncio.ensure_future(stop.wait())
        await asyncio.wait({eof, waiter}, return_when=asyncio.FIRST_COMPLETED)
        eof.cancel()
        waiter.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description="a local user pool with N users, in its own process")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--prefix", default="u")
    parser.add_argument("--record", action="store_true", help="note every request's arrival (GET /_arrivals)")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.users, args.password, args.prefix, args.record))


if __name__ == "__main__":
    main()
