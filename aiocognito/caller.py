"""The caller: one Cognito operation in, its reply out (endpoints, SigV4 where needed, the transport).

:class:`CognitoCaller` is the only part that knows where a pool's requests go and how they are signed.
Everything else that talks to Cognito (the sign-in service, the refresher, a :class:`~aiocognito.User`,
identity-pool credentials) depends on the small :class:`Caller` protocol, so a test can hand it a script.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

import aiohttp

from .limits.categories import QUOTA_CATEGORIES, SEPARATE_QUOTA, category_of
from .limits.protocol import RateLimiter
from .wire._tables.operations import SERVICES
from .wire.operations import is_repeatable
from .wire.signing import Signer
from .wire.transport import Transport

__all__ = ["LARGE_REPLIES", "Caller", "CognitoCaller", "checked_rate_limits"]

_OPERATION = re.compile(r"[A-Z][A-Za-z0-9]{1,127}")
#: Operations whose replies carry managed-login branding assets: up to 40 (AssetListType) of up to
#: 1,000,000 bytes each (AssetBytesType), base64 in JSON, about 53 MB in all. Their cap is raised to this.
LARGE_REPLIES: Mapping[str, int] = dict.fromkeys(
    (
        "CreateManagedLoginBranding",
        "DescribeManagedLoginBranding",
        "DescribeManagedLoginBrandingByClient",
        "UpdateManagedLoginBranding",
    ),
    64 * 1024 * 1024,
)


class Caller(Protocol):
    """Calls one operation of ``cognito-idp`` or ``cognito-identity`` and returns its reply."""

    async def call(
        self,
        operation: str,
        params: Mapping[str, Any],
        *,
        service: str = "cognito-idp",
        max_reply_bytes: int | None = None,
    ) -> dict[str, Any]: ...


def checked_rate_limits(rate_limits: Mapping[str, RateLimiter] | None) -> dict[str, RateLimiter]:
    """``UserPool(rate_limits=...)``, checked: quota category names (or operation names) to limiters.

    Raises:
        ValueError: a key that is neither a quota category nor a ``cognito-idp`` operation.
        TypeError: not a mapping, or a value that is not a :class:`~aiocognito.limits.RateLimiter`.
    """
    if rate_limits is None:
        return {}
    if not isinstance(rate_limits, Mapping):
        raise TypeError("rate_limits must map quota categories to rate limiters")
    operations = SERVICES["cognito-idp"].operations
    for key, limiter in rate_limits.items():
        if key not in QUOTA_CATEGORIES and key not in operations:
            raise ValueError(
                f"rate_limits: {key!r} is neither a quota category ({', '.join(sorted(QUOTA_CATEGORIES))}) "
                "nor a cognito-idp operation"
            )
        if not isinstance(limiter, RateLimiter):
            raise TypeError(f"rate_limits[{key!r}] is not a RateLimiter (acquire, slow_down, recover)")
    return dict(rate_limits)


class CognitoCaller:
    """Sends operations to a pool's endpoints: unsigned where botocore's model says so, else SigV4-signed.

    Args:
        urls: the endpoint of each service (``"cognito-idp"``, ``"cognito-identity"``).
        region: the region signatures are made for.
        transport: sends the requests (retries, limits, no redirects).
        signer: signs the operations that need AWS credentials.
        rate_limits: a limiter per quota category (``"UserAuthentication"``...) or per operation, each
            acquired before every request it covers (retries included). An operation's own entry wins;
            RespondToAuthChallenge and AdminRespondToAuthChallenge, which have a quota of their own
            (:data:`~aiocognito.limits.SEPARATE_QUOTA`), are paced only by an entry of their own.
    """

    def __init__(
        self,
        urls: Mapping[str, str],
        region: str,
        transport: Transport,
        signer: Signer,
        *,
        rate_limits: Mapping[str, RateLimiter] | None = None,
    ) -> None:
        self._urls = dict(urls)
        self._region = region
        self._transport = transport
        self._signer = signer
        self._rate_limits = checked_rate_limits(rate_limits)

    def limiter_for(self, operation: str, service: str = "cognito-idp") -> RateLimiter | None:
        """The limiter a request of ``operation`` waits for, if any."""
        if service != "cognito-idp" or not self._rate_limits:
            return None
        own = self._rate_limits.get(operation)
        if own is not None or operation in SEPARATE_QUOTA:
            return own
        category = category_of(operation)
        return self._rate_limits.get(category) if category is not None else None

    def __repr__(self) -> str:
        return f"<CognitoCaller {self._urls['cognito-idp']}>"

    def url(self, service: str = "cognito-idp") -> str:
        """The endpoint requests for ``service`` go to."""
        return self._urls[service]

    @property
    def max_reply_bytes(self) -> int:
        """The most bytes read of one reply, unless the operation or the call says more."""
        return self._transport.max_reply_bytes

    async def open(self) -> aiohttp.ClientSession:
        """The HTTP session, opened on first use."""
        return await self._transport.session()

    async def aclose(self) -> None:
        """Close the HTTP session, unless it was lent."""
        await self._transport.aclose()

    async def call(
        self,
        operation: str,
        params: Mapping[str, Any],
        *,
        service: str = "cognito-idp",
        max_reply_bytes: int | None = None,
    ) -> dict[str, Any]:
        """Call ``operation`` and return the reply (see :meth:`aiocognito.UserPool.call`).

        Raises:
            ServiceError, TransportError, ProtocolError: as :meth:`aiocognito.UserPool.call`.
            ValueError: an unknown service, a malformed operation name, a cap that is not a positive int.
        """
        info = SERVICES.get(service)
        if info is None:
            raise ValueError(f"unknown service {service!r}: expected 'cognito-idp' or 'cognito-identity'")
        if not isinstance(operation, str) or not _OPERATION.fullmatch(operation):
            raise ValueError("operation must be an operation name such as 'InitiateAuth'")
        limit = self._transport.max_reply_bytes
        if max_reply_bytes is not None:
            if type(max_reply_bytes) is not int or max_reply_bytes < 1:
                raise ValueError("max_reply_bytes must be a positive int")
            limit = max_reply_bytes
        elif operation in LARGE_REPLIES:
            limit = max(limit, LARGE_REPLIES[operation])
        sign = None
        if operation not in info.unauthenticated:
            signer, region, signing_name = self._signer, self._region, info.signing_name

            async def sign(url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
                return await signer.sign(signing_name, region, url, headers, body)

        return await self._transport.post_json(
            self._urls[service],
            f"{info.target_prefix}.{operation}",
            params,
            operation=operation,
            repeatable=is_repeatable(operation),
            sign=sign,
            max_reply_bytes=limit,
            pace=self.limiter_for(operation, service),
        )
