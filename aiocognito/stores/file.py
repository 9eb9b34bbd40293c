"""The token file: all users' records in one JSON file, shared by the processes of one machine."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import stat
import sys
import time
import warnings
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import safe_json as _json
from .base import LockTimeoutError, StoreBase, StoreKey, TokenStoreError, TokenStoreWarning, check_timeout
from .locks import KeyedLocks
from .records import FORMAT_VERSION, SessionRecord
from .sealing import RecordCodec

__all__ = ["FileTokenStore"]

_log = logging.getLogger("aiocognito")

#: Arrays and objects the token file may hold: a user takes three (record, tokens, device), so about
#: 300,000 users; far past the size where rewriting the whole file at each write is any good.
_FILE_MAX_CONTAINERS = 1_000_000
#: File timestamps come from a coarse kernel clock (a few ms). A file read less than this long after its
#: last change may change again with the same mtime, so its cached content is not trusted ("racy git").
_RACY_NS = 100_000_000


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
    return {"version": FORMAT_VERSION, "users": {}, "last_user": {}}


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


class FileTokenStore(StoreBase):
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
        TokenStoreError: on Windows (no POSIX file locking).
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
            raise TokenStoreError(
                "FileTokenStore needs POSIX file locking (fcntl.flock), which Windows lacks"
            )
        self._path = Path(path).absolute()
        self._write_lock_path = self._path.with_name(self._path.name + ".lock")
        self._lock_dir = self._path.with_name(self._path.name + ".locks")
        self._codec = RecordCodec(encryption_key)
        self._lock_timeout = check_timeout("lock_timeout", lock_timeout)
        self._locks = KeyedLocks()
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
        if version != FORMAT_VERSION:
            raise corrupt(f"format version {version!r}, this aiocognito reads {FORMAT_VERSION}")
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
    async def _refresh_lock(self, key: StoreKey) -> AsyncGenerator[None, None]:
        import hashlib

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._lock_timeout
        async with self._locks.hold(key, deadline, self._lock_timeout):
            digest = hashlib.sha256(key.associated_data("refresh_lock")).hexdigest()
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
