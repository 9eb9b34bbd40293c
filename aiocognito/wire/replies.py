"""Reading a reply within bounds: the :class:`Reply` value, the bounded (and decompressed) body, and
the AWS JSON 1.1 reply parser; no request is sent here.

At most ``limit`` bytes are read per reply, counted both on the wire and after decompression: gzip and
deflate are inflated a slice at a time with ``zlib``'s ``max_length``, so a gzip bomb never lands in
memory. JSON is read with :func:`aiocognito.core.safe_json.loads`. A parser raises
:class:`AttemptFailed` for a reply worth another try; the transport's retry loop decides.
"""

from __future__ import annotations

import asyncio
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

import aiohttp

from ..core.safe_json import JsonError, is_valid_text, loads
from ..errors import CognitoError, ProtocolError, ServiceError, TransportError, error_from_reply

__all__ = [
    "AttemptFailed",
    "Inflater",
    "Reply",
    "header_text",
    "is_json_syntax_error",
    "parse_reply",
    "read_body",
]

_EXCERPT_CHARS = 120
# Inflate at most this much per step and yield to the loop between steps: one step takes about 1 ms.
_INFLATE_STEP = 256 * 1024
# Header values quoted in errors: Cognito's request ids and error types are far shorter.
_MAX_HEADER_TEXT = 256
# The service's message is cut to this many characters in a ServiceError.
_MAX_MESSAGE_CHARS = 2048
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_XML_CODE = re.compile(rb"<Code>([A-Za-z0-9_.:#-]{1,128})</Code>")
_XML_MESSAGE = re.compile(rb"<Message>([^<]{0,1024})</Message>")


class AttemptFailed(Exception):
    """One attempt failed in a way a later attempt may cure: raised inside :meth:`Transport.request`.

    A reply parser raises it for a reply worth another try (throttling, a 5xx, a proxy's page); the retry
    loop catches it, and repeats the request when it is ``throttled``, was not ``sent``, or the operation
    is repeatable, else raises ``error``. It never reaches the caller of :meth:`Transport.request`.

    Attributes:
        error: what the caller gets when the request is not repeated.
        sent: whether the request may have reached the server.
        throttled: whether the server asked to slow down (retried for every operation).
    """

    def __init__(self, error: CognitoError, *, sent: bool, throttled: bool = False) -> None:
        super().__init__(str(error))
        self.error = error
        self.sent = sent
        self.throttled = throttled


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP reply, read within its size limit and decompressed.

    Attributes:
        status: the HTTP status (never a 3xx: those are refused before).
        headers: the reply's headers (case-insensitive).
        body: the body, decompressed, at most the limit of the request.
    """

    status: int
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)


# --- reading a reply within bounds ---------------------------------------------------------------


def _too_large(limit: int, status: int, operation: str) -> TransportError:
    return TransportError(f"reply larger than {limit} bytes", status=status, operation=operation)


class Inflater:
    """Inflates a gzip or deflate body into ``out``, never past ``limit`` bytes in all.

    ``zlib``'s ``max_length`` bounds what each step may produce, so a bomb costs at most ``limit`` bytes
    of memory; :meth:`steps` yields after every 256 KiB produced, so the caller can let the loop run.
    """

    def __init__(self, coding: str, limit: int, status: int, operation: str) -> None:
        self._gzip = coding != "deflate"
        self._limit = limit
        self._status = status
        self._operation = operation
        self._zlib: Any = zlib.decompressobj(_GZIP_WBITS) if self._gzip else None
        self._pending = b""  # deflate: bytes held until the first two tell zlib from raw deflate
        self._seen = False
        self._done = False

    def _corrupt(self, what: str) -> TransportError:
        name = "gzip" if self._gzip else "deflate"
        return TransportError(
            f"the reply's {name} data is {what}", status=self._status, operation=self._operation
        )

    def steps(self, chunk: bytes, out: bytearray) -> Iterator[None]:
        """Inflate ``chunk`` into ``out``, yielding whenever a step's worth was produced."""
        self._seen = True
        if self._zlib is None:
            self._pending += chunk
            if len(self._pending) < 2:
                return
            first, second = self._pending[0], self._pending[1]
            # RFC 9110's "deflate" is the zlib format (RFC 1950); some servers send raw deflate (RFC 1951).
            wrapped = first & 0x0F == 8 and (first << 8 | second) % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            chunk, self._pending = self._pending, b""
        data = chunk
        produced = 0
        while data:
            if self._done:
                if not self._gzip or not data.strip(b"\0"):
                    if data.strip(b"\0"):  # zero padding after the end is tolerated, nothing else
                        raise self._corrupt("followed by other data")
                    return
                # RFC 1952 lets several gzip members follow one another.
                self._zlib = zlib.decompressobj(_GZIP_WBITS)
                self._done = False
            room = self._limit - len(out)
            try:
                piece = self._zlib.decompress(data, min(room, _INFLATE_STEP) + 1)
            except zlib.error:
                raise self._corrupt("corrupt") from None
            out += piece
            if len(out) > self._limit:
                raise _too_large(self._limit, self._status, self._operation)
            if self._zlib.eof:
                self._done = True
                data = self._zlib.unused_data
            else:
                data = self._zlib.unconsumed_tail
            produced += len(piece)
            if data and produced >= _INFLATE_STEP:
                produced = 0
                yield

    def finish(self) -> None:
        """Raise unless the compressed data ended where the body did (or there was none)."""
        if self._seen and (self._pending or not self._done):
            raise self._corrupt("truncated")


