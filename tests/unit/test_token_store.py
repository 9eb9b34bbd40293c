"""Token stores: the in-memory and file backends, records, encryption at rest, refresh locks.

The Redis backend runs against a real redis-server in tests/integration/test_token_store_redis.py.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import select
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from aiocognito.core.flows import DeviceCredentials
from aiocognito.core.tokens import TokenSet
from aiocognito.token_store import (
    FileTokenStore,
    LockTimeoutError,
    MemoryTokenStore,
    SessionRecord,
    StoreKey,
    TokenStoreError,
    TokenStoreWarning,
)

REPO = Path(__file__).resolve().parents[2]
POOL = "us-east-1_Abc123456"
CLIENT = "client123"
NOW = 1_700_000_000


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _jwt(claims: dict[str, Any]) -> str:
    return f"{_b64({'alg': 'RS256', 'kid': 'k1'})}.{_b64(claims)}.c2lnbmF0dXJl"


def make_tokens(username: str = "alice", *, refresh: str | None = None, now: int = NOW) -> TokenSet:
    return TokenSet.from_result(
        {
            "IdToken": _jwt({"sub": f"sub-{username}", "cognito:username": username, "iat": now}),
            "AccessToken": _jwt(
                {"sub": f"sub-{username}", "username": username, "iat": now, "exp": now + 3600}
            ),
            "RefreshToken": refresh if refresh is not None else f"RT-SECRET-{username}",
            "TokenType": "Bearer",
        },
        now=now + 2.5,
    )


def make_device(username: str = "alice") -> DeviceCredentials:
    return DeviceCredentials(
        device_key=f"us-east-1_dev-{username}",
        device_group_key=f"group-{username}",
        device_password=f"DP-SECRET-{username}",
    )


def make_record(username: str = "alice") -> SessionRecord:
    return SessionRecord(tokens=make_tokens(username), device=make_device(username))


def key(username: str = "alice", client: str = CLIENT) -> StoreKey:
    return StoreKey(POOL, client, username)


# --- values ------------------------------------------------------------------------------------------


def test_store_key_str_and_validation() -> None:
    assert str(StoreKey("p", "c", "a/b:c")) == "p/c/a/b:c"
    with pytest.raises(ValueError, match="username"):
        StoreKey("p", "c", "")
    with pytest.raises(TypeError, match="client_id"):
        StoreKey("p", 5, "u")  # type: ignore[arg-type]


def test_record_round_trip_re_decodes_claims() -> None:
    record = make_record()
    data = json.loads(json.dumps(record.to_dict()))
    back = SessionRecord.from_dict(data)
    assert back == record
    assert back.tokens is not None and record.tokens is not None
    assert back.tokens.username == "alice"
    assert back.tokens.sub == "sub-alice"
    assert back.tokens.refresh_token == "RT-SECRET-alice"
    assert back.tokens.clock_drift == 2.5
    assert back.tokens.access_claims == record.tokens.access_claims
    assert back.device == make_device()
    assert SessionRecord.from_dict({"tokens": None, "device": None}) == SessionRecord()


def _corrupt(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    data = make_record().to_dict()
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ([], "not a JSON object"),
        ({"tokens": "x"}, "'tokens' is not an object"),
        ({"device": 3}, "'device' is not an object"),
        (_corrupt(("tokens", "access_token"), "not-a-jwt"), "access_token: not a JWT"),
        (_corrupt(("tokens", "id_token"), None), "'id_token' is missing"),
        (_corrupt(("tokens", "expires_at"), "soon"), "'expires_at'"),
        (_corrupt(("tokens", "issued_at"), True), "'issued_at'"),
        (_corrupt(("tokens", "refresh_token"), 7), "'refresh_token'"),
        (_corrupt(("device", "device_password"), ""), "'device_password'"),
    ],
)
def test_malformed_record_is_a_token_store_error(data: Any, needle: str) -> None:
    with pytest.raises(TokenStoreError, match=needle) as info:
        SessionRecord.from_dict(data, where="record X")
    assert str(info.value).startswith("record X")
    assert "SECRET" not in str(info.value)


def test_reprs_never_show_secrets(tmp_path: Path) -> None:
    record = make_record()
    stores = [MemoryTokenStore(), FileTokenStore(tmp_path / "t.json", encryption_key=b"k" * 32)]
    for text in (repr(record), repr(record.tokens), repr(record.device), *map(repr, stores)):
        assert "SECRET" not in text
        assert record.tokens is not None
        assert record.tokens.access_token not in text
        assert record.tokens.id_token not in text
        assert "kkkk" not in text
    assert "device_key='us-east-1_dev-alice'" in repr(record)


# --- memory ------------------------------------------------------------------------------------------


async def test_memory_store_basics() -> None:
    async with MemoryTokenStore() as store:
        assert await store.get(key()) is None
        assert await store.last_user(POOL, CLIENT) is None
        record = make_record()
        await store.put(key(), record)
        assert await store.get(key()) is record  # the object itself: no copy on the hot path
        await store.put(key("bob"), make_record("bob"))
        await store.put(key("carol", client="other"), make_record("carol"))
        assert await store.usernames(POOL, CLIENT) == ["alice", "bob"]
        assert await store.usernames(POOL, "other") == ["carol"]
        assert await store.last_user(POOL, CLIENT) == "bob"
        await store.delete(key("bob"))
        assert await store.get(key("bob")) is None
        assert await store.last_user(POOL, CLIENT) is None
        assert await store.usernames(POOL, CLIENT) == ["alice"]
        await store.delete(key("nobody"))
        assert repr(store) == "MemoryTokenStore(users=2)"
        with pytest.raises(TypeError):
            await store.put(key(), make_tokens())  # type: ignore[arg-type]


async def test_memory_store_holds_thousands_of_users() -> None:
    store = MemoryTokenStore()
    record = make_record()
    names = [f"user-{i:05d}" for i in range(5000)]
    for name in names:
        await store.put(key(name), record)
    assert await store.usernames(POOL, CLIENT) == names
    started = time.perf_counter()
    for name in names:
        assert await store.get(key(name)) is record
    per_get = (time.perf_counter() - started) / len(names)
    assert per_get < 50e-6, f"{per_get * 1e6:.1f} us per get"
    # Locks are made on demand and dropped: none left after use, however many users refreshed.
    for name in names[:100]:
        async with store.refresh_lock(key(name)):
            pass
    assert not store._locks._entries


# --- refresh locks (shared behaviour) ----------------------------------------------------------------


async def _max_concurrency(store: Any, keys: list[StoreKey], per_key: int) -> dict[StoreKey, int]:
    inside: dict[StoreKey, int] = dict.fromkeys(keys, 0)
    peak: dict[StoreKey, int] = dict.fromkeys(keys, 0)

    async def worker(k: StoreKey) -> None:
        async with store.refresh_lock(k):
            inside[k] += 1
            peak[k] = max(peak[k], inside[k])
            await asyncio.sleep(0.002)
            inside[k] -= 1

    await asyncio.gather(*(worker(k) for k in keys for _ in range(per_key)))
    return peak


@pytest.fixture(params=["memory", "file"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    store: Any = MemoryTokenStore(lock_timeout=5) if request.param == "memory" else None
    if store is None:
        store = FileTokenStore(tmp_path / "tokens.json", lock_timeout=5)
    async with store:
        yield store


async def test_refresh_lock_is_single_flight_per_key(any_store: Any) -> None:
    keys = [key("alice"), key("bob")]
    peak = await _max_concurrency(any_store, keys, per_key=5)
    assert peak == dict.fromkeys(keys, 1)


async def test_refresh_lock_different_keys_do_not_wait(any_store: Any) -> None:
    async with any_store.refresh_lock(key("alice")):
        await asyncio.wait_for(_hold_briefly(any_store, key("bob")), 2)


async def test_refresh_lock_times_out_and_is_not_leaked(tmp_path: Path) -> None:
    store = MemoryTokenStore(lock_timeout=0.05)
    gate = asyncio.Event()

    async def holder() -> None:
        async with store.refresh_lock(key()):
            await gate.wait()

    task = asyncio.create_task(holder())
    await asyncio.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(LockTimeoutError, match="alice"):
        async with store.refresh_lock(key()):
            pytest.fail("lock granted while held")
    assert 0.04 <= time.monotonic() - started < 1.0
    # A waiter cancelled while queued leaves nothing behind either.
    waiter = asyncio.create_task(_hold_briefly(store, key()))
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.set()
    await task
    await asyncio.wait_for(_hold_briefly(store, key()), 1)
    assert not store._locks._entries


async def _hold_briefly(store: Any, k: StoreKey) -> None:
    async with store.refresh_lock(k):
        await asyncio.sleep(0)


async def test_file_refresh_lock_is_an_os_lock(tmp_path: Path) -> None:
    # Two store objects on one file share nothing in memory: only the flock can make the second wait.
    path = tmp_path / "tokens.json"
    first = FileTokenStore(path, lock_timeout=5)
    second = FileTokenStore(path, lock_timeout=0.1)
    async with first.refresh_lock(key()):
        with pytest.raises(LockTimeoutError, match=r"alice \(file "):
            async with second.refresh_lock(key()):
                pytest.fail("flock granted twice")
        async with second.refresh_lock(key("bob")):
            pass
    await asyncio.wait_for(_hold_briefly(second, key()), 1)
    lock_files = list((tmp_path / "tokens.json.locks").iterdir())
    assert len(lock_files) == 2
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in lock_files)


# --- file store --------------------------------------------------------------------------------------


async def test_file_store_round_trip_and_layout(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "tokens.json"
    async with FileTokenStore(path) as store:
        assert await store.get(key()) is None
        assert not path.exists()
        await store.put(key(), make_record())
        await store.put(key("bob:/{x}%"), make_record("bob:/{x}%"))
        await store.delete(key("nobody"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    doc = json.loads(path.read_text())
    assert doc["version"] == 1
    assert set(doc["users"][POOL][CLIENT]) == {"alice", "bob:/{x}%"}
    assert doc["last_user"] == {POOL: {CLIENT: "bob:/{x}%"}}
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]

    other = FileTokenStore(path)  # a fresh object reads the same file
    assert await other.get(key()) == make_record()
    assert await other.get(key("bob:/{x}%")) == make_record("bob:/{x}%")
    assert await other.usernames(POOL, CLIENT) == ["alice", "bob:/{x}%"]
    await other.delete(key("bob:/{x}%"))
    assert await other.last_user(POOL, CLIENT) is None
    await other.delete(key())
    assert json.loads(path.read_text()) == {"version": 1, "users": {}, "last_user": {}}


async def test_file_store_sees_writes_of_other_store_objects(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    reader, writer = FileTokenStore(path), FileTokenStore(path)
    assert await reader.get(key()) is None
    await writer.put(key(), make_record())
    assert await reader.get(key()) == make_record()
    new = SessionRecord(tokens=make_tokens(refresh="RT-ROTATED"), device=None)
    await writer.put(key(), new)
    assert await reader.get(key()) == new
    await writer.delete(key())
    assert await reader.get(key()) is None


async def test_file_store_get_on_unchanged_file_does_not_reread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tokens.json"
    await FileTokenStore(path).put(key(), make_record())
    old = time.time() - 10  # an old mtime: the cached copy may be trusted
    os.utime(path, (old, old))
    loads = 0
    original = FileTokenStore._load

    def counting(self: FileTokenStore) -> Any:
        nonlocal loads
        loads += 1
        return original(self)

    monkeypatch.setattr(FileTokenStore, "_load", counting)
    store = FileTokenStore(path)
    first = await store.get(key())
    for _ in range(5):
        assert await store.get(key()) is first
    assert loads == 1
    # Another process replaces the file: the next get sees it.
    await FileTokenStore(path).put(key(), make_record("alice2"))
    record = await store.get(key())
    assert record is not None and record.tokens is not None
    assert record.tokens.refresh_token == "RT-SECRET-alice2"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[]", "not a JSON object"),
        (b'{"version": 2, "users": {}, "last_user": {}}', "format version 2"),
        (b'{"version": 1, "users": [], "last_user": {}}', "'users' and 'last_user' must be objects"),
        (b'{"version": 1, "users": {"p": {"c": 5}}, "last_user": {}}', "pool 'p'"),
        (b"", "not JSON"),
    ],
)
async def test_corrupt_file_is_a_clear_error_and_left_untouched(
    tmp_path: Path, content: bytes, needle: str
) -> None:
    path = tmp_path / "tokens.json"
    path.write_bytes(content)
    path.chmod(0o600)
    store = FileTokenStore(path)
    for attempt in (store.get(key()), store.put(key(), make_record()), store.usernames(POOL, CLIENT)):
        with pytest.raises(TokenStoreError, match=needle) as info:
            await attempt
        assert str(path) in str(info.value)
        assert "left unchanged" in str(info.value)
    with pytest.raises(TokenStoreError):
        await store.delete(key())
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json", "tokens.json.lock"]


async def test_one_malformed_record_does_not_lose_the_others(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStore(path)
    await store.put(key(), make_record())
    doc = json.loads(path.read_text())
    doc["users"][POOL][CLIENT]["mallory"] = {"tokens": {"id_token": 1}}
    path.write_text(json.dumps(doc))
    store = FileTokenStore(path)
    with pytest.raises(TokenStoreError, match=r"user us-east-1_Abc123456/client123/mallory: 'id_token'"):
        await store.get(key("mallory"))
    assert await store.get(key()) == make_record()
    await store.put(key("bob"), make_record("bob"))
    assert json.loads(path.read_text())["users"][POOL][CLIENT]["mallory"] == {"tokens": {"id_token": 1}}


async def test_loose_permissions_warn_once_and_the_next_write_fixes_them(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    await FileTokenStore(path).put(key(), make_record())
    path.chmod(0o644)
    store = FileTokenStore(path)
    with pytest.warns(TokenStoreWarning, match=r"mode 0o44 beyond 0600"):
        await store.get(key())
    await store.get(key())  # once per store: filterwarnings=error would fail a second warning
    await store.put(key("bob"), make_record("bob"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_file_store_created_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        await FileTokenStore(tmp_path / "tokens.json").put(key(), make_record())
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "tokens.json").stat().st_mode) == 0o600


# --- encryption at rest ------------------------------------------------------------------------------

KEY_A = b"A" * 16 + os.urandom(16)
KEY_B = "a different key, long enough"


async def test_encryption_round_trip_and_nothing_secret_in_clear(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    await FileTokenStore(path, encryption_key=KEY_A).put(key(), make_record())
    text = path.read_text()
    assert "RT-SECRET" not in text
    assert "DP-SECRET" not in text
    stored = json.loads(text)["users"][POOL][CLIENT]["alice"]
    assert stored["tokens"]["refresh_token"].startswith("enc1:")
    assert stored["device"]["device_password"].startswith("enc1:")
    # id/access tokens stay plain (short-lived), so expiry is inspectable.
    assert stored["tokens"]["access_token"] == make_tokens().access_token
    # Two writes of the same secret give different ciphertexts (random nonce).
    await FileTokenStore(path, encryption_key=KEY_A).put(key(), make_record())
    again = json.loads(path.read_text())["users"][POOL][CLIENT]["alice"]
    assert again["tokens"]["refresh_token"] != stored["tokens"]["refresh_token"]
    assert await FileTokenStore(path, encryption_key=KEY_A).get(key()) == make_record()


async def test_wrong_key_or_no_key_is_a_token_store_error(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    await FileTokenStore(path, encryption_key=KEY_A).put(key(), make_record())
    with pytest.raises(TokenStoreError, match="cannot decrypt refresh_token: wrong encryption_key"):
        await FileTokenStore(path, encryption_key=KEY_B).get(key())
    with pytest.raises(TokenStoreError, match="encrypted, but the store has no encryption_key"):
        await FileTokenStore(path).get(key())


async def test_ciphertext_cannot_move_to_another_user(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStore(path, encryption_key=KEY_A)
    await store.put(key(), make_record())
    await store.put(key("bob"), make_record("bob"))
    doc = json.loads(path.read_text())
    users = doc["users"][POOL][CLIENT]
    users["bob"]["tokens"]["refresh_token"] = users["alice"]["tokens"]["refresh_token"]
    # ... nor to another field of the same user.
    users["alice"]["device"]["device_password"] = users["alice"]["tokens"]["refresh_token"]
    path.write_text(json.dumps(doc))
    fresh = FileTokenStore(path, encryption_key=KEY_A)
    with pytest.raises(TokenStoreError, match="bob: cannot decrypt refresh_token"):
        await fresh.get(key("bob"))
    with pytest.raises(TokenStoreError, match="alice: cannot decrypt device_password"):
        await fresh.get(key())


async def test_garbage_ciphertext_is_a_token_store_error(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    await FileTokenStore(path, encryption_key=KEY_A).put(key(), make_record())
    doc = json.loads(path.read_text())
    doc["users"][POOL][CLIENT]["alice"]["tokens"]["refresh_token"] = "enc1:%%%not base64"
    path.write_text(json.dumps(doc))
    with pytest.raises(TokenStoreError, match="cannot decrypt"):
        await FileTokenStore(path, encryption_key=KEY_A).get(key())


async def test_plain_file_is_readable_with_a_key_and_sealed_on_next_write(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    await FileTokenStore(path).put(key(), make_record())
    store = FileTokenStore(path, encryption_key=KEY_A)
    record = await store.get(key())
    assert record == make_record()
    assert record is not None
    await store.put(key(), record)
    assert "RT-SECRET" not in path.read_text()


def test_encryption_key_must_be_real_key_material(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        FileTokenStore(tmp_path / "t.json", encryption_key="hunter2")
    with pytest.raises(TypeError, match="bytes or str"):
        FileTokenStore(tmp_path / "t.json", encryption_key=12345678901234567890)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lock_timeout"):
        FileTokenStore(tmp_path / "t.json", lock_timeout=0)


# --- several processes -------------------------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import asyncio, os, sys, time
    from pathlib import Path
    from aiocognito.flows import DeviceCredentials
    from aiocognito.token_store import FileTokenStore, SessionRecord, StoreKey

    async def main(mode, path, me, count, barrier, peers, log):
        store = FileTokenStore(path, lock_timeout=60)
        Path(barrier, me).touch()
        deadline = time.monotonic() + 60
        while len(os.listdir(barrier)) < peers:  # start together, so the processes really contend
            assert time.monotonic() < deadline, "peers did not start"
            await asyncio.sleep(0.005)
        if mode == "write":
            for i in range(count):
                name = f"{me}-{i}"
                device = DeviceCredentials(f"dk-{name}", f"dg-{name}", f"dp-{name}")
                await store.put(StoreKey("pool", "client", name), SessionRecord(device=device))
        else:
            key = StoreKey("pool", "client", "shared")
            fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            for i in range(count):
                async with store.refresh_lock(key):
                    os.write(fd, f"start {me}\\n".encode())
                    await asyncio.sleep(0.003)
                    os.write(fd, f"end {me}\\n".encode())
            os.close(fd)
        await store.aclose()

    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5],
                     int(sys.argv[6]), sys.argv[7]))
    """
)


