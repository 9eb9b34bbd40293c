"""RedisTokenStore against a real redis-server on 127.0.0.1, started (and stopped) by these tests.

redis-server comes from the Debian package ``redis-server`` (``.ci/run`` installs it); the client from
the ``redis`` package (``aiocognito[redis]``). Without them these tests fail when ``CI`` is set, and are
skipped with the reason otherwise.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from aiocognito.core.flows import DeviceCredentials
from aiocognito.core.tokens import TokenSet
from aiocognito.token_store import (
    LockTimeoutError,
    RedisTokenStore,
    SessionRecord,
    StoreKey,
    TokenStoreError,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
KEY_A = b"0123456789abcdef0123456789abcdef"
POOL = "us-east-1_Abc123456"
CLIENT = "client123"
NOW = 1_700_000_000


# The same helpers as tests/unit/test_token_store.py (test modules do not import each other).


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _jwt(claims: dict[str, Any]) -> str:
    return f"{_b64({'alg': 'RS256', 'kid': 'k1'})}.{_b64(claims)}.c2lnbmF0dXJl"


def make_tokens(username: str = "alice", *, refresh: str | None = None) -> TokenSet:
    return TokenSet.from_result(
        {
            "IdToken": _jwt({"sub": f"sub-{username}", "cognito:username": username, "iat": NOW}),
            "AccessToken": _jwt(
                {"sub": f"sub-{username}", "username": username, "iat": NOW, "exp": NOW + 3600}
            ),
            "RefreshToken": refresh if refresh is not None else f"RT-SECRET-{username}",
        },
        now=NOW + 2.5,
    )


def make_record(username: str = "alice") -> SessionRecord:
    device = DeviceCredentials(f"us-east-1_dev-{username}", f"group-{username}", f"DP-SECRET-{username}")
    return SessionRecord(tokens=make_tokens(username), device=device)


def key(username: str = "alice", client: str = CLIENT) -> StoreKey:
    return StoreKey(POOL, client, username)


def check_no_interleaving(log: Path, peers: int, count: int) -> None:
    lines = log.read_text().splitlines()
    assert len(lines) == 2 * peers * count
    for start, end in zip(lines[::2], lines[1::2], strict=True):
        who = start.removeprefix("start ")
        assert start.startswith("start ") and end == f"end {who}", f"two holders at once: {lines}"


def _missing(what: str) -> None:
    message = f"{what}; the Redis token store tests need it"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{message} (CI is set, so this is an error: see .ci/run)", pytrace=False)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """redis://127.0.0.1:PORT/0 of a throwaway redis-server (no persistence), stopped after the module."""
    try:
        import redis  # noqa: F401
    except ImportError:
        _missing("the redis package is not installed (pip install 'aiocognito[redis]')")
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("redis-server is not on PATH (apt-get install redis-server)")
    assert binary is not None
    with tempfile.TemporaryDirectory() as workdir:
        for _ in range(3):  # the free port may be taken before redis binds it
            port = _free_port()
            log = Path(workdir, f"redis-{port}.log")
            with log.open("wb") as log_fh:
                proc = subprocess.Popen(
                    [
                        binary,
                        "--port",
                        str(port),
                        "--bind",
                        HOST,
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        workdir,
                    ],
                    stdout=log_fh,
                    stderr=subprocess.STDOUT,
                )
            deadline = time.monotonic() + 10
            while proc.poll() is None and time.monotonic() < deadline and not _ping(port):
                time.sleep(0.05)
            if proc.poll() is None and _ping(port):
                break
            _stop(proc)
        else:
            pytest.fail(f"redis-server did not answer PING: {log.read_text()[-2000:]}", pytrace=False)
        try:
            yield f"redis://{HOST}:{port}/0"
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    return f"t-{request.node.name}-{os.urandom(4).hex()}"


@pytest.fixture
async def store(redis_url: str, prefix: str) -> AsyncIterator[RedisTokenStore]:
    async with RedisTokenStore(redis_url, prefix=prefix, lock_timeout=5) as s:
        yield s


