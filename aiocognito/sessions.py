"""The session book: the only code that knows what a token store holds for a user of one app client.

A record holds a user's tokens and remembered device; the store also knows the last user signed in and
lends a lock per user for refreshes. The sign-in service, the refresher and :class:`~aiocognito.User`
keep their bookkeeping here, so the rules (a sign-out keeps the device, an alias keeps a copy of the
device, a stored record is replaced whole) live in one place.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from .core.flows import DeviceCredentials
from .core.tokens import TokenSet
from .token_store import SessionRecord, StoreKey, TokenStore

__all__ = ["SessionBook"]


class SessionBook:
    """The records of one app client's users in a :class:`~aiocognito.token_store.TokenStore`.

    Args:
        store: where the records are kept.
        pool_id, client_id: the app client whose users these are (part of every key).
    """

    def __init__(self, store: TokenStore, pool_id: str, client_id: str) -> None:
        self.store = store
        self._pool_id = pool_id
        self._client_id = client_id

    def __repr__(self) -> str:
        return f"<SessionBook {self._pool_id} client {self._client_id} in {type(self.store).__name__}>"

    def key(self, username: str) -> StoreKey:
        """The key of ``username``'s record."""
        return StoreKey(self._pool_id, self._client_id, username)

    async def record(self, key: StoreKey) -> SessionRecord | None:
        """The record kept under ``key``, if any."""
        return await self.store.get(key)

    async def last_user(self) -> str | None:
        """The user signed in last with this app client, if the store knows."""
        return await self.store.last_user(self._pool_id, self._client_id)

    def refresh_lock(self, key: StoreKey) -> AbstractAsyncContextManager[None]:
        """The lock one refresh of ``key``'s tokens holds (across processes, with a shared store)."""
        return self.store.refresh_lock(key)

    # --- tokens -----------------------------------------------------------------------------------

    async def save_sign_in(
        self, typed_username: str, username: str, tokens: TokenSet, device: DeviceCredentials | None
    ) -> None:
        """Keep a finished sign-in: tokens and device under ``username``, the device under the alias too."""
        if typed_username != username:
            # Sign-ins start from the name typed (an alias): keep the device under it too.
            await self.store.put(self.key(typed_username), SessionRecord(device=device))
        await self.store.put(self.key(username), SessionRecord(tokens=tokens, device=device))

    async def save_tokens(self, key: StoreKey, tokens: TokenSet, device: DeviceCredentials | None) -> None:
        """Replace the record under ``key`` with fresh tokens (a refresh)."""
        await self.store.put(key, SessionRecord(tokens=tokens, device=device))

    async def forget_session(self, key: StoreKey) -> None:
        """Forget a user's tokens, keeping the remembered device (it stays valid after a sign-out)."""
        record = await self.store.get(key)
        if record is not None and record.device is not None:
            await self.store.put(key, SessionRecord(device=record.device))
        else:
            await self.store.delete(key)

    async def delete(self, key: StoreKey) -> None:
        """Drop the record under ``key``, device included (the account is gone)."""
        await self.store.delete(key)

    # --- devices ----------------------------------------------------------------------------------

    async def device(self, username: str) -> DeviceCredentials | None:
        """The device remembered for ``username``, if any."""
        record = await self.store.get(self.key(username))
        return record.device if record is not None else None

    async def set_device(self, key: StoreKey, device: DeviceCredentials | None) -> None:
        """Keep ``device`` (or none) in the record under ``key``, with its tokens."""
        record = await self.store.get(key)
        await self.store.put(key, SessionRecord(tokens=record.tokens if record else None, device=device))

    async def remember_device(self, username: str, device: DeviceCredentials) -> None:
        """Keep ``device`` for ``username``, so its next sign-ins use device SRP."""
        await self.set_device(self.key(username), device)

    async def forget_device(self, username: str) -> None:
        """Drop the device remembered for ``username`` (Cognito no longer knows it), keeping the tokens."""
        key = self.key(username)
        record = await self.store.get(key)
        if record is not None and record.device is not None:
            await self.store.put(key, SessionRecord(tokens=record.tokens))
