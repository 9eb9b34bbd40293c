"""The SRP rounds a flow answers itself: PASSWORD_VERIFIER, and the claim device SRP reuses."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

from ...errors import ProtocolError
from .. import srp
from .messages import respond, str_field
from .values import ClientConfig, Compute, Effect, Env, SignInContext

__all__ = ["claim", "password_verifier"]


def claim(
    params: Mapping[str, Any],
    step: str,
    *,
    pool_name: str,
    user_id: str,
    password: str,
    ephemeral: srp.Ephemeral,
    env: Env,
) -> Generator[Effect, Any, dict[str, str]]:
    """The ChallengeResponses proving the password (user SRP) or the device secret (device SRP)."""
    salt, srp_b, secret_block = params.get("SALT"), params.get("SRP_B"), params.get("SECRET_BLOCK")
    for name, value in (("SALT", salt), ("SRP_B", srp_b), ("SECRET_BLOCK", secret_block)):
        if not isinstance(value, str) or not value:
            raise ProtocolError("missing or not a string", step=step, field=name)
    # Checked here, before the Compute: a bad challenge costs no big-number work and sends nothing.
    srp.check_server_values(srp_b=srp_b, salt=salt, secret_block=secret_block, step=step)
    timestamp = srp.timestamp(env.now())
    signature = yield Compute(
        srp.password_claim,
        kwargs={
            "pool_name": pool_name,
            "user_id_for_srp": user_id,
            "password": password,
            "ephemeral": ephemeral,
            "srp_b": srp_b,
            "salt": salt,
            "secret_block": secret_block,
            "timestamp": timestamp,
            "step": step,
        },
    )
    return {
        "PASSWORD_CLAIM_SECRET_BLOCK": secret_block,
        "TIMESTAMP": timestamp,
        "PASSWORD_CLAIM_SIGNATURE": signature,
    }


def password_verifier(
    cfg: ClientConfig,
    ctx: SignInContext,
    params: Mapping[str, Any],
    session: str | None,
    ephemeral: srp.Ephemeral,
    username: str,
    env: Env,
) -> Generator[Effect, Any, Mapping[str, Any]]:
    step = "PASSWORD_VERIFIER"
    user_id = str_field(params, "USER_ID_FOR_SRP", step)
    assert ctx.password is not None  # checked by the caller
    responses = yield from claim(
        params,
        step,
        pool_name=srp.pool_name(cfg.pool_id),
        user_id=user_id,
        password=ctx.password,
        ephemeral=ephemeral,
        env=env,
    )
    if ctx.device is not None:
        responses["DEVICE_KEY"] = ctx.device.device_key
    reply: Mapping[str, Any] = yield respond(cfg, ctx, step, username, session, responses)
    return reply
