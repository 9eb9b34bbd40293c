"""The ``aiocognito`` command line, run as a real subprocess against ministack.

ministack checks SRP proofs, SECRET_HASH and TOTP codes (see SERVERS.md), so a success here means the
command line sent the right answers.
"""

from __future__ import annotations

import base64
import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import servers

import aiocognito

pytestmark = pytest.mark.integration

_PACKAGE_ROOT = str(Path(aiocognito.__file__).resolve().parent.parent)
_TOKEN_KEYS = {"IdToken", "AccessToken", "RefreshToken", "ExpiresIn", "TokenType"}


def _env() -> dict[str, str]:
    env = {**os.environ, **servers.BASE_ENV, "AWS_EC2_METADATA_DISABLED": "true"}
    env.pop("AIOCOGNITO_ENDPOINT_URL", None)
    # The package under test, installed or not (``python -m pytest`` from a checkout).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return env


def _cli(
    args: Sequence[str], stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiocognito", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env or _env(),
        timeout=30,
        check=False,
    )


def _sign_in_args(pc: servers.PoolClient, username: str, *extra: str, endpoint: bool = True) -> list[str]:
    args = ["sign-in", "--pool-id", pc.pool_id, "--client-id", pc.client_id, "--username", username]
    if endpoint:
        args += ["--endpoint-url", pc.endpoint_url]
    if pc.client_secret:
        args += ["--client-secret", pc.client_secret]
    return [*args, *extra]


