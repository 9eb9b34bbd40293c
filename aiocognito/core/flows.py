"""Sign-in flows as generators of effects: the pure core of every sign-in.

A flow yields :class:`Call` ("call this Cognito operation with this body") and :class:`Compute`
("run this SRP function") values and receives their results; a Cognito error is thrown back into it at
the ``yield`` that caused it. It returns a :class:`Signed` (tokens), a :class:`Challenge` (a step the
caller must answer) or a :class:`Stopped` (the caller must do something else first). It does no IO,
reads no clock and makes no randomness of its own: ``now`` and ``random_bytes`` come from :class:`Env`.

The wire names (``AuthParameters``, ``ChallengeResponses``, ``USERNAME``...) are those of Cognito's
InitiateAuth / RespondToAuthChallenge / AdminInitiateAuth / AdminRespondToAuthChallenge API.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, cast

from ..errors import (
    CognitoError,
    ProtocolError,
    ServiceError,
)
from . import safe_json as _json
from . import srp
from .checks import MAX_NAME_CHARS, MAX_SESSION_CHARS, text_problem
from .tokens import TokenSet

__all__ = [
    "Answer",
    "AuthFlow",
    "CALLER_CHALLENGES",
    "Call",
    "Challenge",
    "ClientConfig",
    "Compute",
    "DeviceCredentials",
    "Effect",
    "Env",
    "Flow",
    "LOCAL_EMAIL_SETUP",
    "LOCAL_PASSWORD",
    "LOCAL_TOTP_SETUP",
    "Outcome",
    "SignInContext",
    "Signed",
    "Stopped",
    "UserContext",
    "answer_challenge",
    "name_list",
    "start_sign_in",
]

_log = logging.getLogger("aiocognito")

#: Challenges the flow answers itself; the caller never sees them.
_INTERNAL_CHALLENGES = frozenset({"PASSWORD_VERIFIER", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER"})
#: Challenges a caller answers.
CALLER_CHALLENGES = frozenset(
    {
        "SMS_MFA",
        "SOFTWARE_TOKEN_MFA",
        "EMAIL_OTP",
        "SMS_OTP",
        "SELECT_MFA_TYPE",
        "MFA_SETUP",
        "NEW_PASSWORD_REQUIRED",
        "CUSTOM_CHALLENGE",
        "SELECT_CHALLENGE",
        "WEB_AUTHN",
        "PASSWORD",
        "PASSWORD_SRP",
    }
)
#: Steps that exist only on this side: TOTP secret known and the first code awaited, an e-mail address
#: awaited for e-mail MFA set-up, a password awaited after USER_AUTH's password factor was chosen.
LOCAL_TOTP_SETUP = "LOCAL_TOTP_SETUP"
LOCAL_EMAIL_SETUP = "LOCAL_EMAIL_SETUP"
LOCAL_PASSWORD = "LOCAL_PASSWORD"
_QUOTED = re.compile(r"""['"]([^'"]*)['"]""")
# moto's Python repr of a list of names: "['SOFTWARE_TOKEN_MFA', 'EMAIL_OTP']" (and "[]").
_PYTHON_LIST = re.compile(r"""\[\s*(?:'[^'\\]*'\s*(?:,\s*'[^'\\]*'\s*)*)?\]""")
# Names in one list: MFA types, or the required attributes of a pool (at most 50 custom attributes and
# the standard ones).
_MAX_NAMES = 256
# A TOTP secret is 16 to about 100 base32 characters.
_MAX_SECRET_CODE_CHARS = 1024
# An id token carries every attribute of its user (see aiocognito.tokens).
_MAX_TOKEN_CHARS = 262_144
# More rounds than this inside one call to the flow means a server that loops.
_MAX_INTERNAL_ROUNDS = 8


class AuthFlow(str, Enum):
    """Cognito's AuthFlow names that start a sign-in."""

    USER_SRP_AUTH = "USER_SRP_AUTH"
    USER_PASSWORD_AUTH = "USER_PASSWORD_AUTH"
    CUSTOM_AUTH = "CUSTOM_AUTH"
    USER_AUTH = "USER_AUTH"
    ADMIN_USER_PASSWORD_AUTH = "ADMIN_USER_PASSWORD_AUTH"

    def __str__(self) -> str:
        return self.value


