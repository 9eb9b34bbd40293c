"""A seeded fuzz of sign-in (every challenge), refresh and GetUser against a fake Cognito on 127.0.0.1.

Every reply may be mutated (``tests/fuzz/mutations.py``: framing, JSON types, nesting, numbers, lone
surrogates, SRP values, JWT claims, redirects, resets, slow replies, throttling, 5xx). Whatever comes
back, the client must raise an ``aiocognito.CognitoError`` or succeed: never another exception, never a
hang, never a password attempt sent twice (except after throttling), never a byte to the origin a
redirect names.

``AIOCOGNITO_FUZZ_SEED`` chooses the seed (printed, with the tallies, as a ``FUZZ {...}`` line: ``-s`` or
``-rP``); ``AIOCOGNITO_FUZZ_ITERATIONS`` the count (default 2,500; 10,000 with ``AIOCOGNITO_SOAK=1``);
``AIOCOGNITO_FUZZ_REPORT=path`` writes the tallies there as JSON.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random

import aiohttp
import pytest
from fuzz.driver import Hang, bounded, run_fuzz
from fuzz.mutations import KINDS, Mutator
from fuzz.scenarios import draw_scenario
from fuzz.server import Elsewhere, FakeCognito, IterationState

pytestmark = pytest.mark.integration

DEFAULT_SEED = 20261202
_SOAK = os.environ.get("AIOCOGNITO_SOAK", "").strip() not in ("", "0")
ITERATIONS = int(os.environ.get("AIOCOGNITO_FUZZ_ITERATIONS") or (10_000 if _SOAK else 2_500))
# Unmutated iterations must sign in (else the fake or the driver is broken and the fuzz tests nothing),
# and a fair share of all of them too, so that refresh and GetUser are reached.
MIN_CLEAN_SHARE = 0.98
MIN_SIGNED_IN_SHARE = 0.3


async def test_fuzzed_replies_raise_only_cognito_errors(caplog: pytest.LogCaptureFixture) -> None:
    # Thousands of "ConfirmDevice failed, the device is not remembered" warnings say what they should.
    caplog.set_level(logging.ERROR, logger="aiocognito")
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


# --- the fuzz's own oracles can fail ----------------------------------------------------------------

_PASSWORD_BODY = {
    "AuthFlow": "USER_PASSWORD_AUTH",
    "ClientId": "c",
    "AuthParameters": {"USERNAME": "user-0", "PASSWORD": "pw"},
}


async def _post_twice(only: str) -> tuple[IterationState, int]:
    """A plain aiohttp client (it follows redirects and has no retry rules) sends one password body twice."""
    fake, elsewhere = FakeCognito(), Elsewhere()
    await fake.start()
    await elsewhere.start()
    try:
        mutator = Mutator(random.Random(0), 1.0, elsewhere_url=elsewhere.url, slow_delay=0.0, only=only)
        url = fake.open("0", IterationState(draw_scenario(0, 0), mutator))
        headers = {"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"}
        async with aiohttp.ClientSession() as session:
            for _ in range(2):
                async with session.post(url, data=json.dumps(_PASSWORD_BODY), headers=headers) as reply:
                    await reply.read()
        return fake.close("0"), elsewhere.hits
    finally:
        await fake.stop()
        await elsewhere.stop()


async def test_a_password_body_sent_twice_is_counted_unless_throttled() -> None:
    state, _ = await _post_twice("server_error")
    assert state.resent == ["InitiateAuth"]
    state, _ = await _post_twice("throttle")
    assert state.resent == []


async def test_a_followed_redirect_is_counted_elsewhere() -> None:
    _, hits = await _post_twice("redirect")
    assert hits == 2


async def test_a_phase_past_its_bound_is_a_hang() -> None:
    with pytest.raises(Hang):
        await bounded(asyncio.sleep(1.0), 0.01)
