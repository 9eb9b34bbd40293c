"""Password checks in sign-in: Cognito's lock-out after wrong passwords, and who may sign in at all."""

from __future__ import annotations

from ...faults import Fault, not_authorized, user_not_found
from ..context import Context
from ..state import Client, Pool, User

__all__ = ["check_not_locked", "check_password", "check_status", "existing_user", "record_failure"]

# Five wrong passwords in a row lock the user out, first for 1 s, doubling up to 15 minutes (Cognito).
_FREE_ATTEMPTS = 5
_MAX_LOCKOUT = 900.0


def existing_user(client: Client, user: User | None) -> User:
    """The user signing in, who must exist and be enabled.

    Raises:
        Fault: NotAuthorizedException (or UserNotFoundException when the client shows existence errors).
    """
    if user is None:
        raise not_authorized() if client.prevent_existence_errors else user_not_found()
    if not user.enabled:
        raise not_authorized("User is disabled.")
    return user


def record_failure(ctx: Context, user: User) -> None:
    """Count a wrong password: from the fifth in a row the user is locked out for 1 s, then 2, 4..."""
    user.failed_attempts += 1
    if user.failed_attempts >= _FREE_ATTEMPTS:
        delay = min(2.0 ** (user.failed_attempts - _FREE_ATTEMPTS), _MAX_LOCKOUT)
        user.locked_until = ctx.now() + delay


def check_not_locked(ctx: Context, user: User) -> None:
    """Raises: Fault: NotAuthorizedException "Password attempts exceeded" while the user is locked out."""
    if ctx.now() < user.locked_until:
        raise not_authorized("Password attempts exceeded")


def check_password(ctx: Context, pool: Pool, user: User, password: str) -> None:
    """Check a plain password, counting failures toward Cognito's lock-out.

    Raises:
        Fault: NotAuthorizedException "Incorrect username or password." or "Password attempts exceeded".
    """
    check_not_locked(ctx, user)
    if not user.check_password(pool.srp_name, password):
        record_failure(ctx, user)
        raise not_authorized()
    user.failed_attempts = 0


def check_status(user: User) -> None:
    """Refuse a user who signed up but is not confirmed, or whose password an administrator reset.

    Raises:
        Fault: UserNotConfirmedException or PasswordResetRequiredException.
    """
    if user.status == "UNCONFIRMED":
        raise Fault("UserNotConfirmedException", "User is not confirmed.")
    if user.status == "RESET_REQUIRED":
        raise Fault("PasswordResetRequiredException", "Password reset required for the user")
