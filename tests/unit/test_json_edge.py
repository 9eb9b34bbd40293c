"""The JSON reader every reply goes through: hostile documents are refused with a typed error, fast."""

from __future__ import annotations

import json
import time

import pytest

from aiocognito.core import safe_json as _json


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"[" * 100_000, "nested deeper"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nested deeper"),
        (b"[[]" * 40, "nested deeper"),
        (b"[" + b"[]," * 30_000 + b"[]]", "more than"),
        (b"[1e400]", "not finite"),
        (b"[-1e400]", "not finite"),
        (b"[NaN]", "not finite"),
        (b'{"exp": Infinity}', "not finite"),
        (b'"\\ud800"', "surrogate"),
        (b'{"\\udfff": 1}', "surrogate"),
        (b'"\xed\xa0\x80"', "not UTF-8"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" + b"9" * 5000 + b"]", "too long"),
        (b"{", "not JSON"),
        (b"<html>500</html>", "not JSON"),
    ],
)
def test_hostile_documents_are_refused(document: bytes, reason: str) -> None:
    with pytest.raises(_json.JsonError, match=reason):
        _json.loads(document)


@pytest.mark.parametrize(
    "value",
    [
        {"AuthenticationResult": {"AccessToken": "a.b.c", "ExpiresIn": 3600}},
        [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],  # exactly 32 levels
        {"s": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["},  # brackets inside a string
        {"emoji": "\U0001f600", "escaped": "caf\u00e9", "quote": 'say "hi" \\ [' * 10},
        {"Users": [{"Attributes": [{"Name": "n", "Value": "v"}] * 20} for _ in range(60)]},
        {"n": 10**300, "f": 1.5e300, "neg": -3},
    ],
)
def test_ordinary_documents_read_as_json_reads_them(value: object) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        assert _json.loads(text.encode()) == json.loads(text)
        assert _json.loads(text) == json.loads(text)


def test_a_utf8_bom_is_accepted() -> None:
    assert _json.loads(b"\xef\xbb\xbf{}") == {}


def test_the_limits_are_parameters() -> None:
    with pytest.raises(_json.JsonError, match="nested deeper than 2"):
        _json.loads(b"[[[1]]]", max_depth=2)
    with pytest.raises(_json.JsonError, match="more than 3"):
        _json.loads(b"[[],[],[],[]]", max_containers=3)


def test_the_message_never_quotes_the_document() -> None:
    with pytest.raises(_json.JsonError) as caught:
        _json.loads(b'{"secret-refresh-token": NaN}')
    assert "secret" not in str(caught.value)


def test_a_megabyte_bomb_is_refused_without_holding_the_loop_long() -> None:
    # Not a timing test of speed, a guard against a quadratic path: generous bound, noisy machines.
    bombs = [b"[" * 1_048_576, b'{"a":' * 200_000, b"[" + b"[[]]," * 200_000 + b"[]]"]
    for bomb in bombs:
        started = time.perf_counter()
        with pytest.raises(_json.JsonError):
            _json.loads(bomb)
        assert time.perf_counter() - started < 1.0
