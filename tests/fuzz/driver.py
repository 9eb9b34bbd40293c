"""Runs the fuzz: per iteration a seeded scenario, a pool pointed at its path, four phases, a verdict.

Phases: ``pool.sign_in(..., on_challenge=handler)`` (the handler also keeps some steps as JSON and
resumes them, as a web app would), ``user.tokens()``, ``user.refresh()``, ``user.get_user_data()``,
``user.sign_out()``, each bounded by ``asyncio.wait_for``: running past the bound is a hang. A
:class:`aiocognito.CognitoError` is what hostile replies should give; any other exception is a failure.
"""

from __future__ import annotations

import asyncio
import random
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiocognito
from aiocognito import CognitoError, NewPassword, RetryPolicy, SignInStep, Timeouts, UserPool
from aiocognito.core.flows import DeviceCredentials

from .mutations import Mutator
from .report import Failure, Tally
from .scenarios import Scenario, draw_scenario
from .server import Elsewhere, FakeCognito, IterationState

__all__ = ["BOUND", "Hang", "bounded", "run_fuzz"]

POOL_ID = "us-east-1_Fuzz0001"
CLIENT_ID = "fuzz-client"
CLIENT_SECRET = "fuzz-client-secret-0123456789abcdef"
PASSWORD = "Fuzz-Passw0rd!"
# Small limits keep slow replies cheap; the mutator's slow replies come after the client gave up.
TIMEOUTS = Timeouts(connect=1.0, total=0.25)
SLOW_DELAY = 0.4
RETRY = RetryPolicy(max_attempts=3, budget=2.0, base_delay=0.001, max_delay=0.01)
#: Seconds a phase may take before it counts as a hang: far past what the retry budget allows.
BOUND = 15.0
_T = TypeVar("_T")


class Hang(Exception):
    """A phase ran past its bound."""


async def bounded(awaitable: Awaitable[_T], bound: float = BOUND) -> _T:
    """``awaitable``'s result, or :class:`Hang` when it takes longer than ``bound`` seconds."""
    try:
        return await asyncio.wait_for(awaitable, bound)
    except TimeoutError as exc:
        # The library's own timeouts are CognitoErrors; only wait_for's own is a bare TimeoutError.
        if isinstance(exc, CognitoError):
            raise
        raise Hang from None


def _first(offered: tuple[str, ...], known: tuple[str, ...], default: str) -> str:
    """The first offered choice the client knows, else ``default`` (as an app offering known ones would)."""
    for choice in offered:
        if choice in known:
            return choice
    return default


def _handler(scenario: Scenario, pool: UserPool) -> Any:
    names = aiocognito.StepName
    rng = random.Random(f"handler:{scenario.seed}:{scenario.username}")

    async def answer(step: SignInStep) -> Any:
        if rng.random() < 0.3:
            # Kept between two web requests: what was read from the reply must survive the round trip.
            resumed = pool.resume(step.to_json())
            assert resumed.name == step.name, (resumed.name, step.name)
        name = step.name
        if name is names.CONTINUE_SIGN_IN_WITH_MFA_SELECTION:
            return _first(step.allowed_mfa_types, ("TOTP", "SMS", "EMAIL"), "TOTP")
        if name is names.CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION:
            return "TOTP" if "TOTP" in step.allowed_mfa_types or not step.allowed_mfa_types else "EMAIL"
        if name is names.CONTINUE_SIGN_IN_WITH_EMAIL_SETUP:
            return "a@example.com"
        if name is names.CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED:
            return NewPassword("New-" + PASSWORD, attributes=dict.fromkeys(step.required_attributes, "x"))
        if name is names.CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE:
            return "4"
        if name is names.CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION:
            preferred = (scenario.first_factor, "PASSWORD_SRP", "PASSWORD", "EMAIL_OTP")
            # Any offered first factor may be chosen, even one this side has no name for.
            fallback = step.available_challenges[0] if step.available_challenges else scenario.first_factor
            return _first(step.available_challenges, preferred, fallback)
        if name is names.CONFIRM_SIGN_IN_WITH_PASSWORD:
            return PASSWORD
        if name is names.CONFIRM_SIGN_IN_WITH_WEB_AUTHN:
            return "{}"
        return "123456"  # SMS, TOTP, e-mail codes and the TOTP set-up's first code

    return answer


