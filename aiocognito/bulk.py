"""Many sign-ins at once: bounded concurrency, a rate limit, SRP math on every core, flat memory.

:func:`sign_in_many` (also :meth:`UserPool.sign_in_many <aiocognito.UserPool.sign_in_many>`) reads
``(username, password)`` pairs from any iterable or async iterable and yields one :class:`SignInResult`
per user as each sign-in ends: tokens, or the error that user met. One failure never stops the rest.

Why the defaults are what they are:

- **Rate**: Cognito's default quota for its *UserAuthentication* category (InitiateAuth and
  RespondToAuthChallenge together) is 120 requests per second per account and region. An SRP sign-in
  is two such requests (four with a remembered device, one with USER_PASSWORD_AUTH), so 60 sign-ins per
  second use all of it; :data:`DEFAULT_RATE` is 55 (110 requests/s), leaving room for the retries of
  throttled calls and for the app's own sign-ins. Raise it when AWS has raised your quota, halve it when
  users sign in with remembered devices, and pass ``rate=None`` against a local emulator. A rate given as
  a number spaces every start by ``1 / rate``; ``rate=TokenBucket(r, 1 + r * 0.07, grain=0.07)`` (what
  ``aiocognito bulk-sign-in`` uses) starts those due within 70 ms together instead: one wake-up of the loop
  and one batch of SRP math for all of them, for a burst of ``1 + 0.07 * r`` (under 5 at 55/s).
- **Throttling**: the transport retries a throttled call (``TooManyRequestsException``) with backoff. If
  a sign-in still ends throttled, the limiter slows down (to 70 %, recovering by 1 % per unthrottled
  sign-in) and the sign-in is started again, up to ``throttle_retries`` times: a throttled request was
  refused before the password was looked at, so repeating it cannot lock anyone out.
- **SRP math on every core**: each SRP sign-in needs about 3.5 ms of big-number work (with pycryptodome). Run
  on the event loop, 500 concurrent sign-ins would stall it for seconds; so the
  :class:`~aiocognito.flows.Compute` effects of all in-flight sign-ins go to the pool's
  :class:`~aiocognito.ComputePool` (:mod:`aiocognito.compute`), gathered in batches and run in worker
  threads, one per usable core: the SRP backend (pycryptodome, or gmpy2) lets go of the GIL while it
  exponentiates, so they run in parallel with no process start-up, pickling or pipes. Without either
  (Python's ``pow()`` holds the GIL) the batches go to worker processes fed over pipes. Batching keeps
  the cost of the hop well below the math itself.
- **Flat memory**: the input is read one item at a time, only when a slot is free, and a slot stays
  taken until its result has been handed to the caller: at most ``concurrency`` sign-ins and results
  exist at once, whatever the number of users. Tokens are not put in the pool's token store unless
  ``store_tokens=True`` (a memory store would keep every user's tokens).

Results come out in the order sign-ins end, not the input order: :attr:`SignInResult.index` is the
position in the input.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
)
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from .compute import ComputePool
from .core.flows import AuthFlow, Call, Challenge, Compute, Signed, SignInContext, Stopped
from .core.steps import STEP_OF_CHALLENGE
from .core.tokens import TokenSet
from .errors import CognitoError, ServiceError
from .limits.bucket import TokenBucket
from .limits.protocol import RateLimiter

if TYPE_CHECKING:
    from .pool import UserPool

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_RATE",
    "ChallengeRequiredError",
    "ComputeExecutor",
    "CredentialSource",
    "Credentials",
    "InvalidCredentialsError",
    "SignInResult",
    "TokenBucket",
    "sign_in_many",
]

#: Sign-ins per second: just under Cognito's default UserAuthentication quota of 120 requests/s, at
#: two requests per SRP sign-in (see the module docstring).
DEFAULT_RATE = 55.0
#: Sign-ins in flight at once: enough to keep a rate of :data:`DEFAULT_RATE` busy at 1 s latency.
DEFAULT_CONCURRENCY = 64

#: One user's credentials: a ``(username, password)`` pair, a mapping with ``"username"`` and ``"password"``
#: keys (a :class:`csv.DictReader` row), or an object with ``username`` and ``password`` attributes.
Credentials: TypeAlias = Any
#: What :func:`sign_in_many` reads: an iterable or an async iterable of :data:`Credentials`.
CredentialSource: TypeAlias = Iterable[Credentials] | AsyncIterable[Credentials]
#: An executor for the SRP math (a process or thread pool).
ComputeExecutor: TypeAlias = concurrent.futures.Executor


class ChallengeRequiredError(CognitoError):
    """The sign-in stopped at a step that needs an answer (an MFA code, a new password...).

    A bulk sign-in answers only the SRP challenges; anything else is reported as this error.

    Attributes:
        step: the step's name (``CONFIRM_SIGN_IN_WITH_TOTP_CODE``...), as :class:`~aiocognito.StepName`.
        challenge_name: Cognito's challenge name (``SOFTWARE_TOKEN_MFA``...).
    """

    code = "ChallengeRequired"

    def __init__(self, step: str, challenge_name: str) -> None:
        self.step = step
        self.challenge_name = challenge_name
        super().__init__(f"the sign-in needs an answer to {step} ({challenge_name})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.step, self.challenge_name))


class InvalidCredentialsError(CognitoError):
    """An input item that is not a username and a password; nothing was sent for it."""

    code = "InvalidCredentials"


@dataclass(frozen=True, slots=True)
class SignInResult:
    """How one user's sign-in ended.

    Attributes:
        index: the position of the user in the input (results come in the order sign-ins end).
        username: the username as given.
        tokens: the tokens, when the sign-in succeeded.
        error: the error, when it failed: a :class:`~aiocognito.ServiceError` subclass
            (``NotAuthorizedError``...), :class:`ChallengeRequiredError`, :class:`~aiocognito.TransportError`,
            :class:`~aiocognito.ProtocolError` or :class:`InvalidCredentialsError`.
    """

    index: int
    username: str
    tokens: TokenSet | None = field(default=None, repr=False)
    error: CognitoError | None = None

    @property
    def ok(self) -> bool:
        """Whether the user is signed in."""
        return self.tokens is not None

    @property
    def error_code(self) -> str | None:
        """The error's code: Cognito's wire code for a service error, else the name of its kind."""
        error = self.error
        if error is None:
            return None
        code = getattr(error, "code", None)
        return code if isinstance(code, str) and code else type(error).__name__

    @property
    def error_message(self) -> str | None:
        """The error's message (never a password or a token)."""
        error = self.error
        if error is None:
            return None
        return error.message if isinstance(error, ServiceError) else str(error)


