"""What every token store shares: the key of a user, the protocol, the errors, ``async with``.

A store keeps one :class:`~aiocognito.stores.records.SessionRecord` per :class:`StoreKey` (pool, app
client, username) and gives a per-user refresh lock; see :mod:`aiocognito.stores` for the backends.
"""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TypeVar

from ..errors import CognitoError

if TYPE_CHECKING:
    from .records import SessionRecord

__all__ = [
    "LockTimeoutError",
    "StoreBase",
    "StoreKey",
    "TokenStore",
    "TokenStoreError",
    "TokenStoreWarning",
    "check_timeout",
]


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


# --- the key -----------------------------------------------------------------------------------------


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

    def associated_data(self, field_name: str) -> bytes:
        """The bytes naming this user and one of their fields: what a sealed value is bound to.

        A JSON list, not ``str(self)``: ``"a/b" + "c"`` and ``"a" + "b/c"`` must not give the same bytes.
        """
        return json.dumps([self.pool_id, self.client_id, self.username, field_name]).encode()


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


_S = TypeVar("_S", bound="StoreBase")


class StoreBase:
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


def check_timeout(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)
