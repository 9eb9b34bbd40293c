"""Auth events: what a pool tells an app about its users' sessions (Amplify's Hub ``auth`` channel).

``pool.events.subscribe(callback)`` takes a function or a coroutine function of one
:class:`AuthEvent`. A callback can never break the call that fired it: a plain one runs in place and
whatever it raises is logged; a coroutine one runs as a task of its own, which ``pool.aclose()`` awaits.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum

from .core.tokens import TokenSet
from .errors import CognitoError

__all__ = ["AuthEvent", "AuthEventKind", "AuthEvents", "EventCallback", "SignOutReason"]

_log = logging.getLogger("aiocognito")


class AuthEventKind(str, Enum):
    """What happened to a user's session."""

    SIGNED_IN = "signed_in"
    TOKENS_REFRESHED = "tokens_refreshed"
    REFRESH_FAILED = "refresh_failed"
    SIGNED_OUT = "signed_out"
    DEVICE_REMEMBERED = "device_remembered"

    def __str__(self) -> str:
        return self.value


class SignOutReason(str, Enum):
    """How a session ended."""

    #: ``sign_out``, ``global_sign_out`` or ``delete`` in this process.
    BY_THIS_PROCESS = "by_this_process"
    #: Cognito refused the refresh token (revoked, expired, rotated away).
    NOT_AUTHORIZED = "not_authorized"
    #: The shared token store no longer held the session when it was next read (another process signed
    #: the user out).
    GONE_FROM_STORE = "gone_from_store"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class AuthEvent:
    """One event.

    Attributes:
        kind: what happened.
        username: the username Cognito knows the user by.
        tokens: the new tokens (``SIGNED_IN``, ``TOKENS_REFRESHED``).
        error: why a refresh failed (``REFRESH_FAILED``; ``SIGNED_OUT`` by ``NOT_AUTHORIZED``).
        reason: how the session ended (``SIGNED_OUT``).
        device_key: the device (``DEVICE_REMEMBERED``).
        user_confirmation_necessary: Cognito waits for the user to confirm remembering the device
            (``DEVICE_REMEMBERED`` at sign-in; ``User.remember_device()`` completes it).
    """

    kind: AuthEventKind
    username: str
    tokens: TokenSet | None = field(default=None, repr=False)
    error: CognitoError | None = None
    reason: SignOutReason | None = None
    device_key: str | None = None
    user_confirmation_necessary: bool = False


EventCallback = Callable[[AuthEvent], None] | Callable[[AuthEvent], Awaitable[None]]


class AuthEvents:
    """A pool's subscribers, and the tasks of the coroutine ones still running."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[EventCallback, frozenset[AuthEventKind] | None]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"<AuthEvents {len(self._subscribers)} subscribers, {len(self._tasks)} running>"

    def subscribe(
        self, callback: EventCallback, kinds: Iterable[AuthEventKind | str] | None = None
    ) -> Callable[[], None]:
        """Call ``callback`` with every event (or those of ``kinds``); returns the function that
        unsubscribes it.

        Raises:
            TypeError: ``callback`` is not callable.
            ValueError: an unknown kind.
        """
        if not callable(callback):
            raise TypeError("callback must be a function or a coroutine function of one AuthEvent")
        wanted = frozenset(AuthEventKind(kind) for kind in kinds) if kinds is not None else None
        entry = (callback, wanted)
        self._subscribers.append(entry)

        def unsubscribe() -> None:
            if entry in self._subscribers:
                self._subscribers.remove(entry)

        return unsubscribe

    def emit(self, event: AuthEvent) -> None:
        """Hand ``event`` to every subscriber; never raises."""
        for callback, wanted in list(self._subscribers):
            if wanted is not None and event.kind not in wanted:
                continue
            try:
                result = callback(event)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(self._run(result, event))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            except Exception:
                _log.exception("an auth event callback failed on %s", event.kind.value)

    @staticmethod
    async def _run(awaitable: Awaitable[None], event: AuthEvent) -> None:
        try:
            await awaitable
        except Exception:
            _log.exception("an auth event callback failed on %s", event.kind.value)

    async def aclose(self) -> None:
        """Wait for the coroutine callbacks still running (those they fire too)."""
        for _ in range(100):  # a callback may fire events whose callbacks run as tasks in turn
            if not self._tasks:
                return
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