# --- effects ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call:
    """Call a Cognito operation; the flow receives the reply dict or has the error thrown in."""

    operation: str
    params: dict[str, Any] = field(repr=False)
    service: str = "cognito-idp"


@dataclass(frozen=True, slots=True)
class Compute:
    """Run a pure, CPU-heavy function (SRP big-number work); the flow receives its result.

    ``function`` is a top-level function of :mod:`aiocognito.srp`, so a driver may run it in a process pool.
    """

    function: Callable[..., Any]
    args: tuple[Any, ...] = field(default=(), repr=False)
    kwargs: Mapping[str, Any] = field(default_factory=dict, repr=False)


Effect = Call | Compute


@dataclass(frozen=True, slots=True)
class Env:
    """What a flow needs from the world: the time and randomness."""

    now: Callable[[], float]
    random_bytes: Callable[[int], bytes]
    device_name: str = "aiocognito"


# --- inputs ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """The app client a flow signs in with."""

    pool_id: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)

    def secret_hash(self, username: str) -> str | None:
        """Cognito's SECRET_HASH for ``username``, or ``None`` for a client without a secret."""
        if self.client_secret is None:
            return None
        return srp.secret_hash(username, self.client_id, self.client_secret)


@dataclass(frozen=True, slots=True)
class UserContext:
    """The end user a server signs in for, so Cognito's threat protection sees them and not the server.

    Attributes:
        ip_address: the end user's IP address.
        encoded_data: the ``EncodedData`` collected by Cognito's JavaScript in the browser, if any.
        server_name, server_path, http_headers: what AdminInitiateAuth's ``ContextData`` needs besides.
    """

    ip_address: str | None = None
    encoded_data: str | None = field(default=None, repr=False)
    server_name: str | None = None
    server_path: str | None = None
    http_headers: Mapping[str, str] | None = field(default=None, repr=False)

    def user_context_data(self) -> dict[str, str]:
        data: dict[str, str] = {}
        if self.ip_address:
            data["IpAddress"] = self.ip_address
        if self.encoded_data:
            data["EncodedData"] = self.encoded_data
        return data

    def admin_context_data(self) -> dict[str, Any] | None:
        if not (self.ip_address and self.server_name and self.server_path):
            return None
        data: dict[str, Any] = {
            "IpAddress": self.ip_address,
            "ServerName": self.server_name,
            "ServerPath": self.server_path,
            "HttpHeaders": [
                {"headerName": key, "headerValue": value} for key, value in (self.http_headers or {}).items()
            ],
        }
        if self.encoded_data:
            data["EncodedData"] = self.encoded_data
        return data


@dataclass(frozen=True, slots=True)
class DeviceCredentials:
    """A remembered device: what device SRP needs. The password is a secret."""

    device_key: str
    device_group_key: str
    device_password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class SignInContext:
    """What a sign-in carries from step to step. ``password`` and ``device`` never leave memory."""

    username: str
    flow: AuthFlow
    client_metadata: Mapping[str, str] | None = None
    user_context: UserContext | None = None
    preferred_challenge: str | None = None
    password: str | None = field(default=None, repr=False)
    device: DeviceCredentials | None = field(default=None, repr=False)

    @property
    def admin(self) -> bool:
        return self.flow is AuthFlow.ADMIN_USER_PASSWORD_AUTH


# --- outcomes ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signed:
    """The sign-in succeeded.

    Attributes:
        result: Cognito's ``AuthenticationResult``.
        username: the username Cognito answered with (its internal name or sub, not an alias).
        device: a device confirmed during this sign-in, to remember for the next ones.
        device_forgotten: the stored device was unknown to Cognito and must be forgotten.
        user_confirmation_necessary: the new device waits for the user to remember it.
    """

    result: Mapping[str, Any] = field(repr=False)
    username: str
    device: DeviceCredentials | None = None
    device_forgotten: bool = False
    user_confirmation_necessary: bool = False


