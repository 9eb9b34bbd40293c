"""The HTTP edge: send one request, read one bounded reply, retry only where that is safe.

Every Cognito API call is a ``POST /`` with ``Content-Type: application/x-amz-json-1.1`` and
``X-Amz-Target: <TargetPrefix>.<Operation>`` (the AWS JSON 1.1 protocol). Errors come back as a
non-2xx status with ``{"__type": ..., "message": ...}`` and usually ``x-amzn-ErrorType``.

Retries must never lock a user out: a password attempt that reached Cognito has counted, so a call is
repeated after it was sent only when the caller says the operation is safe to repeat. Throttling and
failures before the request left are retried for every operation.

Every reply is hostile until read within bounds (:meth:`Transport.request`, which the OAuth client and
the JWKS fetch use too):

- A redirect (3xx) is never followed: it is a :class:`~aiocognito.TransportError` naming the status, and
  the request counts as sent. aiohttp would re-POST the body (a password, a refresh token, the client
  secret) to whatever ``Location`` says, another origin included.
- At most ``max_reply_bytes`` are read per reply, counted both on the wire and after decompression
  (aiohttp's own decompression is off, for a lent session too; gzip and deflate are inflated here a
  slice at a time with ``zlib``'s ``max_length``), so a gzip bomb never lands in memory. A
  ``Content-Length`` over the cap is refused before reading; an unknown ``Content-Encoding`` is refused.
- JSON is read with :func:`aiocognito._json.loads` (bounded nesting and size, finite numbers, valid
  Unicode). A reply that is not JSON at all is a ``TransportError`` (something other than Cognito
  answered: a proxy's page, a captive portal), retried like a 5xx for operations safe to repeat. A
  2xx reply that is JSON this library refuses (nested too deep, ``1e400``, a lone surrogate...) is a
  :class:`~aiocognito.ProtocolError` naming the operation; an error reply (non-2xx) refused so is a
  ``TransportError`` with its status.

Redirects, replies over the cap and undecodable bodies are not retried: the same request would get the
same answer. The reading itself (bounded body, decompression, the AWS JSON parser) is
:mod:`aiocognito.wire.replies`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeVar

import aiohttp

from .._version import __version__
from ..errors import ServiceError, TransportError
from .replies import AttemptFailed, Reply, header_text, is_json_syntax_error, parse_reply, read_body

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_REPLY_BYTES",
    "USER_AGENT",
    "AttemptFailed",
    "Pacer",
    "Reply",
    "RetryPolicy",
    "Timeouts",
    "Transport",
    "connection_failure",
    "is_json_syntax_error",
]

_log = logging.getLogger("aiocognito")

USER_AGENT = f"aiocognito/{__version__} aiohttp/{aiohttp.__version__}"

#: Bytes read per reply unless the caller says otherwise, on the wire and after decompression.
DEFAULT_MAX_REPLY_BYTES: Final = 1024 * 1024
#: Connections a client keeps open at most (to all hosts together); more callers wait for one.
DEFAULT_MAX_CONNECTIONS: Final = 100

_CONTENT_TYPE = "application/x-amz-json-1.1"

#: Signs one request: (url, headers, body) -> headers to send. Provided by :mod:`aiocognito.signing`.
SignHook = Callable[[str, dict[str, str], bytes], Awaitable[dict[str, str]]]


class Pacer(Protocol):
    """Paces the attempts of a request (a rate limiter: :class:`aiocognito.limits.RateLimiter`).

    ``acquire`` is awaited before every attempt, retries included; a throttled attempt calls
    ``slow_down``, a reply that is not throttling ``recover``.
    """

    async def acquire(self) -> None: ...

    def slow_down(self) -> None: ...

    def recover(self) -> None: ...


_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Time limits of one HTTP attempt, in seconds.

    Attributes:
        connect: to open a connection (TCP and TLS) or take one from the pool.
        total: for the whole attempt, from sending to the last byte of the reply.
    """

    connect: float = 5.0
    total: float = 30.0

    def __post_init__(self) -> None:
        if self.connect <= 0 or self.total <= 0:
            raise ValueError("timeouts must be positive")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How calls are retried: capped exponential backoff with full jitter.

    Attributes:
        max_attempts: attempts in all, the first included (1 turns retries off).
        budget: seconds all attempts and the waits between them may take together.
        base_delay: the first backoff ceiling; it doubles every attempt.
        max_delay: the largest backoff ceiling.
    """

    max_attempts: int = 4
    budget: float = 30.0
    base_delay: float = 0.1
    max_delay: float = 5.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.budget <= 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("budget must be positive and delays not negative")

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based): full jitter."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return rng.uniform(0.0, ceiling)


#: Turns one reply into the result: ``(operation, reply) -> result``; raises :class:`AttemptFailed` for a
#: reply worth another try, a :class:`~aiocognito.CognitoError` (or its own exception) for a final one.
ReplyParser = Callable[[str, Reply], _T]


def _check_limit(value: object, name: str) -> int:
    if type(value) is not int or value < 1:
        raise ValueError(f"{name} must be a positive int")
    return value


class Transport:
    """Sends HTTP requests over one keep-alive :class:`aiohttp.ClientSession`, with bounded replies.

    The session is created on first use (never inside ``__init__``, which may run outside a loop) unless one
    is lent with ``session=``; a lent session is never closed here. Its replies are bounded the same way
    (decompression is turned off per request), but its connection limit is the lender's connector's.

    Args:
        max_reply_bytes: the default cap on the bytes of one reply (on the wire and decompressed).
        max_connections: connections the session made here keeps open at most, to all hosts together;
            further requests wait for a free one (within their time limit).

    Raises:
        ValueError: a cap that is not a positive int.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        ca_bundle: str | None = None,
        trust_env: bool = True,
        user_agent: str = USER_AGENT,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self._timeouts = timeouts
        self._retry = retry
        self._ca_bundle = ca_bundle
        self._trust_env = trust_env
        self._user_agent = user_agent
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self._clock = clock
        self.max_reply_bytes = _check_limit(max_reply_bytes, "max_reply_bytes")
        self.max_connections = _check_limit(max_connections, "max_connections")
        self._closed = False
        self._opening: asyncio.Lock | None = None
        self._proxies: dict[str, tuple[str | None, dict[str, str] | None]] = {}

    def __repr__(self) -> str:
        return f"<Transport timeouts={self._timeouts!r} retry={self._retry!r} closed={self._closed}>"

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def timeouts(self) -> Timeouts:
        """The time limits of one attempt."""
        return self._timeouts

    async def session(self) -> aiohttp.ClientSession:
        """The session calls go through, created on first use."""
        if self._closed:
            raise RuntimeError("this aiocognito client is closed")
        if self._session is not None:
            return self._session
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._session is None:
                ssl_context: ssl.SSLContext | bool = True
                if self._ca_bundle is not None:
                    # Loading a CA file reads and parses it: keep that off the event loop.
                    ssl_context = await asyncio.to_thread(ssl.create_default_context, cafile=self._ca_bundle)
                connector = aiohttp.TCPConnector(
                    ssl=ssl_context, limit=self.max_connections, keepalive_timeout=30
                )
                # Never aiohttp's trust_env: it reads .netrc and the proxy settings in a thread on every
                # request (hundreds of microseconds) and would send .netrc credentials to Cognito.
                # Proxies from the environment are looked up once per endpoint instead (_proxy_for).
                self._session = aiohttp.ClientSession(
                    connector=connector,
                    # No cookies: Cognito needs none, and a server's Set-Cookie has no business in the
                    # next request.
                    cookie_jar=aiohttp.DummyCookieJar(),
                    trust_env=False,
                    headers={"User-Agent": self._user_agent},
                    skip_auto_headers=("Accept-Encoding",),
                    auto_decompress=False,
                )
            return self._session

    def _proxy_for(self, url: str) -> tuple[str | None, dict[str, str] | None]:
        """The proxy for ``url`` from ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY``, if ``trust_env``."""
        found = self._proxies.get(url)
        if found is None:
            found = (None, None)
            if self._trust_env:
                parts = urllib.parse.urlsplit(url)
                proxies = urllib.request.getproxies_environment()
                proxy = proxies.get(parts.scheme)
                if proxy and not _bypasses_proxy(parts.hostname or "", proxies.get("no", "")):
                    proxy_parts = urllib.parse.urlsplit(proxy)
                    headers = None
                    if proxy_parts.username:
                        user = urllib.parse.unquote(proxy_parts.username)
                        password = urllib.parse.unquote(proxy_parts.password or "")
                        basic = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
                        headers = {"Proxy-Authorization": f"Basic {basic}"}
                        proxy = proxy_parts._replace(netloc=proxy_parts.netloc.rpartition("@")[2]).geturl()
                    found = (proxy, headers)
            self._proxies[url] = found
        return found

    async def aclose(self) -> None:
        """Close the session if it is ours; a lent session stays open."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()

    async def post_json(
        self,
        url: str,
        target: str,
        params: Mapping[str, Any],
        *,
        operation: str,
        repeatable: bool,
        sign: SignHook | None = None,
        max_reply_bytes: int | None = None,
        pace: Pacer | None = None,
    ) -> dict[str, Any]:
        """POST one AWS JSON 1.1 call and return its reply as a dict.

        Args:
            url: the service endpoint.
            target: the ``X-Amz-Target`` header value.
            params: the request body.
            operation: the operation name, for logs and errors.
            repeatable: whether the operation may be repeated after it reached the service.
            sign: adds SigV4 headers, for operations that need them.
            max_reply_bytes: the cap on the reply (default: the transport's).
            pace: waited for before each attempt (a rate limiter).

        Raises:
            ServiceError: the service answered with an error (its own subclass per code).
            TransportError: no usable reply (connection, timeout, a redirect, a reply over the cap, a body
                that is not Cognito JSON).
            ProtocolError: the reply is JSON but not an object, or JSON this library refuses.
            ValueError: ``params`` holds a string that is not valid Unicode, or a number that is not finite.
        """
        try:
            body = json.dumps(params, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
        except UnicodeEncodeError:
            raise ValueError(f"{operation}: a request string holds a lone UTF-16 surrogate") from None
        except ValueError:
            raise ValueError(f"{operation}: a request number is not finite") from None
        headers = {"Content-Type": _CONTENT_TYPE, "X-Amz-Target": target}
        return await self.request(
            "POST",
            url,
            body=body,
            headers=headers,
            operation=operation,
            repeatable=repeatable,
            parse=parse_reply,
            sign=sign,
            max_reply_bytes=max_reply_bytes,
            pace=pace,
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None,
        headers: Mapping[str, str],
        operation: str,
        repeatable: bool,
        parse: ReplyParser[_T],
        sign: SignHook | None = None,
        max_reply_bytes: int | None = None,
        pace: Pacer | None = None,
    ) -> _T:
        """Send one request with the retry rules and return what ``parse`` makes of the reply.

        Redirects are never followed and the reply is read within ``max_reply_bytes`` (see the module
        docstring). ``parse`` runs on every reply that is not a redirect; it raises :class:`AttemptFailed`
        for one worth another try.

        Args:
            method, url, body, headers: the request.
            operation: its name, for logs and errors.
            repeatable: whether it may be sent again after it may have reached the server.
            parse: ``(operation, reply) -> result``.
            sign: adds headers (SigV4) to each attempt.
            max_reply_bytes: the cap on the reply (default: the transport's).
            pace: awaited before each attempt; told about throttling (see :class:`Pacer`).

        Raises:
            TransportError: no usable reply (connection, timeout, a redirect, a reply over the cap, an
                unknown or corrupt ``Content-Encoding``).
            Exception: whatever ``parse`` raises (other than :class:`AttemptFailed`), or ``pace``'s
                ``acquire`` (a :class:`~aiocognito.limits.RateLimiterError`: nothing is sent).
        """
        limit = self.max_reply_bytes if max_reply_bytes is None else max_reply_bytes
        retry = self._retry
        deadline = self._clock() + retry.budget
        attempt = 0
        last: AttemptFailed | None = None
        while True:
            attempt += 1
            if last is not None and self._clock() >= deadline:
                # The wait overran the budget (a busy loop): the caller learns what really failed.
                raise last.error from last.__cause__
            if pace is not None:
                await pace.acquire()
            try:
                send_headers = headers if sign is None else await sign(url, dict(headers), body or b"")
                reply = await self._attempt(
                    method, url, send_headers, body, operation, attempt, deadline, limit
                )
                result = parse(operation, reply)
            except AttemptFailed as failure:
                if pace is not None and failure.throttled:
                    pace.slow_down()
                may_repeat = failure.throttled or not failure.sent or repeatable
                wait = retry.backoff(attempt, self._rng)
                if not may_repeat or attempt >= retry.max_attempts or self._clock() + wait >= deadline:
                    raise failure.error from failure.__cause__
                _log.debug("%s: retrying in %.3f s after %s", operation, wait, type(failure.error).__name__)
                last = failure
                await asyncio.sleep(wait)
                continue
            except ServiceError as error:
                if pace is not None and error.throttling:
                    pace.slow_down()
                raise
            if pace is not None:
                pace.recover()
            return result

    async def _attempt(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        operation: str,
        attempt: int,
        deadline: float,
        limit: int,
    ) -> Reply:
        session = await self.session()
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise AttemptFailed(
                TransportError("retry budget spent", operation=operation, sent=False), sent=False
            )
        timeout = aiohttp.ClientTimeout(
            total=min(self._timeouts.total, remaining), sock_connect=self._timeouts.connect
        )
        started = time.perf_counter()
        try:
            proxy, proxy_headers = self._proxy_for(url)
            if proxy_headers is not None and url.startswith("http:"):
                # A plain-http request goes to the proxy itself, which reads its header from it.
                headers, proxy_headers = {**headers, **proxy_headers}, None
            async with session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=timeout,
                proxy=proxy,
                proxy_headers=proxy_headers,
                allow_redirects=False,  # aiohttp would send the body again to the Location
                auto_decompress=False,  # inflated here, within the limit (a lent session too)
                raise_for_status=False,  # error replies are read here, whatever a lent session says
            ) as response:
                status = response.status
                if 300 <= status < 400:
                    raise TransportError(
                        "the server answered with a redirect, which is never followed",
                        status=status,
                        operation=operation,
                    )
                raw = await read_body(response, limit, operation)
                reply = Reply(status, response.headers, raw)
        except aiohttp.ClientConnectorCertificateError as exc:
            # The same certificate fails again: no retry.
            raise connection_failure(exc, operation, url=url) from exc
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            error = connection_failure(exc, operation, url=url)
            raise AttemptFailed(error, sent=error.sent) from exc
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug(
                "%s status=%d latency_ms=%.1f attempt=%d request_id=%s",
                operation,
                status,
                (time.perf_counter() - started) * 1000,
                attempt,
                header_text(reply.headers.get("x-amzn-RequestId")),
            )
        return reply


def _host_port(host: str | None, port: int | None) -> str:
    host = host or "?"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6
    return f"{host}:{port}" if port else host


def _url_host_port(url: str | None) -> str:
    if not url:
        return ""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return ""
    return _host_port(parts.hostname, port)


def connection_failure(exc: BaseException, operation: str, *, url: str | None = None) -> TransportError:
    """The :class:`TransportError` for an aiohttp or timeout exception of one attempt to ``url``.

    The message names the host and port tried (the proxy's, when the proxy could not be reached), never
    the rest of the URL. ``sent`` is false only when no connection was made, so nothing can have reached
    the service.
    """
    target = _url_host_port(url)
    if isinstance(exc, aiohttp.ClientConnectorError):
        try:
            tried = _host_port(exc.host, exc.port)
        except AttributeError:  # made without a connection key (never by aiohttp's connector)
            tried = target or "the server"
        if isinstance(exc, aiohttp.ClientProxyConnectionError):
            tried = f"the proxy {tried}"
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            return TransportError(
                f"cannot connect to {tried}: the server's TLS certificate is not trusted (see ca_bundle=)",
                operation=operation,
                sent=False,
            )
        return TransportError(
            f"cannot connect to {tried} ({type(exc).__name__})", operation=operation, sent=False
        )
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        where = f" to {target}" if target else ""
        return TransportError(
            f"cannot connect{where} ({type(exc).__name__})", operation=operation, sent=False
        )
    where = f" talking to {target}" if target else ""
    if isinstance(exc, asyncio.TimeoutError):
        return TransportError(f"timed out{where}", operation=operation)
    return TransportError(f"failed{where}: {type(exc).__name__}", operation=operation)


def _bypasses_proxy(host: str, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` (comma-separated hosts or domain suffixes, ``*`` for all) exempts ``host``."""
    host = host.lower().strip("[]")
    for entry in no_proxy.replace(" ", "").lower().split(","):
        if not entry:
            continue
        if entry == "*":
            return True
        name = (entry.split(":", 1)[0] if entry.count(":") == 1 else entry.strip("[]")).lstrip(".")
        if host == name or host.endswith("." + name):
            return True
    return False