# --- one sign-in -------------------------------------------------------------------------------------


def _credentials(item: Credentials) -> tuple[str, str]:
    if isinstance(item, tuple | list) and len(item) == 2:
        username, password = item
    elif isinstance(item, Mapping):
        username, password = item.get("username"), item.get("password")
    else:
        username, password = getattr(item, "username", None), getattr(item, "password", None)
    if not isinstance(username, str) or not username:
        raise InvalidCredentialsError("the username is missing or not a string")
    if not isinstance(password, str):
        raise InvalidCredentialsError("the password is missing or not a string")
    return username, password


def _username_of(item: Credentials) -> str:
    if isinstance(item, tuple | list) and item:
        name = item[0]
    elif isinstance(item, Mapping):
        name = item.get("username")
    else:
        name = getattr(item, "username", None)
    return name if isinstance(name, str) else ""


@dataclass
class _Job:
    """What every sign-in of one bulk run shares."""

    pool: UserPool
    flow: AuthFlow
    client_metadata: Mapping[str, str] | None
    run: Callable[[Compute], Awaitable[Any]]
    bucket: RateLimiter | None
    throttle_retries: int
    store_tokens: bool

    async def call(self, effect: Call) -> Any:
        try:
            return await self.pool.sign_ins.perform(effect)
        except ServiceError as exc:
            if exc.throttling and self.bucket is not None:
                self.bucket.slow_down()
            raise

    async def sign_in(self, index: int, item: Credentials) -> SignInResult:
        try:
            username, password = _credentials(item)
        except InvalidCredentialsError as exc:
            return SignInResult(index, _username_of(item), error=exc)
        for attempt in range(self.throttle_retries + 1):
            if attempt and self.bucket is not None:
                await self.bucket.acquire()
            try:
                tokens = await self._sign_in_once(username, password)
            except ServiceError as exc:
                if exc.throttling and attempt < self.throttle_retries:
                    continue
                return SignInResult(index, username, error=exc)
            except CognitoError as exc:
                return SignInResult(index, username, error=exc)
            except ValueError as exc:  # a password that is not encodable text
                return SignInResult(index, username, error=InvalidCredentialsError(str(exc)))
            if self.bucket is not None:
                self.bucket.recover()
            return SignInResult(index, username, tokens=tokens)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _sign_in_once(self, username: str, password: str) -> TokenSet:
        sign_ins, sessions = self.pool.sign_ins, self.pool.sessions
        ctx = SignInContext(
            username=username,
            flow=self.flow,
            client_metadata=self.client_metadata,
            password=password,
            device=await sessions.device(username),
        )
        outcome = await sign_ins.start(ctx, perform=self.call, compute=self.run)
        if isinstance(outcome, Stopped):
            raise outcome.error
        if isinstance(outcome, Challenge):
            if outcome.device_forgotten:
                await sessions.forget_device(username)
            step_name = STEP_OF_CHALLENGE.get(outcome.challenge_name)
            raise ChallengeRequiredError(
                step_name.value if step_name is not None else outcome.challenge_name, outcome.challenge_name
            )
        if self.store_tokens:
            step = await sign_ins.step_for(outcome, username)
            assert step.user is not None
            return step.user.current_tokens
        return await self._tokens(outcome, username)

    async def _tokens(self, outcome: Signed, username: str) -> TokenSet:
        sessions = self.pool.sessions
        tokens = TokenSet.from_result(outcome.result, now=self.pool.sign_ins.env.now())
        if outcome.device_forgotten:
            await sessions.forget_device(username)
        if outcome.device is not None and "NewDeviceMetadata" in outcome.result:
            # A device confirmed during this sign-in: without it the next sign-in would confirm another.
            await sessions.remember_device(username, outcome.device)
            if tokens.username and tokens.username != username:
                await sessions.remember_device(tokens.username, outcome.device)
        return tokens


