"""A fault-injecting HTTP/1.1 reverse proxy on 127.0.0.1, for tests: a flaky network in front of a server.

Put it in front of the local user pool (or moto), point the client at :attr:`FaultProxy.endpoint_url`, and
it forwards each request upstream, or, as a seeded :class:`FaultPlan` (or :meth:`FaultProxy.inject`) says
for that request, does one of:

- ``drop_before``: read the request, then drop the connection without forwarding it;
- ``drop_after``: forward it (the server acts), then drop the connection: the client gets nothing;
- ``html_500`` / ``html_500_after``: answer an HTML 500 page (``_after``: once the server has acted);
- ``json_500`` / ``json_500_after``: answer Cognito's ``InternalErrorException`` (HTTP 500, JSON);
- ``throttle``: answer ``TooManyRequestsException`` (HTTP 400) without forwarding, as Cognito refuses a
  throttled request before looking at it;
- ``delay``: forward it, then hold the reply for :attr:`FaultPlan.delay` seconds (set it past the client's
  timeout), then close the connection.

Every request is recorded as an :class:`Exchange` (arrival number, operation, body, fault, whether the server
got it) once it is answered or dropped, so a test counts what reached the server: :meth:`FaultProxy.forwarded`
is "what the server saw".

The proxy speaks just enough HTTP/1.1 for an HTTP client posting bodies with a Content-Length (aiohttp,
botocore): keep-alive, one request at a time per connection, no chunked uploads.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType

import aiohttp

__all__ = ["FAULT_KINDS", "Exchange", "FaultPlan", "FaultProxy"]

#: Every fault the proxy can inject, in the order a plan draws them.
FAULT_KINDS = (
    "drop_before",
    "drop_after",
    "html_500",
    "html_500_after",
    "json_500",
    "json_500_after",
    "throttle",
    "delay",
)
_FORWARDED_FIRST = frozenset({"drop_after", "html_500_after", "json_500_after", "delay"})
_MAX_HEAD_BYTES = 64 * 1024
_MAX_BODY_BYTES = 2 * 1024 * 1024
# Hop-by-hop headers (RFC 9110 section 7.6.1) and the ones the proxy sets itself.
_NOT_FORWARDED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "accept-encoding",
    }
)
_HTML_500 = (
    b"<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\n"
    b"<body><h1>Internal Server Error</h1><p>The server encountered an internal error.</p></body></html>\n"
)


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Which faults to inject, drawn per request from ``random.Random(seed)`` in arrival order.

    Attributes:
        seed: the seed of the draws.
        rates: the probability of each fault kind per request (their sum at most 1).
        operations: the operations (``X-Amz-Target`` after the dot) that get faults; ``None``: all.
        delay: seconds a ``delay`` fault holds the reply.
    """

    seed: int = 0
    rates: Mapping[str, float] = field(default_factory=dict)
    operations: frozenset[str] | None = None
    delay: float = 1.0

    def __post_init__(self) -> None:
        unknown = set(self.rates) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if any(rate < 0 for rate in self.rates.values()) or sum(self.rates.values()) > 1:
            raise ValueError("fault rates must be probabilities adding up to at most 1")
        if self.delay < 0:
            raise ValueError("delay must not be negative")

    @classmethod
    def uniform(
        cls,
        rate: float,
        *,
        seed: int = 0,
        kinds: Iterable[str] = FAULT_KINDS,
        operations: Iterable[str] | None = None,
        delay: float = 1.0,
    ) -> FaultPlan:
        """Each of ``kinds`` with probability ``rate`` per request."""
        return cls(
            seed=seed,
            rates=dict.fromkeys(kinds, rate),
            operations=frozenset(operations) if operations is not None else None,
            delay=delay,
        )

    def draw(self, rng: random.Random, operation: str) -> str | None:
        """The fault for one request of ``operation`` (``None``: forward it untouched)."""
        if self.operations is not None and operation not in self.operations:
            return None
        point = rng.random()
        for kind in FAULT_KINDS:
            point -= self.rates.get(kind, 0.0)
            if point < 0:
                return kind
        return None


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request through the proxy.

    Attributes:
        seq: its arrival number (0-based).
        method, path: of the request line.
        operation: the operation of ``X-Amz-Target`` (after the dot), else ``"<METHOD> <path>"``.
        body: the request body as received.
        fault: the fault injected, or ``None``.
        forwarded: whether the upstream server got the request.
        upstream_status: the upstream's status, when it was forwarded and answered.
        client_status: the status the client was sent, or was to be sent after a delay (``None``: the
            connection was dropped).
        arrived_at: when the request arrived (the loop's monotonic clock, seconds).
    """

    seq: int
    method: str
    path: str
    operation: str
    body: bytes = field(repr=False)
    fault: str | None
    forwarded: bool
    upstream_status: int | None
    client_status: int | None
    arrived_at: float = 0.0

    def json(self) -> object:
        """The body as JSON (``None`` if it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(slots=True)
class _Request:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    @property
    def operation(self) -> str:
        target = self.header("X-Amz-Target")
        if target and "." in target:
            return target.partition(".")[2]
        return f"{self.method} {self.path}"


class _Dropped(Exception):
    """The proxy dropped the client's connection on purpose."""


class FaultProxy:
    """A reverse proxy to ``upstream`` that injects faults (see the module docstring).

    Use it as an async context manager::

        async with FaultProxy(local.endpoint_url, FaultPlan.uniform(0.03, seed=7, delay=0.6)) as proxy:
            pool = aiocognito.UserPool(pool_id, client_id, endpoint_url=proxy.endpoint_url)
            ...
            assert len(proxy.forwarded("InitiateAuth")) == 1

    Args:
        upstream: the server's base URL (``http://127.0.0.1:PORT``).
        plan: the faults to draw per request; ``None``: none (it then only records).
        delay: seconds a ``delay`` fault holds the reply (default: the plan's, else 1).
        host, port: where to listen (port 0: any free port).
    """

    def __init__(
        self,
        upstream: str,
        plan: FaultPlan | None = None,
        *,
        delay: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.plan = plan
        self.delay = delay if delay is not None else (plan.delay if plan is not None else 1.0)
        self.host = host
        self.port = port
        self.exchanges: list[Exchange] = []
        self._arrivals = 0
        self._rng = random.Random(plan.seed if plan is not None else 0)
        self._forced: dict[str, collections.deque[str | None]] = collections.defaultdict(collections.deque)
        self._server: asyncio.Server | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    def __repr__(self) -> str:
        return f"<FaultProxy {self.host}:{self.port} -> {self.upstream} plan={self.plan!r}>"

    # --- lifetime ------------------------------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the proxy is not running")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("already started")
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            auto_decompress=False,
            skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type"),
            timeout=aiohttp.ClientTimeout(total=60),
        )
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=_MAX_HEAD_BYTES)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def aclose(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if server is not None:
            await server.wait_closed()
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> FaultProxy:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # --- control and records -------------------------------------------------------------------------

    def inject(self, operation: str, *faults: str | None) -> None:
        """Force the faults of the next requests of ``operation``, one each (``None``: forward untouched),
        before the plan is consulted again."""
        for fault in faults:
            if fault is not None and fault not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {fault!r}; known: {FAULT_KINDS}")
            self._forced[operation].append(fault)

    def received(self, operation: str) -> list[bytes]:
        """The bodies of every request of ``operation`` the proxy got, in arrival order."""
        return [x.body for x in self.exchanges if x.operation == operation]

    def forwarded(self, operation: str) -> list[bytes]:
        """The bodies of the requests of ``operation`` the upstream server got."""
        return [x.body for x in self.exchanges if x.operation == operation and x.forwarded]

    def fault_counts(self) -> collections.Counter[str]:
        """How many faults of each kind were injected."""
        return collections.Counter(x.fault for x in self.exchanges if x.fault is not None)

    def clear(self) -> None:
        """Forget the records and any forced faults (the plan's draws go on)."""
        self.exchanges.clear()
        self._forced.clear()

    # --- serving -------------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                keep_alive = await self._exchange(request, writer)
                if not keep_alive:
                    break
        except (
            _Dropped,
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
        ):
            pass
        except asyncio.CancelledError:
            # Only aclose() cancels a connection: end it quietly (asyncio's stream callback would
            # otherwise report the cancelled task as an error).
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.transport.abort()

    def _fault_for(self, operation: str) -> str | None:
        forced = self._forced.get(operation)
        if forced:
            return forced.popleft()
        if self.plan is None:
            return None
        return self.plan.draw(self._rng, operation)

    async def _exchange(self, request: _Request, writer: asyncio.StreamWriter) -> bool:
        seq = self._arrivals
        self._arrivals += 1
        arrived_at = asyncio.get_running_loop().time()
        operation = request.operation
        fault = self._fault_for(operation)
        forwarded = False
        upstream: tuple[int, list[tuple[str, str]], bytes] | None = None
        sent_status: int | None = None

        recorded = False

        def record() -> None:
            nonlocal recorded
            recorded = True
            self.exchanges.append(
                Exchange(
                    seq=seq,
                    method=request.method,
                    path=request.path,
                    operation=operation,
                    body=request.body,
                    fault=fault,
                    forwarded=forwarded,
                    upstream_status=upstream[0] if upstream is not None else None,
                    client_status=sent_status,
                    arrived_at=arrived_at,
                )
            )

        try:
            if fault is None or fault in _FORWARDED_FIRST:
                forwarded = True
                upstream = await self._forward(request)
            if fault in ("drop_before", "drop_after"):
                raise _Dropped(fault)
            if fault in ("html_500", "html_500_after"):
                status, headers, body = 500, [("Content-Type", "text/html; charset=utf-8")], _HTML_500
            elif fault in ("json_500", "json_500_after"):
                status, headers, body = _cognito_error(
                    500, "InternalErrorException", "An internal error occurred."
                )
            elif fault == "throttle":
                status, headers, body = _cognito_error(400, "TooManyRequestsException", "Rate exceeded")
            else:
                assert upstream is not None
                status, headers, body = upstream
            sent_status = status
            record()
            if fault == "delay":
                await asyncio.sleep(self.delay)
            await _write_response(writer, status, headers, body, keep_alive=fault != "delay")
            return fault != "delay"
        except BaseException:
            if not recorded:
                record()
            raise

    async def _forward(self, request: _Request) -> tuple[int, list[tuple[str, str]], bytes]:
        assert self._session is not None
        headers = [(k, v) for k, v in request.headers if k.lower() not in _NOT_FORWARDED]
        try:
            async with self._session.request(
                request.method, self.upstream + request.path, data=request.body, headers=headers
            ) as response:
                body = await response.read()
                kept = [
                    (k, v)
                    for k, v in response.headers.items()
                    if k.lower() not in _NOT_FORWARDED and k.lower() not in ("date", "server")
                ]
                return response.status, kept, body
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            # The upstream may or may not have acted: a gateway's 502, never a test crash.
            text = f"upstream failed: {type(error).__name__}".encode()
            return 502, [("Content-Type", "text/plain; charset=utf-8")], text


def _cognito_error(status: int, code: str, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    body = json.dumps({"__type": code, "message": message}).encode()
    return status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)], body


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """One request from the connection, or ``None`` when the client closed it between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if not error.partial:
            return None
        raise
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError("malformed header line")
        headers.append((name.strip(), value.strip()))
    request = _Request(method, path, headers, b"")
    if request.header("Transfer-Encoding") is not None:
        raise ValueError("chunked uploads are not supported")
    length = int(request.header("Content-Length") or 0)
    if not 0 <= length <= _MAX_BODY_BYTES:
        raise ValueError("body too large")
    request.body = await reader.readexactly(length) if length else b""
    return request


async def _write_response(
    writer: asyncio.StreamWriter,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    keep_alive: bool,
) -> None:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    with contextlib.suppress(ConnectionError):
        await writer.drain()