@dataclass(frozen=True, slots=True)
class Challenge:
    """A challenge the caller must answer.

    ``challenge_name`` is Cognito's name, or one of the ``LOCAL_*`` names for steps that exist only on
    this side (see :data:`LOCAL_TOTP_SETUP`).
    """

    challenge_name: str
    username: str
    session: str | None = field(repr=False)
    parameters: Mapping[str, Any] = field(default_factory=dict, repr=False)
    available_challenges: tuple[str, ...] = ()
    context: SignInContext | None = None
    device_forgotten: bool = False


@dataclass(frozen=True, slots=True)
class Stopped:
    """The sign-in cannot go on: the caller must confirm the sign-up or reset the password first."""

    reason: str
    username: str
    error: ServiceError


Outcome = Signed | Challenge | Stopped
Flow = Generator[Effect, Any, Outcome]

_STOPPING_ERRORS = {
    "UserNotConfirmedException": "CONFIRM_SIGN_UP",
    "PasswordResetRequiredException": "RESET_PASSWORD",
}


# --- request building --------------------------------------------------------------------------------


def _call(cfg: ClientConfig, ctx: SignInContext, operation: str, params: dict[str, Any]) -> Call:
    """The call, as the Admin* operation for ADMIN_USER_PASSWORD_AUTH, with metadata and user context."""
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


def _initiate(cfg: ClientConfig, ctx: SignInContext, auth_parameters: dict[str, str]) -> Call:
    secret_hash = cfg.secret_hash(ctx.username)
    if secret_hash is not None:
        auth_parameters["SECRET_HASH"] = secret_hash
    params = {"AuthFlow": ctx.flow.value, "ClientId": cfg.client_id, "AuthParameters": auth_parameters}
    return _call(cfg, ctx, "InitiateAuth", params)


def _respond(
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
    return _call(cfg, ctx, "RespondToAuthChallenge", params)


# --- reply reading -----------------------------------------------------------------------------------


def _str_field(container: Mapping[str, Any], name: str, step: str, max_chars: int = MAX_NAME_CHARS) -> str:
    """A non-empty string of at most ``max_chars`` characters that can be echoed, hashed or stored."""
    value: Any = container.get(name)
    why = text_problem(value, max_chars)
    if why is not None:
        raise ProtocolError(why, step=step, field=name)
    return cast(str, value)  # checked above


def _returned_username(params: Mapping[str, Any], username: str, step: str) -> str:
    """The ``USERNAME`` a challenge names (Cognito's internal name), else the one so far: it is echoed in
    the next answer and hashed into its SECRET_HASH."""
    if params.get("USERNAME") is None:
        return username
    return _str_field(params, "USERNAME", step)


def _challenge_parameters(reply: Mapping[str, Any], step: str) -> dict[str, Any]:
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
        or len(value) > _MAX_NAMES
        or not all(text_problem(item, MAX_NAME_CHARS, allow_empty=True) is None for item in value)
    ):
        raise ProtocolError("not a list of names", step=step, field=field_name)
    return tuple(value)


def _session(reply: Mapping[str, Any], step: str) -> str | None:
    """The ``Session`` of a reply, echoed in the next call: ``None``, or a bounded string."""
    session = reply.get("Session")
    if session is None:
        return None
    why = text_problem(session, MAX_SESSION_CHARS, allow_empty=True)
    if why is not None:
        raise ProtocolError(why, step=step, field="Session")
    return cast(str, session)  # checked above


def _shown(name: str) -> str:
    """A server's name for a message: bounded, whatever the server sent."""
    return repr(name if len(name) <= 64 else name[:64] + "...")


# --- the flows ---------------------------------------------------------------------------------------


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
        ephemeral = yield Compute(srp.ephemeral, (env.random_bytes(srp.EPHEMERAL_BYTES),))
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
            ephemeral = yield Compute(srp.ephemeral, (env.random_bytes(srp.EPHEMERAL_BYTES),))
            auth["SRP_A"] = ephemeral.srp_a
    if ctx.device is not None and ephemeral is None:
        # Without SRP there is no PASSWORD_VERIFIER answer to carry the device key: send it now.
        auth["DEVICE_KEY"] = ctx.device.device_key
    try:
        reply = yield _initiate(cfg, ctx, auth)
        # Inside the try: Cognito says UserNotConfirmed / PasswordResetRequired for SRP only after the
        # PASSWORD_VERIFIER answer (the password is checked first), some emulators at InitiateAuth.
        return (yield from _settle(cfg, ctx, reply, env, ephemeral=ephemeral, username=ctx.username))
    except ServiceError as error:
        reason = _STOPPING_ERRORS.get(error.code)
        if reason is None:
            raise
        return Stopped(reason, ctx.username, error)


