"""The Lambda triggers around a user's life, with Cognito's events: post confirmation, pre and post
authentication, pre token generation (versions 1 and 2). User migration is in :mod:`.migration`, pre
sign-up in :mod:`.account` (SignUp), custom message in :mod:`.messages` (called as a message is sent),
and the custom-auth triggers in :mod:`.auth.custom`.
"""

from __future__ import annotations

from typing import Any

from .context import Context
from .state import Pool, User
from .token_claims import ClaimOverrides, overrides_from_response

__all__ = [
    "event_attributes",
    "post_authentication",
    "post_confirmation",
    "pre_authentication",
    "token_overrides",
]


def event_attributes(user: User) -> dict[str, str]:
    """The ``userAttributes`` of an event: the user's, with ``cognito:user_status`` as Cognito adds it."""
    return {**user.attributes, "cognito:user_status": user.status}


async def pre_authentication(
    ctx: Context, pool: Pool, client_id: str, user: User, *, validation_data: dict[str, str], metadata: Any
) -> None:
    """PreAuthentication_Authentication; raising in the trigger refuses the sign-in."""
    await ctx.run_trigger(
        pool,
        "pre_authentication",
        source="PreAuthentication_Authentication",
        username=user.username,
        client_id=client_id,
        request={
            "userAttributes": event_attributes(user),
            "validationData": dict(validation_data),
            "userNotFound": False,
            "clientMetadata": dict(metadata or {}),
        },
        response={},
    )


async def post_authentication(
    ctx: Context, pool: Pool, client_id: str, user: User, *, new_device_used: bool, metadata: Any
) -> None:
    """PostAuthentication_Authentication, before the tokens are handed out (raising withholds them)."""
    await ctx.run_trigger(
        pool,
        "post_authentication",
        source="PostAuthentication_Authentication",
        username=user.username,
        client_id=client_id,
        request={
            "userAttributes": event_attributes(user),
            "newDeviceUsed": new_device_used,
            "clientMetadata": dict(metadata or {}),
        },
        response={},
    )


async def post_confirmation(
    ctx: Context, pool: Pool, user: User, *, source: str, client_id: str, metadata: Any
) -> None:
    """PostConfirmation_ConfirmSignUp or PostConfirmation_ConfirmForgotPassword."""
    await ctx.run_trigger(
        pool,
        "post_confirmation",
        source=source,
        username=user.username,
        client_id=client_id,
        request={"userAttributes": event_attributes(user), "clientMetadata": dict(metadata or {})},
        response={},
    )


async def token_overrides(
    ctx: Context,
    pool: Pool,
    client_id: str,
    user: User,
    *,
    source: str,
    metadata: Any,
    scopes: list[str],
) -> ClaimOverrides | None:
    """Run the pre token generation trigger (``TokenGeneration_<source>``); the changes it asks for.

    Raises:
        Fault: UserLambdaValidationException, InvalidLambdaResponseException.
    """
    triggers = ctx.triggers.get(pool.id)
    if triggers is None or triggers.pre_token_generation is None:
        return None
    version = "2" if triggers.pre_token_generation_version == "V2_0" else "1"
    groups = sorted(user.groups)
    roles = [
        pool.groups[name].role_arn for name in groups if name in pool.groups and pool.groups[name].role_arn
    ]
    request: dict[str, Any] = {
        "userAttributes": event_attributes(user),
        "groupConfiguration": {
            "groupsToOverride": groups,
            "iamRolesToOverride": roles,
            "preferredRole": None,
        },
        "clientMetadata": dict(metadata or {}),
    }
    if version == "2":
        request["scopes"] = list(scopes)
        response: dict[str, Any] = {"claimsAndScopeOverrideDetails": None}
    else:
        response = {"claimsOverrideDetails": None}
    reply = await ctx.run_trigger(
        pool,
        "pre_token_generation",
        source=f"TokenGeneration_{source}",
        username=user.username,
        client_id=client_id,
        request=request,
        response=response,
        version=version,
    )
    return overrides_from_response(reply, version)
