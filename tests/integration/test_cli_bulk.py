"""``aiocognito bulk-sign-in``, run as a real subprocess against a local user pool in a thread."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

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


def _cli(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true"}
    env.pop("AIOCOGNITO_ENDPOINT_URL", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "aiocognito", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _args(local: tuple[ServerThread, str, str], csv_path: Path, out: Path, *extra: str) -> list[str]:
    thread, pool_id, client_id = local
    return [
        "bulk-sign-in",
        str(csv_path),
        "--pool-id",
        pool_id,
        "--client-id",
        client_id,
        "--endpoint-url",
        thread.endpoint_url,
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
    assert done.returncode == 1
    assert "header 'username,password'" in done.stderr
    assert "Traceback" not in done.stderr


def test_usage_errors_and_help(local: tuple[ServerThread, str, str], tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text("username,password\n", encoding="utf-8")
    assert _cli(_args(local, users, tmp_path / "o", "--rate", "-3")).returncode == 2
    assert _cli(_args(local, users, tmp_path / "o", "--concurrency", "0")).returncode == 2
    missing = _cli(_args(local, tmp_path / "missing.csv", tmp_path / "o"))
    assert missing.returncode == 1
    assert "no such file" in missing.stderr
    top = _cli(["--help"])
    assert top.returncode == 0
    assert "bulk-sign-in" in top.stdout
    assert "sign-in" in top.stdout
    help_text = _cli(["bulk-sign-in", "--help"]).stdout
    assert "--concurrency" in help_text
    assert "--rate" in help_text
