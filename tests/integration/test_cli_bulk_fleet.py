"""``aiocognito bulk-sign-in --shard K/N --redis``: N real subprocesses share one file and one rate.

Counts are taken at the local user pool (in a thread): each sign-in that succeeds leaves one refresh-token
record there, with the user and the second it was issued.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from servers import RedisServer, free_port  # tests/ is on sys.path (see conftest.py)

import aiocognito
from aiocognito.testing import LocalUserPool, ServerThread

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
REDIS_PASSWORD = "Fleet-Redis-S3cret"
_PACKAGE_ROOT = str(Path(aiocognito.__file__).resolve().parent.parent)
_SHARD_SUMMARY = re.compile(
    r"^shard (\d+)/(\d+): (\d+) signed in, (\d+) failed in [0-9.]+ s \([0-9.]+/s\); "
    r"(\d+) of the (\d+) rows are this shard's(; .*)?$"
)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("redis-server is not on PATH (see .ci/run)", pytrace=False)
        pytest.skip("redis-server is not on PATH (apt-get install redis-server)")
    assert binary is not None
    with (
        tempfile.TemporaryDirectory() as workdir,
        RedisServer(binary, Path(workdir), password=REDIS_PASSWORD) as server,
    ):
        yield server


@pytest.fixture
def local() -> Iterator[tuple[ServerThread, str, str]]:
    """A fresh pool per test, so the refresh tokens it holds are this test's sign-ins."""
    thread = LocalUserPool.start_in_thread(shared_signing_key=True)
    try:
        server = thread.server
        pool_id = thread.run(server.create_pool())
        client = thread.run(server.create_client(pool_id))
        for i in range(30):
            thread.run(server.create_user(pool_id, f"user{i}", PASSWORD))
        yield thread, pool_id, client.client_id
    finally:
        thread.stop()


def _signed_in_at_the_pool(local: tuple[ServerThread, str, str]) -> list[tuple[str, int]]:
    """(username, issued at, in whole seconds) of every sign-in the pool answered with tokens."""
    thread, pool_id, _ = local

    async def read() -> list[tuple[str, int]]:
        return [(r.username, r.auth_time) for r in thread.server.store.pool(pool_id).refresh_tokens.values()]

    return thread.run(read())


def _env(redis_url: str | None) -> dict[str, str]:
    env = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true"}
    env.pop("AIOCOGNITO_ENDPOINT_URL", None)
    env.pop("AIOCOGNITO_REDIS_URL", None)
    if redis_url is not None:
        env["AIOCOGNITO_REDIS_URL"] = redis_url
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return env


