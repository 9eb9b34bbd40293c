"""What the command line's modules share: the error a command stops with, exit statuses, argument types.

Kept apart from :mod:`aiocognito.cli` so that :mod:`aiocognito._cli_bulk`, which ``cli`` imports, can use
them too.
"""

from __future__ import annotations

import argparse
import math

from ..pool import UserPool

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CliError",
    "non_empty",
    "port",
    "seconds",
    "user_pool",
]

EXIT_OK = 0
#: The operation was tried and failed (a wrong password, an unreachable endpoint...).
EXIT_FAILED = 1
#: The command was given something it cannot use (arguments, an input file...): nothing was sent.
EXIT_USAGE = 2
#: Ctrl-C.
EXIT_INTERRUPTED = 130


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


def user_pool(args: argparse.Namespace) -> UserPool:
    """The command's :class:`~aiocognito.UserPool`, from ``--pool-id``, ``--client-id``, ``--client-secret``
    and ``--endpoint-url``; nothing is sent yet.

    Raises:
        CliError: the library refuses an argument (a malformed pool id, an endpoint that is not an
            http(s) URL...): a usage error.
    """
    try:
        return UserPool(
            args.pool_id, args.client_id, client_secret=args.client_secret, endpoint_url=args.endpoint_url
        )
    except (TypeError, ValueError) as error:
        raise CliError("InvalidArgument", str(error), status=EXIT_USAGE) from None
