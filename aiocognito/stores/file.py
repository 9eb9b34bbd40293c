"""Token stores: where users' tokens and remembered devices are kept, per pool, app client and user.

Three backends implement the :class:`TokenStore` protocol:

- :class:`MemoryTokenStore` (the default): a dict in this process. ``get`` hands back the stored
  :class:`SessionRecord` object itself, so a cache hit costs a dict lookup.
- :class:`FileTokenStore`: one JSON file for all users, rewritten atomically (temporary file with mode
  0600, ``fsync``, ``os.replace``) under an OS file lock, so several processes can share it.
- :class:`RedisTokenStore`: ``redis.asyncio`` (the ``aiocognito[redis]`` extra), shared by processes
  and machines.

Each store also gives a per-user *refresh lock*: the single-flight guard of token refreshes across the
store's scope (this process; every process using the file; every client of the Redis server). The
refresher re-reads the record once it holds the lock, since another holder may have refreshed already::

    async with store.refresh_lock(key):
        record = await store.get(key)
        if record is None or needs_refresh(record):
            record = await refresh(record)
            await store.put(key, record)

Reading never takes the lock: the hot path (token still fresh) is a plain ``get``.

Encryption at rest (file and Redis stores, when ``encryption_key`` is given): the refresh token and the
device password are sealed with AES-256-GCM under a key derived with HKDF-SHA256 from the key material,
a random 96-bit nonce each time, and the user's key (pool, client, username, field) as associated data,
so a sealed value cannot be moved to another user or field. The id and access tokens stay in clear:
they expire within an hour or so, and a reader of the store who holds them gains no more than the
holder of any bearer token for that long, while keeping them plain lets tools inspect expiry.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib
import json
import logging
import os
import secrets
import stat
import sys
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast
from urllib.parse import quote

from ..core import safe_json as _json
from ..core.checks import MAX_EPOCH_SECONDS, is_epoch_seconds, text_problem
from ..core.flows import DeviceCredentials
from ..core.tokens import TokenSet, decode_claims
from ..errors import CognitoError, ProtocolError

__all__ = [
    "FileTokenStore",
    "LockTimeoutError",
    "MemoryTokenStore",
    "RedisTokenStore",
    "SessionRecord",
    "StoreKey",
    "TokenStore",
    "TokenStoreError",
    "TokenStoreWarning",
]

_log = logging.getLogger("aiocognito")

_FORMAT_VERSION = 1
_ENC_PREFIX = "enc1:"
_HKDF_INFO = b"aiocognito token store encryption v1"
_NONCE_BYTES = 12
_MIN_KEY_BYTES = 16
#: Arrays and objects the token file may hold: a user takes three (record, tokens, device), so about
#: 300,000 users; far past the size where rewriting the whole file at each write is any good.
_FILE_MAX_CONTAINERS = 1_000_000
#: File timestamps come from a coarse kernel clock (a few ms). A file read less than this long after its
#: last change may change again with the same mtime, so its cached content is not trusted ("racy git").
_RACY_NS = 100_000_000


# --- errors ------------------------------------------------------------------------------------------


class TokenStoreError(CognitoError):
    """A token store could not read or write: a corrupt file, a wrong encryption key, a Redis error.

    The message names the file or the user; it never holds a token or a password.
    """


class LockTimeoutError(TokenStoreError):
    """A refresh lock (or the token file's write lock) was not free within the store's ``lock_timeout``."""

    retryable = True


class TokenStoreWarning(UserWarning):
    """Something about a token store is unsafe but still works (a token file others can read)."""


# --- values ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoreKey:
    """Which user a record belongs to: user pool id, app client id and username.

    ``str(key)`` is ``"pool_id/client_id/username"``, for messages; stores never parse it back (a
    username may hold any character).

    Raises:
        TypeError: a part is not a string.
        ValueError: a part is empty.
    """

    pool_id: str
    client_id: str
    username: str

    def __post_init__(self) -> None:
        for name in ("pool_id", "client_id", "username"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"StoreKey.{name} must be a str, not {type(value).__name__}")
            if not value:
                raise ValueError(f"StoreKey.{name} must not be empty")

    def __str__(self) -> str:
        return f"{self.pool_id}/{self.client_id}/{self.username}"

    def _associated_data(self, field_name: str) -> bytes:
        # A JSON list, not str(self): "a/b" + "c" and "a" + "b/c" must not give the same bytes.
        return json.dumps([self.pool_id, self.client_id, self.username, field_name]).encode()


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """What a store keeps for one user: the tokens and the remembered device, each possibly absent.

    ``to_dict``/``from_dict`` give and read the JSON form the file and Redis stores write.
    """

    tokens: TokenSet | None = None
    device: DeviceCredentials | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, secrets in clear (the stores seal them when they have a key)."""
        tokens: dict[str, Any] | None = None
        if self.tokens is not None:
            t = self.tokens
            tokens = {
                "id_token": t.id_token,
                "access_token": t.access_token,
                "refresh_token": t.refresh_token,
                "expires_at": t.expires_at,
                "issued_at": t.issued_at,
                "clock_drift": t.clock_drift,
                "token_type": t.token_type,
            }
        device: dict[str, Any] | None = None
        if self.device is not None:
            device = {
                "device_key": self.device.device_key,
                "device_group_key": self.device.device_group_key,
                "device_password": self.device.device_password,
            }
        return {"tokens": tokens, "device": device}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "session record") -> SessionRecord:
        """Read the JSON form back; token claims are decoded again from the JWTs. Unknown keys are ignored.

        Raises:
            TokenStoreError: the data is not a well-formed record; ``where`` starts the message.
        """
        if not isinstance(data, Mapping):
            raise TokenStoreError(f"{where}: not a JSON object")
        tokens = _tokens_from(data.get("tokens"), where)
        device = _device_from(data.get("device"), where)
        return cls(tokens=tokens, device=device)


