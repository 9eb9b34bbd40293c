"""Challenges: those a flow answers itself until tokens or a caller's step come back (:func:`settle`),
and the answers to a caller's (:func:`answer_challenge`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ...errors import ProtocolError
from .. import srp
from ..checks import MAX_NAME_CHARS, text_problem
from .devices import device_srp, signed
from .messages import (
    MAX_NAMES,
    challenge_parameters,
    name_list,
    respond,
    returned_username,
    session_of,
    shown_name,
    str_field,
)
from .srp_flow import password_verifier
from .values import (
    CALLER_CHALLENGES,
    INTERNAL_CHALLENGES,
    LOCAL_EMAIL_SETUP,
    LOCAL_PASSWORD,
    LOCAL_TOTP_SETUP,
    Answer,
    Call,
    Challenge,
    ClientConfig,
    Env,
    Flow,
    SignInContext,
    new_ephemeral,
)

__all__ = ["answer_challenge", "settle"]

# A TOTP secret is 16 to about 100 base32 characters.
_MAX_SECRET_CODE_CHARS = 1024
# More rounds than this inside one call to the flow means a server that loops.
_MAX_INTERNAL_ROUNDS = 8

_CODE_FIELDS = {
    "SMS_MFA": "SMS_MFA_CODE",
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
    "EMAIL_OTP": "EMAIL_OTP_CODE",
    "SMS_OTP": "SMS_OTP_CODE",
}
_MFA_CHOICES = {
    "SMS": "SMS_MFA",
    "SMS_MFA": "SMS_MFA",
    "TOTP": "SOFTWARE_TOKEN_MFA",
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA",
    "EMAIL": "EMAIL_OTP",
    "EMAIL_OTP": "EMAIL_OTP",
}
_SETUP_CHOICES = {"TOTP": "TOTP", "SOFTWARE_TOKEN_MFA": "TOTP", "EMAIL": "EMAIL", "EMAIL_OTP": "EMAIL"}


def settle(
    cfg: ClientConfig,
    ctx: SignInContext,
    reply: Mapping[str, Any],
    env: Env,
    *,
    ephemeral: srp.Ephemeral | None,
    username: str,
) -> Flow:
    """Answer the internal challenges of a reply until tokens or a caller's challenge come back."""
    for _ in range(_MAX_INTERNAL_ROUNDS):
        if not isinstance(reply, Mapping):
            raise ProtocolError("reply is not an object", step="sign-in")
        name = reply.get("ChallengeName")
        if name is None:
            return (yield from signed(cfg, ctx, reply, env, username))
        if not isinstance(name, str):
            raise ProtocolError("not a string", step="sign-in", field="ChallengeName")
        params = challenge_parameters(reply, name)
        username = returned_username(params, username, name)
        session = session_of(reply, name)
        if name == "PASSWORD_VERIFIER":
            if ephemeral is None or ctx.password is None:
                raise ProtocolError("PASSWORD_VERIFIER without an SRP start", step=name)
            reply = yield from password_verifier(cfg, ctx, params, session, ephemeral, username, env)
            ephemeral = None
        elif name == "DEVICE_SRP_AUTH":
            if ctx.device is None:
                raise ProtocolError("DEVICE_SRP_AUTH but no device is remembered", step=name)
            reply = yield from device_srp(cfg, ctx, ctx.device, session, username, env)
        elif name in INTERNAL_CHALLENGES:
            raise ProtocolError("challenge out of order", step=name)
        elif name in CALLER_CHALLENGES:
            available = reply.get("AvailableChallenges", ())
            if (
                not isinstance(available, list | tuple)
                or len(available) > MAX_NAMES
                or not all(text_problem(c, MAX_NAME_CHARS) is None for c in available)
            ):
                raise ProtocolError("not a list of names", step=name, field="AvailableChallenges")
            challenge = Challenge(name, username, session, params, tuple(available), ctx)
            if name == "MFA_SETUP":
                # Like Amplify: with one way to set up MFA, take it; ask only when there is a choice.
                options = {_SETUP_CHOICES.get(n) for n in name_list(params.get("MFAS_CAN_SETUP"), name)}
                options.discard(None)
                if len(options) == 1:
                    only = options.pop()
                    assert only is not None
                    return (yield from answer_challenge(cfg, challenge, Answer(only), env))
            return challenge
        else:
            keys = sorted(str(key)[:64] for key in params)
            raise ProtocolError(
                f"unknown challenge {shown_name(name)} with parameters {json.dumps(keys[:20])}",
                step="sign-in",
            )
    raise ProtocolError("too many challenge rounds without an answer", step="sign-in")


