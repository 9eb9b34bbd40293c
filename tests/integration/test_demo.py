"""``aiocognito demo``, the README's first command, run as a user runs it."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.integration

STEPS = [
    "start a local user pool",
    "sign up",
    "confirm the sign-up with the code",
    "SRP sign-in",
    "TOTP enrolment",
    "sign-in answering TOTP",
    "remember the device",
    "sign in again: device SRP, MFA skipped",
    "refresh the tokens",
    "verify the tokens against the JWKS",
    "update and verify an attribute",
    "global sign-out",
    "the old access token is refused",
]


def test_demo_walks_through_every_step_quickly() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "aiocognito", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    numbered = [line for line in lines if re.match(r"\s*\d+\. ", line)]
    assert len(numbered) == len(STEPS)
    for number, (line, title) in enumerate(zip(numbered, STEPS, strict=True), start=1):
        match = re.match(r"\s*(\d+)\. (.+?)\s+(\d+\.\d) ms  (.+)$", line)
        assert match, line
        assert int(match[1]) == number
        assert match[2] == title
        assert float(match[3]) < 10_000
        assert match[4]
    assert "MFA" in numbered[7] and "DEVICE_SRP_AUTH" in numbered[7]
    assert "NotAuthorizedException" in numbered[12]
    summary = re.fullmatch(r"all 13 steps in (\d+\.\d\d) s", lines[-1])
    assert summary, lines[-1]
    assert float(summary[1]) < 10
    assert elapsed < 30
    # Nothing secret: no JWT (they start with the base64 of '{"'), no otpauth URI, no TOTP key.
    assert "eyJ" not in done.stdout
    assert "otpauth" not in done.stdout
    assert "Aa1!" not in done.stdout  # the demo's password prefix