def run_workers(tmp_path: Path, mode: str, count: int, peers: int = 2) -> None:
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                mode,
                str(tmp_path / "tokens.json"),
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


def check_no_interleaving(log: Path, peers: int, count: int) -> None:
    lines = log.read_text().splitlines()
    assert len(lines) == 2 * peers * count
    for start, end in zip(lines[::2], lines[1::2], strict=True):
        who = start.removeprefix("start ")
        assert start.startswith("start ") and end == f"end {who}", f"two holders at once: {lines}"


def test_file_store_several_processes_lose_no_update(tmp_path: Path) -> None:
    run_workers(tmp_path, "write", count=40, peers=3)
    doc = json.loads((tmp_path / "tokens.json").read_text())
    names = set(doc["users"]["pool"]["client"])
    assert names == {f"p{n}-{i}" for n in range(3) for i in range(40)}
    assert doc["last_user"] == {}  # device-only records name no last user
    assert stat.S_IMODE((tmp_path / "tokens.json").stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_file_refresh_lock_is_single_flight_across_processes(tmp_path: Path) -> None:
    run_workers(tmp_path, "lock", count=25, peers=2)
    check_no_interleaving(tmp_path / "log", peers=2, count=25)


async def test_change_with_the_same_stat_signature_is_seen(tmp_path: Path) -> None:
    # File timestamps are coarse: a change right after a read can keep size, inode and mtime. A file read
    # within that window is not trusted from cache, so such a change is still seen.
    path = tmp_path / "tokens.json"
    await FileTokenStore(path).put(key(), make_record())
    reader = FileTokenStore(path)
    assert await reader.get(key()) == make_record()
    before = path.stat()
    with path.open("r+b") as fh:
        data = fh.read().replace(b"RT-SECRET-alice", b"RT-ROTATE-alice")
        fh.seek(0)
        fh.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )
    record = await reader.get(key())
    assert record is not None and record.tokens is not None
    assert record.tokens.refresh_token == "RT-ROTATE-alice"


