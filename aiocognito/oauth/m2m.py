"""Machine-to-machine access tokens (client credentials), cached, shared and renewed before they expire."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable

from ..core.tokens import TokenSet
from ..errors import CognitoError
from ..stores import SessionRecord, StoreKey, TokenStore, TokenStoreError
from .authorize import scope_text
from .client import OAuthClient

__all__ = ["M2MTokens"]

_log = logging.getLogger("aiocognito")


class M2MTokens:
    """Client credentials access tokens, fetched once, shared, and renewed before they expire.

    ``await m2m.token(scopes)`` is a dict look-up while the cached token is fresh. When it is not, one
    request is made for all the callers waiting in this process (a shared, shielded task: a caller that
    is cancelled does not cancel it), and, with a ``store``, for every process sharing the store: the
    renewer holds ``store.refresh_lock`` and re-reads the store first, so a token another process just
    fetched is reused (Cognito bills each token request).

    Windows (google-auth's "advisory"/"mandatory" refresh): a token is renewed once less than
    ``margin`` seconds (at most half its lifetime) are left; if renewing fails while more than
    ``mandatory_margin`` seconds (at most a quarter of its lifetime) are left, the old token is returned
    and a warning logged, else the error is raised. A failing store (Redis down, a lock wait timed out)
    is logged and the token fetched directly.

    Args:
        client: the :class:`OAuthClient` (with a client secret); not closed by :meth:`aclose`.
        store: a :class:`~aiocognito.stores.TokenStore` to share tokens through, or ``None``.
        margin, mandatory_margin: seconds, as above.
        clock: epoch seconds.
    """

    def __init__(
        self,
        client: OAuthClient,
        *,
        store: TokenStore | None = None,
        margin: float = 300.0,
        mandatory_margin: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if margin < 0 or mandatory_margin < 0:
            raise ValueError("margins must not be negative")
        self._client = client
        self._store = store
        self._margin = float(margin)
        self._mandatory = float(mandatory_margin)
        self._clock = clock
        self._cache: dict[str, TokenSet] = {}
        self._inflight: dict[str, asyncio.Task[TokenSet]] = {}
        self._store_pool = f"oauth2:{client.domain_url}"

    def __repr__(self) -> str:
        return f"M2MTokens({self._client!r}, cached={len(self._cache)})"

    async def token(self, scopes: Iterable[str] | str | None = None) -> str:
        """A valid access token for ``scopes`` (``None``: the app client's default scopes).

        Raises:
            OAuthError, TransportError, ProtocolError: no token could be had and none is still usable.
        """
        return (await self.token_set(scopes)).access_token

    async def token_set(self, scopes: Iterable[str] | str | None = None) -> TokenSet:
        """As :meth:`token`, the whole :class:`~aiocognito.TokenSet` (expiry, claims)."""
        given = scope_text(scopes)
        scope = " ".join(sorted(given.split())) if given else None
        key = f"m2m:{scope}" if scope else "m2m"
        cached = self._cache.get(key)
        if cached is not None and self._fresh(cached):
            return cached
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._renew(key, scope))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    def _finished(self, key: str, task: asyncio.Task[TokenSet]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved: every waiter may have been cancelled

    async def aclose(self) -> None:
        """Cancel renewals in flight (the client and the store stay open)."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task

    def _lifetime(self, tokens: TokenSet) -> float:
        return max(0.0, tokens.expires_at - tokens.issued_at)

    def _fresh(self, tokens: TokenSet) -> bool:
        margin = min(self._margin, self._lifetime(tokens) / 2)
        return tokens.is_valid(now=self._clock(), margin=margin)

    def _usable(self, tokens: TokenSet) -> bool:
        margin = min(self._mandatory, self._lifetime(tokens) / 4)
        return tokens.is_valid(now=self._clock(), margin=margin)

    async def _renew(self, key: str, scope: str | None) -> TokenSet:
        old = self._cache.get(key)
        try:
            tokens = await self._obtain(key, scope)
        except CognitoError as exc:
            if old is not None and self._usable(old):
                _log.warning(
                    "M2M token renewal failed (%s); the current token is still used", type(exc).__name__
                )
                return old
            raise
        self._cache[key] = tokens
        return tokens

    async def _fetch(self, scope: str | None) -> TokenSet:
        return await self._client.client_credentials(scope)

    async def _obtain(self, key: str, scope: str | None) -> TokenSet:
        store = self._store
        if store is None:
            return await self._fetch(scope)
        store_key = StoreKey(self._store_pool, self._client.client_id, key)
        try:
            found = await self._stored(store, store_key)
            if found is not None:
                return found
            async with store.refresh_lock(store_key):
                found = await self._stored(store, store_key)
                if found is not None:
                    return found
                tokens = await self._fetch(scope)
                try:
                    await store.put(store_key, SessionRecord(tokens=tokens))
                except TokenStoreError as exc:
                    _log.warning("M2M token not stored: %s", type(exc).__name__)
                return tokens
        except TokenStoreError as exc:
            _log.warning("M2M token store failed (%s); fetching the token directly", type(exc).__name__)
            return await self._fetch(scope)

    async def _stored(self, store: TokenStore, key: StoreKey) -> TokenSet | None:
        record = await store.get(key)
        tokens = record.tokens if record is not None else None
        return tokens if tokens is not None and self._fresh(tokens) else None
