"""The signed-in user: a username, its tokens and its remembered device, bound to a pool."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .flows import DeviceCredentials
from .tokens import TokenSet

if TYPE_CHECKING:
    from .pool import UserPool

__all__ = ["User"]


class User:
    """A user signed in to a :class:`~aiocognito.UserPool`.

    Attributes:
        username: the username Cognito knows the user by (``cognito:username``).
        pool: the pool the user signed in to.
        device: the device remembered for this user, when there is one.
    """

    __slots__ = ("_tokens", "device", "pool", "username")

    def __init__(
        self,
        pool: UserPool,
        username: str,
        tokens: TokenSet,
        *,
        device: DeviceCredentials | None = None,
    ) -> None:
        self.pool = pool
        self.username = username
        self._tokens = tokens
        self.device = device

    def __repr__(self) -> str:
        return f"<User {self.username!r} of {self.pool.pool_id}>"

    @property
    def current_tokens(self) -> TokenSet:
        """The tokens as they are now, without refreshing them."""
        return self._tokens
