"""The HTTP edge: POST one AWS JSON 1.1 call, read one reply, retry only where that is safe.

Every Cognito API call is a ``POST /`` with ``Content-Type: application/x-amz-json-1.1`` and
``X-Amz-Target: <TargetPrefix>.<Operation>`` (the AWS JSON 1.1 protocol). Errors come back as a
non-2xx status with ``{"__type": ..., "message": ...}`` and usually ``x-amzn-ErrorType``.

Retries must never lock a user out: a password attempt that reached Cognito has counted, so a call is
repeated after it was sent only when the caller says the operation is safe to repeat. Throttling and
failures before the request left are retried for every operation.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import re
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from ._version import __version__
from .errors import CognitoError, ProtocolError, ServiceError, TransportError, error_from_reply

__all__ = [
    "USER_AGENT",
    "connection_failure",
    "RetryPolicy",
    "Timeouts",
    "Transport",
]

_log = logging.getLogger("aiocognito")

USER_AGENT = f"aiocognito/{__version__} aiohttp/{aiohttp.__version__}"

_CONTENT_TYPE = "application/x-amz-json-1.1"
_EXCERPT_CHARS = 120
_XML_CODE = re.compile(rb"<Code>([A-Za-z0-9_.:#-]{1,128})</Code>")
_XML_MESSAGE = re.compile(rb"<Message>([^<]{0,1024})</Message>")

#: Signs one request: (url, headers, body) -> headers to send. Provided by :mod:`aiocognito.signing`.
SignHook = Callable[[str, dict[str, str], bytes], Awaitable[dict[str, str]]]


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


class _Failure(Exception):
    """One failed attempt, with what decides whether it may be repeated."""

    def __init__(self, error: CognitoError, *, sent: bool, throttled: bool = False) -> None:
        super().__init__(str(error))
        self.error = error
        self.sent = sent
        self.throttled = throttled


class Transport:
    """Posts AWS JSON 1.1 calls over one keep-alive :class:`aiohttp.ClientSession`.

    The session is created on first use (never inside ``__init__``, which may run outside a loop) unless one
    is lent with ``session=``; a lent session is never closed here.
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
        self._closed = False
        self._opening: asyncio.Lock | None = None
        self._proxies: dict[str, tuple[str | None, dict[str, str] | None]] = {}

    def __repr__(self) -> str:
        return f"<Transport timeouts={self._timeouts!r} retry={self._retry!r} closed={self._closed}>"

    @property
    def closed(self) -> bool:
        return self._closed

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
                connector = aiohttp.TCPConnector(ssl=ssl_context, limit=0, keepalive_timeout=30)
                # Never aiohttp's trust_env: it reads .netrc and the proxy settings in a thread on every
                # request (hundreds of microseconds) and would send .netrc credentials to Cognito.
                # Proxies from the environment are looked up once per endpoint instead (_proxy_for).
                self._session = aiohttp.ClientSession(
                    connector=connector,
                    trust_env=False,
                    headers={"User-Agent": self._user_agent},
                    skip_auto_headers=("Accept-Encoding",),
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
    ) -> dict[str, Any]:
        """POST one call and return its reply as a dict.

        Args:
            url: the service endpoint.
            target: the ``X-Amz-Target`` header value.
            params: the request body.
            operation: the operation name, for logs and errors.
            repeatable: whether the operation may be repeated after it reached the service.
            sign: adds SigV4 headers, for operations that need them.

        Raises:
            ServiceError: the service answered with an error (its own subclass per code).
            TransportError: no usable reply (connection, timeout, a body that is not Cognito JSON).
            ProtocolError: the reply is JSON but not an object.
        """
        body = json.dumps(params, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {"Content-Type": _CONTENT_TYPE, "X-Amz-Target": target}
        retry = self._retry
        deadline = self._clock() + retry.budget
        attempt = 0
        while True:
            attempt += 1
            try:
                send_headers = headers if sign is None else await sign(url, dict(headers), body)
                return await self._attempt(url, send_headers, body, operation, attempt, deadline)
            except _Failure as failure:
                may_repeat = failure.throttled or not failure.sent or repeatable
                wait = retry.backoff(attempt, self._rng)
                if not may_repeat or attempt >= retry.max_attempts or self._clock() + wait >= deadline:
                    raise failure.error from failure.__cause__
                _log.debug("%s: retrying in %.3f s after %s", operation, wait, type(failure.error).__name__)
                await asyncio.sleep(wait)

    async def _attempt(
        self,
        url: str,
        headers: dict[str, str],
        body: bytes,
        operation: str,
        attempt: int,
        deadline: float,
    ) -> dict[str, Any]:
        session = await self.session()
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise _Failure(TransportError("retry budget spent", operation=operation, sent=False), sent=False)
        timeout = aiohttp.ClientTimeout(
            total=min(self._timeouts.total, remaining), sock_connect=self._timeouts.connect
        )
        started = time.perf_counter()
        try:
            proxy, proxy_headers = self._proxy_for(url)
            if proxy_headers is not None and url.startswith("http:"):
                # A plain-http request goes to the proxy itself, which reads its header from it.
                headers, proxy_headers = {**headers, **proxy_headers}, None
            async with session.post(
                url, data=body, headers=headers, timeout=timeout, proxy=proxy, proxy_headers=proxy_headers
            ) as response:
                status = response.status
                request_id = response.headers.get("x-amzn-RequestId")
                error_type = response.headers.get("x-amzn-ErrorType")
                raw = await response.read()
        except aiohttp.ClientConnectorCertificateError as exc:
            raise connection_failure(exc, operation) from exc  # the same certificate fails again: no retry
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            error = connection_failure(exc, operation)
            raise _Failure(error, sent=error.sent) from exc
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug(
                "%s status=%d latency_ms=%.1f attempt=%d request_id=%s",
                operation,
                status,
                (time.perf_counter() - started) * 1000,
                attempt,
                request_id,
            )
        return _parse_reply(operation, status, raw, error_type, request_id)


def connection_failure(exc: BaseException, operation: str) -> TransportError:
    """The :class:`TransportError` for an aiohttp or timeout exception of one attempt.

    ``sent`` is false only when no connection was made, so nothing can have reached the service.
    """
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return TransportError(
            "cannot connect: the server's TLS certificate is not trusted (see ca_bundle=)",
            operation=operation,
            sent=False,
        )
    if isinstance(exc, aiohttp.ConnectionTimeoutError | aiohttp.ClientConnectorError):
        return TransportError(f"cannot connect: {type(exc).__name__}", operation=operation, sent=False)
    what = "timed out" if isinstance(exc, asyncio.TimeoutError) else f"failed: {type(exc).__name__}"
    return TransportError(what, operation=operation)


def _parse_reply(
    operation: str, status: int, raw: bytes, error_type: str | None, request_id: str | None
) -> dict[str, Any]:
    if 200 <= status < 300 and not raw.strip():
        return {}
    try:
        reply = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        xml_code = _XML_CODE.search(raw) if status >= 400 else None
        if xml_code is not None:
            # An AWS XML error (a gateway's authentication errors come this way).
            xml_message = _XML_MESSAGE.search(raw)
            text = xml_message.group(1).decode("utf-8", "replace") if xml_message else ""
            xml_error = error_from_reply(
                xml_code.group(1).decode("utf-8", "replace"),
                text,
                status=status,
                request_id=request_id,
                operation=operation,
            )
            if xml_error.throttling or status >= 500:
                raise _Failure(xml_error, sent=True, throttled=xml_error.throttling) from None
            raise xml_error from None
        error = TransportError(
            "reply is not Cognito JSON", status=status, excerpt=_excerpt(raw), operation=operation
        )
        raise _Failure(error, sent=True) from None
    if not isinstance(reply, dict):
        if 200 <= status < 300:
            raise ProtocolError(f"reply is JSON {type(reply).__name__}, not an object", step=operation)
        error = TransportError("reply is not Cognito JSON", status=status, excerpt=_excerpt(raw))
        raise _Failure(error, sent=True)
    if 200 <= status < 300:
        return reply
    code = reply.get("__type") or error_type
    if not isinstance(code, str) or not code:
        transport_error = TransportError(
            "error reply without an error code", status=status, excerpt=_excerpt(raw), operation=operation
        )
        raise _Failure(transport_error, sent=True)
    message = reply.get("message", reply.get("Message", ""))
    service_error: ServiceError = error_from_reply(
        code,
        message if isinstance(message, str) else "",
        status=status,
        request_id=request_id,
        operation=operation,
    )
    if service_error.throttling:
        raise _Failure(service_error, sent=True, throttled=True)
    if status >= 500:
        raise _Failure(service_error, sent=True)
    raise service_error


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


def _excerpt(raw: bytes) -> str:
    text = raw[: _EXCERPT_CHARS * 4].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text[:_EXCERPT_CHARS] if text else "(empty body)"
