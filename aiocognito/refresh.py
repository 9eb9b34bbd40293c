"""Refreshing a user's tokens: one refresh per user at a time, and no session lost to a passing fault.

Rules (after google-auth and aiobotocore): with less than ``refresh_margin`` left, the tokens are
refreshed early ("advisory" window): a refresh that fails for a passing reason (network, 5xx,
throttling, an HTML page) leaves the still-valid tokens in use. Once they have expired ("mandatory"
window) the failure is raised, and the session is kept for the next try. Only a refusal of the refresh
token itself ends the session: Cognito's NotAuthorizedException (revoked or expired), or
RefreshTokenReuseException when the successor of a rotated token is unknown here.

Any number of concurrent callers cause one refresh call: in this process they share one task (shielded,
so a cancelled caller does not cancel it), and across processes the token store's refresh lock makes the
second process find the tokens the first one stored.

Which operation (per pool, ``refresh_operation=``; "auto" by default):

- GetTokensFromRefreshToken first: it works with and without refresh-token rotation, and a rotated
  refresh token is stored before the old one is dropped. Once it has worked for a pool, that pool never
  falls back.
- Cognito always answers JSON. An HTML 404/500/501 is what an emulator such as moto answers for an
  operation it lacks, but also what a proxy answers on a bad day: InitiateAuth REFRESH_TOKEN_AUTH is then
  tried. If it works (and GetTokensFromRefreshToken never has), the pool keeps using it; if it fails in
  any way (a client with rotation refuses it), the session is kept and the next refresh starts again
  with GetTokensFromRefreshToken.
- JSON that says the operation is unknown (UnknownOperationException, a 501...) switches the pool to
  REFRESH_TOKEN_AUTH for good.
- With rotation, a reply lost after Cognito rotated the token leaves the old token, which Cognito's
  retry grace period (RetryGracePeriodSeconds, up to 60 s) keeps working for the next try.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeGuard

from .core.flows import ClientConfig, DeviceCredentials
from .core.tokens import TokenSet
from .errors import CognitoError, ProtocolError, ServiceError, SignedOutError, TransportError
from .events import AuthEvent, AuthEventKind, AuthEvents, SignOutReason

if TYPE_CHECKING:
    from .caller import Caller
    from .sessions import SessionBook
    from .token_store import StoreKey

__all__ = ["REFRESH_OPERATIONS", "Refresher"]

_log = logging.getLogger("aiocognito")

_GET_TOKENS = "GetTokensFromRefreshToken"
_REFRESH_FLOW = "REFRESH_TOKEN_AUTH"
_AUTO = "auto"
#: The values of ``UserPool(refresh_operation=...)``.
REFRESH_OPERATIONS = (_AUTO, _GET_TOKENS, _REFRESH_FLOW)
# How a server says in JSON that it does not know an operation: the AWS JSON code, a query-protocol
# code, or LocalStack-style emulators' 501 with a code of their own.
_UNKNOWN_OPERATION_CODES = frozenset(
    {"UnknownOperationException", "InvalidAction", "NotImplementedException"}
)
# An HTML page with one of these statuses may come from an emulator that lacks the operation.
_MISSING_OPERATION_STATUSES = frozenset({404, 500, 501})


class _GoneFromStore(Exception):
    """The session kept in the token store is no longer there."""


def _says_unknown_operation(error: CognitoError) -> TypeGuard[ServiceError]:
    """Cognito-shaped JSON (or AWS XML) saying the operation is unknown: definitive."""
    return isinstance(error, ServiceError) and (error.code in _UNKNOWN_OPERATION_CODES or error.status == 501)


def _may_lack_operation(error: CognitoError) -> TypeGuard[TransportError]:
    """A reply that is not Cognito JSON, with a status an emulator lacking the operation answers."""
    return isinstance(error, TransportError) and error.status in _MISSING_OPERATION_STATUSES


def _is_transient(error: CognitoError) -> bool:
    """Network trouble, a 5xx or throttling: worth another try later."""
    if isinstance(error, TransportError):
        return True
    return isinstance(error, ServiceError) and (error.throttling or error.status >= 500)


def _ends_session(error: CognitoError) -> bool:
    return isinstance(error, ServiceError) and error.code == "NotAuthorizedException"


class Refresher:
    """Refreshes the tokens of the users of one app client.

    Args:
        caller: sends GetTokensFromRefreshToken / InitiateAuth.
        sessions: where the users' records are (fresh tokens are stored there before they are used).
        client: the app client (its secret goes into the refresh requests).
        now: the clock.
        margin: refresh when less than this many seconds remain (at most half the tokens' lifetime).
        operation: ``"auto"``, ``"GetTokensFromRefreshToken"`` or ``"REFRESH_TOKEN_AUTH"`` (see the
            module docstring).
        events: told of refreshes, failed ones and sessions that end.
    """

    def __init__(
        self,
        caller: Caller,
        sessions: SessionBook,
        client: ClientConfig,
        *,
        now: Callable[[], float],
        margin: float,
        operation: str = _AUTO,
        events: AuthEvents | None = None,
    ) -> None:
        if operation not in REFRESH_OPERATIONS:
            raise ValueError(
                f"refresh_operation must be one of {', '.join(map(repr, REFRESH_OPERATIONS))}, "
                f"not {operation!r}"
            )
        if margin < 0:
            raise ValueError("refresh_margin must not be negative")
        self._caller = caller
        self._sessions = sessions
        self._client = client
        self._now = now
        self.margin = margin
        self._inflight: dict[StoreKey, asyncio.Task[TokenSet]] = {}
        self._fixed = operation != _AUTO
        #: The operation the next refresh starts with.
        self.operation = _REFRESH_FLOW if operation == _REFRESH_FLOW else _GET_TOKENS
        self._get_tokens_worked = False
        self._events = events if events is not None else AuthEvents()

    def margin_for(self, tokens: TokenSet) -> float:
        """Seconds before expiry at which ``tokens`` are refreshed: the margin, at most half their life.

        With a margin longer than the tokens live (5-minute access tokens and the default 300 s) every
        call would refresh.
        """
        return min(self.margin, (tokens.expires_at - tokens.issued_at) / 2)

    def is_fresh(self, tokens: TokenSet) -> bool:
        """Whether ``tokens`` have more than their refresh margin left."""
        return tokens.seconds_left(now=self._now()) > self.margin_for(tokens)

    @property
    def in_flight(self) -> int:
        """How many refreshes are running now (one per user at most)."""
        return len(self._inflight)

    async def tokens_for(
        self,
        key: StoreKey,
        tokens: TokenSet,
        device: DeviceCredentials | None,
        *,
        force: bool = False,
        stored: bool = False,
    ) -> TokenSet:
        """Fresh tokens for the user under ``key``, whose tokens now are ``tokens``.

        Called when they are within the refresh margin, or with ``force`` (an explicit refresh, whose
        failure is raised even while the old tokens are valid). ``stored``: the session was kept in the
        token store, so finding it gone there means another process signed the user out.

        Raises:
            SignedOutError: the session ended (Cognito refused the refresh token); its record is forgotten.
            TransportError, ServiceError: the refresh failed and the tokens have expired (or ``force``).
        """
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._told(key, tokens, device, stored))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        try:
            return await asyncio.shield(task)
        except SignedOutError:
            raise
        except CognitoError as error:
            if isinstance(error, ServiceError) and _ends_session(error):
                raise SignedOutError(
                    f"user {key.username!r}: Cognito refused the refresh token ({error.message}); "
                    "sign in again"
                ) from error
            if not force and _is_transient(error) and tokens.seconds_left(now=self._now()) > 0:
                _log.warning(
                    "refresh failed (%s); the tokens are still valid and stay in use", type(error).__name__
                )
                return tokens
            raise

    def _finished(self, key: StoreKey, task: asyncio.Task[TokenSet]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved here, so a refresh nobody waits for any more logs nothing

    async def _told(self, key: StoreKey, tokens: TokenSet, device: Any, kept: bool) -> TokenSet:
        """A refresh, and the event that tells how it went (once, however many callers wait for it)."""
        username = key.username
        try:
            fresh = await self._refresh(key, tokens, device, kept)
        except _GoneFromStore as gone:
            self._events.emit(
                AuthEvent(AuthEventKind.SIGNED_OUT, username, reason=SignOutReason.GONE_FROM_STORE)
            )
            raise SignedOutError(str(gone)) from None
        except CognitoError as error:
            cause = error.__cause__ if isinstance(error, SignedOutError) else error
            if isinstance(error, SignedOutError) or _ends_session(error):
                reason = SignOutReason.NOT_AUTHORIZED
                told = cause if isinstance(cause, CognitoError) else error
                self._events.emit(AuthEvent(AuthEventKind.SIGNED_OUT, username, error=told, reason=reason))
            else:
                self._events.emit(AuthEvent(AuthEventKind.REFRESH_FAILED, username, error=error))
            raise
        if fresh is not tokens:
            self._events.emit(AuthEvent(AuthEventKind.TOKENS_REFRESHED, username, tokens=fresh))
        return fresh

    async def _refresh(self, key: StoreKey, tokens: TokenSet, device: Any, kept: bool) -> TokenSet:
        sessions = self._sessions
        async with sessions.refresh_lock(key):
            # Another process (or pool object) may have refreshed while we waited for the lock.
            record = await sessions.record(key)
            stored = record.tokens if record is not None else None
            if kept and stored is None:
                raise _GoneFromStore(f"user {key.username!r} was signed out elsewhere; sign in again")
            # Only stale tokens get here, so fresh stored ones are newer, even when issued in the same
            # second (equal expiry) as ours.
            if stored is not None and stored.access_token != tokens.access_token and self.is_fresh(stored):
                return stored
            if stored is not None and stored.refresh_token:
                tokens = stored if stored.expires_at >= tokens.expires_at else tokens
            if record is not None and record.device is not None:
                device = record.device
            try:
                fresh = await self._call(tokens, device)
            except ServiceError as error:
                if error.code == "RefreshTokenReuseException":
                    fresh = await self._after_reuse(key, tokens, device, error)
                else:
                    if _ends_session(error):
                        await sessions.forget_session(key)
                    raise
            # Store first: with rotation the new refresh token is the only one that works from now on.
            try:
                await sessions.save_tokens(key, fresh, device)
            except (CognitoError, OSError) as error:
                # Dropping the fresh tokens would lose the session for good when the refresh token was
                # rotated: keep them in the user object (this process) and say so.
                _log.warning("the refreshed tokens could not be stored (%s); kept in memory", error)
            return fresh

    async def _after_reuse(
        self, key: StoreKey, tokens: TokenSet, device: Any, error: ServiceError
    ) -> TokenSet:
        """The refresh token was already rotated: use the one whoever rotated it stored, else give up."""
        record = await self._sessions.record(key)
        stored = record.tokens if record is not None else None
        if stored is None or not stored.refresh_token or stored.refresh_token == tokens.refresh_token:
            await self._sessions.forget_session(key)
            raise SignedOutError(
                "the refresh token was rotated elsewhere and its successor is unknown here; sign in again"
            ) from error
        if self.is_fresh(stored):
            return stored
        return await self._call(stored, device)

    async def _call(self, tokens: TokenSet, device: Any) -> TokenSet:
        if not tokens.refresh_token:
            raise SignedOutError("no refresh token is kept for this user; sign in again")
        if self.operation == _REFRESH_FLOW:
            return await self._refresh_flow(tokens, device)
        try:
            fresh = await self._get_tokens(tokens, device)
        except (ServiceError, TransportError) as error:
            if self._fixed or self._get_tokens_worked:
                raise
            if _says_unknown_operation(error):
                _log.warning(
                    "the server does not know %s (%s): this pool refreshes with %s from now on",
                    _GET_TOKENS,
                    error.code,
                    _REFRESH_FLOW,
                )
                self.operation = _REFRESH_FLOW
                return await self._refresh_flow(tokens, device)
            if not _may_lack_operation(error):
                raise
            return await self._probe_refresh_flow(tokens, device, error)
        # The server knows the operation: whatever happens later is a passing fault, never a reason to
        # fall back (and a probe that raced with this call does not count).
        self._get_tokens_worked = True
        self.operation = _GET_TOKENS
        return fresh

    async def _probe_refresh_flow(self, tokens: TokenSet, device: Any, error: TransportError) -> TokenSet:
        """GetTokensFromRefreshToken answered an HTML page: an emulator lacking it, or a passing fault.

        REFRESH_TOKEN_AUTH tells them apart. Its failure, whatever it is (a client with rotation refuses
        it with NotAuthorizedException), says nothing about the refresh token: the original failure is
        raised, so the session is kept and the next refresh tries GetTokensFromRefreshToken again.
        """
        try:
            fresh = await self._refresh_flow(tokens, device)
        except CognitoError as fallback_error:
            _log.warning(
                "%s answered HTTP %s that is not Cognito JSON and %s failed too (%s); the session is kept",
                _GET_TOKENS,
                error.status,
                _REFRESH_FLOW,
                type(fallback_error).__name__,
            )
            raise error from fallback_error
        if not self._get_tokens_worked:
            _log.warning(
                "%s answered HTTP %s that is not Cognito JSON and %s worked: this pool refreshes with "
                "%s from now on (UserPool(refresh_operation=...) chooses)",
                _GET_TOKENS,
                error.status,
                _REFRESH_FLOW,
                _REFRESH_FLOW,
            )
            self.operation = _REFRESH_FLOW
        return fresh

    async def _get_tokens(self, tokens: TokenSet, device: Any) -> TokenSet:
        client = self._client
        params: dict[str, Any] = {"RefreshToken": tokens.refresh_token, "ClientId": client.client_id}
        if client.client_secret is not None:
            params["ClientSecret"] = client.client_secret
        if device is not None:
            params["DeviceKey"] = device.device_key
        reply = await self._caller.call(_GET_TOKENS, params)
        return self._tokens_from(reply, tokens, _GET_TOKENS)

    async def _refresh_flow(self, tokens: TokenSet, device: Any) -> TokenSet:
        client = self._client
        auth: dict[str, str] = {"REFRESH_TOKEN": tokens.refresh_token or ""}
        # SECRET_HASH over the name Cognito knows the user by (the sub in e-mail-as-username pools),
        # never the alias typed at sign-in.
        internal = tokens.username or tokens.sub
        secret_hash = client.secret_hash(internal) if internal else None
        if secret_hash is not None:
            auth["SECRET_HASH"] = secret_hash
        if device is not None:
            auth["DEVICE_KEY"] = device.device_key
        reply = await self._caller.call(
            "InitiateAuth", {"AuthFlow": _REFRESH_FLOW, "ClientId": client.client_id, "AuthParameters": auth}
        )
        return self._tokens_from(reply, tokens, _REFRESH_FLOW)

    def _tokens_from(self, reply: dict[str, Any], old: TokenSet, step: str) -> TokenSet:
        result = reply.get("AuthenticationResult")
        if not isinstance(result, dict):
            raise ProtocolError("missing or not an object", step=step, field="AuthenticationResult")
        return TokenSet.from_result(result, now=self._now(), refresh_token=old.refresh_token)
