"""Token stores: where users' tokens and remembered devices are kept."""

from __future__ import annotations

from .file import (
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
