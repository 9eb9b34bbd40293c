"""The ``aiocognito`` command line (``python -m aiocognito`` or the ``aiocognito`` console script).

Each command is one small function taking the parsed arguments and returning an exit status, registered
with the function that declares its arguments in :data:`_COMMANDS`; :func:`main` builds the parser from
that table and turns the errors a user meets into one line on stderr.

Exit status: 0 on success, 1 on a failure (``Code: message`` on stderr, never a traceback, never a
secret), 2 on a usage error (argparse, an argument the library refuses, an input file that cannot be
used: nothing was sent), 130 on Ctrl-C.

Ctrl-C is taken by the event loop and cancels the command's task, which then closes what it opened: a
``KeyboardInterrupt`` raised wherever the signal lands could cut a request or another task in half and
print its traceback. Only a blocking read of the terminal (a prompt) lets Ctrl-C raise there, as a read
would not return otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from .._version import __version__
from ..core.flows import AuthFlow
from ..core.steps import NewPassword, SignInStep, StepName
from ..errors import CognitoError, ServiceError
from ..pool import ENDPOINT_ENV
from . import bulk as _cli_bulk
from .common import (
    CLIENT_SECRET_ENV,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    non_empty,
    port,
    seconds,
    user_pool,
)

__all__ = ["main"]

_T = TypeVar("_T")


# --- where answers come from ------------------------------------------------------------------------


@contextlib.contextmanager
def _ctrl_c_raises() -> Iterator[None]:
    """Make Ctrl-C raise ``KeyboardInterrupt`` during a blocking read of stdin (a prompt).

    While the event loop takes SIGINT, a read interrupted by it is simply resumed (PEP 475) and the loop
    only sees the signal once the read returns, so a prompt would ignore Ctrl-C until Enter. The loop's
    wake-up descriptor is set aside meanwhile, so the same Ctrl-C does not also cancel the task later.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are only handled in the main thread: nothing to change
        return
    previous = signal.getsignal(signal.SIGINT)
    wakeup = signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        signal.set_wakeup_fd(wakeup)


def _read_line() -> str:
    with _ctrl_c_raises():
        return sys.stdin.readline()


class _Inputs:
    """The answers of one sign-in: ``--code`` values in order, lines of stdin, or prompts on a terminal.

    Prompts are only shown when stdin is a terminal, so a script never hangs on a question; they go to
    stderr (and passwords through :func:`getpass.getpass`, without echo), keeping stdout for the result.
    """

    def __init__(self, codes: Sequence[str]) -> None:
        self._codes = list(codes)

    @staticmethod
    def interactive() -> bool:
        return sys.stdin.isatty()

    def stdin_line(self, what: str, option: str) -> str:
        line = _read_line()
        if not line:
            raise CliError("MissingInput", f"{option} was given but stdin ended before {what}")
        return line.rstrip("\r\n")

    def secret(self, prompt: str, what: str, option: str) -> str:
        if not self.interactive():
            raise CliError("MissingInput", f"{what} is needed and stdin is not a terminal: use {option}")
        try:
            with _ctrl_c_raises():
                return getpass.getpass(prompt, stream=sys.stderr)
        except EOFError:
            raise CliError("MissingInput", f"stdin ended before {what}") from None

    def line(self, prompt: str, what: str) -> str:
        if not self.interactive():
            raise CliError("MissingInput", f"{what} is needed and stdin is not a terminal")
        sys.stderr.write(prompt)
        sys.stderr.flush()
        line = _read_line()
        if not line:
            raise CliError("MissingInput", f"stdin ended before {what}")
        return line.strip()

    def code(self, prompt: str, what: str) -> str:
        """The next ``--code`` value, else an answer typed at the terminal."""
        if self._codes:
            return self._codes.pop(0)
        if not self.interactive():
            raise CliError("MissingInput", f"{what} is needed and stdin is not a terminal: use --code")
        return self.line(prompt, what)


# --- sign-in ------------------------------------------------------------------------------------------

