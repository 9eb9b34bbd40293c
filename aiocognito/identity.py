"""Temporary AWS credentials from a Cognito identity pool, for a signed-in user.

GetId and GetCredentialsForIdentity (``cognito-identity``, unsigned) with the Logins key
``cognito-idp.<region>.amazonaws.com/<pool id>`` and the user's ID token as its value. The credentials
are cached and fetched again five minutes before they expire, one fetch at a time.
"""

from __future__ import annotations

import asyncio
import datetime
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .core.tokens import TokenSet
from .errors import ProtocolError
from .wire.endpoints import endpoint_url
from .wire.signing import AwsCredentials

if TYPE_CHECKING:
    # The real classes, for users with their types (botocore-stubs, types-aiobotocore) or pyright.
    from aiobotocore.credentials import AioRefreshableCredentials
    from aiobotocore.session import AioSession
    from botocore.credentials import RefreshableCredentials
    from botocore.session import Session

    from .caller import Caller

__all__ = ["IdentityCredentials", "logins_key"]

_REFRESH_BEFORE = 300.0
# botocore and aiobotocore refresh credentials with less than 15 minutes left ("advisory") and fail when the
# refreshed ones still have less than 10 ("mandatory"): what they get from us must have more than that.
_BOTOCORE_REFRESH_BEFORE = 15 * 60.0 + 60.0
# An Expiration past this (epoch seconds, the year 5138) is not a time Cognito sends.
_LATEST_EXPIRATION = 1e11


def logins_key(pool_id: str, region: str) -> str:
    """The identity pool ``Logins`` key of a user pool: ``cognito-idp.<region>.amazonaws.com/<pool id>``."""
    host = urllib.parse.urlsplit(endpoint_url("cognito-idp", region)).hostname
    return f"{host}/{pool_id}"


def _iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).isoformat()


