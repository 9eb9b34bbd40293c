"""The model of the local user pool: user pools, app clients, users, devices, groups, identity pools.

Plain mutable dataclasses, kept in one :class:`Store` that is saved as JSON when the server has a
state file. What a pool does with them (sign-in, codes, tokens) lives in the operations' modules; the
model only knows the data, the look-ups and the rules that are pure functions of it (password policy,
attribute names).

- :mod:`.store`: :class:`Store` (everything kept across restarts) and the state file.
- :mod:`.pools`: :class:`Pool`, :class:`Client`, :class:`Group`, :class:`RefreshRecord`, ids.
- :mod:`.users`: :class:`User`, :class:`Device`, password verifiers.
- :mod:`.identity_pools`: :class:`IdentityPool`.
- :mod:`.json_form`: reading a record back from JSON, every field checked; :class:`StateFileError`.
"""

from .identity_pools import IdentityPool
from .json_form import StateFileError
from .pools import (
    DEFAULT_PASSWORD_POLICY,
    STANDARD_ATTRIBUTES,
    Client,
    Group,
    Pool,
    RefreshRecord,
    new_client_id,
    new_pool_id,
    random_id,
)
from .store import Store
from .users import Device, User, make_verifier

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