async def _iteration(fake: FakeCognito, elsewhere: Elsewhere, tally: Tally, seed: int, index: int) -> None:
    scenario = draw_scenario(seed, index)
    mutator = Mutator(
        random.Random(f"mutate:{seed}:{index}"),
        scenario.mutation_rate,
        elsewhere_url=elsewhere.url,
        slow_delay=SLOW_DELAY,
    )
    key = str(index)
    url = fake.open(key, IterationState(scenario, mutator))
    phase = "setup"
    signed_in = False
    try:
        async with UserPool(
            POOL_ID,
            CLIENT_ID,
            client_secret=CLIENT_SECRET if scenario.client_secret else None,
            endpoint_url=url,
            timeouts=TIMEOUTS,
            retry=RETRY,
            trust_env=False,
        ) as pool:
            if scenario.device_remembered:
                await pool.remember_device_credentials(
                    scenario.username, DeviceCredentials("us-east-1_old-device", "-group", "device-secret")
                )
            phase = "sign_in"
            tally.sign_ins_attempted += 1
            step = await bounded(
                pool.sign_in(
                    scenario.username,
                    PASSWORD if scenario.with_password else None,
                    flow=scenario.auth_flow,
                    preferred_challenge=scenario.preferred_challenge,
                    on_challenge=_handler(scenario, pool),
                )
            )
            user = step.user
            if user is None:
                tally.typed_errors[f"sign_in: ended at {step.name.value}"] += 1
                return
            signed_in = True
            tally.sign_ins_succeeded += 1
            done = 0
            phases: tuple[tuple[str, Callable[[], Awaitable[object]]], ...] = (
                ("tokens", user.tokens),
                ("refresh", user.refresh),
                ("get_user", user.get_user_data),
                ("sign_out", user.sign_out),  # RevokeToken, last: it ends the session
            )
            for phase, call in phases:
                try:
                    await bounded(call())
                    done += 1
                except CognitoError as error:
                    tally.typed_errors[f"{phase}: {type(error).__name__}"] += 1
            tally.completed += done == len(phases)
            phase = "close"
    except CognitoError as error:
        tally.typed_errors[f"{phase}: {type(error).__name__}"] += 1
        if not mutator.applied:
            tally.clean_errors.append(f"{index} {phase}: {error!r} [{scenario}]")
    except Hang:
        tally.hangs.append(_failure("hang", scenario, index, phase, "no answer within the bound", mutator))
    except Exception as error:
        tally.untyped.append(
            _failure("untyped", scenario, index, phase, repr(error)[:300], mutator, traceback.format_exc())
        )
    finally:
        state = fake.close(key)
        if not mutator.applied:
            tally.clean_iterations += 1
            tally.clean_signed_in += signed_in
        tally.mutations.update(mutator.kinds)
        for operation in state.resent:
            tally.resent.append(
                _failure("resent", scenario, index, operation, "password body sent twice", mutator)
            )


def _failure(
    what: str, scenario: Scenario, index: int, phase: str, error: str, mutator: Mutator, tb: str = ""
) -> Failure:
    mutations = tuple(f"{m.operation}:{m.kind}:{m.detail}" for m in mutator.applied)
    return Failure(what, scenario.seed, index, phase, f"{error} [{scenario}]", mutations, tb)


async def run_fuzz(seed: int, iterations: int, *, concurrency: int = 8) -> Tally:
    """Run ``iterations`` seeded iterations, ``concurrency`` at a time, and return the tallies."""
    tally = Tally(seed=seed, iterations=iterations)
    fake, elsewhere = FakeCognito(), Elsewhere()
    await fake.start()
    await elsewhere.start()
    started = time.perf_counter()
    indices = iter(range(iterations))

    async def worker() -> None:
        for index in indices:
            await _iteration(fake, elsewhere, tally, seed, index)

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        tally.wall_seconds = time.perf_counter() - started
        tally.elsewhere = elsewhere.hits
        await fake.stop()
        await elsewhere.stop()
    return tally
