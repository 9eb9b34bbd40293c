"""``aiocognito bulk-sign-in``, run as a real subprocess against a local user pool in a thread."""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import aiocognito
from aiocognito.testing import LocalUserPool, ServerThread

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
_PACKAGE_ROOT = str(Path(aiocognito.__file__).resolve().parent.parent)
_SUMMARY = re.compile(r"^(\d+) signed in, (\d+) failed in [0-9.]+ s \([0-9.]+/s\)$")


@pytest.fixture(scope="module")
def local() -> Iterator[tuple[ServerThread, str, str]]:
    thread = LocalUserPool.start_in_thread(shared_signing_key=True)
    try:
        server = thread.server
        pool_id = thread.run(server.create_pool())
        client = thread.run(server.create_client(pool_id))
        for i in range(8):
            thread.run(server.create_user(pool_id, f"user{i}", PASSWORD))
        yield thread, pool_id, client.client_id
    finally:
        thread.stop()


def _env() -> dict[str, str]:
    env = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true"}
    env.pop("AIOCOGNITO_ENDPOINT_URL", None)
    env.pop("AIOCOGNITO_REDIS_URL", None)  # these runs are not sharded
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return env


def _cli(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiocognito", *args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _args(
    local: tuple[ServerThread, str, str], csv_path: Path, out: Path, *extra: str, via: str | None = None
) -> list[str]:
    """The command line for the local pool, straight or ``via`` another endpoint (a counting proxy)."""
    thread, pool_id, client_id = local
    return [
        "bulk-sign-in",
        str(csv_path),
        "--pool-id",
        pool_id,
        "--client-id",
        client_id,
        "--endpoint-url",
        via or thread.endpoint_url,
        "--out",
        str(out),
        *extra,
    ]