_CODE_STEPS = frozenset(
    {
        StepName.CONFIRM_SIGN_IN_WITH_SMS_CODE,
        StepName.CONFIRM_SIGN_IN_WITH_TOTP_CODE,
        StepName.CONFIRM_SIGN_IN_WITH_EMAIL_CODE,
        StepName.CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE,
        StepName.CONTINUE_SIGN_IN_WITH_TOTP_SETUP,
    }
)
_CHOICE_STEPS = frozenset(
    {
        StepName.CONTINUE_SIGN_IN_WITH_MFA_SELECTION,
        StepName.CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION,
        StepName.CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION,
    }
)
# Flows that may start without a password: it is then asked for only if a step needs it.
_PASSWORD_OPTIONAL = frozenset({AuthFlow.CUSTOM_AUTH, AuthFlow.USER_AUTH})


def _label(step: SignInStep) -> str:
    """The step's name and, for a code, where Cognito sent it (the destination is masked by Cognito)."""
    text = step.name.value
    delivery = step.code_delivery
    if delivery is not None and (delivery.destination or delivery.medium):
        text += f" (code sent to {delivery.destination or '?'}"
        text += f" by {delivery.medium})" if delivery.medium else ")"
    if step.name is StepName.CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE and step.custom_parameters:
        text += f" {json.dumps(dict(step.custom_parameters), sort_keys=True)}"
    return text


@dataclass
class _SignInAnswers:
    """Answers each sign-in step from the command line's inputs (the ``on_challenge`` handler)."""

    inputs: _Inputs
    password: str | None
    new_password_stdin: bool

    async def __call__(self, step: SignInStep) -> str | NewPassword:
        return self.answer(step)

    def answer(self, step: SignInStep) -> str | NewPassword:
        name = step.name
        if name is StepName.CONTINUE_SIGN_IN_WITH_TOTP_SETUP:
            # The user enrols an authenticator app from this URI, then types its first code.
            print(
                f"Add this key to your authenticator app: {step.totp_uri(issuer='aiocognito')}",
                file=sys.stderr,
            )
        if name in _CODE_STEPS:
            return self.inputs.code(f"{_label(step)}: ", f"a code for {name.value}")
        if name in _CHOICE_STEPS:
            options = step.allowed_mfa_types or step.available_challenges
            shown = f" [{', '.join(options)}]" if options else ""
            return self.inputs.code(f"{name.value}{shown}: ", f"a choice for {name.value}")
        if name is StepName.CONTINUE_SIGN_IN_WITH_EMAIL_SETUP:
            return self.inputs.code(f"{name.value} (e-mail address): ", f"an e-mail address for {name.value}")
        if name is StepName.CONFIRM_SIGN_IN_WITH_PASSWORD:
            if self.password is None:
                self.password = self.inputs.secret("Password: ", "the password", "--password-stdin")
            return self.password
        if name is StepName.CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED:
            return self._new_password(step)
        raise CliError("UnsupportedStep", f"the command line cannot answer {name.value}")

    def _new_password(self, step: SignInStep) -> NewPassword:
        option = "--new-password-stdin"
        if self.new_password_stdin:
            password = self.inputs.stdin_line("the new password", option)
        else:
            password = self.inputs.secret("New password: ", "a new password", option)
            if self.inputs.secret("New password again: ", "a new password", option) != password:
                raise CliError("PasswordMismatch", "the two new passwords differ")
        attributes = {
            attribute: self.inputs.line(f"{attribute}: ", f"the attribute {attribute}")
            for attribute in step.required_attributes
            if attribute not in step.user_attributes
        }
        return NewPassword(password, attributes)


