"""The user migration trigger: a user the pool does not have signs in (or asks for a password reset),
and the trigger, knowing them from another system, gives their attributes; the pool then makes them.
"""

from __future__ import annotations

from typing import Any

from ..faults import Fault
from .context import Context
from .state import Pool, User
from .users import new_user_from_request

__all__ = ["migrate_user"]


async def migrate_user(
    ctx: Context,
    pool: Pool,
    client_id: str,
    username: str,
    *,
    source: str,
    password: str | None,
    metadata: Any,
    validation_data: dict[str, str] | None = None,
) -> User | None:
    """Ask the user migration trigger about a user the pool does not have; the new user, if it knows them.

    ``source`` is ``Authentication`` (``password`` is what the user typed, and becomes theirs) or
    ``ForgotPassword``.

    Raises:
        Fault: UserLambdaValidationException, InvalidLambdaResponseException, InvalidParameterException
            for attributes the pool's schema does not have.
    """
    if ctx.trigger(pool, "user_migration") is None:
        return None
    request: dict[str, Any] = {
        "validationData": dict(validation_data or {}),
        "clientMetadata": dict(metadata or {}),
    }
    if password is not None:
        request["password"] = password
    reply = await ctx.run_trigger(
        pool,
        "user_migration",
        source=f"UserMigration_{source}",
        username=username,
        client_id=client_id,
        request=request,
        response={
            "userAttributes": None,
            "finalUserStatus": None,
            "messageAction": None,
            "desiredDeliveryMediums": None,
            "forceAliasCreation": None,
            "enableSMSMFA": None,
        },
    )
    attributes = reply.get("userAttributes")
    if not attributes:
        return None  # the trigger does not know the user either
    if not isinstance(attributes, dict):
        raise Fault("InvalidLambdaResponseException", "Invalid UserMigration Lambda response")
    status = reply.get("finalUserStatus") or "CONFIRMED"
    if status not in ("CONFIRMED", "RESET_REQUIRED"):
        raise Fault(
            "InvalidLambdaResponseException", "Invalid UserMigration Lambda response: finalUserStatus"
        )
    listed = [
        {"Name": str(k), "Value": str(v)} for k, v in attributes.items() if k not in ("username", "sub")
    ]
    internal, values = new_user_from_request(ctx, pool, username, listed)
    if password is not None:
        pool.check_password_policy(password)
    user = pool.new_user(internal, ctx.now())
    user.attributes.update(values)
    if password is not None:
        user.set_password(pool.srp_name, password, ctx.now())
    # Migrated from ForgotPassword, the user has no password yet and must set one with the code.
    user.status = "RESET_REQUIRED" if password is None else str(status)
    user.sms_mfa_enabled = reply.get("enableSMSMFA") is True and "phone_number" in values
    return user
