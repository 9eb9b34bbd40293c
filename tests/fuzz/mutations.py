"""A seeded mutator: per reply, maybe one mutation of its framing, JSON, values, tokens or delivery.

Each kind stands for something a hostile or broken server, proxy or network does. The mutator works on
the reply the fake Cognito meant to send (a status and a JSON document) and returns the bytes and the
way to deliver them (:class:`Wire`). Values JSON cannot carry from Python (``1e400``, ``NaN``, a lone
surrogate, 10,000-deep arrays, invalid UTF-8) are spliced into the serialised text.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiocognito.core import srp

__all__ = ["KINDS", "Mutation", "Mutator", "Wire", "dumps_with", "jwt_of"]

_SENTINEL = "\x00FUZZ\x00"
_SENTINEL_JSON = json.dumps(_SENTINEL).encode()
Path = tuple[str | int, ...]


@dataclass(slots=True)
class Wire:
    """What the server does with one request: send bytes, reset the connection, or answer late."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    #: ``send``, ``reset_before`` (no reply at all), ``reset_mid`` (headers and part of the body).
    action: str = "send"
    delay: float = 0.0
    throttled: bool = False


@dataclass(frozen=True, slots=True)
class Mutation:
    operation: str
    kind: str
    detail: str


def dumps_with(document: Any, path: Path = (), raw: bytes | None = None) -> bytes:
    """``document`` as JSON, with the value at ``path`` replaced by the bytes ``raw`` when given."""
    if raw is None:
        return json.dumps(document).encode()
    doc = copy.deepcopy(document)
    if path:
        _set(doc, path, _SENTINEL)
        text = json.dumps(doc).encode()
        return text.replace(_SENTINEL_JSON, raw, 1)
    return raw