async def test_last_user_follows_sign_in_and_sign_out(any_store: Any) -> None:
    # A record with tokens names the last user; one without (signed out, device kept) stops naming it.
    await any_store.put(key("alice"), make_record("alice"))
    await any_store.put(key("bob"), make_record("bob"))
    assert await any_store.last_user(POOL, CLIENT) == "bob"
    await any_store.put(key("alice"), SessionRecord(device=make_device("alice")))
    assert await any_store.last_user(POOL, CLIENT) == "bob"  # not alice's to clear
    await any_store.put(key("bob"), SessionRecord(device=make_device("bob")))
    assert await any_store.last_user(POOL, CLIENT) is None
    assert await any_store.usernames(POOL, CLIENT) == ["alice", "bob"]
    assert await any_store.get(key("bob")) == SessionRecord(device=make_device("bob"))


# --- writers killed half-way -------------------------------------------------------------------------

# A writer that stops for good between creating its temporary file and renaming it: os.replace is
# replaced in that process only, so the parent can SIGKILL it at exactly that point.
STUCK_WRITER = textwrap.dedent(
    """
    import asyncio, os, sys, time
    from aiocognito.flows import DeviceCredentials
    from aiocognito.token_store import FileTokenStore, SessionRecord, StoreKey

    def stuck(src, dst):
        print(src, flush=True)
        time.sleep(120)

    os.replace = stuck

    async def main(path):
        device = DeviceCredentials("dk-killed", "dg-killed", "DP-SECRET-killed")
        await FileTokenStore(path).put(StoreKey("pool", "client", "killed"), SessionRecord(device=device))

    asyncio.run(main(sys.argv[1]))
    """
)


