"""Remembered devices in a sign-in: device SRP (DEVICE_SRP_AUTH) and confirming a new device."""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping
from typing import Any

from ...errors import CognitoError, ProtocolError
from .. import srp
from ..tokens import TokenSet
from .messages import challenge_parameters, respond, returned_username, session_of, shown_name, str_field
from .srp_flow import claim
from .values import (
    Call,
    ClientConfig,
    Compute,
    DeviceCredentials,
    Effect,
    Env,
    Flow,
    Signed,
    SignInContext,
    new_ephemeral,
)

__all__ = ["device_srp", "signed"]

_log = logging.getLogger("aiocognito")
# An id token carries every attribute of its user (see aiocognito.tokens).
_MAX_TOKEN_CHARS = 262_144


def device_srp(
    cfg: ClientConfig,
    ctx: SignInContext,
    device: DeviceCredentials,
    session: str | None,
    username: str,
    env: Env,
) -> Generator[Effect, Any, Mapping[str, Any]]:
    ephemeral = yield new_ephemeral(env)
    reply = yield respond(
        cfg,
        ctx,
        "DEVICE_SRP_AUTH",
        username,
        session,
        {"DEVICE_KEY": device.device_key, "SRP_A": ephemeral.srp_a},
    )
    step = "DEVICE_PASSWORD_VERIFIER"
    if not isinstance(reply, Mapping) or reply.get("ChallengeName") != step:
        got = reply.get("ChallengeName") if isinstance(reply, Mapping) else None
        shown = shown_name(got) if isinstance(got, str) else repr(type(got).__name__)
        raise ProtocolError(f"expected {step}, got {shown}", step="DEVICE_SRP_AUTH", field="ChallengeName")
    params = challenge_parameters(reply, step)
    username = returned_username(params, username, step)
    session = session_of(reply, step)
    responses = yield from claim(
        params,
        step,
        pool_name=device.device_group_key,
        user_id=device.device_key,
        password=device.device_password,
        ephemeral=ephemeral,
        env=env,
    )
    responses["DEVICE_KEY"] = device.device_key
    answer: Mapping[str, Any] = yield respond(cfg, ctx, step, username, session, responses)
    return answer


def signed(cfg: ClientConfig, ctx: SignInContext, reply: Mapping[str, Any], env: Env, username: str) -> Flow:
    result = reply.get("AuthenticationResult")
    if not isinstance(result, dict):
        raise ProtocolError("no ChallengeName and no AuthenticationResult", step="sign-in")
    for name in ("AccessToken", "IdToken"):
        str_field(result, name, "AuthenticationResult", _MAX_TOKEN_CHARS)
    new_device = result.get("NewDeviceMetadata")
    if not new_device:
        # The caller reads the tokens (TokenSet.from_result) before it stores or uses anything.
        return Signed(result, username, device=ctx.device)
    if not isinstance(new_device, dict):
        raise ProtocolError("not an object", step="AuthenticationResult", field="NewDeviceMetadata")
    # ConfirmDevice sends the access token on: read the tokens first, so tokens the caller will refuse
    # never confirm a device.
    TokenSet.from_result(result, now=env.now())
    device_key = str_field(new_device, "DeviceKey", "NewDeviceMetadata")
    group_key = str_field(new_device, "DeviceGroupKey", "NewDeviceMetadata")
    secret = yield Compute(
        srp.device_secret,
        (group_key, device_key),
        {
            "password_bytes": env.random_bytes(srp.DEVICE_PASSWORD_BYTES),
            "salt_bytes": env.random_bytes(srp.DEVICE_SALT_BYTES),
        },
    )
    try:
        confirmed = yield Call(
            "ConfirmDevice",
            {
                "AccessToken": result["AccessToken"],
                "DeviceKey": device_key,
                "DeviceSecretVerifierConfig": {"Salt": secret.salt, "PasswordVerifier": secret.verifier},
                "DeviceName": env.device_name,
            },
        )
    except CognitoError as error:
        # The tokens are good; only the device is not remembered. Say so, and go on without it.
        _log.warning("signed in, but ConfirmDevice failed (%s): the device is not remembered", error)
        return Signed(result, username)
    necessary = isinstance(confirmed, Mapping) and confirmed.get("UserConfirmationNecessary") is True
    device = DeviceCredentials(device_key, group_key, secret.password)
    return Signed(result, username, device=device, user_confirmation_necessary=necessary)