def _add_sign_in_arguments(parser: argparse.ArgumentParser) -> None:
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
        "--username", required=True, type=non_empty, help="the username, or an alias (e-mail...)"
    )
    parser.add_argument(
        "--flow",
        type=AuthFlow,
        choices=list(AuthFlow),
        default=AuthFlow.USER_SRP_AUTH,
        metavar="FLOW",
        help="the sign-in flow: %(choices)s (default: %(default)s)",
    )
    parser.add_argument(
        "--code",
        action="append",
        default=[],
        metavar="CODE",
        help="the answer to the next step that asks for one, in order (repeat it for several steps): "
        "an MFA code (SMS, TOTP, e-mail), a custom challenge answer, the MFA type to choose or to set "
        "up (TOTP, SMS, EMAIL), the first factor (PASSWORD_SRP, EMAIL_OTP...), or the e-mail address "
        "of e-mail MFA set-up; without it each is asked on the terminal",
    )
    parser.add_argument(
        "--client-secret-stdin",
        action="store_true",
        help="read the app client secret as the first line of stdin (before the password)",
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password as the first line of stdin (after the client secret when "
        "--client-secret-stdin is given) instead of asking for it",
    )
    parser.add_argument(
        "--new-password-stdin",
        action="store_true",
        help="if a new password is required, read it as the next line of stdin (after the password "
        "when --password-stdin is given) instead of asking for it",
    )


async def _sign_in_async(args: argparse.Namespace) -> int:
    flow: AuthFlow = args.flow
    inputs = _Inputs(args.code)
    # Secrets on stdin come one per line: client secret, password, new password.
    if args.client_secret_stdin:
        args.client_secret = inputs.stdin_line("the client secret", "--client-secret-stdin")
    pool = user_pool(args)  # before the password is asked: a bad argument is reported first
    password: str | None = None
    if args.password_stdin:
        password = inputs.stdin_line("the password", "--password-stdin")
    elif flow not in _PASSWORD_OPTIONAL:
        password = inputs.secret("Password: ", "the password", "--password-stdin")
    answers = _SignInAnswers(inputs, password, args.new_password_stdin)
    async with pool:
        step = await pool.sign_in(args.username, password, flow=flow, on_challenge=answers)
    if step.name is not StepName.DONE or step.user is None:
        if step.error is not None:
            raise step.error
        raise CliError("SignInStopped", f"the sign-in stopped at {step.name.value}")
    print(json.dumps(step.user.current_tokens.authentication_result()))
    return EXIT_OK


def _sign_in(args: argparse.Namespace) -> int:
    """Sign a user in and print Cognito's AuthenticationResult as JSON."""
    return _run(_sign_in_async(args))


# --- serve-local and demo -------------------------------------------------------------------------------


def _say(line: object) -> None:
    # Flushed line by line: stdout is often a pipe (a test, `| tee`), and each line is news.
    print(line, flush=True)


def _add_serve_local_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="the address to bind (default: %(default)s)")
    parser.add_argument(
        "--port", type=port, default=9229, help="the TCP port; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="a JSON file keeping pools, users and devices across restarts (default: memory only)",
    )
    parser.add_argument(
        "--issuer",
        choices=("aws", "endpoint"),
        default="aws",
        help="the tokens' iss: Cognito's URL, or this server's http://HOST:PORT/<pool id> "
        "(as pycognito with endpoint_url expects) (default: %(default)s)",
    )