def _set(doc: Any, path: Path, value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def _get(doc: Any, path: Path) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _leaves(doc: Any, prefix: Path = ()) -> list[Path]:
    """Every path to a value inside ``doc`` (containers and scalars, the root excluded)."""
    paths: list[Path] = []
    items: list[tuple[str | int, Any]] = []
    if isinstance(doc, dict):
        items = list(doc.items())
    elif isinstance(doc, list):
        items = list(enumerate(doc))
    for key, value in items:
        path = (*prefix, key)
        paths.append(path)
        paths.extend(_leaves(value, path))
    return paths


def _named(doc: Any, names: tuple[str, ...]) -> list[Path]:
    return [p for p in _leaves(doc) if p and p[-1] in names]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_of(payload: bytes) -> str:
    """A JWT-shaped token with the payload bytes as given (the signature is not checked by the client)."""
    header = _b64url(b'{"alg":"RS256","kid":"fuzz"}')
    return f"{header}.{_b64url(payload)}.{_b64url(b'not-a-signature')}"


def _claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


def _other_type(value: Any, rng: random.Random) -> Any:
    options: list[Any] = ["text", 42, -7.5, [value], None, True, False, {"x": value}, ""]
    return rng.choice([o for o in options if type(o) is not type(value)])


_BAD_NUMBERS = (
    b"1e400",
    b"-1e400",
    b"NaN",
    b"Infinity",
    b"-1",
    b"0",
    b"3.5",
    b"-0.0",
    b"18446744073709551617",
)
_BAD_TEXT = (b'"\\ud800"', b'"abc\\udfff"', b'"\\udc00\\ud800"', b'"x\\ud83d"')
_TEXT_FIELDS = (
    "USERNAME",
    "USER_ID_FOR_SRP",
    "Session",
    "DeviceKey",
    "DeviceGroupKey",
    "Username",
    "SecretCode",
)
_SRP_FIELDS = ("SRP_B", "SALT", "SECRET_BLOCK")
_TOKEN_FIELDS = ("AccessToken", "IdToken")


class Mutator:
    """Decides per reply whether to mutate it and how, from its own seeded random stream."""

    def __init__(
        self,
        rng: random.Random,
        rate: float,
        *,
        elsewhere_url: str,
        slow_delay: float,
        only: str | None = None,
    ) -> None:
        if only is not None and only not in KINDS:
            raise ValueError(f"unknown mutation kind {only!r}")
        self._only = only  # one kind only: for the tests of the fuzz's own oracles
        self._rng = rng
        self._rate = rate
        self._elsewhere = elsewhere_url
        self._slow_delay = slow_delay
        self.applied: list[Mutation] = []
        self.kinds: Counter[str] = Counter()

    def mutate(self, operation: str, status: int, document: dict[str, Any]) -> Wire:
        plain = Wire(status, dumps_with(document), {"Content-Type": "application/x-amz-json-1.1"})
        if self._rng.random() >= self._rate:
            return plain
        # SRP and token mutations only where those values are: elsewhere they would be another kind.
        names = [
            n
            for n in KINDS
            if (n != "srp" or _named(document, _SRP_FIELDS))
            and (n != "jwt" or _named(document, _TOKEN_FIELDS))
        ]
        name = self._only or self._rng.choices(names, weights=[KINDS[n][0] for n in names])[0]
        wire, detail = KINDS[name][1](self, status, document, plain)
        self.applied.append(Mutation(operation, name, detail))
        self.kinds[name] += 1
        return wire

    # --- kinds ------------------------------------------------------------------------------------

    def _framing(self, status: int, doc: dict[str, Any], plain: Wire) -> tuple[Wire, str]:
        rng = self._rng
        what = rng.choice(
            (
                "truncated",
                "content-type",
                "html",
                "empty",
                "utf8",
                "gzip-garbage",
                "gzip-lie",
                "gzip-cut",
                "unknown-encoding",
                "not-object",
            )
        )
        body = plain.body
        headers = dict(plain.headers)
        if what == "truncated":
            return Wire(status, body[: rng.randrange(max(1, len(body)))], headers), what
        if what == "content-type":
            headers["Content-Type"] = rng.choice(("text/html", "application/octet-stream", "text/plain"))
            return Wire(status, body, headers), what
        if what == "html":
            page = b"<html><body><h1>Bad Gateway</h1></body></html>"
            return Wire(rng.choice((500, 502, 503)), page, {"Content-Type": "text/html"}), what
        if what == "empty":
            return Wire(rng.choice((200, 200, 500)), b"", headers), what
        if what == "utf8":
            paths = [p for p in _leaves(doc) if isinstance(_get(doc, p), str)]
            if paths:
                return Wire(status, dumps_with(doc, rng.choice(paths), b'"\xff\xfe\xc3"'), headers), what
            return Wire(status, b'{"a": "\xff"}', headers), what
        if what == "gzip-garbage":
            headers["Content-Encoding"] = "gzip"
            return Wire(status, rng.randbytes(rng.randrange(1, 200)), headers), what
        if what == "gzip-lie":
            headers["Content-Encoding"] = rng.choice(("gzip", "deflate"))
            return Wire(status, body, headers), what
        if what == "gzip-cut":
            headers["Content-Encoding"] = "gzip"
            packed = gzip.compress(body)
            return Wire(status, packed[: rng.randrange(1, len(packed))], headers), what
        if what == "unknown-encoding":
            headers["Content-Encoding"] = rng.choice(("br", "compress", "x-fuzz"))
            return Wire(status, body, headers), what
        return Wire(status, rng.choice((b"[]", b'"text"', b"42", b"null", b"true")), headers), what

    def _json_type(self, status: int, doc: dict[str, Any], plain: Wire) -> tuple[Wire, str]:
        paths = _leaves(doc)
        if not paths:
            return plain, "nothing"
        path = self._rng.choice(paths)
        mutated = copy.deepcopy(doc)
        _set(mutated, path, _other_type(_get(doc, path), self._rng))
        return Wire(status, dumps_with(mutated), plain.headers), "/".join(map(str, path))

    def _nesting(self, status: int, doc: dict[str, Any], plain: Wire) -> tuple[Wire, str]:
        depth = self._rng.choice((33, 1000, 10_000))
        raw = b"[" * depth + b"]" * depth
        paths = _leaves(doc)
        if not paths:
            return Wire(status, raw, plain.headers), f"root {depth}"
        path = self._rng.choice(paths)
        return Wire(status, dumps_with(doc, path, raw), plain.headers), f"{'/'.join(map(str, path))} {depth}"

    def _numbers(self, status: int, doc: dict[str, Any], plain: Wire) -> tuple[Wire, str]:
        rng = self._rng
        raw = rng.choice((*_BAD_NUMBERS, b"1" * rng.choice((401, 5000)), b"1.7976931348623157e308"))
        paths = _named(doc, ("ExpiresIn",)) if rng.random() < 0.6 else []
        paths = paths or _leaves(doc)
        if not paths:
            return Wire(status, raw, plain.headers), "root"
        path = rng.choice(paths)
        return Wire(status, dumps_with(doc, path, raw), plain.headers), f"{path[-1]}={raw[:20]!r}"

    def _unicode(self, status: int, doc: dict[str, Any], plain: Wire) -> tuple[Wire, str]:
        paths = _named(doc, _TEXT_FIELDS) or [p for p in _leaves(doc) if isinstance(_get(doc, p), str)]
        if not paths:
            return Wire(status, b'{"\\ud800": 1}', plain.headers), "key"
        path = self._rng.choice(paths)
        return Wire(status, dumps_with(doc, path, self._rng.choice(_BAD_TEXT)), plain.headers), str(path[-1])

    def _srp(self, status: int, doc: dict[str, Any], plain: Wire) -> tuple[Wire, str]:
        rng = self._rng
        path = rng.choice(_named(doc, _SRP_FIELDS))
        value = rng.choice(
            (
                "0",
                "00",
                format(srp.N, "x"),
                format(srp.N * 2, "x"),
                "not-hex!",
                "f" * 100_000,
                "abc",
                "-" + format(srp.N - 1, "x"),
                "",
                " 1",
                "1" * 1025,
                "===",
                "AAAA====",
            )
        )
        mutated = copy.deepcopy(doc)
        _set(mutated, path, value)
        return Wire(status, dumps_with(mutated), plain.headers), f"{path[-1]}={value[:12]}"

    def _jwt(self, status: int, doc: dict[str, Any], plain: Wire) -> tuple[Wire, str]:
        rng = self._rng
        path = rng.choice(_named(doc, _TOKEN_FIELDS))
        claims = _claims_of(_get(doc, path))
        what = rng.choice(
            (
                "exp-1e400",
                "exp-str",
                "no-sub",
                "no-exp",
                "bad-b64",
                "two-segments",
                "iat-float",
                "exp-neg",
                "payload-list",
                "username-surrogate",
                "exp-huge",
                "not-ascii",
            )
        )
        token: str
        if what == "exp-1e400":
            token = jwt_of(dumps_with(claims, ("exp",), b"1e400"))
        elif what == "exp-str":
            token = jwt_of(json.dumps({**claims, "exp": "x"}).encode())
        elif what == "no-sub":
            token = jwt_of(json.dumps({k: v for k, v in claims.items() if k != "sub"}).encode())
        elif what == "no-exp":
            token = jwt_of(json.dumps({k: v for k, v in claims.items() if k != "exp"}).encode())
        elif what == "bad-b64":
            token = f"{_b64url(b'{}')}.!!not*base64!!.sig"
        elif what == "two-segments":
            token = ".".join(jwt_of(json.dumps(claims).encode()).split(".")[:2])
        elif what == "iat-float":
            token = jwt_of(json.dumps({**claims, "iat": claims["iat"] + 0.5}).encode())
        elif what == "exp-float":
            token = jwt_of(json.dumps({**claims, "exp": claims["exp"] + 0.25}).encode())
        elif what == "exp-neg":
            token = jwt_of(json.dumps({**claims, "exp": -1}).encode())
        elif what == "payload-list":
            token = jwt_of(b"[1,2,3]")
        elif what == "username-surrogate":
            token = jwt_of(dumps_with(claims, ("sub",), b'"\\ud800"'))
        elif what == "exp-huge":
            token = jwt_of(dumps_with(claims, ("exp",), b"9" * 400))
        else:
            token = "é." + jwt_of(json.dumps(claims).encode())
        mutated = copy.deepcopy(doc)
        _set(mutated, path, token)
        return Wire(status, dumps_with(mutated), plain.headers), f"{path[-1]} {what}"

    def _redirect(self, status: int, doc: dict[str, Any], plain: Wire) -> tuple[Wire, str]:
        code = self._rng.choice((307, 308, 301, 302))
        return Wire(code, b"", {"Location": self._elsewhere + "/"}), str(code)

    def _reset(self, status: int, doc: dict[str, Any], plain: Wire) -> tuple[Wire, str]:
        action = self._rng.choice(("reset_before", "reset_mid"))
        return Wire(status, plain.body, plain.headers, action=action), action

    def _slow(self, status: int, doc: dict[str, Any], plain: Wire) -> tuple[Wire, str]:
        return Wire(status, plain.body, plain.headers, delay=self._slow_delay), f"{self._slow_delay}s"

    def _throttle(self, status: int, doc: dict[str, Any], plain: Wire) -> tuple[Wire, str]:
        body = {"__type": "TooManyRequestsException", "message": "Rate exceeded"}
        headers = {**plain.headers, "x-amzn-ErrorType": "TooManyRequestsException:"}
        return Wire(400, dumps_with(body), headers, throttled=True), "TooManyRequestsException"

    def _server_error(self, status: int, doc: dict[str, Any], plain: Wire) -> tuple[Wire, str]:
        code, name = self._rng.choice(
            ((500, "InternalErrorException"), (503, "ServiceUnavailable"), (502, "BadGateway"))
        )
        headers = {**plain.headers, "x-amzn-ErrorType": f"{name}:"}
        return Wire(code, dumps_with({"__type": name, "message": "oops"}), headers), name

    def _service_error(self, status: int, doc: dict[str, Any], plain: Wire) -> tuple[Wire, str]:
        """An error reply: codes that steer the client (stop, forget the device, end the session, fall
        back to another refresh operation) and error bodies of the wrong shape."""
        rng = self._rng
        code = rng.choice(
            (
                "UserNotConfirmedException",
                "PasswordResetRequiredException",
                "ResourceNotFoundException",
                "NotAuthorizedException",
                "RefreshTokenReuseException",
                "UnknownOperationException",
                "CodeMismatchException",
                "LimitExceededException",
                "com.amazonaws.cognito#NotAuthorizedException",
                "NoSuchThingException",
            )
        )
        body: dict[str, Any] = {"__type": code, "message": "fuzz"}
        headers = dict(plain.headers)
        shape = rng.choice(
            (
                "plain",
                "plain",
                "type-number",
                "type-list",
                "type-surrogate",
                "type-long",
                "message-list",
                "message-surrogate",
                "header-only",
                "no-type",
            )
        )
        raw: bytes | None = None
        if shape == "type-number":
            body["__type"] = 5
        elif shape == "type-list":
            body["__type"] = [code]
        elif shape == "type-long":
            body["__type"] = "X" * 10_000
        elif shape == "message-list":
            body["message"] = ["fuzz"]
        elif shape == "no-type":
            del body["__type"]
        elif shape == "header-only":
            body = {"message": "fuzz"}
            headers["x-amzn-ErrorType"] = f"{code}:http://internal.amazon.com/"
        raw = {"type-surrogate": b'"\\ud800"', "message-surrogate": b'"\\udfff"'}.get(shape)
        path = ("__type",) if shape == "type-surrogate" else ("message",)
        error_status = rng.choice((400, 400, 400, 404, 501))
        return Wire(error_status, dumps_with(body, path, raw), headers), f"{code} {shape} {error_status}"


_Kind = Callable[[Mutator, int, dict[str, Any], Wire], tuple[Wire, str]]
#: Every kind with its weight: slow replies cost wall time, so they are drawn less often.
KINDS: dict[str, tuple[float, _Kind]] = {
    "framing": (3.0, Mutator._framing),
    "json_type": (3.0, Mutator._json_type),
    "nesting": (1.0, Mutator._nesting),
    "numbers": (2.0, Mutator._numbers),
    "unicode": (2.0, Mutator._unicode),
    "srp": (4.0, Mutator._srp),
    "jwt": (4.0, Mutator._jwt),
    "redirect": (1.0, Mutator._redirect),
    "reset": (1.5, Mutator._reset),
    "slow": (0.5, Mutator._slow),
    "throttle": (1.5, Mutator._throttle),
    "server_error": (1.5, Mutator._server_error),
    "service_error": (2.0, Mutator._service_error),
}
