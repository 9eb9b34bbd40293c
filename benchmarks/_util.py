"""Helpers shared by the benchmarks: the machine, CPU time, Markdown tables, a local JSON server.

The server runs in a separate process (``python benchmarks/_util.py serve``), so the CPU it spends
answering is never counted as the client's: measure the client with ``cpu_seconds(children=False)``,
or stop the server (which reaps it) only after the last measurement; ``server.cpu_seconds()`` reads
the server's own.

    with JsonServer(GET_USER_REPLY) as server:
        ...  # POST to server.url

    # One fixed reply per operation (the X-Amz-Target after its "."), the default for the others:
    with JsonServer(DEFAULT, replies={"InitiateAuth": CHALLENGE, "RespondToAuthChallenge": TOKENS}):
        ...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import platform
import resource
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "GET_USER_REPLY",
    "REPO_ROOT",
    "JsonServer",
    "command_line",
    "cpu_model",
    "cpu_seconds",
    "machine_lines",
    "markdown_table",
    "package_versions",
    "process_cpu_seconds",
]

REPO_ROOT = Path(__file__).resolve().parent.parent

#: A ``GetUser`` reply, about the size Cognito sends for a user with a few attributes.
GET_USER_REPLY: dict[str, Any] = {
    "Username": "bench-user",
    "UserAttributes": [
        {"Name": "sub", "Value": "5b1b0a6e-7f0c-4c1e-9a53-0d2f3c7d9e11"},
        {"Name": "email_verified", "Value": "true"},
        {"Name": "email", "Value": "bench-user@example.com"},
    ],
}

_REQUEST_ID = "c0ffee00-0000-4000-8000-000000000000"
_MAX_HEAD = 64 * 1024


# --- CPU time -----------------------------------------------------------------------------------


def cpu_seconds(*, children: bool = True) -> float:
    """User + system CPU seconds of this process (all its threads), plus its reaped children if asked.

    ``RUSAGE_CHILDREN`` only counts children that have ended and been waited for: a server still running
    in another process is not in it either way.
    """
    whos = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) if children else (resource.RUSAGE_SELF,)
    total = 0.0
    for who in whos:
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of another running process so far (Linux: /proc), else 0."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the machine --------------------------------------------------------------------------------


def cpu_model() -> str:
    """The CPU model name, as the OS reports it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, check=True
            )
            return out.stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    return platform.processor() or platform.machine() or "unknown"


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """Installed distribution versions by name ("not installed" where missing)."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def machine_lines(packages: Iterable[str] = ()) -> list[str]:
    """Markdown bullet lines describing the machine, Python and the given packages."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines = [
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores ({usable} usable by this process)",
        f"- OS: {platform.system()} {platform.release()} ({platform.machine()})",
        f"- Python: {platform.python_implementation()} {platform.python_version()} ({sys.executable})",
    ]
    versions = package_versions(packages)
    if versions:
        lines.append("- Packages: " + ", ".join(f"{name} {version}" for name, version in versions.items()))
    return lines


def command_line() -> str:
    """How this benchmark was run, shell-quoted."""
    return shlex.join([Path(sys.executable).name, *sys.argv])


# --- Markdown -----------------------------------------------------------------------------------


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]], align: str = "") -> str:
    """A Markdown table; ``align`` has one ``l`` or ``r`` per column (default: first left, others right)."""
    body = [[str(cell) for cell in row] for row in rows]
    if not align:
        align = "l" + "r" * (len(headers) - 1)
    widths = [len(h) for h in headers]
    for row in body:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(w) if a == "l" else cell.rjust(w)
            for cell, w, a in zip(cells, widths, align, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2)) for w, a in zip(widths, align, strict=True)
        )
        + "|"
    )
    return "\n".join([line(list(headers)), rule, *(line(row) for row in body)])


# --- the local JSON server ----------------------------------------------------------------------