def _tokens(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    tokens: dict[str, Any] = json.loads(result.stdout)
    assert set(tokens) == _TOKEN_KEYS
    assert tokens["TokenType"] == "Bearer"
    assert tokens["ExpiresIn"] == 3600
    return tokens


def _assert_one_line_error(result: subprocess.CompletedProcess[str], prefix: str, *secrets: str) -> None:
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(prefix), result.stderr
    assert "Traceback" not in result.stderr
    for secret in secrets:
        assert secret not in result.stderr


def _access_token_user(pc: servers.PoolClient, tokens: dict[str, Any]) -> str:
    user = servers.idp_client(pc.endpoint_url).get_user(AccessToken=tokens["AccessToken"])
    return str(user["Username"])


# --- sign-in --------------------------------------------------------------------------------------------


def test_srp_sign_in_with_password_on_stdin(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)
    user = servers.create_confirmed_user(pc)

    result = _cli(_sign_in_args(pc, user.username, "--password-stdin"), stdin=user.password + "\n")

    tokens = _tokens(result)
    assert _access_token_user(pc, tokens) == user.username
    assert result.stderr == ""


def test_srp_sign_in_with_client_secret_and_endpoint_from_env(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint, generate_secret=True)
    user = servers.create_confirmed_user(pc)
    env = {**_env(), "AIOCOGNITO_ENDPOINT_URL": ministack_endpoint}

    result = _cli(
        _sign_in_args(pc, user.username, "--password-stdin", endpoint=False), stdin=user.password, env=env
    )

    assert _access_token_user(pc, _tokens(result)) == user.username


def test_wrong_password_is_one_line_without_the_password(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)
    user = servers.create_confirmed_user(pc)
    wrong = user.password + "x"

    result = _cli(_sign_in_args(pc, user.username, "--password-stdin"), stdin=wrong + "\n")

    _assert_one_line_error(result, "NotAuthorizedException: ", wrong, user.password)


def test_user_password_auth_flow(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)
    user = servers.create_confirmed_user(pc)

    result = _cli(
        _sign_in_args(pc, user.username, "--flow", "USER_PASSWORD_AUTH", "--password-stdin"),
        stdin=user.password + "\n",
    )

    assert _access_token_user(pc, _tokens(result)) == user.username


def _totp_user(pc: servers.PoolClient) -> tuple[servers.TestUser, str]:
    """A user with TOTP enrolled (ministack: VerifySoftwareToken also enables and prefers it)."""
    servers.enable_totp_mfa(pc, "OPTIONAL")
    user = servers.create_confirmed_user(pc)
    idp = servers.idp_client(pc.endpoint_url)
    access = idp.initiate_auth(
        ClientId=pc.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters=servers.password_auth_parameters(pc, user),
    )["AuthenticationResult"]["AccessToken"]
    secret = str(idp.associate_software_token(AccessToken=access)["SecretCode"])
    verified = idp.verify_software_token(AccessToken=access, UserCode=servers.totp_now(secret))
    assert verified["Status"] == "SUCCESS"
    return user, secret


def test_totp_mfa_code_from_option(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)
    user, secret = _totp_user(pc)
    code = servers.totp_now(secret)

    result = _cli(_sign_in_args(pc, user.username, "--password-stdin", "--code", code), stdin=user.password)

    assert _access_token_user(pc, _tokens(result)) == user.username
    assert code not in result.stderr


def test_wrong_totp_code_fails_in_one_line(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)
    user, secret = _totp_user(pc)
    now = servers.totp_now(secret)
    wrong = next(c for c in ("000000", "111111") if c != now)

    result = _cli(_sign_in_args(pc, user.username, "--password-stdin", "--code", wrong), stdin=user.password)

    _assert_one_line_error(result, "CodeMismatchException: ", wrong, user.password)


def test_totp_mfa_without_code_and_no_terminal_fails_clearly(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)
    user, _ = _totp_user(pc)

    result = _cli(_sign_in_args(pc, user.username, "--password-stdin"), stdin=user.password + "\n")

    _assert_one_line_error(result, "MissingInput: ", user.password)
    assert "CONFIRM_SIGN_IN_WITH_TOTP_CODE" in result.stderr
    assert "--code" in result.stderr


def test_totp_code_typed_at_a_terminal(ministack_endpoint: str) -> None:
    """On a terminal the password is asked without echo and the code with the step's name."""
    pc = servers.create_pool_and_client(ministack_endpoint)
    user, secret = _totp_user(pc)
    primary, secondary = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "aiocognito", *_sign_in_args(pc, user.username)],
            stdin=secondary,
            stdout=subprocess.PIPE,
            stderr=secondary,
            env=_env(),
            # No controlling terminal: getpass then uses stdin (the pty), never the developer's /dev/tty.
            start_new_session=True,
        )
        os.close(secondary)
        secondary = -1
        shown = _read_until(primary, b"Password: ")
        os.write(primary, user.password.encode() + b"\n")
        shown += _read_until(primary, b"CONFIRM_SIGN_IN_WITH_TOTP_CODE: ")
        os.write(primary, servers.totp_now(secret).encode() + b"\n")
        stdout, _ = process.communicate(timeout=30)
    finally:
        os.close(primary)
        if secondary != -1:
            os.close(secondary)
    assert process.returncode == 0
    assert user.password.encode() not in shown  # no echo
    tokens = json.loads(stdout)
    assert set(tokens) == _TOKEN_KEYS


def test_ctrl_c_at_the_password_prompt_exits_130_quietly(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)
    primary, secondary = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "aiocognito", *_sign_in_args(pc, "someone")],
            stdin=secondary,
            stdout=subprocess.PIPE,
            stderr=secondary,
            env=_env(),
            start_new_session=True,
        )
        os.close(secondary)
        secondary = -1
        _read_until(primary, b"Password: ")
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=30)
        stderr = _read_rest(primary)
    finally:
        os.close(primary)
        if secondary != -1:
            os.close(secondary)
    assert process.returncode == 130
    assert stdout == b""
    assert b"Traceback" not in stderr
    assert b"Error" not in stderr


def _read_rest(fd: int) -> bytes:
    """What the exited child left in the pty."""
    data = b""
    while select.select([fd], [], [], 0.2)[0]:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def _read_until(fd: int, marker: bytes, timeout: float = 20.0) -> bytes:
    """Read the pty until ``marker`` shows, failing (never hanging) after ``timeout`` seconds."""
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data:
        left = deadline - time.monotonic()
        assert left > 0, f"no {marker!r} in {data!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the pty
            chunk = b""
        assert chunk, f"no {marker!r} in {data!r}"
        data += chunk
    return data


