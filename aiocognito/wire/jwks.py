"""A user pool's JWKS (RFC 7517): its RS256 signing keys, fetched through the transport and cached.

:class:`KeySet` fetches the keys (no redirect followed, the reply bounded by the transport's
``max_reply_bytes``), keeps them for ``ttl``, refreshes them in the background when stale, refetches on
an unknown ``kid`` at most once per ``refetch_interval``, one fetch in flight at a time; a fetch that
fails keeps the keys it had. :func:`keys_of` reads a JWKS document with no IO.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt import PyJWK, PyJWTError

from ..core.safe_json import JsonError, loads
from ..errors import TransportError
from .replies import AttemptFailed, Reply, is_json_syntax_error
from .transport import Transport

__all__ = ["DEFAULT_MAX_JWKS_BYTES", "MAX_KID_CHARS", "JwksError", "KeySet", "keys_of"]

_log = logging.getLogger("aiocognito")

#: A JWKS larger than this is not Cognito's (it holds two keys of about 450 bytes each).
DEFAULT_MAX_JWKS_BYTES: Final = 256 * 1024
#: Key ids longer than this are refused as malformed (Cognito's are 44 characters).
MAX_KID_CHARS: Final = 256
#: When no key was ever fetched, how long to wait before trying again after a failure (seconds).
_NO_KEYS_RETRY: Final = 5.0
_MIN_RSA_BITS: Final = 2048


class JwksError(Exception):
    """A JWKS reply that cannot be used; the message is safe to log."""


def keys_of(raw: bytes) -> dict[str, RSAPublicKey]:
    """The RS256 signing keys of a JWKS document (RFC 7517), by ``kid``; other keys are skipped."""
    try:
        document = loads(raw)
    except JsonError as exc:
        why = "the JWKS is not JSON" if is_json_syntax_error(exc) else f"the JWKS is refused: {exc}"
        raise JwksError(why) from None
    listed = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(listed, list):
        raise JwksError("the JWKS has no 'keys' list")
    keys: dict[str, RSAPublicKey] = {}
    for item in listed:
        if not isinstance(item, dict) or item.get("kty") != "RSA":
            continue
        kid = item.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_CHARS or kid in keys:
            continue
        if item.get("use", "sig") != "sig" or item.get("alg", "RS256") != "RS256":
            continue
        try:
            key = PyJWK(item, algorithm="RS256").key
        except (PyJWTError, ValueError, TypeError, KeyError):
            _log.warning("JWKS: skipping key %r, which is not a valid RSA public key", kid[:64])
            continue
        if not isinstance(key, RSAPublicKey) or key.key_size < _MIN_RSA_BITS:
            _log.warning("JWKS: skipping key %r, which is not an RSA key of 2048 bits or more", kid[:64])
            continue
        keys[kid] = key
    if not keys:
        raise JwksError("the JWKS holds no RS256 signing key")
    return keys


class KeySet:
    """The pool's public keys, fetched from its JWKS URL; one fetch in flight at a time."""

    def __init__(
        self,
        url: str,
        transport: Transport,
        *,
        ttl: float,
        refetch_interval: float,
        timer: Callable[[], float],
        on_change: Callable[[], None],
    ) -> None:
        self.url = url
        self.keys: dict[str, RSAPublicKey] = {}
        self._transport = transport
        self._ttl = ttl
        self._refetch_interval = refetch_interval
        self._timer = timer
        self._on_change = on_change
        self._loaded_at: float | None = None
        self._attempted_at: float | None = None
        self._task: asyncio.Task[JwksError | TransportError | None] | None = None
        self.fetches = 0

    def stale(self) -> bool:
        """Whether the keys should be refreshed in the background (TTL passed, no fetch lately)."""
        loaded = self._loaded_at
        if loaded is None or self._task is not None:
            return False
        now = self._timer()
        return now - loaded >= self._ttl and now - (self._attempted_at or loaded) >= self._refetch_interval

    def refresh_in_background(self) -> None:
        self._start()

    async def key_for(self, kid: str) -> RSAPublicKey | None:
        """The key ``kid`` after at most one fetch, rate limited (the caller did not find it), or ``None``:
        the kid is not in the key set.

        Raises:
            TransportError: no key could ever be fetched.
        """
        task = self._task
        if task is None:
            now = self._timer()
            wait = self._refetch_interval if self._loaded_at is not None else _NO_KEYS_RETRY
            if self._attempted_at is None or now - self._attempted_at >= wait:
                task = self._start()
        if task is not None:
            await asyncio.shield(task)
        key = self.keys.get(kid)
        if key is None and self._loaded_at is None:
            raise TransportError(f"the pool's JWKS could not be fetched from {self.url}", operation="JWKS")
        return key

    async def refresh(self) -> None:
        """Fetch now (or join the fetch in flight).

        Raises:
            TransportError: the fetch failed (the keys in hand are kept).
        """
        error = await asyncio.shield(self._task or self._start())
        if isinstance(error, TransportError):
            raise error.with_traceback(None)  # it names the JWKS and keeps its status
        if error is not None:
            raise TransportError(str(error), operation="JWKS") from error

    def _start(self) -> asyncio.Task[JwksError | TransportError | None]:
        self._attempted_at = self._timer()
        task = asyncio.get_running_loop().create_task(self._fetch())
        self._task = task
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[JwksError | TransportError | None]) -> None:
        if self._task is task:
            self._task = None
        if not task.cancelled():
            task.exception()  # retrieved, so a fetch nobody waits for logs nothing more

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _fetch(self) -> JwksError | TransportError | None:
        """Fetch and install the keys; a failure is logged, returned, and leaves the old keys."""
        self.fetches += 1
        try:
            keys = await self._transport.request(
                "GET",
                self.url,
                body=None,
                headers=_JWKS_HEADERS,
                operation="JWKS",
                repeatable=True,
                parse=_jwks_reply,
            )
        except (JwksError, TransportError) as error:
            _log.warning(
                "JWKS %s: %s; keeping the %d key(s) in hand", self.url, error, len(self.keys), exc_info=False
            )
            return error
        removed = self.keys.keys() - keys.keys()
        self.keys = keys
        self._loaded_at = self._timer()
        _log.debug("JWKS %s: %d key(s)", self.url, len(keys))
        if removed:
            self._on_change()
        return None


_JWKS_HEADERS: Final = {"Accept": "application/json"}


def _jwks_reply(operation: str, reply: Reply) -> dict[str, RSAPublicKey]:
    """The keys of a JWKS reply; connection errors, 5xx and 429 are worth another try, nothing else."""
    status = reply.status
    if status != 200:
        error = TransportError("the JWKS request failed", status=status, operation=operation)
        if status >= 500 or status == 429:
            raise AttemptFailed(error, sent=True, throttled=status == 429)
        raise error
    return keys_of(reply.body)