def _tokens_from(raw: Any, where: str) -> TokenSet | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise TokenStoreError(f"{where}: 'tokens' is not an object")
    # An empty id token is a machine-to-machine token set (client credentials give no id token).
    id_token = "" if raw.get("id_token") == "" else _string(raw, "id_token", where)
    access_token = _string(raw, "access_token", where)
    refresh_token = raw.get("refresh_token")
    if refresh_token is not None and text_problem(refresh_token, _MAX_STORED_CHARS, allow_empty=True):
        raise TokenStoreError(f"{where}: 'refresh_token' is not a string")
    try:
        id_claims = decode_claims(id_token, name="id_token") if id_token else {}
        access_claims = decode_claims(access_token, name="access_token")
    except ProtocolError as exc:
        raise TokenStoreError(f"{where}: {exc}") from None
    token_type = raw.get("token_type", "Bearer")
    if text_problem(token_type, _MAX_STORED_CHARS):
        raise TokenStoreError(f"{where}: 'token_type' is not a string")
    # Times as TokenSet holds them: epoch seconds (fractions allowed: a TokenSet may be built by hand);
    # anything else would raise in seconds_left(), is_valid() or the next to_dict() instead of here.
    expires_at = _number(raw, "expires_at", where)
    issued_at = _number(raw, "issued_at", where)
    if not (is_epoch_seconds(expires_at, fractions=True) and is_epoch_seconds(issued_at, fractions=True)):
        raise TokenStoreError(
            f"{where}: 'expires_at' or 'issued_at' is not epoch seconds up to the year 3000"
        )
    return TokenSet(
        id_token=id_token,
        access_token=access_token,
        refresh_token=refresh_token,
        expires_at=expires_at,
        issued_at=issued_at,
        clock_drift=_number(raw, "clock_drift", where, default=0.0),
        token_type=token_type,
        id_claims=id_claims,
        access_claims=access_claims,
    )


def _device_from(raw: Any, where: str) -> DeviceCredentials | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise TokenStoreError(f"{where}: 'device' is not an object")
    return DeviceCredentials(
        device_key=_string(raw, "device_key", where),
        device_group_key=_string(raw, "device_group_key", where),
        device_password=_string(raw, "device_password", where),
    )


# Longest string read from a record: tokens (an id token holds all its user's attributes) and keys.
_MAX_STORED_CHARS = 262_144


def _string(raw: Mapping[str, Any], name: str, where: str) -> str:
    value: Any = raw.get(name)
    why = text_problem(value, _MAX_STORED_CHARS)
    if why is not None:
        raise TokenStoreError(f"{where}: {name!r} is {why}")
    return cast(str, value)  # checked above


def _number(raw: Mapping[str, Any], name: str, where: str, default: float | None = None) -> float:
    """A finite number within +-MAX_EPOCH_SECONDS: a time, or the clock drift (now - iat) of a set."""
    value = raw.get(name, default)
    # Compared before any float(): math.isfinite(10**400) itself raises OverflowError.
    if (
        type(value) not in (int, float)
        or not -MAX_EPOCH_SECONDS <= value <= MAX_EPOCH_SECONDS  # false for NaN
    ):
        raise TokenStoreError(f"{where}: {name!r} is missing or not a number")
    return cast(float, value)  # checked above


# --- encryption at rest ------------------------------------------------------------------------------

#: The fields sealed at rest, as (section of the record's JSON form, field).
_SEALED_FIELDS = (("tokens", "refresh_token"), ("device", "device_password"))


