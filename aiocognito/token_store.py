"""Token stores (the old path): the same names as :mod:`aiocognito.stores`."""

from __future__ import annotations

from .stores import (
    FileTokenStore,
    LockTimeoutError,
    MemoryTokenStore,
    RedisTokenStore,
    SessionRecord,
    StoreKey,
    TokenStore,
    TokenStoreError,
    TokenStoreWarning,
)

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