_IDENTITY: Final = frozenset({"", "identity"})
_INFLATED: Final = frozenset({"gzip", "x-gzip", "deflate"})


async def read_body(response: aiohttp.ClientResponse, limit: int, operation: str) -> bytes:
    """The body of ``response``, decompressed, or a :class:`TransportError` past ``limit`` bytes."""
    status = response.status
    length = response.content_length
    if length is not None and length > limit:
        raise _too_large(limit, status, operation)
    coding = response.headers.get("Content-Encoding")
    if coding is not None:
        coding = coding.strip().lower()
        if coding in _IDENTITY:
            coding = None
        elif coding not in _INFLATED:
            shown = coding[:40] if is_valid_text(coding) else "?"
            raise TransportError(
                f"the reply has an unsupported Content-Encoding {shown!r}", status=status, operation=operation
            )
    if coding is None and length is not None:
        return await response.read()  # framed by Content-Length, which is within the limit
    inflater = None if coding is None else Inflater(coding, limit, status, operation)
    out = bytearray()
    wire = 0
    content = response.content
    while True:
        chunk = await content.readany()
        if not chunk:
            break
        wire += len(chunk)
        if wire > limit:
            raise _too_large(limit, status, operation)
        if inflater is None:
            out += chunk
            continue
        for _ in inflater.steps(chunk, out):
            await asyncio.sleep(0)  # a large slice was inflated: let other callbacks run
    if inflater is not None:
        inflater.finish()
    return bytes(out)


# --- AWS JSON 1.1 replies ------------------------------------------------------------------------

# What _json.loads says of bytes that are not JSON at all (as opposed to JSON it refuses to read).
_NOT_JSON_REASONS: Final = frozenset({"not JSON", "not UTF-8"})


def is_json_syntax_error(error: JsonError) -> bool:
    """Whether ``error`` says the bytes are not JSON at all (not UTF-8, not JSON syntax), rather than JSON
    this library refuses to read (too deep, too many containers, a number not finite, a lone surrogate)."""
    return str(error) in _NOT_JSON_REASONS


def header_text(value: str | None) -> str | None:
    """A header value fit to quote in an error or a log: short and valid Unicode, else ``None``."""
    if value is None or len(value) > _MAX_HEADER_TEXT or not (value.isascii() or is_valid_text(value)):
        return None
    return value


def parse_reply(operation: str, reply: Reply) -> dict[str, Any]:
    status, raw = reply.status, reply.body
    ok = 200 <= status < 300
    if ok and (not raw or raw.isspace()):
        return {}
    headers = reply.headers
    try:
        document = loads(raw)
    except JsonError as exc:
        _refuse_unreadable(operation, reply, exc)
    if not isinstance(document, dict):
        if ok:
            raise ProtocolError(f"reply is JSON {type(document).__name__}, not an object", step=operation)
        error = TransportError(
            "reply is not Cognito JSON", status=status, excerpt=_excerpt(raw), operation=operation
        )
        raise AttemptFailed(error, sent=True)
    if ok:
        return document
    request_id = header_text(headers.get("x-amzn-RequestId"))
    code = document.get("__type") or header_text(headers.get("x-amzn-ErrorType"))
    if not isinstance(code, str) or not code:
        transport_error = TransportError(
            "error reply without an error code", status=status, excerpt=_excerpt(raw), operation=operation
        )
        raise AttemptFailed(transport_error, sent=True)
    message = document.get("message", document.get("Message", ""))
    service_error: ServiceError = error_from_reply(
        code[:_MAX_HEADER_TEXT],
        message[:_MAX_MESSAGE_CHARS] if isinstance(message, str) else "",
        status=status,
        request_id=request_id,
        operation=operation,
    )
    if service_error.throttling:
        raise AttemptFailed(service_error, sent=True, throttled=True)
    if status >= 500:
        raise AttemptFailed(service_error, sent=True)
    raise service_error


def _refuse_unreadable(operation: str, reply: Reply, exc: JsonError) -> NoReturn:
    """Raise the error for a reply :func:`~aiocognito._json.loads` refused."""
    status, raw = reply.status, reply.body
    if not is_json_syntax_error(exc):
        if 200 <= status < 300:
            raise ProtocolError(f"reply refused: {exc}", step=operation) from None
        error = TransportError(f"error reply refused: {exc}", status=status, operation=operation)
        raise AttemptFailed(error, sent=True) from None
    xml_code = _XML_CODE.search(raw) if status >= 400 else None
    if xml_code is not None:
        # An AWS XML error (a gateway's authentication errors come this way).
        xml_message = _XML_MESSAGE.search(raw)
        text = xml_message.group(1).decode("utf-8", "replace") if xml_message else ""
        xml_error = error_from_reply(
            xml_code.group(1).decode("utf-8", "replace"),
            text,
            status=status,
            request_id=header_text(reply.headers.get("x-amzn-RequestId")),
            operation=operation,
        )
        if xml_error.throttling or status >= 500:
            raise AttemptFailed(xml_error, sent=True, throttled=xml_error.throttling) from None
        raise xml_error from None
    error = TransportError(
        "reply is not Cognito JSON", status=status, excerpt=_excerpt(raw), operation=operation
    )
    raise AttemptFailed(error, sent=True) from None


def _excerpt(raw: bytes) -> str:
    text = raw[: _EXCERPT_CHARS * 4].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text[:_EXCERPT_CHARS] if text else "(empty body)"
