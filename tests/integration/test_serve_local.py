"""``aiocognito serve-local``: the local user pool as a process, set up with boto3, kept in a state file."""

from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import servers
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"


class ServeLocal:
    """``python -m aiocognito serve-local`` in a subprocess; its stdout read line by line (bounded waits)."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiocognito", "serve-local", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: str | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line(self, timeout: float = 30.0) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line from serve-local within {timeout} s") from None
        if line is None:
            raise AssertionError(f"serve-local ended: {self.stop()}")
        return line

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        """Send ``sig``, wait (bounded) and return the exit status and stderr."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self._reader.join(15)
        if self._stderr is None:
            assert self.process.stderr is not None and self.process.stdout is not None
            with self.process.stderr, self.process.stdout:
                self._stderr = self.process.stderr.read()
        return self.process.returncode, self._stderr


@pytest.fixture
def serve_local() -> Iterator[list[ServeLocal]]:
    started: list[ServeLocal] = []
    yield started
    for server in started:
        server.stop(signal.SIGKILL)


def start(started: list[ServeLocal], *args: str) -> tuple[ServeLocal, str]:
    server = ServeLocal("--port", "0", *args)
    started.append(server)
    first = server.line()
    match = re.fullmatch(r"endpoint: (http://127\.0\.0\.1:(\d+))", first)
    assert match, first
    assert int(match[2]) > 0
    return server, match[1]


def test_boto3_set_up_codes_and_state_across_restarts(serve_local: list[ServeLocal], tmp_path: Path) -> None:
    state = tmp_path / "cognito.json"
    server, endpoint = start(serve_local, "--state", str(state))
    idp: Any = servers.idp_client(endpoint)
    try:
        pool_id = idp.create_user_pool(PoolName="app", AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        idp.sign_up(
            ClientId=client_id,
            Username="bob",
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "bob@example.com"}],
        )
        # The code it "sent" is printed on its own line.
        printed = server.line()
        code = re.fullmatch(r"SIGN_UP code (\d{6}) for bob \(EMAIL to bob@example\.com\)", printed)
        assert code, printed
        with pytest.raises(ClientError) as wrong:
            idp.confirm_sign_up(ClientId=client_id, Username="bob", ConfirmationCode="000000")
        assert wrong.value.response["Error"]["Code"] == "CodeMismatchException"
        idp.confirm_sign_up(ClientId=client_id, Username="bob", ConfirmationCode=code[1])
        signed = idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD},
        )
        assert signed["AuthenticationResult"]["AccessToken"]
    finally:
        servers.close_clients(endpoint)
    status, stderr = server.stop()
    assert status == 0, stderr
    assert "Traceback" not in stderr
    assert state.exists()
    assert PASSWORD not in state.read_text()

    # A new process with the same state file: same pool, client and user, same password.
    again, endpoint = start(serve_local, "--state", str(state))
    idp = servers.idp_client(endpoint)
    try:
        assert [p["Id"] for p in idp.list_user_pools(MaxResults=10)["UserPools"]] == [pool_id]
        assert idp.admin_get_user(UserPoolId=pool_id, Username="bob")["UserStatus"] == "CONFIRMED"
        signed = idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD},
        )
        assert signed["AuthenticationResult"]["IdToken"]
    finally:
        servers.close_clients(endpoint)
    status, stderr = again.stop(signal.SIGINT)  # Ctrl-C
    assert status == 130, stderr
    assert "Traceback" not in stderr, stderr


def test_starts_empty_without_state(serve_local: list[ServeLocal]) -> None:
    _, endpoint = start(serve_local)
    try:
        assert servers.idp_client(endpoint).list_user_pools(MaxResults=10)["UserPools"] == []
    finally:
        servers.close_clients(endpoint)


def test_a_port_in_use_is_one_line_and_status_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "aiocognito", "serve-local", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    assert done.returncode == 1
    assert done.stdout == ""
    assert re.fullmatch(rf"CannotBind: 127\.0\.0\.1:{port}: .+\n", done.stderr), done.stderr


def _serve_local_once(*args: str) -> subprocess.CompletedProcess[str]:
    """serve-local that is expected to stop by itself (a bad argument or state file): bounded."""
    return subprocess.run(
        [sys.executable, "-m", "aiocognito", "serve-local", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b'{"version": 1, "pools": {"us-east-1_x": {"id": "us-east-1_x"', "not JSON at line 1 column 61"),
        (b'{"version": 1, "pools": {"us-east-1_x": {"id": "us-east-1_x"}}}', "'name' is missing"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "not UTF-8"),
    ],
    ids=["truncated", "wrong-shape", "binary"],
)
def test_a_corrupt_state_file_is_named_in_one_line_and_never_overwritten(
    tmp_path: Path, content: bytes, why: str
) -> None:
    state = tmp_path / "cognito.json"
    state.write_bytes(content)
    before = state.stat()

    done = _serve_local_once("--state", str(state))

    assert done.returncode == 2, done.stderr
    assert done.stdout == ""  # it never served
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"InvalidStateFile: state file {state}: "), line
    assert why in line
    assert line.endswith("it was left unchanged (repair it, or remove it to start empty)")
    after = state.stat()
    assert state.read_bytes() == content
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert [p.name for p in tmp_path.iterdir()] == ["cognito.json"]  # no temporary state file either


def test_an_unreadable_state_file_and_a_bad_port_are_one_line_and_status_2(tmp_path: Path) -> None:
    unreadable = _serve_local_once("--state", str(tmp_path))
    assert unreadable.returncode == 2
    assert unreadable.stderr == f"InvalidStateFile: state file {tmp_path}: cannot read it: Is a directory\n"
    for port in ("99999", "-1", "http"):
        bad = subprocess.run(
            [sys.executable, "-m", "aiocognito", "serve-local", "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        assert bad.returncode == 2, bad.stderr
        assert bad.stderr.splitlines()[-1].startswith("aiocognito serve-local: error: argument --port: ")
        assert "Traceback" not in bad.stderr
