"""The requests a flow sends and the checks of the replies it reads (InitiateAuth, RespondToAuthChallenge
and their Admin* twins): every field of a reply is hostile until checked here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from ...errors import ProtocolError
from .. import safe_json as _json
from ..checks import MAX_NAME_CHARS, MAX_SESSION_CHARS, text_problem
from .values import Call, ClientConfig, SignInContext

__all__ = [
    "MAX_NAMES",
    "challenge_parameters",
    "cognito_call",
    "initiate",
    "name_list",
    "respond",
    "returned_username",
    "session_of",
    "shown_name",
    "str_field",
]

_QUOTED = re.compile(r"""['"]([^'"]*)['"]""")
# moto's Python repr of a list of names: "['SOFTWARE_TOKEN_MFA', 'EMAIL_OTP']" (and "[]").
_PYTHON_LIST = re.compile(r"""\[\s*(?:'[^'\\]*'\s*(?:,\s*'[^'\\]*'\s*)*)?\]""")
# Names in one list: MFA types, or the required attributes of a pool (at most 50 custom attributes and
# the standard ones).
MAX_NAMES = 256


# --- request building --------------------------------------------------------------------------------


def cognito_call(cfg: ClientConfig, ctx: SignInContext, operation: str, params: dict[str, Any]) -> Call:
    """The call, as the Admin* operation for an admin sign-in, with metadata and user context."""
    if ctx.client_metadata:
        params["ClientMetadata"] = dict(ctx.client_metadata)
    context = ctx.user_context
    if ctx.admin:
        params["UserPoolId"] = cfg.pool_id
        context_data = context.admin_context_data() if context else None
        if context_data:
            params["ContextData"] = context_data
        return Call(f"Admin{operation}", params)
    if context and context.user_context_data():
        params["UserContextData"] = context.user_context_data()
    return Call(operation, params)


def initiate(cfg: ClientConfig, ctx: SignInContext, auth_parameters: dict[str, str]) -> Call:
    secret_hash = cfg.secret_hash(ctx.username)
    if secret_hash is not None:
        auth_parameters["SECRET_HASH"] = secret_hash
    params: dict[str, Any] = {
        "AuthFlow": ctx.flow.value,
        "ClientId": cfg.client_id,
        "AuthParameters": auth_parameters,
    }
    if ctx.session is not None:
        params["Session"] = ctx.session
    return cognito_call(cfg, ctx, "InitiateAuth", params)


def respond(
    cfg: ClientConfig,
    ctx: SignInContext,
    challenge_name: str,
    username: str,
    session: str | None,
    responses: dict[str, str],
) -> Call:
    all_responses = {"USERNAME": username, **responses}
    secret_hash = cfg.secret_hash(username)
    if secret_hash is not None:
        all_responses["SECRET_HASH"] = secret_hash
    params: dict[str, Any] = {
        "ChallengeName": challenge_name,
        "ClientId": cfg.client_id,
        "ChallengeResponses": all_responses,
    }
    if session is not None:
        params["Session"] = session
    return cognito_call(cfg, ctx, "RespondToAuthChallenge", params)


# --- reply reading -----------------------------------------------------------------------------------


def str_field(container: Mapping[str, Any], name: str, step: str, max_chars: int = MAX_NAME_CHARS) -> str:
    """A non-empty string of at most ``max_chars`` characters that can be echoed, hashed or stored."""
    value: Any = container.get(name)
    why = text_problem(value, max_chars)
    if why is not None:
        raise ProtocolError(why, step=step, field=name)
    return cast(str, value)  # checked above


def returned_username(params: Mapping[str, Any], username: str, step: str) -> str:
    """The name a challenge gives the user, ``USERNAME`` or else ``USER_ID_FOR_SRP`` (Cognito's internal
    name, never an alias), else the one so far: it is echoed in the next answer and hashed into its
    SECRET_HASH, as Cognito refuses an alias there."""
    for name in ("USERNAME", "USER_ID_FOR_SRP"):
        if params.get(name) is not None:
            return str_field(params, name, step)
    return username


def challenge_parameters(reply: Mapping[str, Any], step: str) -> dict[str, Any]:
    params = reply.get("ChallengeParameters", {})
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise ProtocolError("not an object", step=step, field="ChallengeParameters")
    return params


def name_list(value: Any, step: str, field_name: str = "MFAS_CAN_SETUP") -> tuple[str, ...]:
    """A list of names sent as a JSON array in a string (Cognito) or as an array (moto).

    Raises:
        ProtocolError: not a list of at most 256 names, each valid Unicode.
    """
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        if _PYTHON_LIST.fullmatch(value) is not None:
            # moto sends a Python repr, "['SOFTWARE_TOKEN_MFA']": not JSON, but plainly a list of names.
            value = _QUOTED.findall(value)
        else:
            try:
                value = _json.loads(value)
            except _json.JsonError as exc:
                raise ProtocolError(f"not a JSON list ({exc})", step=step, field=field_name) from None
    if (
        not isinstance(value, list)
        or len(value) > MAX_NAMES
        or not all(text_problem(item, MAX_NAME_CHARS, allow_empty=True) is None for item in value)
    ):
        raise ProtocolError("not a list of names", step=step, field=field_name)
    return tuple(value)


def session_of(reply: Mapping[str, Any], step: str) -> str | None:
    """The ``Session`` of a reply, echoed in the next call: ``None``, or a bounded string."""
    session = reply.get("Session")
    if session is None:
        return None
    why = text_problem(session, MAX_SESSION_CHARS, allow_empty=True)
    if why is not None:
        raise ProtocolError(why, step=step, field="Session")
    return cast(str, session)  # checked above


def shown_name(name: str) -> str:
    """A server's name for a message: bounded, whatever the server sent."""
    return repr(name if len(name) <= 64 else name[:64] + "...")