def test_every_user_gets_a_json_line_and_failures_give_status_1(
    local: tuple[ServerThread, str, str], tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    rows = [f"user{i},{PASSWORD if i % 4 else 'Wrong-passw0rd'}" for i in range(8)] + ["nobody,x"]
    users.write_text("username,password\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "tokens.jsonl"
    done = _cli(_args(local, users, out, "--concurrency", "3", "--rate", "off"))
    assert done.returncode == 1, done.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_user = {line["username"]: line for line in lines}
    assert sorted(by_user) == sorted([f"user{i}" for i in range(8)] + ["nobody"])
    for i in range(8):
        line = by_user[f"user{i}"]
        if i % 4:
            assert set(line) == {"username", "AuthenticationResult"}
            assert set(line["AuthenticationResult"]) >= {
                "IdToken",
                "AccessToken",
                "RefreshToken",
                "ExpiresIn",
            }
        else:
            assert line["error"]["code"] == "NotAuthorizedException"
            assert line["error"]["message"]
    assert by_user["nobody"]["error"]["code"] in ("UserNotFoundException", "NotAuthorizedException")
    summary = done.stderr.strip().splitlines()[-1]
    match = _SUMMARY.match(summary)
    assert match, done.stderr
    assert (match.group(1), match.group(2)) == ("6", "3")
    assert "\r" not in done.stderr  # no progress bar when stderr is not a terminal
    assert PASSWORD not in done.stderr
    assert PASSWORD not in out.read_text(encoding="utf-8")


def test_all_signed_in_gives_status_0_with_a_rate(
    local: tuple[ServerThread, str, str], tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    users.write_text("username,password\r\nuser1,Passw0rd!\r\n\r\nuser2,Passw0rd!\r\n", encoding="utf-8")
    out = tmp_path / "tokens.jsonl"
    done = _cli(_args(local, users, out, "--rate", "50", "--flow", "USER_PASSWORD_AUTH"))
    assert done.returncode == 0, done.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    assert done.stderr.strip().startswith("2 signed in, 0 failed in ")


def test_a_file_without_the_header_is_refused(local: tuple[ServerThread, str, str], tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text("user1,Passw0rd!\n", encoding="utf-8")
    done = _cli(_args(local, users, tmp_path / "out.jsonl"))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"InvalidUsersFile: {users} is not a users file, nothing was sent: line 1: the first line must be "
        "the header 'username,password'"
    ]
    assert "Passw0rd" not in done.stderr  # the row is never quoted
    assert not (tmp_path / "out.jsonl").exists()


def test_usage_errors_and_help(local: tuple[ServerThread, str, str], tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text("username,password\n", encoding="utf-8")
    assert _cli(_args(local, users, tmp_path / "o", "--rate", "-3")).returncode == 2
    assert _cli(_args(local, users, tmp_path / "o", "--concurrency", "0")).returncode == 2
    missing = _cli(_args(local, tmp_path / "missing.csv", tmp_path / "o"))
    assert missing.returncode == 2
    assert missing.stderr == f"CannotRead: {tmp_path / 'missing.csv'}: No such file or directory\n"
    top = _cli(["--help"])
    assert top.returncode == 0
    assert "bulk-sign-in" in top.stdout
    assert "sign-in" in top.stdout
    help_text = _cli(["bulk-sign-in", "--help"]).stdout
    assert "--concurrency" in help_text
    assert "--rate" in help_text


# --- what reaches the server -----------------------------------------------------------------------------


class CountingProxy:
    """A plain HTTP server in front of the local user pool: forwards every request and records it.

    ``requests`` holds ``(operation, username)`` for each request received, so a test counts at a server
    what the command really sent.
    """

    def __init__(self, upstream: str) -> None:
        parsed = urlsplit(upstream)
        assert parsed.hostname is not None and parsed.port is not None
        self._upstream = (parsed.hostname, parsed.port)
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy._record(self.headers.get("X-Amz-Target", ""), body)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                upstream = http.client.HTTPConnection(*proxy._upstream, timeout=30)
                try:
                    upstream.request("POST", self.path, body, headers)
                    reply = upstream.getresponse()
                    data = reply.read()
                finally:
                    upstream.close()
                self.send_response(reply.status)
                for name, value in reply.getheaders():
                    if name.lower() not in (
                        "content-length",
                        "connection",
                        "transfer-encoding",
                        "date",
                        "server",
                    ):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A client that goes away mid-request (a cancelled sign-in) is expected here, not an error.
        self._server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _record(self, target: str, body: bytes) -> None:
        operation = target.rpartition(".")[2]
        try:
            params = json.loads(body)
        except ValueError:
            params = {}
        username = ""
        for part in ("AuthParameters", "ChallengeResponses"):
            username = username or (params.get(part) or {}).get("USERNAME", "")
        with self._lock:
            self.requests.append((operation, username))

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def count(self, operation: str | None = None) -> int:
        with self._lock:
            return sum(1 for op, _ in self.requests if operation in (None, op))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


@pytest.fixture
def proxy(local: tuple[ServerThread, str, str]) -> Iterator[CountingProxy]:
    counting = CountingProxy(local[0].endpoint_url)
    try:
        yield counting
    finally:
        counting.close()


def test_a_bad_file_is_refused_whole_with_line_numbers_and_nothing_is_sent(
    local: tuple[ServerThread, str, str], proxy: CountingProxy, tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    lines = [
        "username,password",
        f"user1,{PASSWORD}",  # 2: fine
        "user2",  # 3: no password
        f",{PASSWORD}",  # 4: no username
        "user3,",  # 5: empty password
        f"user4,{PASSWORD},extra",  # 6: three fields
        "",  # 7: blank, skipped
        f'"user5,{PASSWORD}',  # 8-9: a quote that a later one closes: never a username
        f'user6",{PASSWORD}',
        f'"user7"x,{PASSWORD}',  # 10: bad quoting
        f" user1,{PASSWORD}",  # 11: a space around the username
        f"user2,{PASSWORD}",  # 12: fine
        f'"user3,{PASSWORD}',  # 13-14: a quote never closed
        f"user4,{PASSWORD}",
    ]
    users.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "tokens.jsonl"

    done = _cli(_args(local, users, out, via=proxy.endpoint_url))

    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"InvalidUsersFile: {users} has 8 bad rows, nothing was sent: "
        "line 3: no password (1 field, expected 2: username,password); "
        "line 4: the username is empty; "
        "line 5: the password is empty; "
        "line 6: 3 fields, expected 2 (username,password): quote a password that holds a comma; "
        "lines 8-9: a field runs over several lines: is a quote not closed?; "
        """line 10: bad quoting (',' expected after '"'); """
        "line 11: the username starts or ends with a space; "
        "lines 13-14: a quote is not closed before the end of the file"
    ]
    assert PASSWORD not in done.stderr
    assert proxy.count() == 0  # not one request, not even for the good rows
    assert not out.exists()  # and no output file was made

    # The same file made good: the proxy does see the sign-ins (so the count above could fail).
    users.write_text(f"username,password\nuser1,{PASSWORD}\nuser5,{PASSWORD}\n", encoding="utf-8")
    done = _cli(_args(local, users, out, "--rate", "off", via=proxy.endpoint_url))
    assert done.returncode == 0, done.stderr
    assert proxy.count("InitiateAuth") == 2


def test_the_refusal_names_ten_bad_rows_then_counts_the_rest(
    local: tuple[ServerThread, str, str], proxy: CountingProxy, tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    rows = [f"user{i}" if i % 2 else f"user{i},{PASSWORD}" for i in range(1, 51)]  # odd rows: no password
    users.write_text("username,password\n" + "\n".join(rows) + "\n", encoding="utf-8")

    done = _cli(_args(local, users, tmp_path / "out.jsonl", via=proxy.endpoint_url))

    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith(
        f"InvalidUsersFile: {users} has 25 bad rows, nothing was sent: line 2: no password"
    )
    assert re.findall(r"line (\d+):", line) == [str(n) for n in range(2, 21, 2)]
    assert line.endswith("; and 15 more")
    assert proxy.count() == 0


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"username,password\nuser1,pw\x00\n", "line 2: a NUL byte: this is not a text file"),
        (b"username,password\nuser1,caf\xe9\n", "line 2: bytes that are not UTF-8 text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "line 1: bytes that are not UTF-8 text"),
        (b"username,password\n" + b"x" * 70_000, "line 2: longer than 65536 characters"),
        (b"", "line 1: the first line must be the header 'username,password' (the file is empty)"),
        (b"username,password,email\nuser1,pw,a@b\n", "line 1: the first line must be the header"),
    ],
    ids=["nul", "latin-1", "png", "long-line", "empty", "three-columns"],
)
def test_a_file_that_is_not_a_users_file_is_one_line_and_status_2(
    local: tuple[ServerThread, str, str], proxy: CountingProxy, tmp_path: Path, content: bytes, why: str
) -> None:
    users = tmp_path / "users.csv"
    users.write_bytes(content)
    done = _cli(_args(local, users, tmp_path / "out.jsonl", via=proxy.endpoint_url))
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"InvalidUsersFile: {users} is not a users file, nothing was sent: {why}"), line
    assert proxy.count() == 0


def test_unreadable_input_and_unwritable_output_are_one_line_and_status_2(
    local: tuple[ServerThread, str, str], proxy: CountingProxy, tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    users.write_text(f"username,password\nuser1,{PASSWORD}\n", encoding="utf-8")
    cases = [
        (tmp_path, tmp_path / "o.jsonl", f"CannotRead: {tmp_path}: Is a directory"),
        (
            users,
            tmp_path / "missing" / "o.jsonl",
            f"CannotWrite: {tmp_path / 'missing' / 'o.jsonl'}: No such file",
        ),
        (users, tmp_path, f"CannotWrite: {tmp_path}: Is a directory"),
        (users, users, f"InvalidArgument: --out {users} is the users file"),
    ]
    for source, out, expected in cases:
        done = _cli(_args(local, source, out, via=proxy.endpoint_url))
        assert done.returncode == 2, (expected, done.stderr)
        (line,) = done.stderr.splitlines()
        assert line.startswith(expected), line
    bad_pool = _cli(
        [*_args(local, users, tmp_path / "o.jsonl", via=proxy.endpoint_url), "--pool-id", "nounderscore"]
    )
    assert bad_pool.returncode == 2
    assert bad_pool.stderr.startswith("InvalidArgument: malformed user pool id")
    bad_url = _cli([*_args(local, users, tmp_path / "o.jsonl"), "--endpoint-url", "ftp://127.0.0.1/"])
    assert bad_url.returncode == 2
    assert bad_url.stderr == "InvalidArgument: endpoint_url must be an http(s) URL\n"
    assert proxy.count() == 0
    assert users.read_text(encoding="utf-8").endswith(f"user1,{PASSWORD}\n")  # never truncated


def test_a_new_output_file_is_private_and_a_full_disk_stops_the_run_in_one_line(
    local: tuple[ServerThread, str, str], tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    users.write_text(f"username,password\nuser1,{PASSWORD}\nuser2,{PASSWORD}\n", encoding="utf-8")
    out = tmp_path / "tokens.jsonl"
    done = _cli(_args(local, users, out, "--rate", "off"))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # every user's tokens

    full = _cli(_args(local, users, Path("/dev/full"), "--rate", "off"))
    assert full.returncode == 1
    lines = full.stderr.splitlines()
    assert lines[0] == "CannotWrite: /dev/full: No space left on device; the run was stopped", full.stderr
    assert _SUMMARY.match(lines[-1]), full.stderr
    assert "Traceback" not in full.stderr


def test_stdout_closed_early_is_one_line_not_a_traceback(
    local: tuple[ServerThread, str, str], tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    users.write_text(
        "username,password\n" + "".join(f"user{i % 8},{PASSWORD}\n" for i in range(40)), encoding="utf-8"
    )
    reader, writer = os.pipe()
    os.close(reader)  # nobody reads: the first line written gets EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "aiocognito", *_args(local, users, Path("-"), "--rate", "off")],
            stdout=writer,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=_env(),
            timeout=60,
            check=False,
        )
    finally:
        os.close(writer)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == "CannotWrite: stdout: Broken pipe; the run was stopped", done.stderr
    assert "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr


# --- Ctrl-C --------------------------------------------------------------------------------------------

CROWD = 300


@pytest.fixture(scope="module")
def crowd(local: tuple[ServerThread, str, str]) -> list[str]:
    """Many users of the local pool, so a run lasts long enough to be interrupted half-way."""
    thread, pool_id, _ = local
    names = [f"crowd{i:03d}" for i in range(CROWD)]
    for name in names:
        thread.run(thread.server.create_user(pool_id, name, PASSWORD))
    return names


def test_ctrl_c_cancels_the_sign_ins_writes_what_ended_and_exits_130(
    local: tuple[ServerThread, str, str], crowd: list[str], tmp_path: Path
) -> None:
    """SIGINT at random points of real runs: never a traceback, never a password attempt sent twice."""
    users = tmp_path / "users.csv"
    users.write_text("username,password\n" + "".join(f"{n},{PASSWORD}\n" for n in crowd), encoding="utf-8")
    rng = random.Random(130)
    deadline = time.monotonic() + 120
    trials = 10
    for trial in range(trials):
        assert time.monotonic() < deadline, f"only {trial} trials in time"
        # A proxy of its own per trial: a request the last run sent just before it died may still be read
        # by a handler thread of the old one, late on a loaded machine, and must not count here.
        proxy = CountingProxy(local[0].endpoint_url)
        out = tmp_path / f"tokens{trial}.jsonl"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiocognito",
                *_args(local, users, out, "--rate", "off", "--concurrency", "24", via=proxy.endpoint_url),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        try:
            # Mid-run: once some sign-ins reached the server (never while Python is still importing).
            wanted = rng.randint(1, 60)
            while proxy.count("InitiateAuth") < wanted and process.poll() is None:
                assert time.monotonic() < deadline, "the run did not start"
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.15))
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
            proxy.close()
        assert process.returncode == 130, stderr
        assert stdout == ""
        assert "Traceback" not in stderr
        lines = stderr.splitlines()
        assert lines[:-1] == ["Interrupted: the sign-ins in flight were cancelled"], stderr
        summary = _SUMMARY.match(lines[-1])
        assert summary, stderr
        written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert len(written) == int(summary.group(1)) + int(summary.group(2))
        assert all(set(line) == {"username", "AuthenticationResult"} for line in written)
        # Stopped half-way, and no password attempt (nor SRP answer) sent twice.
        attempts = [name for op, name in proxy.requests if op == "InitiateAuth"]
        assert len(written) <= len(attempts) < CROWD
        assert len(attempts) == len(set(attempts))
        answers = [name for op, name in proxy.requests if op == "RespondToAuthChallenge"]
        assert len(answers) == len(set(answers))
        assert {line["username"] for line in written} <= set(answers)


def test_the_default_rate_and_rate_off_sign_in_the_same_users(
    local: tuple[ServerThread, str, str], tmp_path: Path
) -> None:
    # The default rate groups the starts due within one grain; it changes when they start, not what ends.
    users = tmp_path / "users.csv"
    rows = [f"user{i},{PASSWORD if i % 3 else 'Wrong-passw0rd'}" for i in range(8)]
    users.write_text("username,password\n" + "\n".join(rows) + "\n", encoding="utf-8")
    outcomes = []
    for extra in ([], ["--rate", "off"]):
        out = tmp_path / f"tokens{len(extra)}.jsonl"
        done = _cli(_args(local, users, out, *extra))
        assert done.returncode == 1, done.stderr
        lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        outcomes.append(
            sorted(
                (line["username"], "AuthenticationResult" in line, line.get("error", {}).get("code"))
                for line in lines
            )
        )
        match = _SUMMARY.match(done.stderr.strip().splitlines()[-1])
        assert match, done.stderr
        assert (match.group(1), match.group(2)) == ("5", "3")
    assert outcomes[0] == outcomes[1]
    assert len(outcomes[0]) == 8


def test_the_progress_bar_on_a_terminal_is_redrawn_at_most_ten_times_a_second(
    local: tuple[ServerThread, str, str], tmp_path: Path
) -> None:
    import pty

    users = tmp_path / "users.csv"
    users.write_text(
        "username,password\n" + "".join(f"user{i},{PASSWORD}\n" for i in range(8)), encoding="utf-8"
    )
    out = tmp_path / "tokens.jsonl"
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "aiocognito", *_args(local, users, out, "--rate", "10")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=follower,
            env=_env(),
        )
        os.close(follower)
        follower = -1
        screen = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end closed: the run ended
                break
            if not chunk:
                break
            screen += chunk
        assert process.wait(timeout=30) == 0
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    text = screen.decode("utf-8", "replace")
    summary = text.rsplit("\r\x1b[K", 1)[-1].strip().splitlines()[-1]
    match = re.match(r"^8 signed in, 0 failed in ([0-9.]+) s", summary)
    assert match, text
    redraws = text.count("\r[")
    assert 1 <= redraws <= 10 * float(match.group(1)) + 3, text  # one timer, not one line per result
    assert "/8 " in text  # done/total