def _command(local: tuple[ServerThread, str, str], users: Path, out: Path, *extra: str) -> list[str]:
    thread, pool_id, client_id = local
    return [
        sys.executable,
        "-m",
        "aiocognito",
        "bulk-sign-in",
        str(users),
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


def _cli(command: Sequence[str], redis_url: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=_env(redis_url),
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _users_file(tmp_path: Path, count: int, *, bad_line: int | None = None) -> Path:
    rows = [f"user{i},{PASSWORD}" for i in range(count)]
    if bad_line is not None:
        rows[bad_line - 2] = "user-without-a-password"
    path = tmp_path / "users.csv"
    path.write_text("username,password\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_n_shards_cover_every_row_once_and_share_one_rate(
    local: tuple[ServerThread, str, str], redis_server: RedisServer, tmp_path: Path
) -> None:
    users = _users_file(tmp_path, 30)
    shards = 3
    rate = 10
    processes = [
        subprocess.Popen(
            _command(
                local, users, tmp_path / f"out-{k}.jsonl", "--shard", f"{k}/{shards}", "--rate", str(rate)
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(redis_server.url),
        )
        for k in range(1, shards + 1)
    ]
    summaries = []
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        summaries.append(err.strip().splitlines()[-1])
    # Each shard reports on its own part.
    for k, summary in enumerate(summaries, 1):
        match = _SHARD_SUMMARY.match(summary)
        assert match, summary
        assert match.group(1, 2) == (str(k), str(shards))
        assert match.group(3, 4, 5, 6) == ("10", "0", "10", "30")
        assert summary.endswith(f"; {rate}/s shared through Redis as 'bulk-sign-in:{local[1]}:{local[2]}'")
        assert REDIS_PASSWORD not in summary
    # Every row exactly once, counted at the pool; each shard took the rows with index % N == K - 1.
    at_pool = _signed_in_at_the_pool(local)
    assert collections.Counter(user for user, _ in at_pool) == {f"user{i}": 1 for i in range(30)}
    for k in range(1, shards + 1):
        lines = [json.loads(line) for line in (tmp_path / f"out-{k}.jsonl").read_text().splitlines()]
        assert sorted(line["username"] for line in lines) == sorted(
            f"user{i}" for i in range(k - 1, 30, shards)
        )
    # One shared rate, not three: 30 sign-ins at 10/s (a burst of 1) take 2.9 s or more, so the pool
    # issued them over at least 3 distinct seconds; three runs at 10/s each would take about one.
    issued = [second for _, second in at_pool]
    assert max(issued) - min(issued) >= 2


def test_the_whole_file_is_checked_before_any_shard_sends(
    local: tuple[ServerThread, str, str], redis_server: RedisServer, tmp_path: Path
) -> None:
    users = _users_file(tmp_path, 9, bad_line=9)  # row index 7: shard 2/3's, not shard 1/3's
    done = _cli(_command(local, users, tmp_path / "out.jsonl", "--shard", "1/3"), redis_server.url)
    assert done.returncode == 2, done.stderr
    assert "has 1 bad row, nothing was sent: line 9: no password" in done.stderr
    assert _signed_in_at_the_pool(local) == []


def test_usage_errors(
    local: tuple[ServerThread, str, str], redis_server: RedisServer, tmp_path: Path
) -> None:
    users = _users_file(tmp_path, 3)
    out = tmp_path / "out.jsonl"
    for value in ("0/3", "4/3", "1/0", "a/b", "3", "1/3/5", "-1/3"):
        done = _cli(_command(local, users, out, f"--shard={value}"))
        assert done.returncode == 2, value
        assert "--shard: must be K/N with 1 <= K <= N" in done.stderr, done.stderr
    for extra, message in [
        (["--fallback-rate", "5"], "--fallback-rate needs --redis (or $AIOCOGNITO_REDIS_URL)"),
        (["--limiter-name", "x"], "--limiter-name needs --redis (or $AIOCOGNITO_REDIS_URL)"),
        (["--redis", "http://127.0.0.1:6379"], "InvalidArgument: --redis: redis must be a redis://"),
        (["--redis", redis_server.url, "--rate", "off"], "--redis shares a rate: give --rate R, not 'off'"),
        (["--redis", f"redis://:{REDIS_PASSWORD}@127.0.0.1:port/0"], "malformed Redis URL (not shown"),
    ]:
        done = _cli(_command(local, users, out, *extra))
        assert done.returncode == 2, (extra, done.stderr)
        assert message in done.stderr, done.stderr
        assert REDIS_PASSWORD not in done.stderr
    assert _signed_in_at_the_pool(local) == []
    # A shard without Redis runs at its own --rate (the file's other rows are another run's).
    done = _cli(_command(local, users, out, "--shard", "2/2", "--rate", "off"))
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().startswith("shard 2/2: 1 signed in, 0 failed in ")
    assert [user for user, _ in _signed_in_at_the_pool(local)] == ["user1"]


def test_redis_down_stops_the_run_before_a_sign_in_and_never_shows_the_password(
    local: tuple[ServerThread, str, str], tmp_path: Path
) -> None:
    users = _users_file(tmp_path, 5)
    dead = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{free_port()}/0"
    done = _cli(_command(local, users, tmp_path / "out.jsonl", "--shard", "1/1"), dead)
    assert done.returncode == 1, done.stderr
    assert "RateLimiterError: rate limiter 'bulk-sign-in:" in done.stderr
    assert "Redis did not answer (ConnectionError" in done.stderr
    assert "0 signed in, 0 failed" in done.stderr
    assert "Traceback" not in done.stderr and REDIS_PASSWORD not in done.stderr
    assert _signed_in_at_the_pool(local) == []


def test_redis_down_with_a_fallback_rate_goes_on_at_that_rate(
    local: tuple[ServerThread, str, str], tmp_path: Path
) -> None:
    users = _users_file(tmp_path, 5)
    dead = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{free_port()}/0"
    done = _cli(_command(local, users, tmp_path / "out.jsonl", "--fallback-rate", "50"), dead)
    assert done.returncode == 0, done.stderr
    assert "Redis did not answer" in done.stderr and "50/s for this process until it does" in done.stderr
    assert "5 signed in, 0 failed" in done.stderr
    assert "(Redis stopped answering once: this run went on at 50/s)" in done.stderr
    assert REDIS_PASSWORD not in done.stderr
    assert len(_signed_in_at_the_pool(local)) == 5
