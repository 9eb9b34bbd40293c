"""A seeded fuzz of sign-in (every challenge), refresh and GetUser against a fake Cognito on 127.0.0.1.

Every reply may be mutated (``tests/fuzz/mutations.py``: framing, JSON types, nesting, numbers, lone
surrogates, SRP values, JWT claims, redirects, resets, slow replies, throttling, 5xx). Whatever comes
back, the client must raise an ``aiocognito.CognitoError`` or succeed: never another exception, never a
hang, never a password attempt sent twice (except after throttling), never a byte to the origin a
redirect names.

``AIOCOGNITO_FUZZ_SEED`` chooses the seed (printed, with the tallies, as a ``FUZZ {...}`` line: ``-s`` or
``-rP``); ``AIOCOGNITO_FUZZ_ITERATIONS`` the count (default 1,500; 10,000 with ``AIOCOGNITO_SOAK=1``);
``AIOCOGNITO_FUZZ_REPORT=path`` writes the tallies there as JSON.
"""

from __future__ import annotations

import json
import os

import pytest
from fuzz.driver import run_fuzz
from fuzz.mutations import KINDS

pytestmark = pytest.mark.integration

DEFAULT_SEED = 20261202
_SOAK = os.environ.get("AIOCOGNITO_SOAK", "").strip() not in ("", "0")
ITERATIONS = int(os.environ.get("AIOCOGNITO_FUZZ_ITERATIONS") or (10_000 if _SOAK else 1_500))
# Unmutated iterations must sign in (else the fake or the driver is broken and the fuzz tests nothing),
# and a fair share of all of them too, so that refresh and GetUser are reached.
MIN_CLEAN_SHARE = 0.98
MIN_SIGNED_IN_SHARE = 0.3


async def test_fuzzed_replies_raise_only_cognito_errors() -> None:
    seed = int(os.environ.get("AIOCOGNITO_FUZZ_SEED") or DEFAULT_SEED)
    print(f"fuzz seed {seed} ({ITERATIONS} iterations)")
    tally = await run_fuzz(seed, ITERATIONS)
    print(tally.summary())
    path = os.environ.get("AIOCOGNITO_FUZZ_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as report:
            json.dump(tally.as_dict(), report, indent=2)
    problems = tally.failure_report()
    assert not tally.untyped, f"untyped exceptions ({len(tally.untyped)}):\n{problems}\n{tally.summary()}"
    assert not tally.hangs, f"hangs ({len(tally.hangs)}):\n{problems}\n{tally.summary()}"
    assert not tally.resent, f"password bodies resent ({len(tally.resent)}):\n{problems}\n{tally.summary()}"
    assert tally.elsewhere == 0, f"{tally.elsewhere} requests reached the redirect target\n{tally.summary()}"
    assert tally.sign_ins_attempted == ITERATIONS
    assert tally.clean_iterations > 0
    assert tally.clean_signed_in >= MIN_CLEAN_SHARE * tally.clean_iterations, tally.summary()
    assert tally.sign_ins_succeeded >= MIN_SIGNED_IN_SHARE * ITERATIONS, tally.summary()
    assert tally.completed > 0, tally.summary()
    assert all(tally.mutations[kind] > 0 for kind in KINDS), tally.summary()
