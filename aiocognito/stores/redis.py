"""The Redis token store: ``redis.asyncio`` (the ``aiocognito[redis]`` extra), shared by machines."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import secrets
from collections.abc import AsyncGenerator, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import quote

from ..core import safe_json as _json
from ..core.checks import text_problem
from .base import LockTimeoutError, StoreBase, StoreKey, TokenStoreError, check_timeout
from .locks import KeyedLocks
from .records import FORMAT_VERSION, MAX_STORED_CHARS, SessionRecord
from .sealing import RecordCodec

__all__ = ["RedisTokenStore"]

_log = logging.getLogger("aiocognito")

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


class RedisTokenStore(StoreBase):
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
        self._codec = RecordCodec(encryption_key)
        self._lock_timeout = check_timeout("lock_timeout", lock_timeout)
        self._lock_ttl_ms = max(1, int(check_timeout("lock_ttl", lock_ttl) * 1000))
        self._locks = KeyedLocks()
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
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise TokenStoreError(f"{where} is not a version {FORMAT_VERSION} record")
        return self._codec.load(key, data, where)

    async def put(self, key: StoreKey, record: SessionRecord) -> None:
        if not isinstance(record, SessionRecord):
            raise TypeError(f"record must be a SessionRecord, not {type(record).__name__}")
        data = {"version": FORMAT_VERSION, **self._codec.dump(key, record)}
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
    async def _refresh_lock(self, key: StoreKey) -> AsyncGenerator[None, None]:
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
    if text_problem(text, MAX_STORED_CHARS) is not None:
        raise TokenStoreError("redis holds a username that is not valid text")
    return text
