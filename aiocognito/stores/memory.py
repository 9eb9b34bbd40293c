"""The default token store: a dict of this process."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager

from .base import StoreBase, StoreKey, check_timeout
from .locks import KeyedLocks
from .records import SessionRecord

__all__ = ["MemoryTokenStore"]


class MemoryTokenStore(StoreBase):
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
        self._lock_timeout = check_timeout("lock_timeout", lock_timeout)
        self._records: dict[StoreKey, SessionRecord] = {}
        self._by_client: dict[tuple[str, str], dict[str, None]] = {}
        self._last: dict[tuple[str, str], str] = {}
        self._locks = KeyedLocks()

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
