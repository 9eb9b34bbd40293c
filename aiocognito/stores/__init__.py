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

The modules: :mod:`~aiocognito.stores.base` (the key, the protocol, the errors),
:mod:`~aiocognito.stores.records` (the record and the checks of its stored form),
:mod:`~aiocognito.stores.sealing` (encryption at rest), :mod:`~aiocognito.stores.locks` (in-process
refresh locks), and one module per backend. :mod:`aiocognito.token_store` is the older path to the
same names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import LockTimeoutError, StoreKey, TokenStore, TokenStoreError, TokenStoreWarning
from .file import FileTokenStore
from .memory import MemoryTokenStore
from .records import SessionRecord
from .redis import RedisTokenStore

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

if TYPE_CHECKING:  # each store satisfies the protocol (checked by mypy only)
    _STORES: tuple[type[TokenStore], ...] = (MemoryTokenStore, FileTokenStore, RedisTokenStore)
