"""Sign-in straight after sign-up, as Cognito does for clients that allow ``USER_AUTH``: SignUp returns a
``Session``, ConfirmSignUp takes it and returns a new one, and InitiateAuth ``USER_AUTH`` with that
``Session`` signs the user in without a password (what Amplify v6's ``autoSignIn`` sends).

Each such session is bound to its app client and user, lasts the client's AuthSessionValidity and
works once.
"""

from __future__ import annotations

from typing import Any

from ...faults import not_authorized
from ..context import Context
from ..state import Client, Pool, User
from .finish import after_first_factor
from .passwords import check_status
from .sessions import AuthSession

__all__ = ["CONFIRMED", "SIGNED_UP", "auto_sign_in", "redeem_sign_up_session", "sign_up_session"]

# What a session is good for: confirming the sign-up (and, once confirmed, signing in), or signing in.
SIGNED_UP = "AUTO_SIGN_IN_AFTER_SIGN_UP"
CONFIRMED = "AUTO_SIGN_IN_AFTER_CONFIRMATION"


def sign_up_session(ctx: Context, pool: Pool, client: Client, user: User, stage: str) -> str | None:
    """A new ``Session`` for ``user`` at ``stage``, or ``None`` when the client does not allow USER_AUTH."""
    if not client.allows("USER_AUTH"):
        return None
    session = AuthSession(
        pool_id=pool.id,
        client_id=client.id,
        username=user.username,
        typed_username=user.username,
        flow="USER_AUTH",
        expires_at=ctx.now() + client.session_minutes * 60,
        challenge=stage,
    )
    return ctx.sessions.issue(session)


def redeem_sign_up_session(
    ctx: Context, pool: Pool, client: Client, user: User | None, token: object, stages: tuple[str, ...]
) -> AuthSession:
    """The session ``token`` names, dropped (it works once), when it was issued for ``user`` of this client
    at one of ``stages``.

    Raises:
        Fault: NotAuthorizedException for an unknown, expired, used or foreign session.
    """
    session = ctx.sessions.get(token, ctx.now())
    if (
        session.challenge not in stages
        or session.client_id != client.id
        or session.pool_id != pool.id
        or user is None
        or session.username != user.username
    ):
        raise not_authorized("Invalid session for the user.")
    ctx.sessions.drop(session)
    return session


async def auto_sign_in(
    ctx: Context, pool: Pool, client: Client, user: User | None, session: AuthSession, token: object
) -> dict[str, Any]:
    """InitiateAuth USER_AUTH with a sign-up ``Session``: the user signs in without a first factor (MFA
    and a remembered device still follow, as after any first factor).

    Raises:
        Fault: NotAuthorizedException for a bad session or a user who cannot sign in.
    """
    redeemed = redeem_sign_up_session(ctx, pool, client, user, token, (CONFIRMED, SIGNED_UP))
    assert user is not None  # redeem_sign_up_session checks it
    if redeemed.challenge == SIGNED_UP and user.status != "CONFIRMED":
        raise not_authorized("User is not confirmed.")
    check_status(user)
    return await after_first_factor(ctx, pool, client, user, session)