async def test_round_trip_listing_last_user_delete(store: RedisTokenStore) -> None:
    odd = "bob:/{x}% é"
    assert await store.get(key()) is None
    assert await store.last_user(POOL, CLIENT) is None
    await store.put(key(), make_record())
    await store.put(key(odd), make_record(odd))
    await store.put(key("carol", client="other"), make_record("carol"))
    assert await store.get(key()) == make_record()
    assert await store.get(key(odd)) == make_record(odd)
    assert await store.usernames(POOL, CLIENT) == ["alice", odd]
    assert await store.usernames(POOL, "other") == ["carol"]
    assert await store.last_user(POOL, CLIENT) == odd
    await store.delete(key(odd))
    assert await store.get(key(odd)) is None
    assert await store.last_user(POOL, CLIENT) is None
    await store.delete(key())
    assert await store.last_user(POOL, "other") == "carol"  # other clients untouched
    assert await store.usernames(POOL, CLIENT) == []
    await store.delete(key("nobody"))
    await store.put(key("dave"), make_record("dave"))
    await store.put(key("erin"), SessionRecord(tokens=None, device=make_record("erin").device))
    assert await store.last_user(POOL, CLIENT) == "dave"
    await store.put(key("dave"), SessionRecord(device=make_record("dave").device))  # signed out
    assert await store.last_user(POOL, CLIENT) is None
    assert await store.usernames(POOL, CLIENT) == ["dave", "erin"]


async def test_shared_between_store_objects(redis_url: str, prefix: str, store: RedisTokenStore) -> None:
    async with RedisTokenStore(redis_url, prefix=prefix) as other:
        await store.put(key(), make_record())
        assert await other.get(key()) == make_record()
        rotated = SessionRecord(tokens=make_tokens(refresh="RT-ROTATED"))
        await other.put(key(), rotated)
        assert await store.get(key()) == rotated
    async with RedisTokenStore(redis_url, prefix=prefix + "-x") as elsewhere:
        assert await elsewhere.get(key()) is None  # the prefix separates applications


async def test_encryption_at_rest(redis_url: str, prefix: str) -> None:
    import redis.asyncio

    client = redis.asyncio.from_url(redis_url)
    try:
        sealed = RedisTokenStore(client, prefix=prefix, encryption_key=KEY_A)
        await sealed.put(key(), make_record())
        await sealed.put(key("bob"), make_record("bob"))
        await sealed.aclose()  # does not close a client it was given
        names = [n async for n in client.scan_iter(match=f"{prefix}:rec:*")]
        values = [await client.get(n) for n in names]
        assert len(values) == 2
        assert all(b"RT-SECRET" not in v and b"DP-SECRET" not in v for v in values)
        assert await RedisTokenStore(client, prefix=prefix, encryption_key=KEY_A).get(key()) == make_record()
        with pytest.raises(TokenStoreError, match="cannot decrypt refresh_token: wrong encryption_key"):
            await RedisTokenStore(client, prefix=prefix, encryption_key=b"another key, 16+ bytes").get(key())
        with pytest.raises(TokenStoreError, match="no encryption_key"):
            await RedisTokenStore(client, prefix=prefix).get(key())
        # A sealed value copied to another user does not open.
        alice, bob = (n for n in sorted(names) if b"alice" in n), (n for n in sorted(names) if b"bob" in n)
        await client.set(next(bob), await client.get(next(alice)))
        with pytest.raises(TokenStoreError, match="bob: cannot decrypt"):
            await RedisTokenStore(client, prefix=prefix, encryption_key=KEY_A).get(key("bob"))
    finally:
        await client.aclose()


async def test_malformed_value_is_a_token_store_error(store: RedisTokenStore, redis_url: str) -> None:
    await store.put(key(), make_record())
    name = store._name("rec", key())
    for bad, needle in [
        (b"{nope", "is not JSON"),
        (json.dumps({"version": 9}).encode(), "not a version 1 record"),
        (json.dumps({"version": 1, "tokens": {"id_token": 5}}).encode(), "'id_token'"),
    ]:
        await store._redis.set(name, bad)
        with pytest.raises(TokenStoreError, match=needle):
            await store.get(key())


async def test_unreachable_server_is_a_token_store_error() -> None:
    url = f"redis://{HOST}:{_free_port()}/0"
    async with RedisTokenStore(url) as down:
        with pytest.raises(TokenStoreError, match=r"redis GET of .*alice failed: ConnectionError"):
            await down.get(key())
        assert "127.0.0.1" not in repr(down)


def test_repr_hides_the_url() -> None:
    store = RedisTokenStore("redis://user:s3cr3t-pass@127.0.0.1:1/0", encryption_key=KEY_A)
    assert repr(store) == "RedisTokenStore(prefix='aiocognito', encrypted=True)"
    assert "s3cr3t" not in repr(store)
    # Nothing connected yet; the owned client is closed by aclose (here, never opened).
    asyncio.run(store.aclose())


