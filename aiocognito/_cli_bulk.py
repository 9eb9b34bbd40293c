"""``aiocognito bulk-sign-in``: sign in every user of a CSV file, one JSON line per user.

Kept out of :mod:`aiocognito.cli` (which registers it in its command table) as it has its own reading,
writing and progress display. Input and output are streamed: memory stays flat for any file size.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TextIO

from .bulk import DEFAULT_CONCURRENCY, DEFAULT_RATE, SignInResult
from .flows import AuthFlow
from .pool import ENDPOINT_ENV, UserPool

__all__ = ["DESCRIPTION", "SUMMARY", "add_arguments", "bulk_sign_in"]

SUMMARY = "sign in every user of a CSV file; one JSON line per user"
DESCRIPTION = (
    "Sign in every user of USERS.csv (a header row 'username,password', then one user per\n"
    "row) and write one JSON line per user to --out, in the order the sign-ins end:\n"
    '  {"username": ..., "AuthenticationResult": {"IdToken": ..., ...}}\n'
    '  {"username": ..., "error": {"code": "NotAuthorizedException", "message": ...}}\n\n'
    "Sign-ins run --concurrency at a time, at most --rate per second (the default stays just\n"
    "under Cognito's default quota of 120 InitiateAuth + RespondToAuthChallenge requests per\n"
    "second, at two per SRP sign-in; 'off' for a local emulator), with the SRP math spread over\n"
    "every core. Throttled calls are retried. A sign-in that needs an answer (MFA, a new\n"
    "password) is a failure with the code ChallengeRequired.\n\n"
    "A progress bar is shown on stderr when it is a terminal; a summary line\n"
    "'N signed in, M failed in T s (R/s)' always ends the run. Exit status 1 when any failed.\n\n"
    "example:\n"
    "  aiocognito bulk-sign-in users.csv --pool-id us-east-1_AbC123 \\\n"
    "      --client-id 1example23456789 --out tokens.jsonl"
)
_FIELDS = ("username", "password")
_PROGRESS_EVERY = 0.1  # seconds between two redraws of the progress bar
_BAR_WIDTH = 24


def _rate(value: str) -> float | None:
    if value.strip().lower() in ("off", "none", "0"):
        return None
    try:
        rate = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of sign-ins per second, or 'off'") from None
    if not rate > 0 or math.isinf(rate):
        raise argparse.ArgumentTypeError("must be a positive number, or 'off'")
    return rate


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("users", type=Path, metavar="USERS.csv", help="the users: a 'username,password' CSV")
    parser.add_argument("--pool-id", required=True, help="the user pool id (us-east-1_AbC123)")
    parser.add_argument("--client-id", required=True, help="the app client id")
    parser.add_argument("--client-secret", help="the app client secret, for a client that has one")
    parser.add_argument(
        "--endpoint-url",
        help=f"the cognito-idp endpoint, for a local emulator (default: ${ENDPOINT_ENV}, else AWS)",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help="sign-ins in flight at once (default: %(default)s)",
    )
    parser.add_argument(
        "--rate",
        type=_rate,
        default=DEFAULT_RATE,
        metavar="R",
        help="sign-ins started per second at most, or 'off' (default: %(default)s)",
    )
    parser.add_argument(
        "--flow",
        type=AuthFlow,
        choices=[AuthFlow.USER_SRP_AUTH, AuthFlow.USER_PASSWORD_AUTH, AuthFlow.ADMIN_USER_PASSWORD_AUTH],
        default=AuthFlow.USER_SRP_AUTH,
        metavar="FLOW",
        help="the sign-in flow: %(choices)s (default: %(default)s)",
    )
    parser.add_argument(
        "--out", required=True, metavar="FILE", help="where the JSON lines go ('-' for stdout)"
    )


def _rows(path: Path) -> Iterator[tuple[str, str]]:
    """The file's users, read one row at a time."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file)
        header = next(reader, None)
        if header is None or tuple(name.strip().lower() for name in header[:2]) != _FIELDS:
            raise ValueError(f"{path}: the first row must be the header 'username,password'")
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            yield (row[0], row[1] if len(row) > 1 else "")


def _count(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as file:
        return max(0, sum(1 for row in csv.reader(file) if row and any(cell.strip() for cell in row)) - 1)


def _line(result: SignInResult) -> str:
    if result.tokens is not None:
        record: dict[str, object] = {
            "username": result.username,
            "AuthenticationResult": result.tokens.authentication_result(),
        }
    else:
        record = {
            "username": result.username,
            "error": {"code": result.error_code, "message": result.error_message},
        }
    return json.dumps(record, ensure_ascii=False) + "\n"


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


class _Progress:
    """A one-line progress bar on a terminal: done/total, rate, errors, ETA."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self._stream = stream
        self._total = total
        self._shown_at = 0.0

    def show(self, done: int, failed: int, elapsed: float, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._shown_at < _PROGRESS_EVERY:
            return
        self._shown_at = now
        rate = done / elapsed if elapsed > 0 else 0.0
        total = max(self._total, done)
        filled = round(_BAR_WIDTH * done / total) if total else _BAR_WIDTH
        eta = _duration((total - done) / rate) if rate > 0 else "?"
        self._stream.write(
            f"\r[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {done}/{total} "
            f"{rate:.1f}/s {failed} failed ETA {eta}\x1b[K"
        )
        self._stream.flush()

    def clear(self) -> None:
        self._stream.write("\r\x1b[K")
        self._stream.flush()


def bulk_sign_in(args: argparse.Namespace, run: Callable[[Coroutine[Any, Any, int]], int]) -> int:
    """Run the command with ``run`` (the command line's event-loop runner); 1 when any sign-in failed.

    Raises:
        ValueError: the users file is missing or has no ``username,password`` header.
    """
    path: Path = args.users
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    progress = _Progress(sys.stderr, _count(path)) if sys.stderr.isatty() else None
    if args.out == "-":
        return run(_sign_in_all(args, path, sys.stdout, progress))
    with open(args.out, "w", encoding="utf-8") as out:
        return run(_sign_in_all(args, path, out, progress))


async def _sign_in_all(args: argparse.Namespace, path: Path, out: TextIO, progress: _Progress | None) -> int:
    # The CSV is read and the lines written through buffered files: a read or write that waits for the
    # disk is rare and short, and nothing else shares this loop.
    signed_in = failed = 0
    started = time.monotonic()
    try:
        async with UserPool(
            args.pool_id, args.client_id, client_secret=args.client_secret, endpoint_url=args.endpoint_url
        ) as pool:
            results = pool.sign_in_many(
                _rows(path), concurrency=args.concurrency, rate=args.rate, flow=args.flow
            )
            try:
                async for result in results:
                    out.write(_line(result))
                    if result.ok:
                        signed_in += 1
                    else:
                        failed += 1
                    if progress is not None:
                        progress.show(signed_in + failed, failed, time.monotonic() - started)
            finally:
                await results.aclose()
    finally:
        if progress is not None:
            progress.clear()
        out.flush()
    elapsed = time.monotonic() - started
    rate = (signed_in + failed) / elapsed if elapsed > 0 else 0.0
    print(f"{signed_in} signed in, {failed} failed in {elapsed:.1f} s ({rate:.1f}/s)", file=sys.stderr)
    return 1 if failed else 0
