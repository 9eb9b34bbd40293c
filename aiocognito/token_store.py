"""Token stores, by their first import path: the very same names as :mod:`aiocognito.stores`.

``from aiocognito.token_store import FileTokenStore`` keeps working; the stores themselves live in the
:mod:`aiocognito.stores` package, one module per backend.
"""

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
