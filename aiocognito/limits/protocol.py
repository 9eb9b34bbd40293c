"""What every aiocognito rate limiter is: the :class:`RateLimiter` protocol and the errors it raises.

Two limiters implement it: :class:`aiocognito.bulk.TokenBucket` (one process) and
:class:`aiocognito.RedisRateLimiter` (every process and machine sharing one Redis). A limiter counts
*acquisitions*; what one stands for is the caller's unit: ``sign_in_many`` acquires once per sign-in, a
pool's per-category limit once per request.

The feedback methods are synchronous on purpose: they are called from the hot path of every result (a
throttled call, a call that was not), must never hold it up, and must not fail it. A limiter that keeps
its state elsewhere (Redis) sends the feedback in the background.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..errors import CognitoError

__all__ = ["RateLimitTimeoutError", "RateLimiter", "RateLimiterError"]


@runtime_checkable
class RateLimiter(Protocol):
    """An async rate limiter: at most its rate of acquisitions per second, slower after throttling.

    ``isinstance(x, RateLimiter)`` is true for any object with these three methods.
    """

    async def acquire(self) -> None:
        """Wait until the next acquisition may go ahead, and take it.

        Raises:
            RateLimiterError: the limiter cannot grant one (its shared state is out of reach and it has
                no fallback, or the wait would be longer than it allows).
        """

    def slow_down(self) -> None:
        """Lower the rate after a request was throttled (``TooManyRequestsException``). Never raises."""

    def recover(self) -> None:
        """Say that a request went through unthrottled; the rate may climb back. Never raises."""


class RateLimiterError(CognitoError):
    """A rate limiter could not grant an acquisition: nothing was sent for it.

    For :class:`aiocognito.RedisRateLimiter`: Redis did not answer in time, refused the connection or the
    password, or answered something that is not this limiter's state, and no ``fallback_rate`` was given.
    The message names the limiter; it never holds a Redis password.

    Attributes:
        name: the limiter's name.
    """

    retryable = True

    def __init__(self, message: str, *, name: str) -> None:
        super().__init__(message)
        self.name = name

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), self.name, 0.0))


class RateLimitTimeoutError(RateLimiterError):
    """The next acquisition is further away than the limiter's ``max_wait``; none was taken.

    Attributes:
        name: the limiter's name.
        wait: the seconds the acquisition would have had to wait.
    """

    def __init__(self, message: str, *, name: str, wait: float) -> None:
        super().__init__(message, name=name)
        self.wait = wait

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), self.name, self.wait))


def _rebuild(cls: type[RateLimiterError], message: str, name: str, wait: float) -> RateLimiterError:
    if issubclass(cls, RateLimitTimeoutError):
        return cls(message, name=name, wait=wait)
    return cls(message, name=name)
