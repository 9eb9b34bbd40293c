"""The sign-in service: starts sign-in flows, answers their steps, and turns outcomes into steps and users.

The flows themselves are pure generators (:mod:`aiocognito.core.flows`); the one driver
(:mod:`aiocognito.driver`) performs their effects. This service is the glue of one app client: it sends
the flows' calls through a :class:`~aiocognito.caller.Caller`, looks remembered devices up in the
:class:`~aiocognito.sessions.SessionBook` and keeps what a finished sign-in leaves there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from . import driver
from .caller import Caller
from .compute import run_default
from .core.flows import (
    Answer,
    Call,
    Challenge,
    ClientConfig,
    Compute,
    DeviceCredentials,
    Env,
    Outcome,
    Signed,
    SignInContext,
    Stopped,
    answer_challenge,
    start_sign_in,
)
from .core.steps import SignInStep, StepName
from .core.tokens import TokenSet
from .errors import ProtocolError
from .events import AuthEvent, AuthEventKind, AuthEvents
from .sessions import SessionBook

__all__ = ["SignInService", "UserFactory"]

#: Makes the :class:`~aiocognito.User` a finished sign-in hands out: ``(username, tokens, device)``.
UserFactory = Callable[[str, TokenSet, DeviceCredentials | None], Any]


class SignInService:
    """Drives the sign-ins of one app client (the :class:`~aiocognito.core.steps.Responder` of its steps).

    Args:
        client: the app client.
        env: the clock, randomness and device name the flows use.
        caller: sends the flows' calls.
        sessions: remembered devices are read there; finished sign-ins are kept there.
        session_validity: seconds a step stays answerable.
        make_user: builds the user of a finished sign-in.
        compute: runs the flows' SRP math (default: the shared :func:`~aiocognito.compute.run_default`).
        events: told of finished sign-ins and remembered devices.
    """

    def __init__(
        self,
        *,
        client: ClientConfig,
        env: Env,
        caller: Caller,
        sessions: SessionBook,
        session_validity: float,
        make_user: UserFactory,
        compute: Callable[[Compute], Awaitable[Any]] = run_default,
        events: AuthEvents | None = None,
    ) -> None:
        self.client = client
        self.env = env
        self._caller = caller
        self._sessions = sessions
        self._session_validity = session_validity
        self._make_user = make_user
        #: Runs a Compute effect off the event loop (:class:`~aiocognito.ComputePool.run`).
        self.compute = compute
        self._events = events if events is not None else AuthEvents()

    def __repr__(self) -> str:
        return f"<SignInService {self.client.pool_id} client {self.client.client_id}>"

    async def perform(self, effect: Call) -> Any:
        """Send one call a flow yielded."""
        return await self._caller.call(effect.operation, effect.params, service=effect.service)

    async def start(
        self,
        ctx: SignInContext,
        *,
        perform: Callable[[Call], Awaitable[Any]] | None = None,
        compute: Callable[[Compute], Awaitable[Any]] | None = None,
    ) -> Outcome:
        """Run a sign-in from its first call to its first outcome (a challenge, tokens or a stop).

        ``perform`` and ``compute`` replace how calls and SRP math are done (a bulk run shares them).
        """
        flow = start_sign_in(self.client, ctx, self.env)
        outcome: Outcome = await driver.drive(flow, perform or self.perform, compute or self.compute)
        return outcome

    async def answer(self, step: SignInStep, answer: Answer) -> SignInStep:
        """Answer ``step`` and return the next one (what :meth:`SignInStep.respond` calls).

        Raises:
            SessionExpiredError: the step's session has expired.
            ValueError: the step takes no answer.
        """
        step.check_not_expired(self.env.now())
        challenge = step.pending_challenge
        if challenge is None or challenge.context is None:
            raise ValueError(f"a {step.name.value} step takes no answer")
        ctx = challenge.context
        if ctx.device is None:
            device = await self._sessions.device(ctx.username)
            if device is not None:
                challenge = replace(challenge, context=replace(ctx, device=device))
        flow = answer_challenge(self.client, challenge, answer, self.env)
        outcome = await driver.drive(flow, self.perform, self.compute)
        return await self.step_for(outcome, ctx.username)

    def resumed(self, challenge: Challenge, expires_at: float | None) -> SignInStep:
        """A step read back from its JSON, answerable again.

        Raises:
            SessionExpiredError: the step has expired.
        """
        step = SignInStep.from_challenge(challenge, expires_at=expires_at, responder=self)
        step.check_not_expired(self.env.now())
        return step

    async def step_for(self, outcome: Outcome, typed_username: str) -> SignInStep:
        """The step a caller sees for ``outcome``; a finished sign-in is kept in the session book.

        Raises:
            ProtocolError: a challenge this library does not know, or tokens it refuses.
        """
        if isinstance(outcome, Stopped):
            name = (
                StepName.CONFIRM_SIGN_UP if outcome.reason == "CONFIRM_SIGN_UP" else StepName.RESET_PASSWORD
            )
            return SignInStep(
                name=name, username=outcome.username, typed_username=typed_username, error=outcome.error
            )
        if outcome.device_forgotten:
            await self._sessions.forget_device(typed_username)
        if isinstance(outcome, Challenge):
            expires_at = self.env.now() + self._session_validity if outcome.session else None
            try:
                return SignInStep.from_challenge(outcome, expires_at=expires_at, responder=self)
            except KeyError:
                raise ProtocolError(f"unknown challenge {outcome.challenge_name!r}", step="sign-in") from None
        return await self._signed(outcome, typed_username)

    async def _signed(self, outcome: Signed, typed_username: str) -> SignInStep:
        tokens = TokenSet.from_result(outcome.result, now=self.env.now())
        username = tokens.username or outcome.username
        device = outcome.device
        await self._sessions.save_sign_in(typed_username, username, tokens, device)
        user = self._make_user(username, tokens, device)
        remembered = outcome.device is not None and "NewDeviceMetadata" in outcome.result
        self._events.emit(AuthEvent(AuthEventKind.SIGNED_IN, username, tokens=tokens))
        if remembered and device is not None:
            necessary = outcome.user_confirmation_necessary
            event = AuthEvent(
                AuthEventKind.DEVICE_REMEMBERED,
                username,
                device_key=device.device_key,
                user_confirmation_necessary=necessary,
            )
            self._events.emit(event)
        return SignInStep(
            name=StepName.DONE,
            username=username,
            typed_username=typed_username,
            user=user,
            device_remembered=remembered,
            user_confirmation_necessary=remembered and outcome.user_confirmation_necessary,
        )