def _settle(
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
            return (yield from _signed(cfg, ctx, reply, env, username))
        if not isinstance(name, str):
            raise ProtocolError("not a string", step="sign-in", field="ChallengeName")
        params = _challenge_parameters(reply, name)
        username = _returned_username(params, username, name)
        session = _session(reply, name)
        if name == "PASSWORD_VERIFIER":
            if ephemeral is None or ctx.password is None:
                raise ProtocolError("PASSWORD_VERIFIER without an SRP start", step=name)
            reply = yield from _password_verifier(cfg, ctx, params, session, ephemeral, username, env)
            ephemeral = None
        elif name == "DEVICE_SRP_AUTH":
            if ctx.device is None:
                raise ProtocolError("DEVICE_SRP_AUTH but no device is remembered", step=name)
            reply = yield from _device_srp(cfg, ctx, ctx.device, session, username, env)
        elif name in _INTERNAL_CHALLENGES:
            raise ProtocolError("challenge out of order", step=name)
        elif name in CALLER_CHALLENGES:
            available = reply.get("AvailableChallenges", ())
            if (
                not isinstance(available, list | tuple)
                or len(available) > _MAX_NAMES
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
                f"unknown challenge {_shown(name)} with parameters {json.dumps(keys[:20])}", step="sign-in"
            )
    raise ProtocolError("too many challenge rounds without an answer", step="sign-in")


def _claim(
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


def _password_verifier(
    cfg: ClientConfig,
    ctx: SignInContext,
    params: Mapping[str, Any],
    session: str | None,
    ephemeral: srp.Ephemeral,
    username: str,
    env: Env,
) -> Generator[Effect, Any, Mapping[str, Any]]:
    step = "PASSWORD_VERIFIER"
    user_id = _str_field(params, "USER_ID_FOR_SRP", step)
    assert ctx.password is not None  # checked by the caller
    responses = yield from _claim(
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
    reply: Mapping[str, Any] = yield _respond(cfg, ctx, step, username, session, responses)
    return reply


def _device_srp(
    cfg: ClientConfig,
    ctx: SignInContext,
    device: DeviceCredentials,
    session: str | None,
    username: str,
    env: Env,
) -> Generator[Effect, Any, Mapping[str, Any]]:
    ephemeral = yield Compute(srp.ephemeral, (env.random_bytes(srp.EPHEMERAL_BYTES),))
    reply = yield _respond(
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
        shown = _shown(got) if isinstance(got, str) else repr(type(got).__name__)
        raise ProtocolError(f"expected {step}, got {shown}", step="DEVICE_SRP_AUTH", field="ChallengeName")
    params = _challenge_parameters(reply, step)
    username = _returned_username(params, username, step)
    session = _session(reply, step)
    responses = yield from _claim(
        params,
        step,
        pool_name=device.device_group_key,
        user_id=device.device_key,
        password=device.device_password,
        ephemeral=ephemeral,
        env=env,
    )
    responses["DEVICE_KEY"] = device.device_key
    answer: Mapping[str, Any] = yield _respond(cfg, ctx, step, username, session, responses)
    return answer


def _signed(cfg: ClientConfig, ctx: SignInContext, reply: Mapping[str, Any], env: Env, username: str) -> Flow:
    result = reply.get("AuthenticationResult")
    if not isinstance(result, dict):
        raise ProtocolError("no ChallengeName and no AuthenticationResult", step="sign-in")
    for name in ("AccessToken", "IdToken"):
        _str_field(result, name, "AuthenticationResult", _MAX_TOKEN_CHARS)
    new_device = result.get("NewDeviceMetadata")
    if not new_device:
        # The caller reads the tokens (TokenSet.from_result) before it stores or uses anything.
        return Signed(result, username, device=ctx.device)
    if not isinstance(new_device, dict):
        raise ProtocolError("not an object", step="AuthenticationResult", field="NewDeviceMetadata")
    # ConfirmDevice sends the access token on: read the tokens first, so tokens the caller will refuse
    # never confirm a device.
    TokenSet.from_result(result, now=env.now())
    device_key = _str_field(new_device, "DeviceKey", "NewDeviceMetadata")
    group_key = _str_field(new_device, "DeviceGroupKey", "NewDeviceMetadata")
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


# --- answering a caller's challenge -------------------------------------------------------------------

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


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer to a challenge: the main value and, where a step takes them, extra fields."""

    value: str = field(repr=False)
    attributes: Mapping[str, str] = field(default_factory=dict, repr=False)
    friendly_device_name: str | None = None
    password: str | None = field(default=None, repr=False)


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
        call = _respond(cfg, ctx, name, username, session, {_CODE_FIELDS[name]: answer.value})
    elif name == "CUSTOM_CHALLENGE":
        call = _respond(cfg, ctx, name, username, session, {"ANSWER": answer.value})
    elif name == "NEW_PASSWORD_REQUIRED":
        responses = {"NEW_PASSWORD": answer.value}
        responses.update({f"userAttributes.{key}": value for key, value in answer.attributes.items()})
        call = _respond(cfg, ctx, name, username, session, responses)
    elif name == "SELECT_MFA_TYPE":
        choice = _MFA_CHOICES.get(answer.value.upper())
        if choice is None:
            raise ValueError(f"choose one of {sorted(set(_MFA_CHOICES.values()))}")
        call = _respond(cfg, ctx, name, username, session, {"ANSWER": choice})
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
        secret = _str_field(reply, "SecretCode", "AssociateSoftwareToken", _MAX_SECRET_CODE_CHARS)
        params = {**challenge.parameters, "SECRET_CODE": secret}
        next_session = _session(reply, "AssociateSoftwareToken")
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
            shown = _shown(status) if isinstance(status, str) else type(status).__name__
            raise ProtocolError(f"status {shown}", step="VerifySoftwareToken", field="Status")
        call = _respond(cfg, ctx, "MFA_SETUP", username, _session(reply, "VerifySoftwareToken"), {})
    elif name == LOCAL_EMAIL_SETUP:
        call = _respond(cfg, ctx, "MFA_SETUP", username, session, {"EMAIL": answer.value})
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
            ephemeral = yield Compute(srp.ephemeral, (env.random_bytes(srp.EPHEMERAL_BYTES),))
            responses["SRP_A"] = ephemeral.srp_a
        call = _respond(cfg, ctx, name, username, session, responses)
    elif name == "PASSWORD":
        ctx = replace(ctx, password=answer.value)
        call = _respond(cfg, ctx, name, username, session, {"PASSWORD": answer.value})
    elif name == "PASSWORD_SRP":
        ctx = replace(ctx, password=answer.value)
        ephemeral = yield Compute(srp.ephemeral, (env.random_bytes(srp.EPHEMERAL_BYTES),))
        call = _respond(cfg, ctx, name, username, session, {"SRP_A": ephemeral.srp_a})
    elif name == LOCAL_PASSWORD:
        choice_name = challenge.parameters.get("CHOICE", "PASSWORD")
        if choice_name not in ("PASSWORD", "PASSWORD_SRP"):
            raise ValueError(
                "this challenge is not a password step: CHOICE is neither PASSWORD nor PASSWORD_SRP"
            )
        ctx = replace(ctx, password=answer.value)
        responses = {"ANSWER": choice_name}
        if choice_name == "PASSWORD_SRP":
            ephemeral = yield Compute(srp.ephemeral, (env.random_bytes(srp.EPHEMERAL_BYTES),))
            responses["SRP_A"] = ephemeral.srp_a
        else:
            responses["PASSWORD"] = answer.value
        call = _respond(cfg, ctx, "SELECT_CHALLENGE", username, session, responses)
    elif name == "WEB_AUTHN":
        call = _respond(cfg, ctx, name, username, session, {"CREDENTIAL": answer.value})
    else:
        raise ValueError(f"the {name} challenge cannot be answered here")
    reply = yield call
    return (yield from _settle(cfg, ctx, reply, env, ephemeral=ephemeral, username=username))