class IdentityCredentials:
    """A user's identity-pool credentials, refreshed before they expire.

    ``await get()`` for :class:`~aiocognito.AwsCredentials`; :meth:`for_aiobotocore` and :meth:`for_botocore`
    for refreshable credentials those libraries use directly.

    Get one from :meth:`User.aws_credentials <aiocognito.User.aws_credentials>`.

    Args:
        tokens: gives the user's valid tokens (``user.tokens``); their ID token is the login.
        identity_pool_id: the identity pool.
        caller: sends GetId and GetCredentialsForIdentity.
        pool_id, region: the user pool, for the ``Logins`` key.
        now: the clock.
    """

    def __init__(
        self,
        tokens: Callable[[], Awaitable[TokenSet]],
        identity_pool_id: str,
        *,
        caller: Caller,
        pool_id: str,
        region: str,
        now: Callable[[], float],
    ) -> None:
        self._tokens = tokens
        self._caller = caller
        self._logins_key = logins_key(pool_id, region)
        self._now = now
        self.identity_pool_id = identity_pool_id
        self.identity_id: str | None = None
        self._credentials: AwsCredentials | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"<IdentityCredentials {self.identity_pool_id} identity {self.identity_id}>"

    async def get(self) -> AwsCredentials:
        """Valid credentials, fetched again when less than five minutes remain.

        Raises:
            ServiceError, TransportError: from GetId / GetCredentialsForIdentity.
            ProtocolError: a malformed reply.
        """
        return await self._get(_REFRESH_BEFORE)

    async def _get(self, margin: float) -> AwsCredentials:
        cached = self._credentials
        if cached is not None and not cached.expires_within(margin, now=self._now()):
            return cached
        async with self._lock:  # one fetch at a time: the callers that waited find the new credentials
            cached = self._credentials
            if cached is not None and not cached.expires_within(margin, now=self._now()):
                return cached
            self._credentials = await self._fetch()
            return self._credentials

    async def _fetch(self) -> AwsCredentials:
        tokens = await self._tokens()
        logins = {self._logins_key: tokens.id_token}
        if self.identity_id is None:
            reply = await self._caller.call(
                "GetId",
                {"IdentityPoolId": self.identity_pool_id, "Logins": logins},
                service="cognito-identity",
            )
            identity = reply.get("IdentityId")
            if not isinstance(identity, str) or not identity:
                raise ProtocolError("missing or not a string", step="GetId", field="IdentityId")
            self.identity_id = identity
        reply = await self._caller.call(
            "GetCredentialsForIdentity",
            {"IdentityId": self.identity_id, "Logins": logins},
            service="cognito-identity",
        )
        data = reply.get("Credentials")
        step = "GetCredentialsForIdentity"
        if not isinstance(data, dict):
            raise ProtocolError("missing or not an object", step=step, field="Credentials")
        fields = {}
        for name in ("AccessKeyId", "SecretKey", "SessionToken"):
            value = data.get(name)
            if not isinstance(value, str) or not value:
                raise ProtocolError("missing or not a string", step=step, field=name)
            fields[name] = value
        expiration = data.get("Expiration")
        if isinstance(expiration, str):
            try:
                expiration = datetime.datetime.fromisoformat(expiration.replace("Z", "+00:00")).timestamp()
            except ValueError:
                raise ProtocolError("not a time", step=step, field="Expiration") from None
        if isinstance(expiration, bool) or not isinstance(expiration, int | float):
            raise ProtocolError("missing or not a time", step=step, field="Expiration")
        if not 0 < expiration < _LATEST_EXPIRATION:  # also keeps float() below from overflowing
            raise ProtocolError("not a time in range", step=step, field="Expiration")
        return AwsCredentials(
            fields["AccessKeyId"], fields["SecretKey"], fields["SessionToken"], float(expiration)
        )

    async def _metadata(self) -> dict[str, Any]:
        credentials = await self._get(_BOTOCORE_REFRESH_BEFORE)
        return {
            "access_key": credentials.access_key_id,
            "secret_key": credentials.secret_access_key,
            "token": credentials.session_token,
            "expiry_time": _iso(credentials.expires_at or 0.0),
        }

    async def for_aiobotocore(self) -> AioRefreshableCredentials:
        """aiobotocore's ``AioRefreshableCredentials`` over these credentials (needs aiobotocore).

        Pass it where aiobotocore takes credentials, or use :meth:`aiobotocore_session`; it refreshes
        through this object.
        """
        from aiobotocore.credentials import AioRefreshableCredentials

        return AioRefreshableCredentials.create_from_metadata(
            await self._metadata(), refresh_using=self._metadata, method="aiocognito-identity-pool"
        )

    async def for_botocore(self) -> RefreshableCredentials:
        """botocore's ``RefreshableCredentials`` over these credentials, for boto3 or botocore clients.

        Its refreshes run on this event loop, so use the clients from other threads (``asyncio.to_thread``,
        an executor), as blocking botocore calls belong there anyway. Thread-safe: botocore serialises
        refreshes with its own lock.
        """
        from botocore.credentials import RefreshableCredentials

        loop = asyncio.get_running_loop()
        metadata = await self._metadata()

        def refresh() -> dict[str, Any]:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                raise RuntimeError(
                    "botocore credentials of aiocognito cannot refresh on the event loop's thread"
                )
            return asyncio.run_coroutine_threadsafe(self._metadata(), loop).result(timeout=60)

        return RefreshableCredentials.create_from_metadata(
            metadata, refresh_using=refresh, method="aiocognito-identity-pool"
        )

    async def botocore_session(self, session: Session | None = None) -> Session:
        """A botocore ``Session`` (``session``, else a new one) signing with these credentials (refreshed).

        For boto3: ``boto3.Session(botocore_session=await creds.botocore_session())``. The caveat of
        :meth:`for_botocore` holds: use its clients from worker threads.
        """
        import botocore.session

        from .boto_sessions import with_botocore_credentials

        target = session if session is not None else botocore.session.get_session()
        return with_botocore_credentials(target, await self.for_botocore())

    async def aiobotocore_session(self, session: AioSession | None = None) -> AioSession:
        """An aiobotocore ``AioSession`` (``session``, else a new one) signing with these credentials."""
        from aiobotocore.session import get_session

        from .boto_sessions import with_aiobotocore_credentials

        target = session if session is not None else get_session()
        return with_aiobotocore_credentials(target, await self.for_aiobotocore())
