"""botocore / aiobotocore sessions whose credentials come from a user's identity pool, by public API only.

A session finds credentials through its ``credential_provider`` component (a ``CredentialResolver``);
putting a provider first in that chain is the documented way to feed it, so no private attribute
(``session._credentials``) is touched. boto3 takes such a session as ``boto3.Session(botocore_session=...)``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["METHOD", "with_aiobotocore_credentials", "with_botocore_credentials"]

#: How botocore names where the credentials came from (``credentials.method``).
METHOD = "aiocognito-identity-pool"


def _provider_base() -> type[Any]:
    from botocore.credentials import CredentialProvider

    base: type[Any] = CredentialProvider
    return base


def with_botocore_credentials(session: Any, credentials: Any) -> Any:
    """Put ``credentials`` (botocore ``RefreshableCredentials``) first in ``session``'s chain; returns it."""

    class _Fixed(_provider_base()):  # type: ignore[misc]
        METHOD = globals()["METHOD"]
        CANONICAL_NAME = "custom-aiocognito"

        def load(self) -> Any:
            return credentials

    _first(session, _Fixed())
    return session


def with_aiobotocore_credentials(session: Any, credentials: Any) -> Any:
    """Put ``credentials`` (aiobotocore ``AioRefreshableCredentials``) first in an ``AioSession``'s chain."""

    class _Fixed(_provider_base()):  # type: ignore[misc]
        METHOD = globals()["METHOD"]
        CANONICAL_NAME = "custom-aiocognito"

        async def load(self) -> Any:  # aiobotocore's resolver awaits load()
            return credentials

    _first(session, _Fixed())
    return session


def _first(session: Any, provider: Any) -> None:
    resolver = session.get_component("credential_provider")
    if resolver.providers:
        resolver.insert_before(resolver.providers[0].METHOD, provider)
    else:
        resolver.providers.append(provider)