def test_new_password_required_from_stdin(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)
    user = servers.create_force_change_password_user(pc)
    new_password = servers.random_password()

    result = _cli(
        _sign_in_args(pc, user.username, "--password-stdin", "--new-password-stdin"),
        stdin=f"{user.password}\n{new_password}\n",
    )

    assert _access_token_user(pc, _tokens(result)) == user.username
    # The new password is the user's password now.
    again = _cli(_sign_in_args(pc, user.username, "--password-stdin"), stdin=new_password)
    _tokens(again)


def test_new_password_required_without_input_fails_clearly(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)
    user = servers.create_force_change_password_user(pc)

    result = _cli(
        _sign_in_args(pc, user.username, "--password-stdin", "--new-password-stdin"), stdin=user.password
    )

    _assert_one_line_error(result, "MissingInput: ", user.password)


def test_unconfirmed_user_stops_in_one_line(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)
    password = servers.random_password()
    username = servers.random_name("user")
    servers.idp_client(ministack_endpoint).sign_up(
        ClientId=pc.client_id,
        Username=username,
        Password=password,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )

    result = _cli(_sign_in_args(pc, username, "--password-stdin"), stdin=password)

    _assert_one_line_error(result, "UserNotConfirmedException: ", password)


def test_unknown_pool_client_is_one_line(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)
    bogus = servers.PoolClient(ministack_endpoint, pc.pool_id, "nosuchclient", None)

    result = _cli(_sign_in_args(bogus, "someone", "--password-stdin"), stdin="pw-Secret1!\n")

    _assert_one_line_error(result, "ResourceNotFoundException: ", "pw-Secret1!")


def test_password_needed_without_terminal_fails_clearly(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint)

    result = _cli(_sign_in_args(pc, "someone"))

    _assert_one_line_error(result, "MissingInput: ")
    assert "--password-stdin" in result.stderr


# --- bad input, unreachable endpoints, Ctrl-C in flight ----------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unsigned_token() -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", "token_use": "access"}
    return f"{part({'alg': 'RS256', 'kid': 'k1'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["sign-in", "--pool-id", "nounderscore", "--client-id", "c", "--username", "u"],
            "InvalidArgument: malformed user pool id",
        ),
        (
            [
                "sign-in",
                "--pool-id",
                "us-east-1_AbC123",
                "--client-id",
                "c",
                "--username",
                "u",
                "--endpoint-url",
                "ftp://x/",
            ],
            "InvalidArgument: endpoint_url must be an http(s) URL",
        ),
        (
            [
                "sign-in",
                "--pool-id",
                "us-east-1_AbC123",
                "--client-id",
                "c",
                "--username",
                "u",
                "--endpoint-url",
                "http://[::1",
            ],
            "InvalidArgument: ",
        ),
        (
            ["verify", "t", "--pool-id", "nounderscore", "--client-id", "c"],
            "InvalidArgument: malformed user pool id",
        ),
        (
            [
                "verify",
                "t",
                "--pool-id",
                "us-east-1_AbC123",
                "--client-id",
                "c",
                "--jwks-url",
                "file:///etc/passwd",
            ],
            "InvalidArgument: jwks_url must be an http(s) URL",
        ),
        (
            ["verify", "t", "--pool-id", "us-east-1_AbC123", "--client-id", "c", "--leeway", "nan"],
            "usage: ",
        ),
        (["verify", "t", "--pool-id", "us-east-1_AbC123", "--client-id", "c", "--leeway", "-1"], "usage: "),
    ],
    ids=[
        "pool-id",
        "endpoint-scheme",
        "endpoint-ipv6",
        "verify-pool-id",
        "jwks-scheme",
        "leeway-nan",
        "leeway-negative",
    ],
)
def test_an_argument_the_library_refuses_is_a_usage_error_before_any_prompt(
    args: list[str], expected: str
) -> None:
    # No --password-stdin and no terminal: the argument is refused before the password is asked for.
    result = _cli(args)

    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(expected), result.stderr
    assert "Traceback" not in result.stderr
    if not expected.startswith("usage"):
        assert len(result.stderr.splitlines()) == 1, result.stderr


