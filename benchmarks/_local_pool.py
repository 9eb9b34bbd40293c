"""A LocalUserPool in a process of its own, with a pool, an app client and N users, for benchmarks.

    python benchmarks/_local_pool.py --users 1000 [--password P] [--prefix u]

prints one JSON line when ready — ``{"endpoint_url": ..., "pool_id": ..., "client_id": ...}`` — then
serves until its stdin closes or it gets SIGTERM. Users are ``<prefix>0`` .. ``<prefix>N-1``, CONFIRMED,
all with the same password. From Python: ``with LocalPoolProcess(users=1000) as server: ...``.

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
        self, users: int, *, password: str = PASSWORD, prefix: str = "u", timeout: float = 600
    ) -> None:
        self.users = users
        self.password = password
        self.prefix = prefix
        self.timeout = timeout
        self.endpoint_url = self.pool_id = self.client_id = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        command = [sys.executable, str(Path(__file__).resolve()), "--users", str(self.users)]
        command += ["--password", self.password, "--prefix", self.prefix]
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


async def _serve(users: int, password: str, prefix: str) -> None:
    from aiocognito.testing import LocalUserPool

    async with LocalUserPool(shared_signing_key=True) as server:
        pool_id = await server.create_pool("bench")
        client = await server.create_client(pool_id)
        for i in range(users):
            await server.create_user(pool_id, f"{prefix}{i}", password)
        info: dict[str, Any] = {
            "endpoint_url": server.endpoint_url,
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
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.users, args.password, args.prefix))


if __name__ == "__main__":
    main()
