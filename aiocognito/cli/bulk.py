"""``aiocognito bulk-sign-in``: sign in every user of a CSV file, one JSON line per user.

Kept out of :mod:`aiocognito.cli` (which registers it in its command table) as it has its own reading,
writing and progress display.

The file is read twice, one line at a time, so memory stays flat for any size: a first pass checks every
row (and counts them, for the progress bar) and refuses a bad file, with the line numbers of its bad
rows, before anything is sent; the second pass feeds the sign-ins. A row is bad when it does not have
exactly two fields, an empty username or password, or quoting that does not close (Python's ``csv`` in
strict mode, and a field running over several lines, which is how an unclosed quote shows when a later
quote closes it). A file that is not UTF-8 text (a NUL byte, bytes that are not UTF-8, a line longer
than 64 KiB) is refused at the first such line.

Several runs (machines) can share one file and one rate: ``--shard K/N`` makes this run take the rows whose
index modulo N is K-1 (the whole file is still checked first), and ``--redis`` (or ``$AIOCOGNITO_REDIS_URL``)
shares ``--rate`` with every run using the same Redis and limiter name, through a
:class:`~aiocognito.RedisRateLimiter`.

Ctrl-C cancels the sign-ins in flight (a password attempt already sent is never sent again), keeps the
lines of those that ended, prints the summary and exits 130.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from ..bulk import DEFAULT_CONCURRENCY, DEFAULT_RATE, SignInResult
from ..core.flows import AuthFlow
from ..core.safe_json import is_valid_text
from ..errors import CognitoError
from ..limits import RateLimiter, RedisRateLimiter, TokenBucket
from ..pool import ENDPOINT_ENV, UserPool
from .common import (
    CLIENT_SECRET_ENV,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    REDIS_ENV,
    CliError,
    Shard,
    non_empty,
    redis_url,
    shard,
    shared_rate_limiter,
    user_pool,
)

__all__ = ["DESCRIPTION", "SUMMARY", "add_arguments", "bulk_sign_in"]

SUMMARY = "sign in every user of a CSV file; one JSON line per user"
DESCRIPTION = (
    "Sign in every user of USERS.csv (a header row 'username,password', then one user per\n"
    "row) and write one JSON line per user to --out, in the order the sign-ins end:\n"
    '  {"username": ..., "AuthenticationResult": {"IdToken": ..., ...}}\n'
    '  {"username": ..., "error": {"code": "NotAuthorizedException", "message": ...}}\n\n'
    "The whole file is checked first: a row without exactly two fields, with an empty username\n"
    "or password, or with a quote that does not close is refused with its line number, and then\n"
    "nothing is sent (exit status 2, as for a file that cannot be read or a --out that cannot be\n"
    "written). A new --out file is readable by its owner only.\n\n"
    "Sign-ins run --concurrency at a time, at most --rate per second (the default stays just\n"
    "under Cognito's default quota of 120 InitiateAuth + RespondToAuthChallenge requests per\n"
    "second, at two per SRP sign-in; 'off' for a local emulator; the sign-ins due within 70 ms\n"
    "start together), with the SRP math spread over every core. Throttled calls are retried. A\n"
    "sign-in that needs an answer (MFA, a new password) is a failure with the code\n"
    "ChallengeRequired.\n\n"
    "Several machines share one file with --shard K/N: the K-th of N takes the rows whose index\n"
    "modulo N is K-1 (N runs cover every row once), after checking the whole file. With --redis\n"
    f"(or ${REDIS_ENV}, better: a URL on the command line shows in ps) they share one\n"
    "--rate through Redis instead of each sending at --rate, and a throttled sign-in slows all of\n"
    "them down for a while. If Redis stops answering, the run stops, or goes on at --fallback-rate.\n\n"
    "A progress bar is shown on stderr when it is a terminal; a summary line\n"
    "'N signed in, M failed in T s (R/s)' always ends the run (after 'shard K/N: ' for a shard).\n"
    "Exit status 1 when any failed; 130 on Ctrl-C, which cancels the sign-ins in flight and keeps\n"
    "the lines of those that ended.\n\n"
    "example:\n"
    "  aiocognito bulk-sign-in users.csv --pool-id us-east-1_AbC123 \\\n"
    "      --client-id 1example23456789 --out tokens.jsonl\n"
    "  # on each of 4 machines, K = 1..4, sharing 55 sign-ins/s:\n"
    f"  {REDIS_ENV}=redis://:PASSWORD@redis.internal:6379/0 \\\n"
    "      aiocognito bulk-sign-in users.csv --pool-id us-east-1_AbC123 \\\n"
    "      --client-id 1example23456789 --out tokens-K.jsonl --shard K/4 --rate 55"
)
_FIELDS = ("username", "password")
_PROGRESS_EVERY = 0.1  # seconds between two redraws of the progress bar
# --rate groups the starts due within this many seconds into one wake-up of the loop (and one batch of
# SRP math), so waiting on the rate costs no CPU per sign-in; the burst it allows, 1 + 7 % of a second's
# sign-ins, stays within the headroom the default rate leaves under Cognito's quota.
_RATE_GRAIN = 0.07
_BAR_WIDTH = 24
#: Characters of one line of the file: a users file has short lines; a longer one is not one.
_MAX_LINE = 64 * 1024
#: Bad rows named in the refusal; the others are counted.
_MAX_LISTED = 10


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
    parser.add_argument(
        "--pool-id", required=True, type=non_empty, help="the user pool id (us-east-1_AbC123)"
    )
    parser.add_argument("--client-id", required=True, type=non_empty, help="the app client id")
    parser.add_argument(
        "--client-secret",
        help=f"the app client secret, for a client that has one (default: ${CLIENT_SECRET_ENV}, which ps "
        "does not show)",
    )
    parser.add_argument(
        "--endpoint-url",
        help=f"the cognito-idp endpoint, for a local emulator (default: ${ENDPOINT_ENV}, else "
        "$AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, else $AWS_ENDPOINT_URL, else AWS)",
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
    parser.add_argument(
        "--shard",
        type=shard,
        metavar="K/N",
        help="sign in only the rows whose index modulo N is K-1: run K = 1..N to cover the file once",
    )
    parser.add_argument(
        "--redis",
        metavar="URL",
        help=f"share --rate with every run using this Redis and limiter name (default: ${REDIS_ENV}; "
        "prefer it, as a URL on the command line shows in ps)",
    )
    parser.add_argument(
        "--limiter-name",
        type=non_empty,
        metavar="NAME",
        help="the name runs share a rate under (default: bulk-sign-in:<pool id>:<client id>)",
    )
    parser.add_argument(
        "--fallback-rate",
        type=_rate,
        metavar="R",
        help="sign-ins per second of this run while Redis does not answer (default: stop the run)",
    )


# --- reading the users file ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Problem:
    """Why the row on lines ``first``..``last`` cannot be used. Never quotes the row: it holds a password."""

    first: int
    last: int
    why: str

    def __str__(self) -> str:
        where = f"line {self.first}" if self.last <= self.first else f"lines {self.first}-{self.last}"
        return f"{where}: {self.why}"


class _NotAUsersFile(Exception):
    """The file stops being CSV text at ``problem`` (binary, not UTF-8, no header): reading stops there."""

    def __init__(self, problem: _Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class _Lines:
    """The lines of a text file for :func:`csv.reader`, each checked as it is read; ``number`` counts them.

    A line is read with a length limit, so a file without line breaks never lands in memory whole.
    """

    def __init__(self, file: TextIO) -> None:
        self._file = file
        self.number = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._file.readline(_MAX_LINE + 1)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) > _MAX_LINE and not line.endswith(("\n", "\r")):
            raise _NotAUsersFile(_Problem(self.number, self.number, f"longer than {_MAX_LINE} characters"))
        if "\x00" in line:
            raise _NotAUsersFile(_Problem(self.number, self.number, "a NUL byte: this is not a text file"))
        if not is_valid_text(line):  # bytes that are not UTF-8 were read as lone surrogates
            raise _NotAUsersFile(_Problem(self.number, self.number, "bytes that are not UTF-8 text"))
        return line


def _csv_problem(error: csv.Error) -> str:
    text = str(error)
    if "unexpected end of data" in text:
        return "a quote is not closed before the end of the file"
    if "field larger than field limit" in text:
        return f"a field longer than {csv.field_size_limit()} characters: is a quote not closed?"
    return f"bad quoting ({text})"


def _row_problem(row: list[str], first: int, last: int) -> str | None:
    """Why a data row cannot be used, or ``None`` when it can."""
    if last > first:
        return "a field runs over several lines: is a quote not closed?"
    if len(row) != len(_FIELDS):
        if len(row) == 1:
            return "no password (1 field, expected 2: username,password)"
        return f"{len(row)} fields, expected 2 (username,password): quote a password that holds a comma"
    username, password = row
    if not username.strip():
        return "the username is empty"
    if username != username.strip():
        return "the username starts or ends with a space"
    if not password:
        return "the password is empty"
    return None


def _read(path: Path) -> Iterator[tuple[str, str] | _Problem]:
    """The data rows of the users file in order: a ``(username, password)`` pair, or why it is bad.

    Blank lines are skipped.

    Raises:
        CliError: the file cannot be opened or read (CannotRead).
        _NotAUsersFile: it is not CSV text, or its first line is not the header.
    """
    try:
        # surrogateescape: a byte that is not UTF-8 is caught by _Lines with its line number, not by the
        # decoder somewhere in a block of 8 KiB.
        file = path.open(newline="", encoding="utf-8-sig", errors="surrogateescape")
    except OSError as exc:
        raise CliError("CannotRead", f"{path}: {exc.strerror or exc}", status=EXIT_USAGE) from None
    try:
        with file:
            lines = _Lines(file)
            reader = csv.reader(lines, strict=True)
            try:
                header = next(reader, None)
            except csv.Error:
                header = None
            if header is None or [name.strip().lower() for name in header] != list(_FIELDS):
                empty = " (the file is empty)" if lines.number == 0 else ""
                raise _NotAUsersFile(
                    _Problem(1, 1, f"the first line must be the header 'username,password'{empty}")
                )
            while True:
                first = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    yield _Problem(first, reader.line_num, _csv_problem(error))
                    continue
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # a blank line
                why = _row_problem(row, first, reader.line_num)
                if why is not None:
                    yield _Problem(first, reader.line_num, why)
                else:
                    yield (row[0], row[1])
    except OSError as exc:  # a read that failed half-way (an I/O error, a file that is a directory)
        raise CliError("CannotRead", f"{path}: {exc.strerror or exc}", status=EXIT_USAGE) from None


def _refusal(path: Path, problems: list[_Problem], bad: int, unusable: bool) -> CliError:
    listed = "; ".join(map(str, problems))
    if bad > len(problems):
        listed += f"; and {bad - len(problems)} more"
    if unusable:
        return CliError(
            "InvalidUsersFile", f"{path} is not a users file, nothing was sent: {listed}", status=EXIT_USAGE
        )
    rows = "row" if bad == 1 else "rows"
    return CliError(
        "InvalidUsersFile", f"{path} has {bad} bad {rows}, nothing was sent: {listed}", status=EXIT_USAGE
    )


def _check(path: Path) -> int:
    """Check the whole users file (one streaming pass); the number of users in it.

    Raises:
        CliError: the file cannot be read, is not a users file, or has bad rows (all named, up to
            :data:`_MAX_LISTED`): a usage error, and nothing was sent.
    """
    users = bad = 0
    problems: list[_Problem] = []
    try:
        for item in _read(path):
            if isinstance(item, _Problem):
                bad += 1
                if len(problems) < _MAX_LISTED:
                    problems.append(item)
            else:
                users += 1
    except _NotAUsersFile as exc:
        bad += 1
        problems = [*problems[: _MAX_LISTED - 1], exc.problem]  # where it stopped is always named
        raise _refusal(path, problems, bad, unusable=True) from None
    if bad:
        raise _refusal(path, problems, bad, unusable=False)
    return users


def _users(path: Path, part: Shard | None = None) -> Iterator[tuple[str, str]]:
    """The users (of ``part`` only, when given), read again one row at a time as slots free up (the file
    was checked).

    Raises:
        CliError: the file changed since it was checked and now has a bad row.
    """
    try:
        for index, item in enumerate(_read(path)):
            if isinstance(item, _Problem):
                raise CliError(
                    "InvalidUsersFile", f"{path} changed during the run: {item}; the rest was not signed in"
                )
            if part is None or part.takes(index):
                yield item
    except _NotAUsersFile as exc:
        raise CliError(
            "InvalidUsersFile", f"{path} changed during the run: {exc}; the rest was not signed in"
        ) from None
    except CliError as exc:
        raise CliError(exc.code, exc.message) from None  # after a sign-in: the run failed, not the usage


# --- writing ------------------------------------------------------------------------------------------


def _open_out(name: str, users: Path) -> TextIO:
    """The output: stdout for ``-``, else the file, truncated (a new one readable by its owner only).

    Raises:
        CliError: the file cannot be created or written (a missing folder...), or is the users file.
    """
    if name == "-":
        return sys.stdout
    try:
        same = os.path.samefile(name, users)
    except OSError:
        same = False
    if same:
        raise CliError("InvalidArgument", f"--out {name} is the users file", status=EXIT_USAGE)
    try:
        # 0600: the lines hold every user's tokens.
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise CliError("CannotWrite", f"{name}: {exc.strerror or exc}", status=EXIT_USAGE) from None
    return os.fdopen(fd, "w", encoding="utf-8")


def _write_failure(name: str, out: TextIO, exc: OSError) -> CliError:
    if out is sys.stdout and isinstance(exc, BrokenPipeError):
        # The reader went away (`| head`): point stdout at /dev/null, or the flush at exit fails again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    where = "stdout" if name == "-" else name
    return CliError("CannotWrite", f"{where}: {exc.strerror or exc}; the run was stopped")


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
    """A one-line progress bar on a terminal: done/total, rate, errors, ETA.

    Results only note the counts; one timer redraws the line at most every :data:`_PROGRESS_EVERY`
    seconds, set when a result comes and none is set, so a quiet run never wakes the loop for it.
    """

    def __init__(self, stream: TextIO, total: int) -> None:
        self._stream = stream
        self._total = total
        self._started = time.monotonic()
        self._shown_at = -math.inf
        self._done = self._failed = 0
        self._timer: asyncio.TimerHandle | None = None
        #: Lines drawn so far.
        self.draws = 0

    def update(self, done: int, failed: int) -> None:
        """Note the counts; the line is redrawn by the timer, not here."""
        self._done, self._failed = done, failed
        if self._timer is None:
            loop = asyncio.get_running_loop()
            # On the loop's clock: the line's own monotonic one says when it was drawn.
            due = loop.time() + max(0.0, self._shown_at + _PROGRESS_EVERY - time.monotonic())
            self._timer = loop.call_at(due, self._draw)

    def _draw(self) -> None:
        self._timer = None
        self.show(self._done, self._failed, time.monotonic() - self._started)

    def show(self, done: int, failed: int, elapsed: float) -> None:
        """Draw the line now."""
        self._shown_at = time.monotonic()
        self.draws += 1
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
        """Stop the timer and erase the line."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._stream.write("\r\x1b[K")
        self._stream.flush()


class _Runner(Protocol):
    """The command line's event-loop runner (:func:`aiocognito.cli._run`)."""

    def __call__(
        self, coro: Coroutine[Any, Any, int], *, on_interrupt: Callable[[], None] | None = None
    ) -> int: ...


def _limiter(args: argparse.Namespace) -> RedisRateLimiter | None:
    """The shared limiter of ``--redis`` (or ``$AIOCOGNITO_REDIS_URL``), or ``None``.

    Raises:
        CliError: a usage error: no rate to share, options that need Redis without it, a refused URL.
    """
    url = redis_url(args.redis)
    if url is None:
        for option, value in (("--limiter-name", args.limiter_name), ("--fallback-rate", args.fallback_rate)):
            if value is not None:
                why = f"{option} needs --redis (or ${REDIS_ENV})"
                raise CliError("InvalidArgument", why, status=EXIT_USAGE)
        return None
    if args.rate is None:
        why = "--redis shares a rate: give --rate R, not 'off'"
        raise CliError("InvalidArgument", why, status=EXIT_USAGE)
    name = args.limiter_name or f"bulk-sign-in:{args.pool_id}:{args.client_id}"
    return shared_rate_limiter(url, name, args.rate, fallback_rate=args.fallback_rate)


class _Run:
    """One bulk run: its counts so far and how it ended, shared with the Ctrl-C handler."""

    def __init__(self) -> None:
        self.signed_in = 0
        self.failed = 0
        self.interrupted = False
        self.error: CliError | None = None
        self.consumer: asyncio.Future[None] | None = None
        self.total = 0
        self.limiter: RedisRateLimiter | None = None

    def interrupt(self) -> None:
        """Ctrl-C: cancel the sign-ins (what reads their results, which closes them); called once."""
        self.interrupted = True
        if self.consumer is not None:
            self.consumer.cancel()


def bulk_sign_in(args: argparse.Namespace, run: _Runner) -> int:
    """Run the command with ``run`` (the command line's event-loop runner).

    Exit status: 0 when every user signed in, 1 when any failed (or the run stopped on an error), 130
    on Ctrl-C.

    Raises:
        CliError: a usage error (status 2), before anything was sent: an argument the library refuses,
            a users file that cannot be read or has bad rows, an output that cannot be written.
    """
    pool = user_pool(args)
    limiter = _limiter(args)
    path: Path = args.users
    try:
        total = _check(path)
    except KeyboardInterrupt:
        print("Interrupted while the users file was checked: nothing was sent", file=sys.stderr)
        return EXIT_INTERRUPTED
    out = _open_out(args.out, path)
    state = _Run()
    state.total = total
    state.limiter = limiter
    todo = total if args.shard is None else args.shard.size(total)
    progress = _Progress(sys.stderr, todo) if sys.stderr.isatty() else None
    try:
        with _limiter_news():
            return run(_sign_in_all(pool, args, out, progress, state), on_interrupt=state.interrupt)
    finally:
        if out is not sys.stdout:
            try:
                out.close()
            except OSError as exc:  # the last lines could not be flushed: the file is incomplete
                print(f"CannotWrite: {args.out}: {exc.strerror or exc}", file=sys.stderr)


async def _sign_in_all(
    pool: UserPool, args: argparse.Namespace, out: TextIO, progress: _Progress | None, state: _Run
) -> int:
    started = time.monotonic()
    try:
        async with pool:
            if not state.interrupted:
                consumer = state.consumer = asyncio.ensure_future(_consume(pool, args, out, progress, state))
                try:
                    await consumer
                except asyncio.CancelledError:
                    if not (state.interrupted and consumer.cancelled()):
                        raise  # this task itself was cancelled
    finally:
        if state.limiter is not None:
            await state.limiter.aclose()
        if progress is not None:
            progress.clear()
        try:
            out.flush()
        except OSError as exc:
            state.error = state.error or _write_failure(args.out, out, exc)
    elapsed = time.monotonic() - started
    done = state.signed_in + state.failed
    rate = done / elapsed if elapsed > 0 else 0.0
    if state.interrupted:
        print("Interrupted: the sign-ins in flight were cancelled", file=sys.stderr)
    if state.error is not None:
        print(f"{state.error.code}: {state.error.message}", file=sys.stderr)
    print(_summary(args, state, elapsed, rate), file=sys.stderr)
    if state.interrupted:
        return EXIT_INTERRUPTED
    if state.error is not None:
        return state.error.status
    return EXIT_FAILED if state.failed else EXIT_OK


def _summary(args: argparse.Namespace, state: _Run, elapsed: float, rate: float) -> str:
    """``N signed in, M failed in T s (R/s)``, after ``shard K/N: `` for a shard, then what was shared."""
    line = f"{state.signed_in} signed in, {state.failed} failed in {elapsed:.1f} s ({rate:.1f}/s)"
    part: Shard | None = args.shard
    if part is not None:
        line = f"shard {part}: {line}; {part.size(state.total)} of the {state.total} rows are this shard's"
    limiter = state.limiter
    if limiter is not None:
        line += f"; {limiter.rate:g}/s shared through Redis as {limiter.name!r}"
        if limiter.outages:
            times = "once" if limiter.outages == 1 else f"{limiter.outages} times"
            line += f" (Redis stopped answering {times}: this run went on at {limiter.fallback_rate:g}/s)"
    return line


@contextlib.contextmanager
def _limiter_news() -> Iterator[None]:
    """Show the shared limiter's warnings (Redis stopped answering, answers again) as lines on stderr.

    The command line shows the library's errors only; these are news the summary cannot give in time. A
    program that configured logging keeps its own choice.
    """
    if logging.getLogger().handlers:
        yield
        return
    logger = logging.getLogger("aiocognito.limits")
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


async def _consume(
    pool: UserPool, args: argparse.Namespace, out: TextIO, progress: _Progress | None, state: _Run
) -> None:
    # The CSV is read and the lines written through buffered files: a read or write that waits for the
    # disk is rare and short, and nothing else shares this loop.
    rate: RateLimiter | None = state.limiter
    if rate is None and args.rate is not None:
        rate = TokenBucket(args.rate, 1 + args.rate * _RATE_GRAIN, grain=_RATE_GRAIN)
    results = pool.sign_in_many(
        _users(args.users, args.shard), concurrency=args.concurrency, rate=rate, flow=args.flow
    )
    try:
        async for result in results:
            if result.ok:
                state.signed_in += 1
            else:
                state.failed += 1
            try:
                out.write(_line(result))
            except OSError as exc:
                state.error = _write_failure(args.out, out, exc)
                return
            if progress is not None:
                progress.update(state.signed_in + state.failed, state.failed)
    except CliError as exc:  # the users file changed since it was checked
        state.error = exc
    except (CognitoError, RuntimeError) as exc:  # not one sign-in's failure: the run cannot go on
        state.error = CliError(type(exc).__name__, str(exc))
    finally:
        await results.aclose()  # cancels the sign-ins still in flight
