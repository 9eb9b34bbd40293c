"""What the command line's modules share: the error a command stops with, exit statuses, argument types.

Kept apart from :mod:`aiocognito.cli` so that :mod:`aiocognito._cli_bulk`, which ``cli`` imports, can use
them too.
"""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import dataclass

from ..compute import ComputePool
from ..limits import RedisRateLimiter
from ..pool import UserPool
from ..wire.configured import CLIENT_SECRET_ENV

__all__ = [
    "CLIENT_SECRET_ENV",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "REDIS_ENV",
    "CliError",
    "Shard",
    "client_secret",
    "non_empty",
    "port",
    "redis_url",
    "seconds",
    "shard",
    "shared_rate_limiter",
    "user_pool",
]

EXIT_OK = 0
#: The operation was tried and failed (a wrong password, an unreachable endpoint...).
EXIT_FAILED = 1
#: The command was given something it cannot use (arguments, an input file...): nothing was sent.
EXIT_USAGE = 2
#: Ctrl-C.
EXIT_INTERRUPTED = 130
#: Where ``--redis`` is read from when it is not given: a password on a command line shows in ``ps``.
REDIS_ENV = "AIOCOGNITO_REDIS_URL"


class CliError(Exception):
    """A command stopped: shown as one line ``code: message`` on stderr, then exit with ``status``.

    The message never holds a password or a token.
    """

    def __init__(self, code: str, message: str, *, status: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def non_empty(value: str) -> str:
    """An argument that must not be empty.

    Raises:
        argparse.ArgumentTypeError: it is.
    """
    if not value:
        raise argparse.ArgumentTypeError("must not be empty")
    return value


def port(value: str) -> int:
    """A TCP port, 0 to 65535.

    Raises:
        argparse.ArgumentTypeError: not a whole number in that range.
    """
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError("must be from 0 to 65535")
    return number


def seconds(value: str) -> float:
    """A duration: a finite number of seconds, 0 or more.

    Raises:
        argparse.ArgumentTypeError: not such a number (``nan`` and ``inf`` included).
    """
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of seconds") from None
    if not math.isfinite(number) or number < 0:
        raise argparse.ArgumentTypeError("must be a finite number of seconds, 0 or more")
    return number


def client_secret(args: argparse.Namespace) -> str | None:
    """``--client-secret``, else ``$AIOCOGNITO_CLIENT_SECRET`` (not shown by ``ps``), else ``None``."""
    return args.client_secret or os.environ.get(CLIENT_SECRET_ENV) or None


def user_pool(args: argparse.Namespace) -> UserPool:
    """The command's :class:`~aiocognito.UserPool`, from ``--pool-id``, ``--client-id``, ``--client-secret``
    and ``--endpoint-url``; nothing is sent yet.

    Raises:
        CliError: the library refuses an argument (a malformed pool id, an endpoint that is not an
            http(s) URL...): a usage error.
    """
    try:
        return UserPool(
            args.pool_id,
            args.client_id,
            client_secret=client_secret(args),
            endpoint_url=args.endpoint_url,
            # A command's loop serves no other requests: its SRP workers keep the process's priority
            # rather than yield to it (and to every other process on a busy machine).
            compute=ComputePool(nice=0),
        )
    except (TypeError, ValueError) as error:
        raise CliError("InvalidArgument", str(error), status=EXIT_USAGE) from None


@dataclass(frozen=True, slots=True)
class Shard:
    """The ``number``-th of ``count`` runs sharing one input (1-based): it takes every ``count``-th row.

    Attributes:
        number: which run this is, 1 to ``count``.
        count: how many runs share the input.
    """

    number: int
    count: int

    def __str__(self) -> str:
        return f"{self.number}/{self.count}"

    def takes(self, index: int) -> bool:
        """Whether the row at ``index`` (0-based) is this shard's: ``index % count == number - 1``."""
        return index % self.count == self.number - 1

    def size(self, total: int) -> int:
        """How many of ``total`` rows are this shard's."""
        return len(range(self.number - 1, total, self.count))


def shard(value: str) -> Shard:
    """``K/N``: the K-th of N runs.

    Raises:
        argparse.ArgumentTypeError: not two whole numbers with 1 <= K <= N.
    """
    number, slash, count = value.partition("/")
    try:
        k, n = int(number), int(count)
    except ValueError:
        k = n = 0
    if not slash or n < 1 or not 1 <= k <= n:
        raise argparse.ArgumentTypeError("must be K/N with 1 <= K <= N (1/4 is the first of four)")
    return Shard(k, n)


def redis_url(value: str | None) -> str | None:
    """The Redis URL: ``value`` (the option), else :data:`REDIS_ENV`, else ``None`` (no Redis)."""
    if value:
        return value
    return os.environ.get(REDIS_ENV) or None


def shared_rate_limiter(url: str, name: str, rate: float, *, fallback_rate: float | None) -> RedisRateLimiter:
    """A :class:`~aiocognito.RedisRateLimiter` for a command; it connects when first used.

    Raises:
        CliError: the URL or the name is refused, or the redis package is missing (a usage error). The
            message never shows the URL: it may hold a password.
    """
    try:
        return RedisRateLimiter(url, name, rate, fallback_rate=fallback_rate)
    except ImportError as error:
        raise CliError("MissingDependency", str(error), status=EXIT_USAGE) from None
    except (TypeError, ValueError) as error:
        raise CliError("InvalidArgument", f"--redis: {error}", status=EXIT_USAGE) from None