class _Stop:
    """What ends ``serve-local``: Ctrl-C (handed over by :func:`_run`) or SIGTERM, between two requests."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.signals: list[int] = []

    def __call__(self, number: int = signal.SIGINT) -> None:
        self.signals.append(number)
        self.event.set()


async def _serve_local_async(args: argparse.Namespace, stop: _Stop) -> int:
    from ..testing import LocalUserPool
    from ..testing.state import StateFileError

    server = LocalUserPool(args.host, args.port, args.state, on_message=_say, issuer=args.issuer)
    loop = asyncio.get_running_loop()
    # SIGTERM, like Ctrl-C, stops the server between two requests, never in the middle of a reply or of
    # a write of the state file.
    try:
        loop.add_signal_handler(signal.SIGTERM, stop, signal.SIGTERM)
        handled = True
    # No signal handlers here: not the main thread, or Windows (which raises a RuntimeError subclass).
    except (RuntimeError, ValueError):
        handled = False
    try:
        try:
            await server.start()
        except StateFileError as error:
            raise CliError("InvalidStateFile", str(error), status=EXIT_USAGE) from None
        except OSError as error:
            raise CliError("CannotBind", f"{args.host}:{args.port}: {error.strerror or error}") from None
        try:
            _say(f"endpoint: {server.endpoint_url}")
            state = f"; state in {args.state}" if args.state else ""
            print(f"local Cognito user pool ready{state}; Ctrl-C to stop", file=sys.stderr, flush=True)
            await stop.event.wait()
        finally:
            await server.aclose()
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGTERM)
    return EXIT_INTERRUPTED if signal.SIGINT in stop.signals else EXIT_OK


def _serve_local(args: argparse.Namespace) -> int:
    """Serve a local Cognito user pool until Ctrl-C or SIGTERM."""
    stop = _Stop()
    return _run(_serve_local_async(args, stop), on_interrupt=stop)


def _add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    """The demo takes no options."""


def _demo(args: argparse.Namespace) -> int:
    """Walk a user through Cognito on an in-process local user pool, printing each step."""
    from ..demo import DemoError, run_demo

    try:
        _run(run_demo(out=_say))
    except DemoError as error:
        raise CliError("DemoFailed", str(error)) from None
    except OSError as error:
        raise CliError("CannotBind", f"127.0.0.1: {error.strerror or error}") from None
    return EXIT_OK


# --- verify -------------------------------------------------------------------------------------------


def _add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("token", metavar="TOKEN", help="the ID or access token, or - to read it from stdin")
    parser.add_argument(
        "--pool-id", required=True, type=non_empty, help="the user pool id (us-east-1_AbC123)"
    )
    parser.add_argument(
        "--client-id",
        required=True,
        action="append",
        type=non_empty,
        help="an app client id whose tokens are accepted (repeat it for several)",
    )
    parser.add_argument(
        "--jwks-url", help="where the pool's keys are (default: <issuer>/.well-known/jwks.json)"
    )
    parser.add_argument(
        "--endpoint-url",
        help=f"a cognito-idp emulator whose keys are trusted (default: ${ENDPOINT_ENV}, else "
        "$AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, never $AWS_ENDPOINT_URL; else AWS)",
    )
    parser.add_argument("--issuer", help="the expected iss (default: Cognito's, from the pool id)")
    parser.add_argument("--token-use", choices=("id", "access"), help="accept only this kind of token")
    parser.add_argument(
        "--group", action="append", default=[], metavar="GROUP", help="a group the user must be in"
    )
    parser.add_argument(
        "--scope", action="append", default=[], metavar="SCOPE", help="a scope the token must carry"
    )
    parser.add_argument(
        "--leeway", type=seconds, default=5.0, help="seconds of clock difference tolerated (default: 5)"
    )


async def _verify_async(args: argparse.Namespace) -> int:
    from ..verify import InvalidTokenError, TokenVerifier

    try:
        verifier = TokenVerifier(
            args.pool_id,
            args.client_id,
            jwks_url=args.jwks_url,
            endpoint_url=args.endpoint_url,
            issuer=args.issuer,
            leeway=args.leeway,
        )
    except (TypeError, ValueError) as error:
        raise CliError("InvalidArgument", str(error), status=EXIT_USAGE) from None
    token = _read_line().strip() if args.token == "-" else args.token
    async with verifier:
        try:
            claims = await verifier.verify(
                token, token_use=args.token_use, groups=args.group, scopes=args.scope
            )
        except InvalidTokenError as error:
            raise CliError("InvalidToken", error.message) from None
    print(json.dumps(dict(claims.raw), sort_keys=True))
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    """Verify a token against the pool's JWKS and print its claims as JSON."""
    return _run(_verify_async(args))


# --- the command table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Command:
    name: str
    summary: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