def reap(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Wait for a stopping server process (kill it after ``timeout``) and close its output pipe."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


class JsonServer:
    """A minimal HTTP/1.1 server in a separate process answering every request with one JSON reply.

    ``replies`` maps operation names (what follows the last "." of ``X-Amz-Target``) to a reply of their
    own; other requests get ``reply`` (only the asyncio kind reads it).

    ``kind="asyncio"`` (default) is a bare :class:`asyncio.Protocol` with keep-alive, as cheap as a server
    gets in Python; ``kind="aiohttp"`` is an :mod:`aiohttp.web` app. Both send
    ``Content-Type: application/x-amz-json-1.1`` and ``x-amzn-RequestId``. Listens on 127.0.0.1 at a free
    port; ``url`` is ``http://127.0.0.1:<port>/``.
    """

    def __init__(
        self,
        reply: Mapping[str, Any] = GET_USER_REPLY,
        *,
        kind: str = "asyncio",
        replies: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        if kind not in ("asyncio", "aiohttp"):
            raise ValueError("kind must be 'asyncio' or 'aiohttp'")
        if replies and kind != "asyncio":
            raise ValueError("replies per operation need kind='asyncio'")
        self.reply = dict(reply)
        self.replies = {name: dict(value) for name, value in (replies or {}).items()}
        self.kind = kind
        self.port = 0
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("the server is not running")
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        command = [sys.executable, str(Path(__file__).resolve()), "serve", "--kind", self.kind]
        command += ["--reply", json.dumps(self.reply, separators=(",", ":"))]
        if self.replies:
            command += ["--replies", json.dumps(self.replies, separators=(",", ":"))]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        ready = self._process.stdout.readline()
        if not ready.startswith("port "):
            self.stop()
            raise RuntimeError(f"the benchmark server did not start: {ready!r}")
        self.port = int(ready.split()[1])

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the server process has used so far (0 when not running)."""
        return 0.0 if self._process is None else process_cpu_seconds(self._process.pid)

    def stop(self) -> None:
        process, self._process = self._process, None
        self.port = 0
        if process is None:
            return
        process.terminate()
        reap(process)

    def __enter__(self) -> JsonServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _response_bytes(body: bytes) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/x-amz-json-1.1\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"x-amzn-RequestId: {_REQUEST_ID}\r\n"
        "Connection: keep-alive\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


class _JsonProtocol(asyncio.Protocol):
    """Reads requests with a Content-Length body (no chunked uploads: none of the clients sends one)."""

    def __init__(self, response: bytes, by_operation: Mapping[bytes, bytes] | None = None) -> None:
        self._response = response
        self._by_operation = by_operation or {}
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > _MAX_HEAD:
                    self._close()
                return
            length = 0
            response = self._response
            for line in bytes(buffer[:end]).split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"x-amz-target" and self._by_operation:
                    response = self._by_operation.get(value.strip().rpartition(b".")[2], response)
            total = end + 4 + length
            if len(buffer) < total:
                return
            del buffer[:total]
            if self._transport is not None:
                self._transport.write(response)

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def _serve_asyncio(reply: bytes, replies: Mapping[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    response = _response_bytes(reply)
    by_operation = {
        name.encode("ascii"): _response_bytes(json.dumps(value, separators=(",", ":")).encode())
        for name, value in replies.items()
    }
    server = await loop.create_server(
        lambda: _JsonProtocol(response, by_operation), "127.0.0.1", 0, backlog=1024
    )
    port = server.sockets[0].getsockname()[1]
    print(f"port {port}", flush=True)
    async with server:
        await server.serve_forever()


async def _serve_aiohttp(reply: bytes, replies: Mapping[str, Any]) -> None:
    from aiohttp import web

    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": _REQUEST_ID}

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=reply, headers=headers)

    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock, backlog=1024)
    await site.start()
    print(f"port {sock.getsockname()[1]}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def _main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="benchmark helpers")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the local JSON server (prints 'port N' when ready)")
    serve.add_argument("--kind", choices=("asyncio", "aiohttp"), default="asyncio")
    serve.add_argument("--reply", default=json.dumps(GET_USER_REPLY, separators=(",", ":")))
    serve.add_argument("--replies", default="{}", help="JSON: operation name -> its own reply")
    args = parser.parse_args(argv)
    reply = args.reply.encode()
    serve_fn = _serve_asyncio if args.kind == "asyncio" else _serve_aiohttp
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_fn(reply, json.loads(args.replies)))


if __name__ == "__main__":
    import signal

    # Terminate quietly: the benchmark stops the server with SIGTERM.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    _main()