def answer_challenge(cfg: ClientConfig, challenge: Challenge, answer: Answer, env: Env) -> Flow:
    """Answer a caller's challenge and run the flow on to tokens or the next challenge."""
    ctx = challenge.context
    if ctx is None:
        raise ValueError("this challenge has no sign-in context")
    name = challenge.challenge_name
    username = challenge.username
    session = challenge.session
    ephemeral: srp.Ephemeral | None = None
    if name in _CODE_FIELDS:
        call = respond(cfg, ctx, name, username, session, {_CODE_FIELDS[name]: answer.value})
    elif name == "CUSTOM_CHALLENGE":
        call = respond(cfg, ctx, name, username, session, {"ANSWER": answer.value})
    elif name == "NEW_PASSWORD_REQUIRED":
        responses = {"NEW_PASSWORD": answer.value}
        responses.update({f"userAttributes.{key}": value for key, value in answer.attributes.items()})
        call = respond(cfg, ctx, name, username, session, responses)
    elif name == "SELECT_MFA_TYPE":
        choice = _MFA_CHOICES.get(answer.value.upper())
        if choice is None:
            raise ValueError(f"choose one of {sorted(set(_MFA_CHOICES.values()))}")
        call = respond(cfg, ctx, name, username, session, {"ANSWER": choice})
    elif name == "MFA_SETUP":
        choice = _SETUP_CHOICES.get(answer.value.upper())
        if choice is None:
            raise ValueError("choose 'TOTP' or 'EMAIL'")
        if choice == "EMAIL":
            return Challenge(LOCAL_EMAIL_SETUP, username, session, challenge.parameters, (), ctx)
        if session is None:
            # Without an access token yet, the Session is what AssociateSoftwareToken and then
            # VerifySoftwareToken identify the sign-in by: a null one would go out as JSON null.
            raise ProtocolError("missing", step=name, field="Session")
        reply = yield Call("AssociateSoftwareToken", {"Session": session})
        secret = str_field(reply, "SecretCode", "AssociateSoftwareToken", _MAX_SECRET_CODE_CHARS)
        params = {**challenge.parameters, "SECRET_CODE": secret}
        next_session = session_of(reply, "AssociateSoftwareToken")
        if next_session is None:
            raise ProtocolError("missing", step="AssociateSoftwareToken", field="Session")
        return Challenge(LOCAL_TOTP_SETUP, username, next_session, params, (), ctx)
    elif name == LOCAL_TOTP_SETUP:
        verify: dict[str, Any] = {"Session": session, "UserCode": answer.value}
        if answer.friendly_device_name:
            verify["FriendlyDeviceName"] = answer.friendly_device_name
        reply = yield Call("VerifySoftwareToken", verify)
        status = reply.get("Status")
        if status != "SUCCESS":
            shown = shown_name(status) if isinstance(status, str) else type(status).__name__
            raise ProtocolError(f"status {shown}", step="VerifySoftwareToken", field="Status")
        call = respond(cfg, ctx, "MFA_SETUP", username, session_of(reply, "VerifySoftwareToken"), {})
    elif name == LOCAL_EMAIL_SETUP:
        call = respond(cfg, ctx, "MFA_SETUP", username, session, {"EMAIL": answer.value})
    elif name == "SELECT_CHALLENGE":
        choice_name = answer.value.upper()
        if challenge.available_challenges and choice_name not in challenge.available_challenges:
            raise ValueError(f"choose one of {list(challenge.available_challenges)}")
        password = answer.password or ctx.password
        if choice_name in ("PASSWORD", "PASSWORD_SRP") and password is None:
            params = {"CHOICE": choice_name}
            return Challenge(LOCAL_PASSWORD, username, session, params, challenge.available_challenges, ctx)
        responses = {"ANSWER": choice_name}
        if choice_name == "PASSWORD" and password is not None:
            responses["PASSWORD"] = password
        elif choice_name == "PASSWORD_SRP" and password is not None:
            ctx = replace(ctx, password=password)
            ephemeral = yield new_ephemeral(env)
            responses["SRP_A"] = ephemeral.srp_a
        call = respond(cfg, ctx, name, username, session, responses)
    elif name == "PASSWORD":
        ctx = replace(ctx, password=answer.value)
        call = respond(cfg, ctx, name, username, session, {"PASSWORD": answer.value})
    elif name == "PASSWORD_SRP":
        ctx = replace(ctx, password=answer.value)
        ephemeral = yield new_ephemeral(env)
        call = respond(cfg, ctx, name, username, session, {"SRP_A": ephemeral.srp_a})
    elif name == LOCAL_PASSWORD:
        choice_name = challenge.parameters.get("CHOICE", "PASSWORD")
        if choice_name not in ("PASSWORD", "PASSWORD_SRP"):
            raise ValueError(
                "this challenge is not a password step: CHOICE is neither PASSWORD nor PASSWORD_SRP"
            )
        ctx = replace(ctx, password=answer.value)
        responses = {"ANSWER": choice_name}
        if choice_name == "PASSWORD_SRP":
            ephemeral = yield new_ephemeral(env)
            responses["SRP_A"] = ephemeral.srp_a
        else:
            responses["PASSWORD"] = answer.value
        call = respond(cfg, ctx, "SELECT_CHALLENGE", username, session, responses)
    elif name == "WEB_AUTHN":
        call = respond(cfg, ctx, name, username, session, {"CREDENTIAL": answer.value})
    else:
        raise ValueError(f"the {name} challenge cannot be answered here")
    reply = yield call
    return (yield from settle(cfg, ctx, reply, env, ephemeral=ephemeral, username=username))
