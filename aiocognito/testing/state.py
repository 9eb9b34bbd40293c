"""The model of the local user pool at its first import path (it lives in :mod:`.server.state`).

``aiocognito serve-local`` and code written before the server had its own folder import
:class:`StateFileError` and :class:`Store` from here; both are the very same objects.
"""

from .server.state import (
    DEFAULT_PASSWORD_POLICY,
    STANDARD_ATTRIBUTES,
    Client,
    Device,
    Group,
    IdentityPool,
    Pool,
    RefreshRecord,
    StateFileError,
    Store,
    User,
    make_verifier,
    new_client_id,
    new_pool_id,
    random_id,
)

__all__ = [
    "DEFAULT_PASSWORD_POLICY",
    "STANDARD_ATTRIBUTES",
    "Client",
    "Device",
    "Group",
    "IdentityPool",
    "Pool",
    "RefreshRecord",
    "StateFileError",
    "Store",
    "User",
    "make_verifier",
    "new_client_id",
    "new_pool_id",
    "random_id",
]
