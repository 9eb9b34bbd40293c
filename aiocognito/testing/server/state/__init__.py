"""The model of the local user pool: user pools, app clients, users, devices, groups, identity pools."""

from .pools import (
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