class _Codec:
    """A record to and from its stored JSON form, sealing the secret fields when a key was given."""

    __slots__ = ("_aead",)

    def __init__(self, key_material: bytes | str | None) -> None:
        self._aead: Any = None
        if key_material is None:
            return
        if isinstance(key_material, str):
            key_material = key_material.encode()
        if not isinstance(key_material, bytes):
            raise TypeError(f"encryption_key must be bytes or str, not {type(key_material).__name__}")
        if len(key_material) < _MIN_KEY_BYTES:
            raise ValueError(
                f"encryption_key must hold at least {_MIN_KEY_BYTES} bytes of random key material "
                "(for instance secrets.token_bytes(32)), not a password"
            )
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(key_material)
        self._aead = AESGCM(derived)

    @property
    def encrypted(self) -> bool:
        return self._aead is not None

    def dump(self, key: StoreKey, record: SessionRecord) -> dict[str, Any]:
        data = record.to_dict()
        if self._aead is not None:
            for section_name, name in _SEALED_FIELDS:
                section = data[section_name]
                if section is not None and section[name] is not None:
                    section[name] = self._seal(section[name], key._associated_data(name))
        return data

    def load(self, key: StoreKey, data: Any, where: str) -> SessionRecord:
        if not isinstance(data, Mapping):
            raise TokenStoreError(f"{where}: not a JSON object")
        opened = dict(data)
        for section_name, name in _SEALED_FIELDS:
            section = opened.get(section_name)
            if isinstance(section, Mapping) and isinstance(section.get(name), str):
                value: str = section[name]
                if value.startswith(_ENC_PREFIX):
                    opened[section_name] = {**section, name: self._open(value, key, name, where)}
                # A clear value is accepted even with a key: a store written before encryption was on.
                # The next put seals it.
        return SessionRecord.from_dict(opened, where=where)

    def _seal(self, plaintext: str, associated_data: bytes) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), associated_data)
        return _ENC_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def _open(self, value: str, key: StoreKey, name: str, where: str) -> str:
        if self._aead is None:
            raise TokenStoreError(f"{where}: {name} is encrypted, but the store has no encryption_key")
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.urlsafe_b64decode(value[len(_ENC_PREFIX) :].encode("ascii"))
            plaintext: bytes = self._aead.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], key._associated_data(name)
            )
            return plaintext.decode()
        except (InvalidTag, ValueError):
            raise TokenStoreError(
                f"{where}: cannot decrypt {name}: wrong encryption_key, or the value was copied "
                "from another user"
            ) from None


# --- the protocol ------------------------------------------------------------------------------------


class TokenStore(Protocol):
    """Where a :class:`~aiocognito.UserPool` keeps its users' sessions.

    A store is used from one event loop. Implementations raise :class:`TokenStoreError` (or a subclass)
    for anything a user may meet at run time: unreadable data, a wrong key, a lock wait that timed out.
    """

    async def get(self, key: StoreKey) -> SessionRecord | None:
        """The record of ``key``, or ``None``."""
        ...

    async def put(self, key: StoreKey, record: SessionRecord) -> None:
        """Store ``record`` for ``key``, replacing any earlier one.

        A record with tokens makes ``key.username`` the client's last user; a record without tokens (signed
        out, device kept) stops it being the last user, as ``signOut`` clears ``LastAuthUser`` in
        amazon-cognito-identity-js.
        """
        ...

    async def delete(self, key: StoreKey) -> None:
        """Forget ``key`` (and stop naming it the last user); nothing happens if it is unknown."""
        ...

    async def usernames(self, pool_id: str, client_id: str) -> list[str]:
        """The usernames stored for an app client, sorted."""
        ...

    async def last_user(self, pool_id: str, client_id: str) -> str | None:
        """The username last stored for an app client (``LastAuthUser`` of amazon-cognito-identity-js)."""
        ...

    def refresh_lock(self, key: StoreKey) -> AbstractAsyncContextManager[None]:
        """Hold the single-flight refresh lock of ``key`` across the store's scope.

        Raises:
            LockTimeoutError: the lock was not free within the store's ``lock_timeout``.
        """
        ...

    async def aclose(self) -> None:
        """Release what the store holds (connections); the store is not used afterwards."""
        ...


_S = TypeVar("_S", bound="_StoreBase")


class _StoreBase:
    """``async with`` support; ``aclose`` does nothing unless a store holds resources."""

    __slots__ = ()

    async def aclose(self) -> None:
        return None

    async def __aenter__(self: _S) -> _S:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _check_timeout(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)


