"""Replays the whole flows recorded from amazon-cognito-identity-js through our flows and driver.

Each ``flow_*`` section of ``tests/vectors/srp_*.json`` lists every request the JS client sent, with the
reply the scripted server gave. We feed the same randomness and time, answer the same replies, and
check that we send the same requests (bar the JS defaults the notes name: ``ClientMetadata: {}`` and
``DeviceName: "nodejs"``) and end in the same place.
"""

from __future__ import annotations

import asyncio
import calendar
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aiocognito import driver
from aiocognito.core import srp
from aiocognito.core.flows import (
    Answer,
    AuthFlow,
    Call,
    Challenge,
    ClientConfig,
    DeviceCredentials,
    Env,
    Signed,
    SignInContext,
    answer_challenge,
    start_sign_in,
)

VECTORS = Path(__file__).parent.parent / "vectors"


def _flow_cases() -> Iterator[Any]:
    for path in sorted(VECTORS.glob("srp_*.json")):
        data = json.loads(path.read_text())
        helpers = {v["name"]: v for v in data.get("srp_helper_vectors", [])}
        devices = {v["name"]: v for v in data.get("device_verifier_vectors", [])}
        for name, flow in data.items():
            if name.startswith("flow_"):
                yield pytest.param(flow, helpers, devices, id=f"{path.name}:{name}")


def _strip_js_defaults(params: dict[str, Any]) -> dict[str, Any]:
    params = dict(params)
    if params.get("ClientMetadata") == {}:
        del params["ClientMetadata"]
    return params


class _Script:
    """A scripted Cognito: checks each call against the recording and answers its reply."""

    def __init__(self, requests: list[dict[str, Any]]) -> None:
        self.requests = list(requests)
        self.index = 0

    async def __call__(self, call: Call) -> Any:
        assert self.index < len(self.requests), f"unexpected extra call {call.operation}"
        recorded = self.requests[self.index]
        self.index += 1
        assert call.operation == recorded["op"]
        assert call.params == _strip_js_defaults(recorded["params"]), call.operation
        return recorded["reply"]


def _randomness(flow: dict[str, Any], helpers: dict[str, Any], devices: dict[str, Any]) -> list[bytes]:
    """The random bytes the JS client drew, in the order our flow asks for them."""
    queue = [bytes.fromhex(helpers["typical"]["inputs"]["a_hex"])]
    if "device_inputs" in flow:
        queue.append(bytes.fromhex(flow["device_inputs"]["a_hex"]))
    if any(r["op"] == "ConfirmDevice" for r in flow["requests"]):
        device = devices["typical"]
        queue.append(bytes.fromhex(device["random_bytes_40_hex"]))
        queue.append(bytes.fromhex(device["random_bytes_16_hex"]))
    return queue


@pytest.mark.parametrize(("flow", "helpers", "devices"), list(_flow_cases()))
def test_recorded_flow_replays_exactly(
    flow: dict[str, Any], helpers: dict[str, Any], devices: dict[str, Any]
) -> None:
    requests = flow["requests"]
    first = requests[0]["params"]
    inputs = helpers["typical"]["inputs"]
    stamp = inputs["timestamp"]
    now = float(calendar.timegm(time.strptime(stamp.replace(" UTC", ""), "%a %b %d %H:%M:%S %Y")))
    assert srp.timestamp(now) == stamp
    queue = _randomness(flow, helpers, devices)

    def random_bytes(n: int) -> bytes:
        return queue.pop(0)

    env = Env(now=lambda: now, random_bytes=random_bytes, device_name="nodejs")
    device = None
    if "device_inputs" in flow:
        d = flow["device_inputs"]
        device = DeviceCredentials(d["device_key"], d["device_group_key"], d["random_password"])
    cfg = ClientConfig(inputs["pool_id"], first["ClientId"])
    ctx = SignInContext(
        username=first["AuthParameters"]["USERNAME"],
        flow=AuthFlow(first["AuthFlow"]),
        password=inputs["password"],
        device=device,
    )
    script = _Script(requests)

    async def run() -> Any:
        outcome = await driver.drive(start_sign_in(cfg, ctx, env), script)
        # Custom challenges: answer with what the JS client answered.
        while isinstance(outcome, Challenge):
            answer = requests[script.index]["params"]["ChallengeResponses"]["ANSWER"]
            outcome = await driver.drive(answer_challenge(cfg, outcome, Answer(answer), env), script)
        return outcome

    outcome = asyncio.run(run())
    assert script.index == len(requests), "calls the JS client made were not made"
    assert flow["outcome"] == "onSuccess"
    assert isinstance(outcome, Signed)
    results = [r["reply"]["AuthenticationResult"] for r in requests if "AuthenticationResult" in r["reply"]]
    assert outcome.result == results[-1]
    storage = flow["storage"]
    prefix = f"CognitoIdentityServiceProvider.{cfg.client_id}.{ctx.username}."
    if prefix + "deviceKey" in storage:
        assert outcome.device == DeviceCredentials(
            storage[prefix + "deviceKey"],
            storage[prefix + "deviceGroupKey"],
            storage[prefix + "randomPasswordKey"],
        )
    else:
        assert outcome.device is None
    assert not queue, "randomness the JS client drew was not used"