_COMMANDS: tuple[_Command, ...] = (
    _Command(
        "bulk-sign-in",
        _cli_bulk.SUMMARY,
        _cli_bulk.DESCRIPTION,
        _cli_bulk.add_arguments,
        lambda args: _cli_bulk.bulk_sign_in(args, _run),
    ),
    _Command(
        "demo",
        "a whole Cognito walk-through on a local user pool, step by step",
        "Start a local user pool in this process (127.0.0.1, a free port) and walk one user\n"
        "through Cognito with aiocognito, printing each step and its duration: sign-up, confirm\n"
        "with the code from the outbox, SRP sign-in, TOTP enrolment, sign-in answering TOTP,\n"
        "remember the device, sign in again through device SRP without MFA, refresh, verify the\n"
        "tokens against the JWKS, update and verify an attribute, global sign-out, and proof\n"
        "that the old access token is refused. No password, token or key is printed.",
        _add_demo_arguments,
        _demo,
    ),
    _Command(
        "serve-local",
        "run a local Cognito user pool server for tests and development",
        "Serve Cognito's API (cognito-idp and cognito-identity) on HOST:PORT: real SRP, RS256\n"
        "tokens and a JWKS, MFA, devices, refresh and revocation. It starts empty: create pools\n"
        "and app clients with the usual set-up calls (boto3, the AWS CLI, aiocognito's\n"
        "pool.call), signed with any credentials.\n\n"
        "The first line on stdout is 'endpoint: http://HOST:PORT'; then every code the pool\n"
        '"sends" (sign-up, MFA, attribute verification, password reset) is printed, one per\n'
        "line. --state keeps pools, users and devices in a JSON file across restarts. Stops on\n"
        "Ctrl-C or SIGTERM.\n\n"
        "example:\n"
        "  aiocognito serve-local --port 9229 --state cognito.json &\n"
        "  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws cognito-idp create-user-pool \\\n"
        "      --pool-name app --region us-east-1 --endpoint-url http://127.0.0.1:9229",
        _add_serve_local_arguments,
        _serve_local,
    ),
    _Command(
        "sign-in",
        "sign a user in and print the tokens as JSON",
        "Sign a user in (SRP by default) and print Cognito's AuthenticationResult (IdToken,\n"
        "AccessToken, RefreshToken, ExpiresIn, TokenType) as JSON on stdout.\n\n"
        "The password is asked without echo, or read from stdin with --password-stdin. Each later\n"
        "step (MFA code, MFA choice or set-up, new password...) is answered from --code values in\n"
        "order, from stdin (--new-password-stdin), or else asked on the terminal. A TOTP set-up\n"
        "prints the otpauth:// URI of the new key on stderr, then takes a code.\n\n"
        f"The client secret comes from --client-secret, ${CLIENT_SECRET_ENV} or --client-secret-stdin.\n"
        "Secrets on stdin are one per line in this order: client secret, password, new password.\n\n"
        "example:\n"
        "  printf '%s\\n' \"$PASSWORD\" | aiocognito sign-in --pool-id us-east-1_AbC123 \\\n"
        "      --client-id 1example23456789 --username alice --password-stdin --code 123456",
        _add_sign_in_arguments,
        _sign_in,
    ),
    _Command(
        "verify",
        "verify an ID or access token and print its claims as JSON",
        "Verify a token as a server would: RS256 signature with the pool's JWKS, issuer,\n"
        "token_use, app client (aud or client_id), exp / iat / nbf, and any --group or --scope\n"
        "required. Prints the claims as JSON on stdout; a refused token prints one line\n"
        "'InvalidToken: reason' on stderr and exits with status 1.\n\n"
        "example:\n"
        '  aiocognito verify "$ACCESS_TOKEN" --pool-id us-east-1_AbC123 --client-id 1example23456789\n'
        f"  (against serve-local: add --endpoint-url http://127.0.0.1:9229, or set ${ENDPOINT_ENV})",
        _add_verify_arguments,
        _verify,
    ),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aiocognito",
        description="Amazon Cognito user pools from the command line.",
        epilog="Run 'aiocognito COMMAND --help' for a command's options. Failures print one line "
        "'ErrorCode: message' on stderr and exit with status 1 (2 for usage errors).",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"aiocognito {__version__}",
        help="print the version and exit (with --verbose after it: the SRP backend and the CPU too)",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command", required=True)
    for command in _COMMANDS:
        sub = commands.add_parser(
            command.name,
            help=command.summary,
            description=command.description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


# --- running ------------------------------------------------------------------------------------------


def _run(coro: Coroutine[Any, Any, _T], *, on_interrupt: Callable[[], None] | None = None) -> _T:
    """Run ``coro`` on a new event loop that takes Ctrl-C.

    The first Ctrl-C cancels the task, which closes what it opened, and is then raised here as
    ``KeyboardInterrupt``; given ``on_interrupt``, it calls that instead and lets the task end its own
    way. Later ones are ignored while the task ends. Where the loop cannot take signals (not the main
    thread), Ctrl-C raises ``KeyboardInterrupt`` where it lands: the task is then cancelled and run to
    its end. A prompt lets it raise too (:func:`_ctrl_c_raises`).

    Not ``asyncio.run``: a second Ctrl-C there raises ``KeyboardInterrupt`` wherever it lands, in the
    middle of closing too, and a command cannot end its own way (the summary of ``bulk-sign-in``).
    """
    loop = asyncio.new_event_loop()
    task = loop.create_task(coro)
    interrupted = False

    def on_sigint() -> None:
        nonlocal interrupted
        if interrupted:
            return
        interrupted = True
        if on_interrupt is not None:
            on_interrupt()
        else:
            task.cancel()

    previous = signal.getsignal(signal.SIGINT)
    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
        taken = True
    except (RuntimeError, ValueError):  # Windows raises a RuntimeError subclass
        taken = False
    try:
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            if interrupted and task.cancelled():
                raise KeyboardInterrupt from None
            raise
        except KeyboardInterrupt:
            if not task.done():
                task.cancel()
                loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
            raise
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            if taken:
                loop.remove_signal_handler(signal.SIGINT)
                if previous is not None:
                    signal.signal(signal.SIGINT, previous)
            loop.close()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _error_line(error: BaseException) -> str:
    if isinstance(error, ServiceError):
        return f"{error.code}: {error.message}" if error.message else error.code
    if isinstance(error, CliError):
        return f"{error.code}: {error.message}"
    return f"{type(error).__name__}: {error}"


@contextlib.contextmanager
def _library_log() -> Iterator[None]:
    """While a command runs, show the library's log records of level ERROR only, one line each.

    Its warnings (a JWKS fetch that failed, reported by the command as its own error line anyway) would
    otherwise reach stderr through logging's last resort, as a second line. A program that configured
    logging (handlers on the root or the ``aiocognito`` logger) keeps its own choice.
    """
    logger = logging.getLogger("aiocognito")
    if logging.getLogger().handlers or logger.handlers:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.ERROR)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def main(argv: list[str] | None = None) -> int:
    """Run the ``aiocognito`` command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    Errors are reported as one line on stderr: ``Code: message``.
    """
    given = sys.argv[1:] if argv is None else argv
    if given[:2] == ["--version", "--verbose"]:
        from ..srp_backend import describe

        print("\n".join([f"aiocognito {__version__}", *describe()]))
        return EXIT_OK
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version, usage errors
        code = exit_.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_FAILED)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        with _library_log():
            return run(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except CliError as error:
        print(_one_line(_error_line(error)), file=sys.stderr)
        return error.status
    except (CognitoError, ValueError) as error:
        # ValueError: what the library refuses during the operation (a choice that is not offered...);
        # arguments it refuses are found before, as usage errors.
        print(_one_line(_error_line(error)), file=sys.stderr)
        return EXIT_FAILED