async def test_refresh_lock_single_flight_and_timeout(redis_url: str, prefix: str) -> None:
    async with (
        RedisTokenStore(redis_url, prefix=prefix, lock_timeout=5) as first,
        RedisTokenStore(redis_url, prefix=prefix, lock_timeout=0.2) as second,
    ):
        inside = peak = 0

        async def worker(s: RedisTokenStore) -> None:
            nonlocal inside, peak
            async with s.refresh_lock(key()):
                inside += 1
                peak = max(peak, inside)
                await asyncio.sleep(0.005)
                inside -= 1

        await asyncio.gather(*(worker(first) for _ in range(4)), *(worker(second) for _ in range(2)))
        assert peak == 1
        async with first.refresh_lock(key()):
            started = time.monotonic()
            with pytest.raises(LockTimeoutError, match=r"alice \(redis\)"):
                async with second.refresh_lock(key()):
                    pytest.fail("lock granted twice")
            assert time.monotonic() - started >= 0.19
            async with second.refresh_lock(key("bob")):
                pass
        async with second.refresh_lock(key()):  # released on exit
            pass
        assert await first._redis.exists(first._name("lock", key())) == 0


async def test_expired_lock_is_not_released_by_its_old_holder(
    redis_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with (
        RedisTokenStore(redis_url, prefix=prefix, lock_ttl=0.1) as crashed,
        RedisTokenStore(redis_url, prefix=prefix, lock_timeout=5, lock_ttl=30) as other,
    ):
        name = other._name("lock", key())
        taken, done = asyncio.Event(), asyncio.Event()

        async def take_over() -> None:
            async with other.refresh_lock(key()):
                taken.set()
                await done.wait()

        async with crashed.refresh_lock(key()):
            task = asyncio.create_task(take_over())
            await asyncio.wait_for(taken.wait(), 2)  # the lease ran out; another holder took the lock
            token = await other._redis.get(name)
        assert await other._redis.get(name) == token  # the old holder's release left it alone
        assert "expired before it was released" in caplog.text
        done.set()
        await task
        assert await other._redis.exists(name) == 0


LOCK_WORKER = """
import asyncio, os, sys, time
from pathlib import Path
from aiocognito.token_store import RedisTokenStore, StoreKey

async def main(url, prefix, me, count, barrier, peers, log):
    async with RedisTokenStore(url, prefix=prefix, lock_timeout=60) as store:
        Path(barrier, me).touch()
        deadline = time.monotonic() + 60
        while len(os.listdir(barrier)) < peers:
            assert time.monotonic() < deadline, "peers did not start"
            await asyncio.sleep(0.005)
        key = StoreKey("pool", "client", "shared")
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        for i in range(count):
            async with store.refresh_lock(key):
                os.write(fd, f"start {me}\\n".encode())
                await asyncio.sleep(0.003)
                os.write(fd, f"end {me}\\n".encode())
        os.close(fd)

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6]),
                 sys.argv[7]))
"""


def test_refresh_lock_single_flight_across_processes(redis_url: str, prefix: str, tmp_path: Path) -> None:
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    peers, count = 3, 15
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                LOCK_WORKER,
                redis_url,
                prefix,
                f"p{n}",
                str(count),
                str(barrier),
                str(peers),
                str(tmp_path / "log"),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in range(peers)
    ]
    try:
        for proc in procs:
            _out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()[-3000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    check_no_interleaving(tmp_path / "log", peers=peers, count=count)


async def test_thousands_of_users(store: RedisTokenStore) -> None:
    record = make_record()
    names = [f"user-{i:05d}" for i in range(2000)]
    await asyncio.gather(*(store.put(key(n), record) for n in names))
    assert await store.usernames(POOL, CLIENT) == names
    got = await asyncio.gather(*(store.get(key(n)) for n in names[::100]))
    assert all(g == record for g in got)


def test_missing_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(ImportError, match=r"aiocognito\[redis\]"):
        RedisTokenStore("redis://127.0.0.1:1/0")


async def test_hostile_record_or_username_is_a_token_store_error(store: RedisTokenStore) -> None:
    # Before: 10**400 raised OverflowError (math.isfinite), deep nesting RecursionError, a username member
    # that is not UTF-8 UnicodeDecodeError; NaN and a lone surrogate were read as values.
    await store.put(key(), make_record())
    name = store._name("rec", key())
    good = json.loads(await store._redis.get(name))
    huge = json.loads(json.dumps(good))
    huge["tokens"]["expires_at"] = 10**400
    for bad, needle in [
        (json.dumps(huge).encode(), "'expires_at'"),
        (b'{"version": 1, "tokens": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested deeper"),
        (b'{"version": 1, "tokens": null, "x": NaN}', "not finite"),
        (b'{"version": 1, "tokens": null, "x": "\\ud800"}', "surrogate"),
    ]:
        await store._redis.set(name, bad)
        with pytest.raises(TokenStoreError, match=needle):
            await store.get(key())
    await store._redis.sadd(store._client_name("users", POOL, CLIENT), b"\xff\xfe")
    with pytest.raises(TokenStoreError, match="not UTF-8"):
        await store.usernames(POOL, CLIENT)