def _temporaries(directory: Path, name: str) -> list[Path]:
    return sorted(
        p for p in directory.iterdir() if p.name.startswith(f".{name}.") and p.name.endswith(".tmp")
    )


async def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    await FileTokenStore(path).put(key(), make_record())
    before = path.read_bytes()
    # Names that only look like this file's temporaries, and another file's: never touched.
    others = [
        tmp_path / ".tokens.json.not-random.tmp",
        tmp_path / ".tokens.json.0123456789abcdef0.tmp",
        tmp_path / ".other.json.0123456789abcdef.tmp",
        tmp_path / "tokens.json.0123456789abcdef.tmp",
    ]
    for other in others:
        other.write_text("not ours")
    child = subprocess.Popen(
        [sys.executable, "-c", STUCK_WRITER, str(path)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        ready, _, _ = await asyncio.to_thread(select.select, [child.stdout], [], [], 30)
        assert ready, "the writer did not reach its rename"
        temporary = Path(child.stdout.readline().strip())
        assert temporary.parent == tmp_path
        assert re.fullmatch(r"\.tokens\.json\.[0-9a-f]{16}\.tmp", temporary.name), temporary.name
        assert stat.S_IMODE(temporary.stat().st_mode) == 0o600
        assert b"DP-SECRET-killed" in temporary.read_bytes()  # a copy of the tokens, until removed
        # While that writer lives it holds the write lock: no other writer can get in, so none can
        # remove the temporary file it is still filling.
        with pytest.raises(LockTimeoutError, match="write lock"):
            await FileTokenStore(path, lock_timeout=0.3).put(key("bob"), make_record("bob"))
        assert temporary.exists()
    finally:
        child.kill()
        await asyncio.to_thread(child.communicate, timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert temporary.exists()  # the leftover of a killed writer
    assert path.read_bytes() == before  # the file as it was before the killed write: never half-written

    store = FileTokenStore(path)
    await store.put(key("bob"), make_record("bob"))

    assert not temporary.exists()
    assert _temporaries(tmp_path, "tokens.json") == sorted(others[:2])
    assert all(other.read_text() == "not ours" for other in others)
    assert await FileTokenStore(path).get(key()) == make_record()
    assert await FileTokenStore(path).get(key("bob")) == make_record("bob")
    assert await FileTokenStore(path).get(StoreKey("pool", "client", "killed")) is None


async def test_a_write_that_changes_nothing_still_removes_leftovers(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    await FileTokenStore(path).put(key(), make_record())
    leftover = tmp_path / ".tokens.json.00112233445566ff.tmp"
    leftover.write_bytes(path.read_bytes())
    await FileTokenStore(path).delete(key("nobody"))  # nothing to change
    assert not leftover.exists()


# Forks a writer that never stops, SIGKILLs it at a random moment, and checks the file: a single process
# forking (no threads of its own before the last write) keeps 150 kills within a few seconds.
KILLER = textwrap.dedent(
    """
    import asyncio, json, os, random, signal, sys, time
    from aiocognito.flows import DeviceCredentials
    from aiocognito.token_store import FileTokenStore, SessionRecord, StoreKey

    path, kills, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    directory, name = os.path.dirname(path), os.path.basename(path)

    def temporaries():
        return [n for n in os.listdir(directory) if n.startswith(f".{name}.") and n.endswith(".tmp")]

    def record(gen, i):
        return SessionRecord(device=DeviceCredentials(f"dk-{gen}-{i}", "dg", f"DP-{gen}-{i}"))

    async def write_forever(gen):
        store = FileTokenStore(path)
        i = 0
        while True:
            await store.put(StoreKey("pool", "client", f"user{i % 20}"), record(gen, i))
            i += 1

    def check():
        if not os.path.exists(path):
            return 0
        with open(path, "rb") as fh:
            doc = json.loads(fh.read())
        assert doc["version"] == 1, doc
        users = doc["users"].get("pool", {}).get("client", {})
        for raw in users.values():
            SessionRecord.from_dict(raw)
        return len(users)

    rng = random.Random(seed)
    left = 0
    for gen in range(kills):
        pid = os.fork()
        if pid == 0:
            try:
                asyncio.run(write_forever(gen))
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.002, 0.03))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status), status
        found = temporaries()
        # Each writer removes the leftovers before it makes its own: never more than one.
        assert len(found) <= 1, found
        left += len(found)
        check()
    asyncio.run(FileTokenStore(path).put(StoreKey("pool", "client", "last"), record("last", 0)))
    assert temporaries() == [], temporaries()
    print(json.dumps({"kills": kills, "left_behind": left, "users": check()}))
    """
)


def test_sigkilled_writers_never_corrupt_the_file_and_leave_no_temporary_behind(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILLER, str(tmp_path / "tokens.json"), "150", "11"],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["kills"] == 150
    assert summary["users"] >= 1
    assert summary["left_behind"] >= 1  # the kills did land between a temporary file and its rename
    assert _temporaries(tmp_path, "tokens.json") == []