# --- in-process per-key locks ------------------------------------------------------------------------


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class _KeyedLocks:
    """One ``asyncio.Lock`` per key, dropped when nobody holds or waits for it (thousands of users)."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: dict[StoreKey, _Entry] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: StoreKey, deadline: float, timeout: float) -> AsyncIterator[None]:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
        entry.users += 1
        try:
            await _acquire_by(entry.lock, deadline, f"refresh lock of {key} (held in this process)", timeout)
            try:
                yield
            finally:
                entry.lock.release()
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[key]


async def _acquire_by(lock: asyncio.Lock, deadline: float, what: str, timeout: float) -> None:
    """``lock.acquire()`` bounded by a loop-time deadline; never leaves the lock taken on failure.

    ``asyncio.wait_for(lock.acquire(), t)`` can, before Python 3.12, time out after the lock was granted
    and leave it held forever; waiting on a task and releasing a late grant avoids that.
    """
    if not lock.locked():
        await lock.acquire()  # free: returns without suspending
        return
    loop = asyncio.get_running_loop()
    task = loop.create_task(lock.acquire())
    try:
        done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - loop.time()))
    except BaseException:
        _abandon(task, lock)
        raise
    if not done:
        _abandon(task, lock)
        raise LockTimeoutError(f"{what} was not free within {timeout:g}s")


def _abandon(task: asyncio.Task[bool], lock: asyncio.Lock) -> None:
    def release_if_granted(t: asyncio.Task[bool]) -> None:
        if not t.cancelled() and t.exception() is None:
            lock.release()

    if not task.done():
        task.cancel()
    task.add_done_callback(release_if_granted)


# --- memory ------------------------------------------------------------------------------------------


class MemoryTokenStore(_StoreBase):
    """Records in a dict of this process: the default store, gone when the process ends.

    ``get`` returns the very object ``put`` was given (records are frozen), so reading costs a dict
    lookup. Thousands of users fit; the refresh lock is an ``asyncio.Lock`` per user, kept only while
    someone holds or waits for it.

    Args:
        lock_timeout: seconds a refresh lock is waited for.

    Raises:
        ValueError: ``lock_timeout`` is not a positive number.
    """

    __slots__ = ("_by_client", "_last", "_lock_timeout", "_locks", "_records")

    def __init__(self, *, lock_timeout: float = 30.0) -> None:
        self._lock_timeout = _check_timeout("lock_timeout", lock_timeout)
        self._records: dict[StoreKey, SessionRecord] = {}
        self._by_client: dict[tuple[str, str], dict[str, None]] = {}
        self._last: dict[tuple[str, str], str] = {}
        self._locks = _KeyedLocks()

    def __repr__(self) -> str:
        return f"MemoryTokenStore(users={len(self._records)})"

    async def get(self, key: StoreKey) -> SessionRecord | None:
        return self._records.get(key)

    async def put(self, key: StoreKey, record: SessionRecord) -> None:
        if not isinstance(record, SessionRecord):
            raise TypeError(f"record must be a SessionRecord, not {type(record).__name__}")
        self._records[key] = record
        client = (key.pool_id, key.client_id)
        self._by_client.setdefault(client, {})[key.username] = None
        if record.tokens is not None:
            self._last[client] = key.username
        elif self._last.get(client) == key.username:
            del self._last[client]

    async def delete(self, key: StoreKey) -> None:
        if self._records.pop(key, None) is None:
            return
        client = (key.pool_id, key.client_id)
        names = self._by_client.get(client)
        if names is not None:
            names.pop(key.username, None)
            if not names:
                del self._by_client[client]
        if self._last.get(client) == key.username:
            del self._last[client]

    async def usernames(self, pool_id: str, client_id: str) -> list[str]:
        return sorted(self._by_client.get((pool_id, client_id), ()))

    async def last_user(self, pool_id: str, client_id: str) -> str | None:
        return self._last.get((pool_id, client_id))

    def refresh_lock(self, key: StoreKey) -> AbstractAsyncContextManager[None]:
        loop = asyncio.get_running_loop()
        return self._locks.hold(key, loop.time() + self._lock_timeout, self._lock_timeout)


# --- file --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Snapshot:
    """The token file as last read or written: its JSON, its identity, and the records decoded so far."""

    signature: tuple[int, int, int, int] | None  # (device, inode, size, mtime_ns); None: no file
    doc: dict[str, Any]
    racy: bool  # changed too recently for the signature to prove it unchanged later
    loose_mode: int = 0  # permission bits others have on the file
    decoded: dict[StoreKey, SessionRecord | None] = field(default_factory=dict)

    def raw(self, key: StoreKey) -> Any:
        return self.doc["users"].get(key.pool_id, {}).get(key.client_id, {}).get(key.username)


def _empty_doc() -> dict[str, Any]:
    return {"version": _FORMAT_VERSION, "users": {}, "last_user": {}}


def _forget_last_user(doc: dict[str, Any], key: StoreKey) -> None:
    last = doc["last_user"].get(key.pool_id, {})
    if last.get(key.client_id) == key.username:
        del last[key.client_id]
        if not last:
            del doc["last_user"][key.pool_id]


# A writer's temporary file: ".<name>." + this many random bytes in hex + the suffix.
_TEMP_RANDOM_BYTES = 8
_TEMP_SUFFIX = ".tmp"
_HEX_DIGITS = frozenset("0123456789abcdef")


def _signature(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class FileTokenStore(_StoreBase):
    """All users' records in one JSON file, safe to share between processes on one machine.

    Every write reads the file, changes it and writes it back under an exclusive ``flock`` on
    ``<path>.lock``: the new content goes to a temporary file ``.<name>.<16 hex digits>.tmp`` in the same
    directory, created exclusively with mode 0600, is ``fsync``-ed, then atomically renamed over the file
    (and the directory is ``fsync``-ed). A writer killed before its rename leaves its temporary file
    behind, tokens and all: the next write (from any process) removes it, so no copy of the tokens
    outlives a crash for longer than that. Readers never lock: they see the old file or the new one.
    Reads are cached and the cache is checked with one ``stat``; all file IO runs in a worker thread,
    never on the event loop.

    A file that is not a token file (bad JSON, wrong shape, a newer format) raises
    :class:`TokenStoreError` naming it, and is never overwritten. A file other users may read or write
    gives a :class:`TokenStoreWarning` once; the next write replaces it with a 0600 file.

    The refresh lock of a user is an ``asyncio.Lock`` in this process plus an ``flock`` on
    ``<path>.locks/<sha256 of the key>.lock``, polled without blocking a thread. Lock files are not
    removed (removing a lock file others may have open would break the lock).

    Each write rewrites the whole file: fine for thousands of users, not for millions (use Redis).
    POSIX only (``fcntl``); local file systems (``flock`` over NFS is not reliable everywhere).

    Args:
        path: the token file; it and its directory (mode 0700) are created on the first write.
        encryption_key: key material (at least 16 random bytes) to seal refresh tokens and device passwords.
        lock_timeout: seconds a refresh lock, or the write lock, is waited for.

    Raises:
        ValueError: a too short ``encryption_key`` or a bad ``lock_timeout``.
        NotImplementedError: on Windows.
    """

    __slots__ = (
        "_codec",
        "_lock_dir",
        "_lock_timeout",
        "_locks",
        "_path",
        "_snapshot",
        "_warned",
        "_write_lock",
        "_write_lock_path",
    )

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        encryption_key: bytes | str | None = None,
        lock_timeout: float = 30.0,
    ) -> None:
        if sys.platform == "win32":  # pragma: no cover - fcntl.flock is POSIX
            raise NotImplementedError("FileTokenStore needs fcntl.flock (POSIX)")
        self._path = Path(path).absolute()
        self._write_lock_path = self._path.with_name(self._path.name + ".lock")
        self._lock_dir = self._path.with_name(self._path.name + ".locks")
        self._codec = _Codec(encryption_key)
        self._lock_timeout = _check_timeout("lock_timeout", lock_timeout)
        self._locks = _KeyedLocks()
        self._write_lock = asyncio.Lock()
        self._snapshot: _Snapshot | None = None
        self._warned = False

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self._path)!r}, encrypted={self._codec.encrypted})"

    @property
    def path(self) -> Path:
        """The token file."""
        return self._path

    # reading

    async def get(self, key: StoreKey) -> SessionRecord | None:
        snapshot = await self._current()
        try:
            return snapshot.decoded[key]
        except KeyError:
            pass
        raw = snapshot.raw(key)
        record = None if raw is None else self._codec.load(key, raw, f"token file {self._path}, user {key}")
        snapshot.decoded[key] = record
        return record

    async def usernames(self, pool_id: str, client_id: str) -> list[str]:
        snapshot = await self._current()
        return sorted(snapshot.doc["users"].get(pool_id, {}).get(client_id, {}))

    async def last_user(self, pool_id: str, client_id: str) -> str | None:
        snapshot = await self._current()
        name: str | None = snapshot.doc["last_user"].get(pool_id, {}).get(client_id)
        return name

    async def _current(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and not snapshot.racy:
            signature = await asyncio.to_thread(self._stat_signature)
            if signature == snapshot.signature:
                return snapshot
        snapshot = await asyncio.to_thread(self._load)
        self._snapshot = snapshot
        if snapshot.loose_mode and not self._warned:
            self._warned = True
            warnings.warn(
                f"token file {self._path} can be accessed by other users (mode "
                f"{snapshot.loose_mode:#o} beyond 0600); its next write will make it 0600",
                TokenStoreWarning,
                stacklevel=3,
            )
        return snapshot

    def _stat_signature(self) -> tuple[int, int, int, int] | None:
        try:
            return _signature(os.stat(self._path))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenStoreError(f"token file {self._path}: cannot stat: {exc.strerror}") from exc

    def _load(self) -> _Snapshot:
        """Read and check the whole file (worker thread)."""
        started_ns = time.time_ns()
        try:
            with open(self._path, "rb") as fh:
                st = os.fstat(fh.fileno())
                data = fh.read()
        except FileNotFoundError:
            return _Snapshot(signature=None, doc=_empty_doc(), racy=False)
        except OSError as exc:
            raise TokenStoreError(f"token file {self._path}: cannot read: {exc.strerror}") from exc
        doc = self._parse(data)
        return _Snapshot(
            signature=_signature(st),
            doc=doc,
            racy=st.st_mtime_ns >= started_ns - _RACY_NS,
            loose_mode=stat.S_IMODE(st.st_mode) & 0o077,
        )

    def _parse(self, data: bytes) -> dict[str, Any]:
        def corrupt(why: str) -> TokenStoreError:
            return TokenStoreError(
                f"token file {self._path} is corrupt ({why}); it was left unchanged: "
                "repair it, or remove it to sign every user out"
            )

        try:
            doc = _json.loads(data, max_containers=_FILE_MAX_CONTAINERS)
        except _json.JsonError as exc:
            raise corrupt(str(exc)) from None
        if not isinstance(doc, dict):
            raise corrupt("not a JSON object")
        version = doc.get("version")
        if version != _FORMAT_VERSION:
            raise corrupt(f"format version {version!r}, this aiocognito reads {_FORMAT_VERSION}")
        users, last = doc.get("users"), doc.get("last_user")
        if not isinstance(users, dict) or not isinstance(last, dict):
            raise corrupt("'users' and 'last_user' must be objects")
        for pool_id, clients in users.items():
            if not isinstance(clients, dict) or not all(
                isinstance(names, dict) for names in clients.values()
            ):
                raise corrupt(f"users of pool {pool_id!r} are not objects per client")
        for pool_id, clients in last.items():
            if not isinstance(clients, dict) or not all(isinstance(n, str) for n in clients.values()):
                raise corrupt(f"last_user of pool {pool_id!r} is not an object of strings")
        return doc

    # writing

    async def put(self, key: StoreKey, record: SessionRecord) -> None:
        if not isinstance(record, SessionRecord):
            raise TypeError(f"record must be a SessionRecord, not {type(record).__name__}")
        raw = self._codec.dump(key, record)

        def change(doc: dict[str, Any]) -> bool:
            doc["users"].setdefault(key.pool_id, {}).setdefault(key.client_id, {})[key.username] = raw
            if record.tokens is not None:
                doc["last_user"].setdefault(key.pool_id, {})[key.client_id] = key.username
            else:
                _forget_last_user(doc, key)
            return True

        snapshot = await self._write(change)
        snapshot.decoded[key] = record

    async def delete(self, key: StoreKey) -> None:
        def change(doc: dict[str, Any]) -> bool:
            clients = doc["users"].get(key.pool_id, {})
            names = clients.get(key.client_id, {})
            if key.username not in names:
                return False
            del names[key.username]
            if not names:
                del clients[key.client_id]
            if not clients:
                del doc["users"][key.pool_id]
            _forget_last_user(doc, key)
            return True

        await self._write(change)

    async def _write(self, change: Callable[[dict[str, Any]], bool]) -> _Snapshot:
        # One writer thread per process at a time; processes are ordered by the flock.
        async with self._write_lock:
            snapshot = await asyncio.to_thread(self._update, change)
        self._snapshot = snapshot
        return snapshot

    def _update(self, change: Callable[[dict[str, Any]], bool]) -> _Snapshot:
        """Read-modify-write under the file lock (worker thread)."""
        self._make_dir(self._path.parent)
        with self._flock_blocking(self._write_lock_path):
            self._remove_leftovers()
            snapshot = self._load()  # fresh: never trust the cache for a write
            if not change(snapshot.doc):
                return snapshot
            return self._replace(snapshot.doc)

    def _is_temporary(self, name: str) -> bool:
        """Whether ``name`` is one of this file's temporary files (as :meth:`_replace` names them)."""
        prefix = f".{self._path.name}."
        if not (name.startswith(prefix) and name.endswith(_TEMP_SUFFIX)):
            return False
        random_part = name[len(prefix) : -len(_TEMP_SUFFIX)]
        return len(random_part) == 2 * _TEMP_RANDOM_BYTES and all(c in _HEX_DIGITS for c in random_part)

    def _remove_leftovers(self) -> None:
        """Remove the temporary files of writers killed before their rename (the write lock is held).

        A writer creates its temporary file only while it holds the write lock, and this one holds it
        now: every such file found is a leftover of a writer that died, never one still being filled. A
        leftover that cannot be removed is logged, not raised: the write itself may still succeed.
        """
        directory = self._path.parent
        try:
            with os.scandir(directory) as entries:
                leftovers = [
                    entry.name
                    for entry in entries
                    if self._is_temporary(entry.name) and not entry.is_dir(follow_symlinks=False)
                ]
        except OSError as exc:
            _log.warning(
                "token file %s: cannot look for leftover temporary files: %s", self._path, exc.strerror
            )
            return
        for name in leftovers:
            try:
                os.unlink(directory / name)
            except FileNotFoundError:
                continue
            except OSError as exc:
                _log.warning(
                    "token file %s: cannot remove %s, left by a writer that did not finish: %s",
                    self._path,
                    name,
                    exc.strerror,
                )
                continue
            _log.info("token file %s: removed %s, left by a writer that did not finish", self._path, name)

    def _replace(self, doc: dict[str, Any]) -> _Snapshot:
        data = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        tmp = self._path.with_name(
            f".{self._path.name}.{secrets.token_hex(_TEMP_RANDOM_BYTES)}{_TEMP_SUFFIX}"
        )
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            try:
                os.fchmod(fd, 0o600)  # the umask only removes bits; make it exact
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
                st = os.fstat(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self._path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise TokenStoreError(f"token file {self._path}: cannot write: {exc.strerror}") from exc
        self._fsync_dir(self._path.parent)
        # Just written, so racy: the next read checks the content again.
        return _Snapshot(signature=_signature(st), doc=doc, racy=True)

    @staticmethod
    def _fsync_dir(directory: Path) -> None:
        with contextlib.suppress(OSError):  # some file systems cannot fsync a directory
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def _make_dir(self, directory: Path) -> None:
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise TokenStoreError(
                f"token file {self._path}: cannot create {directory}: {exc.strerror}"
            ) from exc

    def _open_lock_file(self, path: Path) -> int:
        self._make_dir(path.parent)
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise TokenStoreError(
                f"token file {self._path}: cannot open lock {path}: {exc.strerror}"
            ) from exc

    async def _open_lock_file_async(self, path: Path) -> int:
        # Shielded: if the caller is cancelled while the thread opens the file, close what it opened.
        opening = asyncio.ensure_future(asyncio.to_thread(self._open_lock_file, path))
        try:
            return await asyncio.shield(opening)
        except asyncio.CancelledError:
            opening.add_done_callback(_close_opened)
            raise

    @contextlib.contextmanager
    def _flock_blocking(self, path: Path) -> Iterator[None]:
        """The write lock, taken in a worker thread; polled so the wait is bounded."""
        import fcntl

        fd = self._open_lock_file(path)
        try:
            deadline = time.monotonic() + self._lock_timeout
            delay = 0.001
            while not _try_flock(fd):
                if time.monotonic() >= deadline:
                    raise LockTimeoutError(
                        f"write lock {path} of token file {self._path} was not free within "
                        f"{self._lock_timeout:g}s"
                    )
                time.sleep(delay)
                delay = min(delay * 2, 0.02)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # refresh lock

    def refresh_lock(self, key: StoreKey) -> AbstractAsyncContextManager[None]:
        return self._refresh_lock(key)

    @contextlib.asynccontextmanager
    async def _refresh_lock(self, key: StoreKey) -> AsyncIterator[None]:
        import hashlib

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._lock_timeout
        async with self._locks.hold(key, deadline, self._lock_timeout):
            digest = hashlib.sha256(key._associated_data("refresh_lock")).hexdigest()
            path = self._lock_dir / f"{digest}.lock"
            fd = await self._open_lock_file_async(path)
            try:
                delay = 0.001
                # Polled, not a blocking flock in a thread: thousands of waiting users would otherwise
                # fill the default executor that file reads and writes need.
                while not _try_flock(fd):
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        raise LockTimeoutError(
                            f"refresh lock of {key} (file {path}) was not free within {self._lock_timeout:g}s"
                        )
                    await asyncio.sleep(min(delay, remaining))
                    delay = min(delay * 2, 0.05)
                yield
            finally:
                os.close(fd)  # closing the only descriptor releases the flock


def _close_opened(task: asyncio.Future[int]) -> None:
    if not task.cancelled() and task.exception() is None:
        os.close(task.result())


def _try_flock(fd: int) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


# --- redis -------------------------------------------------------------------------------------------

# Compare-and-delete: release the lock only if it still holds our token (it may have expired and been
# taken by another holder meanwhile). https://redis.io/docs/latest/develop/use/patterns/distributed-locks/
_RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""

# Store a record, add the user to the client's set, and make them the last user (ARGV[3] == "1", the
# record has tokens) or stop them being it.
_PUT_USER = """
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
if ARGV[3] == '1' then
    redis.call('SET', KEYS[3], ARGV[1])
elseif redis.call('GET', KEYS[3]) == ARGV[1] then
    redis.call('DEL', KEYS[3])
end
return 1
"""

# Remove a record, its entry in the client's set, and the last-user mark if it names this user.
_DELETE_USER = """
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[1] then
    redis.call('DEL', KEYS[3])
end
return 1
"""


def _import_redis() -> tuple[Any, type[Exception]]:
    try:
        module = importlib.import_module("redis.asyncio")
        exceptions = importlib.import_module("redis.exceptions")
    except ImportError as exc:
        raise ImportError("RedisTokenStore needs the redis package: pip install 'aiocognito[redis]'") from exc
    error: type[Exception] = exceptions.RedisError
    return module, error


class RedisTokenStore(_StoreBase):
    """Records in Redis, shared by every process and machine that uses the same server and prefix.

    Keys (``<p>`` the prefix; every part percent-encoded, so a username may hold any character; the
    ``{pool:client}`` hash tag keeps one app client's keys in one cluster slot):

    - ``<p>:rec:{pool:client}:username``: the record, a JSON string;
    - ``<p>:users:{pool:client}``: a set of the client's usernames;
    - ``<p>:last:{pool:client}``: the last user;
    - ``<p>:lock:{pool:client}:username``: the refresh lock.

    The refresh lock is ``SET NX PX`` with a random token, released by a compare-and-delete script. It
    expires after ``lock_ttl`` seconds so a crashed holder cannot block the user for ever; a refresh
    must finish within that time. Waiters poll (5 to 100 ms apart) for up to ``lock_timeout`` seconds.
    Inside one process, waiters first queue on an ``asyncio.Lock``, so only one polls Redis.

    Args:
        url_or_client: a ``redis://`` URL (the store owns and closes the client; its connections come
            from a ``BlockingConnectionPool``, so calls wait for a free connection) or a
            ``redis.asyncio`` client (the caller keeps and closes it). Socket timeouts are the client's.
        prefix: the first part of every key.
        encryption_key: key material (at least 16 random bytes) to seal refresh tokens and device passwords.
        lock_timeout: seconds a refresh lock is waited for.
        lock_ttl: seconds after which a refresh lock that was not released expires.

    Raises:
        ImportError: the ``redis`` package is missing.
        ValueError: a too short ``encryption_key``, an empty prefix, or a bad timeout.
    """

    __slots__ = (
        "_codec",
        "_delete_script",
        "_error",
        "_lock_timeout",
        "_lock_ttl_ms",
        "_locks",
        "_owned",
        "_prefix",
        "_put_script",
        "_redis",
        "_release_script",
    )

    def __init__(
        self,
        url_or_client: Any,
        *,
        prefix: str = "aiocognito",
        encryption_key: bytes | str | None = None,
        lock_timeout: float = 30.0,
        lock_ttl: float = 30.0,
    ) -> None:
        module, self._error = _import_redis()
        if not isinstance(prefix, str) or not prefix:
            raise ValueError("prefix must be a non-empty string")
        self._prefix = prefix
        self._codec = _Codec(encryption_key)
        self._lock_timeout = _check_timeout("lock_timeout", lock_timeout)
        self._lock_ttl_ms = max(1, int(_check_timeout("lock_ttl", lock_ttl) * 1000))
        self._locks = _KeyedLocks()
        if isinstance(url_or_client, str):
            # A blocking pool: thousands of users' calls queue for a connection instead of failing
            # when the pool (50 connections; ``?max_connections=`` in the URL) is busy.
            pool = module.BlockingConnectionPool.from_url(url_or_client)
            self._redis: Any = module.Redis.from_pool(pool)
            self._owned = True
        else:
            self._redis = url_or_client
            self._owned = False
        self._release_script = self._redis.register_script(_RELEASE_LOCK)
        self._delete_script = self._redis.register_script(_DELETE_USER)
        self._put_script = self._redis.register_script(_PUT_USER)

    def __repr__(self) -> str:
        # Never the URL: it may hold a password.
        return f"RedisTokenStore(prefix={self._prefix!r}, encrypted={self._codec.encrypted})"

    async def aclose(self) -> None:
        if self._owned:
            await self._redis.aclose()

    # key names

    def _client_tag(self, pool_id: str, client_id: str) -> str:
        return "{" + quote(pool_id, safe="") + ":" + quote(client_id, safe="") + "}"

    def _name(self, kind: str, key: StoreKey) -> str:
        tag = self._client_tag(key.pool_id, key.client_id)
        return f"{self._prefix}:{kind}:{tag}:{quote(key.username, safe='')}"

    def _client_name(self, kind: str, pool_id: str, client_id: str) -> str:
        return f"{self._prefix}:{kind}:{self._client_tag(pool_id, client_id)}"

    def _user_names(self, key: StoreKey) -> list[str]:
        return [
            self._name("rec", key),
            self._client_name("users", key.pool_id, key.client_id),
            self._client_name("last", key.pool_id, key.client_id),
        ]

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except self._error as exc:
            raise TokenStoreError(f"redis {what} failed: {type(exc).__name__}: {exc}") from exc

    # records

    async def get(self, key: StoreKey) -> SessionRecord | None:
        with self._errors(f"GET of {key}"):
            raw = await self._redis.get(self._name("rec", key))
        if raw is None:
            return None
        where = f"redis record of {key}"
        try:
            data = _json.loads(raw)
        except _json.JsonError as exc:
            raise TokenStoreError(f"{where} is not JSON this library reads ({exc})") from None
        if not isinstance(data, dict) or data.get("version") != _FORMAT_VERSION:
            raise TokenStoreError(f"{where} is not a version {_FORMAT_VERSION} record")
        return self._codec.load(key, data, where)

    async def put(self, key: StoreKey, record: SessionRecord) -> None:
        if not isinstance(record, SessionRecord):
            raise TypeError(f"record must be a SessionRecord, not {type(record).__name__}")
        data = {"version": _FORMAT_VERSION, **self._codec.dump(key, record)}
        value = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        with self._errors(f"write of {key}"):
            await self._put_script(
                keys=self._user_names(key),
                args=[key.username, value, "1" if record.tokens is not None else "0"],
            )

    async def delete(self, key: StoreKey) -> None:
        with self._errors(f"delete of {key}"):
            await self._delete_script(keys=self._user_names(key), args=[key.username])

    async def usernames(self, pool_id: str, client_id: str) -> list[str]:
        with self._errors("SMEMBERS"):
            members = await self._redis.smembers(self._client_name("users", pool_id, client_id))
        return sorted(_text(m) for m in members)

    async def last_user(self, pool_id: str, client_id: str) -> str | None:
        with self._errors("GET of the last user"):
            raw = await self._redis.get(self._client_name("last", pool_id, client_id))
        return None if raw is None else _text(raw)

    # refresh lock

    def refresh_lock(self, key: StoreKey) -> AbstractAsyncContextManager[None]:
        return self._refresh_lock(key)

    @contextlib.asynccontextmanager
    async def _refresh_lock(self, key: StoreKey) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._lock_timeout
        async with self._locks.hold(key, deadline, self._lock_timeout):
            name = self._name("lock", key)
            token = secrets.token_hex(16)
            delay = 0.005
            while True:
                with self._errors(f"refresh lock of {key}"):
                    if await self._redis.set(name, token, nx=True, px=self._lock_ttl_ms):
                        break
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise LockTimeoutError(
                        f"refresh lock of {key} (redis) was not free within {self._lock_timeout:g}s"
                    )
                await asyncio.sleep(min(delay, remaining))
                delay = min(delay * 2, 0.1)
            try:
                yield
            finally:
                # Shielded: a second cancellation must not leave the lock to expire on its own.
                await asyncio.shield(self._release(key, name, token))

    async def _release(self, key: StoreKey, name: str, token: str) -> None:
        with self._errors(f"release of the refresh lock of {key}"):
            released = await self._release_script(keys=[name], args=[token])
        if not released:
            _log.warning(
                "refresh lock of %s expired before it was released (lock_ttl %.1fs is too short)",
                key,
                self._lock_ttl_ms / 1000,
            )


def _text(value: bytes | str) -> str:
    """A username read from Redis; one that is not UTF-8 (another program's key) is a TokenStoreError."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = value.decode()
        except UnicodeDecodeError:
            raise TokenStoreError("redis holds a username that is not UTF-8") from None
    if text_problem(text, _MAX_STORED_CHARS) is not None:
        raise TokenStoreError("redis holds a username that is not valid text")
    return text


if TYPE_CHECKING:  # each store satisfies the protocol (checked by mypy only)
    _STORES: tuple[type[TokenStore], ...] = (MemoryTokenStore, FileTokenStore, RedisTokenStore)