# --- the bulk run ------------------------------------------------------------------------------------


async def _items(credentials: CredentialSource) -> AsyncIterator[Any]:
    if isinstance(credentials, AsyncIterable):
        async for item in credentials:
            yield item
    else:
        for item in credentials:
            yield item


class _Compute:
    """The compute pool of one bulk run, and whether the run made it (and so closes it)."""

    def __init__(self, pool: UserPool, workers: int | None, executor: ComputeExecutor | None) -> None:
        self._own: ComputePool | None = None
        self.run: Callable[[Compute], Awaitable[Any]] = pool.sign_ins.compute
        if executor is not None or workers is not None:
            self._own = ComputePool(workers, executor=executor)
            self.run = self._own.run

    async def aclose(self) -> None:
        if self._own is not None:
            await self._own.aclose()


def _limiter_of(rate: float | RateLimiter | None) -> RateLimiter | None:
    if rate is None:
        return None
    if isinstance(rate, int | float) and not isinstance(rate, bool):
        return TokenBucket(rate)
    if isinstance(rate, RateLimiter):
        return rate
    raise TypeError(f"rate must be sign-ins per second, a RateLimiter or None, not {type(rate).__name__}")


async def sign_in_many(
    pool: UserPool,
    credentials: CredentialSource,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    rate: float | RateLimiter | None = DEFAULT_RATE,
    flow: AuthFlow | str = AuthFlow.USER_SRP_AUTH,
    client_metadata: Mapping[str, str] | None = None,
    workers: int | None = None,
    executor: ComputeExecutor | None = None,
    throttle_retries: int = 3,
    store_tokens: bool = False,
) -> AsyncGenerator[SignInResult, None]:
    """Sign many users in; yield one :class:`SignInResult` per user as each sign-in ends.

    ``credentials`` is read lazily, one item when a slot frees up, so it may be a generator over a file
    of any size. Results come in the order the sign-ins end; :attr:`SignInResult.index` is the input
    position. A failed sign-in is a result with an ``error``, never an exception; a sign-in that needs an
    answer (MFA, a new password) fails with :class:`ChallengeRequiredError`.

    Close the iterator when leaving early, so the sign-ins in flight are cancelled and the workers
    stopped: ``async with contextlib.aclosing(pool.sign_in_many(users)) as results: ...``.

    Args:
        pool: the user pool (and app client) to sign in to.
        credentials: ``(username, password)`` pairs, mappings with ``username``/``password`` keys, or
            objects with those attributes; an iterable or an async iterable.
        concurrency: sign-ins in flight at most (results not yet taken included).
        rate: sign-ins started per second at most (:data:`DEFAULT_RATE`, just under Cognito's default
            quota); any :class:`~aiocognito.limits.RateLimiter` (a :class:`TokenBucket`, a
            :class:`~aiocognito.RedisRateLimiter` shared by a fleet), acquired once per sign-in and
            slowed down by throttling; or ``None`` for no limit.
        flow: ``USER_SRP_AUTH`` (default), ``USER_PASSWORD_AUTH``, ``ADMIN_USER_PASSWORD_AUTH``...
        client_metadata: sent with every call, for Lambda triggers.
        workers: worker threads for the SRP math in a compute pool of this run's own (default: the
            pool's :class:`~aiocognito.ComputePool`; 0 runs it on the event loop).
        executor: an executor of your own for the SRP math instead (a process or thread pool); it is not
            shut down.
        throttle_retries: times a sign-in that ends throttled is started again.
        store_tokens: also keep each user's tokens in the pool's token store, as :meth:`UserPool.sign_in`
            does (with a memory store, memory then grows with the number of users).

    Raises:
        ValueError: ``concurrency`` is not positive, ``throttle_retries`` or ``workers`` is negative, or
            ``flow`` is unknown.
        TypeError: ``rate`` is neither a number, a rate limiter nor ``None``.
        RateLimiterError: the limiter could not grant a sign-in (Redis out of reach, no fallback): the run
            ends, nothing more is sent.
        Exception: whatever reading ``credentials`` raises, after the sign-ins in flight are cancelled.
    """
    if not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError("concurrency must be a positive integer")
    if throttle_retries < 0:
        raise ValueError("throttle_retries must not be negative")
    try:
        auth_flow = AuthFlow(flow)
    except ValueError:
        raise ValueError(f"unknown flow {flow!r}: one of {[f.value for f in AuthFlow]}") from None
    bucket = _limiter_of(rate)
    compute = _Compute(pool, workers, executor)
    job = _Job(
        pool=pool,
        flow=auth_flow,
        client_metadata=dict(client_metadata) if client_metadata else None,
        run=compute.run,
        bucket=bucket,
        throttle_retries=throttle_retries,
        store_tokens=store_tokens,
    )
    # A slot is taken before an item is read and given back when its result has been yielded: results
    # waiting for the caller count against ``concurrency``, so memory stays flat with a slow caller.
    slots = asyncio.Semaphore(concurrency)
    results: asyncio.Queue[SignInResult | BaseException | None] = asyncio.Queue()
    tasks: set[asyncio.Task[None]] = set()

    async def one(index: int, item: Credentials) -> None:
        try:
            results.put_nowait(await job.sign_in(index, item))
        except Exception as exc:  # not a sign-in's failure (a worker process died...): ends the run
            results.put_nowait(exc)

    async def feed() -> None:
        try:
            index = 0
            async for item in _items(credentials):
                await slots.acquire()
                if bucket is not None:
                    await bucket.acquire()
                task = asyncio.create_task(one(index, item))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                index += 1
                del item
            while tasks:
                await asyncio.wait(set(tasks))
            results.put_nowait(None)
        except Exception as exc:
            results.put_nowait(exc)

    feeder = asyncio.create_task(feed())
    try:
        while True:
            result = await results.get()
            if result is None:
                return
            if isinstance(result, BaseException):
                raise result
            yield result
            slots.release()
    finally:
        feeder.cancel()
        for task in list(tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(feeder, *tasks, return_exceptions=True)
        await compute.aclose()
