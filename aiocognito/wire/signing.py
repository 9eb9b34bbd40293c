"""SigV4 signing of the operations that need AWS credentials (``Admin*``, pool management).

botocore does the signing and resolves credentials with its chain (environment, shared profile, container,
instance metadata). botocore is imported on the first signed call, in a worker thread, so neither
``import aiocognito`` nor the event loop pays for it. Credential look-ups and refreshes, which may do
blocking HTTP, run in a worker thread too.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "AwsCredentials",
    "CredentialsLike",
    "Signer",
]


@dataclass(frozen=True, slots=True)
class AwsCredentials:
    """A set of AWS credentials; ``expires_at`` (epoch seconds) is ``None`` for long-term keys."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None

    def expires_within(self, seconds: float, *, now: float) -> bool:
        """Whether these credentials expire less than ``seconds`` after ``now``."""
        return self.expires_at is not None and self.expires_at - now < seconds


class _BotocoreCredentials(Protocol):
    def get_frozen_credentials(self) -> Any: ...


CredentialsLike = AwsCredentials | tuple[str, str] | tuple[str, str, str | None] | _BotocoreCredentials


def _as_aws_credentials(frozen: Any) -> AwsCredentials:
    return AwsCredentials(frozen.access_key, frozen.secret_key, frozen.token)


class Signer:
    """Signs requests with SigV4, from explicit credentials or botocore's credential chain.

    Args:
        credentials: explicit credentials (an :class:`AwsCredentials`, a ``(key id, secret[, token])`` tuple,
            or a botocore credentials object, refreshable ones included); ``None`` uses botocore's chain.
        profile: the shared-config profile for botocore's chain.
    """

    def __init__(
        self,
        credentials: CredentialsLike | None = None,
        *,
        profile: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._static: AwsCredentials | None = None
        self._botocore: _BotocoreCredentials | None = None
        if isinstance(credentials, AwsCredentials):
            self._static = credentials
        elif isinstance(credentials, tuple):
            if len(credentials) not in (2, 3) or not all(isinstance(p, str) for p in credentials[:2]):
                raise TypeError(
                    "credentials tuple must be (access key id, secret access key[, session token])"
                )
            token = credentials[2] if len(credentials) == 3 else None
            self._static = AwsCredentials(credentials[0], credentials[1], token)
        elif credentials is not None:
            if not hasattr(credentials, "get_frozen_credentials"):
                raise TypeError(f"unsupported credentials type {type(credentials).__name__}")
            self._botocore = credentials
        self._profile = profile
        self._clock = clock
        self._resolved = credentials is not None
        self._lock = asyncio.Lock()
        self._sigv4: Any = None
        self._aws_request: Any = None
        self._read_only: Any = None

    def __repr__(self) -> str:
        source = "explicit" if self._static is not None else "botocore"
        return f"<Signer credentials={source} profile={self._profile!r}>"

    async def credentials(self) -> AwsCredentials:
        """The current credentials, resolved and refreshed off the event loop.

        Raises:
            CognitoError: no credentials could be found.
        """
        if self._static is not None:
            return self._static
        async with self._lock:
            if not self._resolved:
                self._botocore = await asyncio.to_thread(self._resolve_chain)
                self._resolved = True
            creds = self._botocore
            if creds is None:
                from ..errors import CognitoError

                raise CognitoError(
                    "no AWS credentials found for a signed call: set them in the environment, a profile, "
                    "or pass credentials= to the client"
                )
            refresh_needed = getattr(creds, "refresh_needed", None)
            if callable(refresh_needed) and refresh_needed():
                # A refresh may do blocking HTTP (container or instance metadata): use a thread.
                frozen = await asyncio.to_thread(creds.get_frozen_credentials)
            else:
                frozen = creds.get_frozen_credentials()
            return _as_aws_credentials(frozen)

    def _resolve_chain(self) -> _BotocoreCredentials | None:
        session_module = importlib.import_module("botocore.session")
        session = session_module.Session(profile=self._profile)
        found: _BotocoreCredentials | None = session.get_credentials()
        return found

    async def _load_botocore(self) -> None:
        if self._sigv4 is None:
            auth, request, credentials = await asyncio.to_thread(
                lambda: (
                    importlib.import_module("botocore.auth"),
                    importlib.import_module("botocore.awsrequest"),
                    importlib.import_module("botocore.credentials"),
                )
            )
            self._aws_request = request.AWSRequest
            self._read_only = credentials.ReadOnlyCredentials
            self._sigv4 = auth.SigV4Auth

    async def sign(
        self, service: str, region: str, url: str, headers: dict[str, str], body: bytes
    ) -> dict[str, str]:
        """Return ``headers`` with the SigV4 ``Authorization``, ``X-Amz-Date`` (and token) headers added."""
        await self._load_botocore()
        creds = await self.credentials()
        read_only = self._read_only(creds.access_key_id, creds.secret_access_key, creds.session_token)
        request = self._aws_request(method="POST", url=url, data=body, headers=headers)
        self._sigv4(read_only, service, region).add_auth(request)
        return {key: str(value) for key, value in request.headers.items()}
