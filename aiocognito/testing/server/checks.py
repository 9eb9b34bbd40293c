"""Checks several operations make on what a request carries: the ``SECRET_HASH`` of an app client with
a secret, the entries an ``AuthParameters`` or ``ChallengeResponses`` map must have, and the access
token of the user's own operations.
"""

from __future__ import annotations

import hmac
from typing import Any

from aiocognito.core import srp

from ..faults import invalid_parameter, not_authorized
from .context import Context
from .state import Client, Pool, User
from .tokens import read_access_token

__all__ = ["check_secret_hash", "require", "signed_in"]


def check_secret_hash(client: Client, given: object, usernames: list[str]) -> None:
    """Cognito's SECRET_HASH check for a client with a secret; any of ``usernames`` may be hashed.

    Raises:
        Fault: NotAuthorizedException with Cognito's message when missing or wrong.
    """
    if not client.secret:
        return
    if not isinstance(given, str) or not given:
        raise not_authorized(f"Client {client.id} is configured with secret but SECRET_HASH was not received")
    for secret in client.secrets:  # during a rotation, either secret is good
        for name in usernames:
            if name and hmac.compare_digest(
                srp.secret_hash(name, client.id, secret).encode(), given.encode()
            ):
                return
    raise not_authorized(f"Unable to verify secret hash for client {client.id}")


def require(params: dict[str, str], name: str) -> str:
    """A required AuthParameters / ChallengeResponses entry.

    Raises:
        Fault: InvalidParameterException "Missing required parameter NAME".
    """
    value = params.get(name)
    if not value:
        raise invalid_parameter(f"Missing required parameter {name}")
    return value


def signed_in(ctx: Context, body: dict[str, Any]) -> tuple[Pool, User]:
    """The pool and user of the request's ``AccessToken``, for the operations on the user's own account.

    Raises:
        Fault: NotAuthorizedException (invalid, expired, revoked, wrong scope), UserNotFoundException.
    """
    pool, user, _ = read_access_token(ctx.keys, ctx.store, body.get("AccessToken"), now=ctx.now())
    return pool, user