def test_an_unreachable_endpoint_is_one_line_and_status_1() -> None:
    port = _closed_port()
    sign_in = _cli(
        [
            "sign-in",
            "--pool-id",
            "us-east-1_AbC123",
            "--client-id",
            "c",
            "--username",
            "u",
            "--password-stdin",
            "--endpoint-url",
            f"http://127.0.0.1:{port}",
        ],
        stdin="pw-Secret1!\n",
    )
    _assert_one_line_error(sign_in, "TransportError: InitiateAuth: ", "pw-Secret1!")

    verify = _cli(
        [
            "verify",
            _unsigned_token(),
            "--pool-id",
            "us-east-1_AbC123",
            "--client-id",
            "c",
            "--jwks-url",
            f"http://127.0.0.1:{port}/jwks.json",
        ]
    )
    assert verify.returncode == 1
    assert len(verify.stderr.splitlines()) == 1, verify.stderr
    assert "Traceback" not in verify.stderr


def test_ctrl_c_while_a_request_is_in_flight_exits_130_quietly(tmp_path: Path) -> None:
    """Ctrl-C during a request (a server that never answers): the task is cancelled, the pool closed."""
    password = tmp_path / "password"
    password.write_text("pw-Secret1!\n")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        for _ in range(3):
            with password.open("rb") as stdin:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "aiocognito",
                        "sign-in",
                        "--pool-id",
                        "us-east-1_AbC123",
                        "--client-id",
                        "c",
                        "--username",
                        "u",
                        "--password-stdin",
                        "--endpoint-url",
                        f"http://127.0.0.1:{port}",
                    ],
                    stdin=stdin,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=_env(),
                )
            try:
                ready, _, _ = select.select([silent], [], [], 30)
                assert ready, "the sign-in never connected"
                connection, _ = silent.accept()
                with connection:
                    connection.settimeout(30)
                    assert connection.recv(65536).startswith(b"POST ")  # the request is in flight
                    process.send_signal(signal.SIGINT)
                    stdout, stderr = process.communicate(timeout=30)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.communicate()
            assert process.returncode == 130, stderr
            assert stdout == b""
            assert stderr == b""


# --- usage, help, version -------------------------------------------------------------------------------


def test_usage_error_exits_2() -> None:
    result = _cli(["sign-in", "--pool-id", "us-east-1_AbC123"])

    assert result.returncode == 2
    assert "--client-id" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_flow_is_a_usage_error() -> None:
    result = _cli(["sign-in", "--pool-id", "p", "--client-id", "c", "--username", "u", "--flow", "NOPE"])

    assert result.returncode == 2
    assert "--flow" in result.stderr
    empty = _cli(["sign-in", "--pool-id", "p", "--client-id", "", "--username", "u"])
    assert empty.returncode == 2
    assert "--client-id" in empty.stderr


def test_help_lists_every_command() -> None:
    result = _cli(["--help"])

    assert result.returncode == 0
    assert "sign-in" in result.stdout
    sign_in = _cli(["sign-in", "--help"])
    assert sign_in.returncode == 0
    for option in ("--password-stdin", "--new-password-stdin", "--code", "--flow", "TOTP"):
        assert option in sign_in.stdout


def test_main_returns_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    from aiocognito.cli import main

    assert main(["--version"]) == 0
    assert main(["sign-in", "--pool-id", "p"]) == 2
    assert main([]) == 2
    assert "sign-in" in capsys.readouterr().err


def test_version() -> None:
    result = _cli(["--version"])

    assert result.returncode == 0
    assert result.stdout.strip() == f"aiocognito {aiocognito.__version__}"
