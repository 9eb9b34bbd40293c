"""Starting a sign-in: InitiateAuth (or AdminInitiateAuth) with the flow's first parameters."""

from __future__ import annotations

import logging
from dataclasses import replace

from ...errors import ServiceError
from .. import srp
from .challenges import settle
from .messages import initiate
from .values import AuthFlow, ClientConfig, Env, Flow, SignInContext, Stopped, new_ephemeral

__all__ = ["start_sign_in"]

_log = logging.getLogger("aiocognito")

_STOPPING_ERRORS = {
    "UserNotConfirmedException": "CONFIRM_SIGN_UP",
    "PasswordResetRequiredException": "RESET_PASSWORD",
}


def start_sign_in(cfg: ClientConfig, ctx: SignInContext, env: Env) -> Flow:
    """Start a sign-in: InitiateAuth (or AdminInitiateAuth) and every round the flow answers itself.

    A remembered device that Cognito no longer knows is dropped and the sign-in tried once more without it.
    """
    try:
        return (yield from _start(cfg, ctx, env))
    except ServiceError as error:
        if ctx.device is None or error.code != "ResourceNotFoundException":
            raise
        _log.debug("the remembered device is unknown to Cognito: signing in without it")
        outcome = yield from _start(cfg, replace(ctx, device=None), env)
        return replace(outcome, device_forgotten=True) if not isinstance(outcome, Stopped) else outcome


def _start(cfg: ClientConfig, ctx: SignInContext, env: Env) -> Flow:
    flow = ctx.flow
    auth: dict[str, str] = {"USERNAME": ctx.username}
    ephemeral: srp.Ephemeral | None = None
    if flow is AuthFlow.USER_SRP_AUTH or (flow is AuthFlow.CUSTOM_AUTH and ctx.password is not None):
        if ctx.password is None:
            raise ValueError(f"{flow.value} needs a password")
        ephemeral = yield new_ephemeral(env)
        auth["SRP_A"] = ephemeral.srp_a
        if flow is AuthFlow.CUSTOM_AUTH:
            auth["CHALLENGE_NAME"] = "SRP_A"
    elif flow in (AuthFlow.USER_PASSWORD_AUTH, AuthFlow.ADMIN_USER_PASSWORD_AUTH):
        if ctx.password is None:
            raise ValueError(f"{flow.value} needs a password")
        auth["PASSWORD"] = ctx.password
    elif flow is AuthFlow.USER_AUTH and ctx.preferred_challenge is not None:
        auth["PREFERRED_CHALLENGE"] = ctx.preferred_challenge
        if ctx.preferred_challenge == "PASSWORD" and ctx.password is not None:
            auth["PASSWORD"] = ctx.password
        elif ctx.preferred_challenge == "PASSWORD_SRP" and ctx.password is not None:
            ephemeral = yield new_ephemeral(env)
            auth["SRP_A"] = ephemeral.srp_a
    if ctx.device is not None and ephemeral is None:
        # Without SRP there is no PASSWORD_VERIFIER answer to carry the device key: send it now.
        auth["DEVICE_KEY"] = ctx.device.device_key
    try:
        reply = yield initiate(cfg, ctx, auth)
        # Inside the try: Cognito says UserNotConfirmed / PasswordResetRequired for SRP only after the
        # PASSWORD_VERIFIER answer (the password is checked first), some emulators at InitiateAuth.
        return (yield from settle(cfg, ctx, reply, env, ephemeral=ephemeral, username=ctx.username))
    except ServiceError as error:
        reason = _STOPPING_ERRORS.get(error.code)
        if reason is None:
            raise
        return Stopped(reason, ctx.username, error)
