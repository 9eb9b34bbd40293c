"""Sign-in on the server side: InitiateAuth / RespondToAuthChallenge and their Admin forms.

Every flow of Cognito's API except WebAuthn: ``USER_SRP_AUTH`` (SRP-6a checked against the stored
verifier), ``USER_PASSWORD_AUTH`` / ``ADMIN_USER_PASSWORD_AUTH``, ``CUSTOM_AUTH`` (define / create /
verify auth-challenge triggers, optionally after SRP), ``USER_AUTH`` (PASSWORD, PASSWORD_SRP,
EMAIL_OTP, SMS_OTP first factors, ``SELECT_CHALLENGE``), ``REFRESH_TOKEN_AUTH``, then the challenges
that follow a password: ``NEW_PASSWORD_REQUIRED``, ``DEVICE_SRP_AUTH`` / ``DEVICE_PASSWORD_VERIFIER``,
``MFA_SETUP``, ``SELECT_MFA_TYPE``, ``SMS_MFA``, ``EMAIL_OTP``, ``SOFTWARE_TOKEN_MFA`` (RFC 6238).

The server's half of SRP is the mirror of :mod:`aiocognito.srp`: ``B = k*v + g^b``,
``u = H(pad(A) | pad(B))``, ``S = (A * v^u)^b``, the same HKDF and the same signed message.
"""

from __future__ import annotations

import base64
import calendar
import hmac
import json
import re
import secrets
import struct
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiocognito.core import srp
from aiocognito.core.srp import _powmod

from ...faults import Fault, invalid_parameter, not_authorized, resource_not_found, user_not_found
from ..checks import check_secret_hash, require
from ..codes import mask
from ..context import Context
from ..state import Client, Device, Pool, User
from ..tokens import issue_tokens, refresh_record

__all__ = [
    "AuthSession",
    "Sessions",
    "associate_with_session",
    "check_password",
    "check_totp",
    "get_tokens_from_refresh_token",
    "initiate_auth",
    "new_totp_secret",
    "respond_to_auth_challenge",
    "totp",
    "verify_with_session",
]

# Five wrong passwords in a row lock the user out, first for 1 s, doubling up to 15 minutes (Cognito).
_FREE_ATTEMPTS = 5
_MAX_LOCKOUT = 900.0
# A claim's TIMESTAMP may differ from the server's clock by this much.
_TIMESTAMP_SKEW = 300.0
# Wrong MFA codes one session takes before it is dropped.
_MAX_CODE_FAILURES = 3
_TIMESTAMP = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(\d{1,2}) (\d\d):(\d\d):(\d\d) UTC (\d{4})"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CODE_FIELDS = {
    "SMS_MFA": "SMS_MFA_CODE",
    "EMAIL_OTP": "EMAIL_OTP_CODE",
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
    "SMS_OTP": "SMS_OTP_CODE",
}
_PASSWORD_FLOWS = {"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"}
# The ExplicitAuthFlows entry each AuthFlow needs.
_ALLOWED_BY = {
    "USER_SRP_AUTH": "USER_SRP_AUTH",
    "USER_PASSWORD_AUTH": "USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH": "ADMIN_USER_PASSWORD_AUTH",
    "ADMIN_NO_SRP_AUTH": "ADMIN_USER_PASSWORD_AUTH",
    "CUSTOM_AUTH": "CUSTOM_AUTH",
    "USER_AUTH": "USER_AUTH",
    "REFRESH_TOKEN_AUTH": "REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN": "REFRESH_TOKEN_AUTH",
}


# --- sessions ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Exchange:
    """The server's half of one SRP exchange (user or device)."""

    big_a: int
    b: int = field(repr=False)
    big_b: int
    verifier: int = field(repr=False)
    secret_block: str
    pool_name: str  # the SRP pool name, or the device group key
    user_id: str  # USER_ID_FOR_SRP, or the device key


@dataclass(slots=True)
class AuthSession:
    """One sign-in in progress, named on the wire by its ``Session`` (and SRP ``SECRET_BLOCK``)."""

    pool_id: str
    client_id: str
    username: str  # internal username; "" for a user that does not exist
    typed_username: str
    flow: str
    expires_at: float
    challenge: str = ""
    token: str = ""
    client_metadata: dict[str, str] = field(default_factory=dict)
    device_key: str = ""
    device_authenticated: bool = False
    wants_mfa: bool = True
    in_mfa: bool = False
    srp_a: str = ""
    exchange: _Exchange | None = None
    code: str = field(default="", repr=False)
    failures: int = 0
    choices: list[str] = field(default_factory=list)
    custom_history: list[dict[str, Any]] = field(default_factory=list)
    custom_private: dict[str, Any] = field(default_factory=dict)
    custom_metadata: str = ""
    pending_totp: str = field(default="", repr=False)
    totp_name: str = ""
    totp_verified: bool = False
    setup_email: str = ""


class Sessions:
    """Sign-in sessions in memory: by ``Session`` token and by SRP ``SECRET_BLOCK``."""

    def __init__(self) -> None:
        self._by_token: dict[str, AuthSession] = {}
        self._by_block: dict[str, AuthSession] = {}

    def issue(self, session: AuthSession) -> str:
        """A new ``Session`` token for ``session``; the one it had before stops working."""
        self._by_token.pop(session.token, None)
        session.token = base64.b64encode(secrets.token_bytes(192)).decode("ascii")
        self._by_token[session.token] = session
        return session.token

    def bind_block(self, session: AuthSession, block: str) -> None:
        self._by_block[block] = session

    def drop(self, session: AuthSession) -> None:
        self._by_token.pop(session.token, None)
        if session.exchange is not None:
            self._by_block.pop(session.exchange.secret_block, None)
            session.exchange = None

    def _live(self, session: AuthSession | None, now: float) -> AuthSession:
        if session is None:
            raise not_authorized("Invalid session for the user.")
        if now >= session.expires_at:
            self.drop(session)
            raise not_authorized("Invalid session for the user, session is expired.")
        return session

    def get(self, token: object, now: float) -> AuthSession:
        """Raises: Fault: NotAuthorizedException for an unknown or expired session."""
        return self._live(self._by_token.get(token) if isinstance(token, str) else None, now)

    def by_block(self, block: str, now: float) -> AuthSession:
        return self._live(self._by_block.get(block), now)

    def purge(self, now: float) -> None:
        for session in [s for s in self._by_token.values() if now >= s.expires_at]:
            self.drop(session)
        for block in [b for b, s in self._by_block.items() if now >= s.expires_at]:
            del self._by_block[block]


# --- TOTP (RFC 6238, HMAC-SHA1, 30 s, 6 digits) --------------------------------------------------------


def new_totp_secret() -> str:
    """A TOTP secret as Cognito gives it: base32 of 20 random bytes, 32 characters, no padding."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def totp(secret: str, counter: int) -> str:
    """The RFC 6238 code of a base32 secret for one 30-second ``counter``."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.digest(key, struct.pack(">Q", counter), "sha1")
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**6
    return f"{value:06d}"


def check_totp(secret: str, code: str, now: float) -> bool:
    """Whether ``code`` is the code of the current 30-second step or of one either side."""
    if not secret or not re.fullmatch(r"\d{6}", code):
        return False
    step = int(now // 30)
    return any(hmac.compare_digest(totp(secret, step + delta), code) for delta in (-1, 0, 1))


# --- passwords and users ----------------------------------------------------------------------------


def _existing(client: Client, user: User | None) -> User:
    if user is None:
        raise not_authorized() if client.prevent_existence_errors else user_not_found()
    if not user.enabled:
        raise not_authorized("User is disabled.")
    return user


def _record_failure(ctx: Context, user: User) -> None:
    user.failed_attempts += 1
    if user.failed_attempts >= _FREE_ATTEMPTS:
        delay = min(2.0 ** (user.failed_attempts - _FREE_ATTEMPTS), _MAX_LOCKOUT)
        user.locked_until = ctx.now() + delay


def _check_not_locked(ctx: Context, user: User) -> None:
    if ctx.now() < user.locked_until:
        raise not_authorized("Password attempts exceeded")


def check_password(ctx: Context, pool: Pool, user: User, password: str) -> None:
    """Check a plain password, counting failures toward Cognito's lock-out.

    Raises:
        Fault: NotAuthorizedException "Incorrect username or password." or "Password attempts exceeded".
    """
    _check_not_locked(ctx, user)
    if not user.check_password(pool.srp_name, password):
        _record_failure(ctx, user)
        raise not_authorized()
    user.failed_attempts = 0


def _check_status(ctx: Context, pool: Pool, user: User) -> None:
    if user.status == "UNCONFIRMED":
        raise Fault("UserNotConfirmedException", "User is not confirmed.")
    if user.status == "RESET_REQUIRED":
        raise Fault("PasswordResetRequiredException", "Password reset required for the user")


# --- SRP ----------------------------------------------------------------------------------------------


def _parse_srp_a(value: str) -> int:
    try:
        big_a = int(value, 16)
    except ValueError:
        raise invalid_parameter("SRP_A is not a hexadecimal number") from None
    if big_a <= 0 or big_a % srp.N == 0:
        raise invalid_parameter("SRP_A is not valid")
    return big_a


def _new_exchange(big_a: int, verifier: int, pool_name: str, user_id: str) -> _Exchange:
    while True:
        b = int.from_bytes(secrets.token_bytes(srp.EPHEMERAL_BYTES), "big") % srp.N
        big_b = (srp.K * verifier + _powmod(srp.G, b, srp.N)) % srp.N
        if b and big_b and srp.compute_u(big_a, big_b):
            break
    block = base64.b64encode(secrets.token_bytes(128)).decode("ascii")
    return _Exchange(big_a, b, big_b, verifier, block, pool_name, user_id)


def _timestamp_at(value: str) -> float | None:
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        return None
    _, month, day, hour, minute, second, year = match.groups()
    try:
        return float(
            calendar.timegm(
                (int(year), _MONTHS.index(month) + 1, int(day), int(hour), int(minute), int(second), 0, 0, 0)
            )
        )
    except (ValueError, OverflowError):
        return None


def _claim_is_valid(ctx: Context, exchange: _Exchange, responses: dict[str, str]) -> bool:
    stamp = require(responses, "TIMESTAMP")
    signature = require(responses, "PASSWORD_CLAIM_SIGNATURE")
    at = _timestamp_at(stamp)
    if at is None:
        raise invalid_parameter("TIMESTAMP format is invalid")
    if abs(at - ctx.now()) > _TIMESTAMP_SKEW:
        return False
    u = srp.compute_u(exchange.big_a, exchange.big_b)
    base = exchange.big_a * _powmod(exchange.verifier, u, srp.N) % srp.N
    key = srp.hkdf(u, _powmod(base, exchange.b, srp.N))
    message = srp.claim_message(exchange.pool_name, exchange.user_id, exchange.secret_block, stamp)
    expected = base64.b64encode(hmac.digest(key, message, "sha256"))
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))


def _start_srp(
    ctx: Context, pool: Pool, client: Client, user: User | None, session: AuthSession, srp_a: str
) -> dict[str, Any]:
    """The PASSWORD_VERIFIER challenge. An unknown user gets a convincing fake when errors are hidden."""
    big_a = _parse_srp_a(srp_a)
    if user is None or not user.has_password:
        if user is None and not client.prevent_existence_errors:
            raise user_not_found()
        salt, verifier, user_id = (
            srp.pad_hex(secrets.randbits(128)),
            secrets.randbits(3000),
            session.typed_username,
        )
        session.username = ""
    else:
        if not user.enabled:
            raise not_authorized("User is disabled.")
        salt, verifier, user_id = user.salt, int(user.verifier, 16), user.username
    exchange = _new_exchange(big_a, verifier, pool.srp_name, user_id)
    session.exchange = exchange
    session.challenge = "PASSWORD_VERIFIER"
    ctx.sessions.bind_block(session, exchange.secret_block)
    reply: dict[str, Any] = {
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {
            "SALT": salt,
            "SECRET_BLOCK": exchange.secret_block,
            "SRP_B": format(exchange.big_b, "x"),
            "USERNAME": user_id,
            "USER_ID_FOR_SRP": user_id,
        },
    }
    # Plain USER_SRP_AUTH answers with no Session (the SECRET_BLOCK names the exchange); the
    # multi-step flows carry their Session through.
    if session.flow != "USER_SRP_AUTH":
        reply["Session"] = ctx.sessions.issue(session)
    return reply


# --- the steps after a first factor ---------------------------------------------------------------------


def _challenge(ctx: Context, session: AuthSession, name: str, parameters: dict[str, str]) -> dict[str, Any]:
    session.challenge = name
    return {"ChallengeName": name, "Session": ctx.sessions.issue(session), "ChallengeParameters": parameters}


async def _after_password(
    ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession
) -> dict[str, Any]:
    _check_status(ctx, pool, user)
    if user.status == "FORCE_CHANGE_PASSWORD":
        days = int(pool.password_policy.get("TemporaryPasswordValidityDays", 7))
        if ctx.now() > user.password_set_at + days * 86400:
            raise not_authorized("Temporary password has expired and must be reset by an administrator.")
        attributes = {k: v for k, v in user.attributes.items() if k != "sub"}
        missing = [
            f"userAttributes.{name}" for name in pool.required_attributes if name not in user.attributes
        ]
        return _challenge(
            ctx,
            session,
            "NEW_PASSWORD_REQUIRED",
            {
                "USER_ID_FOR_SRP": user.username,
                "requiredAttributes": json.dumps(missing),
                "userAttributes": json.dumps(attributes),
            },
        )
    return await _after_first_factor(ctx, pool, client, user, session)


async def _after_first_factor(
    ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession
) -> dict[str, Any]:
    """Device authentication when the client named a device, then MFA, then tokens."""
    if session.device_key and not session.device_authenticated:
        device = user.devices.get(session.device_key)
        if device is None or not device.confirmed:
            raise resource_not_found("Device does not exist.")
        return _challenge(ctx, session, "DEVICE_SRP_AUTH", {"USERNAME": user.username})
    if session.wants_mfa and not _device_skips_mfa(pool, user, session):
        step = _mfa_step(ctx, pool, user, session)
        if step is not None:
            return step
    return _finish(ctx, pool, client, user, session)


def _device_skips_mfa(pool: Pool, user: User, session: AuthSession) -> bool:
    if not session.device_authenticated or not pool.device_configuration:
        return False
    device = user.devices.get(session.device_key)
    return bool(
        device and device.remembered and pool.device_configuration.get("ChallengeRequiredOnNewDevice")
    )


def _mfa_methods(pool: Pool, user: User) -> list[str]:
    methods = []
    if pool.sms_mfa and user.sms_mfa_enabled and user.attributes.get("phone_number"):
        methods.append("SMS_MFA")
    if pool.totp_mfa and user.totp_enabled and user.totp_secret:
        methods.append("SOFTWARE_TOKEN_MFA")
    if pool.email_mfa and user.email_mfa_enabled and user.attributes.get("email"):
        methods.append("EMAIL_OTP")
    return methods


def _mfa_step(ctx: Context, pool: Pool, user: User, session: AuthSession) -> dict[str, Any] | None:
    if pool.mfa == "OFF":
        return None
    methods = _mfa_methods(pool, user)
    if not methods and pool.mfa == "ON":
        # Required MFA: a user with a phone (or e-mail) gets codes there; anyone else must set up MFA.
        if pool.sms_mfa and user.attributes.get("phone_number"):
            methods = ["SMS_MFA"]
        elif pool.email_mfa and user.verified("email"):
            methods = ["EMAIL_OTP"]
        else:
            can_setup = [
                name
                for name, enabled in (
                    ("SMS_MFA", pool.sms_mfa),
                    ("SOFTWARE_TOKEN_MFA", pool.totp_mfa),
                    ("EMAIL_OTP", pool.email_mfa),
                )
                if enabled
            ]
            session.in_mfa = True
            return _challenge(
                ctx,
                session,
                "MFA_SETUP",
                {"MFAS_CAN_SETUP": json.dumps(can_setup), "USER_ID_FOR_SRP": user.username},
            )
    if not methods:
        return None
    if user.preferred_mfa in methods:
        return _mfa_challenge(ctx, pool, user, session, user.preferred_mfa)
    if len(methods) == 1:
        return _mfa_challenge(ctx, pool, user, session, methods[0])
    session.choices = methods
    session.in_mfa = True
    return _challenge(
        ctx,
        session,
        "SELECT_MFA_TYPE",
        {"MFAS_CAN_CHOOSE": json.dumps(methods), "USER_ID_FOR_SRP": user.username},
    )


def _send_session_code(
    ctx: Context,
    pool: Pool,
    user: User,
    session: AuthSession,
    *,
    attribute: str,
    kind: str,
    destination: str = "",
) -> dict[str, str]:
    destination = destination or user.attributes.get(attribute, "")
    session.code = f"{secrets.randbelow(10**6):06d}"
    ctx.deliver(pool, user, destination, session.code, kind, attribute)
    return {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS" if attribute == "phone_number" else "EMAIL",
        "CODE_DELIVERY_DESTINATION": mask(destination),
    }


def _mfa_challenge(ctx: Context, pool: Pool, user: User, session: AuthSession, name: str) -> dict[str, Any]:
    session.in_mfa = True
    parameters: dict[str, str] = {}
    if name == "SMS_MFA":
        parameters = _send_session_code(ctx, pool, user, session, attribute="phone_number", kind="MFA")
    elif name == "EMAIL_OTP":
        parameters = _send_session_code(ctx, pool, user, session, attribute="email", kind="MFA")
    elif user.totp_name:
        parameters["FRIENDLY_DEVICE_NAME"] = user.totp_name
    parameters["USER_ID_FOR_SRP"] = user.username
    return _challenge(ctx, session, name, parameters)


def _finish(ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession) -> dict[str, Any]:
    now = ctx.now()
    device_key = session.device_key if session.device_authenticated else ""
    new_device: dict[str, str] | None = None
    if device_key:
        device = user.devices[device_key]
        device.last_authenticated_at = now
    elif pool.device_configuration is not None:
        device_key = f"{pool.region}_{uuid.uuid4()}"
        user.devices[device_key] = Device(device_key, user.device_group_key, now, now)
        new_device = {"DeviceKey": device_key, "DeviceGroupKey": user.device_group_key}
    result = issue_tokens(ctx.keys, pool, client, user, now=now, device_key=device_key)
    if new_device is not None:
        result["NewDeviceMetadata"] = new_device
    ctx.sessions.drop(session)
    user.failed_attempts = 0
    return {"ChallengeParameters": {}, "AuthenticationResult": result}


# --- custom auth (Lambda triggers as callables) ------------------------------------------------------------


async def _custom_next(
    ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession
) -> dict[str, Any]:
    """Ask DefineAuthChallenge what comes next, and do it."""
    reply = await ctx.run_trigger(
        pool,
        "define_auth_challenge",
        source="DefineAuthChallenge_Authentication",
        username=user.username,
        client_id=client.id,
        request={
            "userAttributes": dict(user.attributes),
            "session": [dict(entry) for entry in session.custom_history],
            "clientMetadata": dict(session.client_metadata),
            "userNotFound": False,
        },
        response={"challengeName": None, "issueTokens": False, "failAuthentication": False},
    )
    if reply.get("failAuthentication") is True:
        ctx.sessions.drop(session)
        raise not_authorized()
    if reply.get("issueTokens") is True:
        session.wants_mfa = False
        return await _after_first_factor(ctx, pool, client, user, session)
    name = reply.get("challengeName")
    if name == "PASSWORD_VERIFIER":
        if not session.srp_a:
            raise invalid_parameter("PASSWORD_VERIFIER needs SRP_A in the AuthParameters of CUSTOM_AUTH")
        return _start_srp(ctx, pool, client, user, session, session.srp_a)
    if name != "CUSTOM_CHALLENGE":
        raise Fault("InvalidLambdaResponseException", f"Unrecognizable lambda output: challengeName {name!r}")
    created = await ctx.run_trigger(
        pool,
        "create_auth_challenge",
        source="CreateAuthChallenge_Authentication",
        username=user.username,
        client_id=client.id,
        request={
            "userAttributes": dict(user.attributes),
            "challengeName": "CUSTOM_CHALLENGE",
            "session": [dict(entry) for entry in session.custom_history],
            "clientMetadata": dict(session.client_metadata),
            "userNotFound": False,
        },
        response={
            "publicChallengeParameters": {},
            "privateChallengeParameters": {},
            "challengeMetadata": None,
        },
    )
    public = created.get("publicChallengeParameters") or {}
    private = created.get("privateChallengeParameters") or {}
    if not isinstance(public, dict) or not isinstance(private, dict):
        raise Fault("InvalidLambdaResponseException", "Unrecognizable lambda output")
    session.custom_private = dict(private)
    session.custom_metadata = str(created.get("challengeMetadata") or "")
    parameters = {str(k): str(v) for k, v in public.items()}
    parameters["USERNAME"] = user.username
    return _challenge(ctx, session, "CUSTOM_CHALLENGE", parameters)


async def _start_custom(
    ctx: Context, pool: Pool, client: Client, user: User | None, session: AuthSession, params: dict[str, str]
) -> dict[str, Any]:
    if ctx.trigger(pool, "define_auth_challenge") is None:
        raise invalid_parameter("Custom auth lambda trigger is not configured for the user pool.")
    user = _existing(client, user)
    _check_status(ctx, pool, user)
    session.wants_mfa = False
    if params.get("CHALLENGE_NAME") == "SRP_A" or params.get("SRP_A"):
        session.srp_a = require(params, "SRP_A")
        session.custom_history.append(
            {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None}
        )
    return await _custom_next(ctx, pool, client, user, session)


# --- USER_AUTH (choice-based) -------------------------------------------------------------------------


def _first_factors(pool: Pool, user: User) -> list[str]:
    factors: list[str] = []
    if "PASSWORD" in pool.first_factors and user.has_password:
        factors += ["PASSWORD", "PASSWORD_SRP"]
    if "EMAIL_OTP" in pool.first_factors and user.verified("email"):
        factors.append("EMAIL_OTP")
    if "SMS_OTP" in pool.first_factors and user.verified("phone_number"):
        factors.append("SMS_OTP")
    return factors


async def _user_auth_factor(
    ctx: Context,
    pool: Pool,
    client: Client,
    user: User,
    session: AuthSession,
    factor: str,
    params: dict[str, str],
) -> dict[str, Any]:
    if factor not in session.choices:
        raise invalid_parameter(f"The challenge {factor} is not available for this user")
    if factor == "PASSWORD":
        check_password(ctx, pool, user, require(params, "PASSWORD"))
        return await _after_password(ctx, pool, client, user, session)
    if factor == "PASSWORD_SRP":
        return _start_srp(ctx, pool, client, user, session, require(params, "SRP_A"))
    _check_status(ctx, pool, user)
    attribute = "email" if factor == "EMAIL_OTP" else "phone_number"
    session.wants_mfa = False
    parameters = _send_session_code(ctx, pool, user, session, attribute=attribute, kind="OTP")
    return _challenge(ctx, session, factor, parameters)


async def _start_user_auth(
    ctx: Context, pool: Pool, client: Client, user: User | None, session: AuthSession, params: dict[str, str]
) -> dict[str, Any]:
    user = _existing(client, user)
    session.choices = _first_factors(pool, user)
    preferred = params.get("PREFERRED_CHALLENGE")
    if preferred and preferred in session.choices:
        return await _user_auth_factor(ctx, pool, client, user, session, preferred, params)
    reply = _challenge(ctx, session, "SELECT_CHALLENGE", {})
    reply["AvailableChallenges"] = list(session.choices)
    return reply


# --- refresh ------------------------------------------------------------------------------------------------


def _refresh_auth(ctx: Context, pool: Pool, client: Client, params: dict[str, str]) -> dict[str, Any]:
    if client.rotation:
        raise not_authorized(
            "REFRESH_TOKEN_AUTH is not allowed for an app client with refresh token rotation; "
            "use GetTokensFromRefreshToken"
        )
    now = ctx.now()
    record = refresh_record(pool, client, require(params, "REFRESH_TOKEN"), now=now)
    user = pool.users.get(record.username)
    if user is None:
        raise user_not_found()
    if not user.enabled:
        raise not_authorized("User is disabled.")
    check_secret_hash(
        client, params.get("SECRET_HASH"), [user.username, user.sub, params.get("USERNAME", "")]
    )
    result = issue_tokens(
        ctx.keys,
        pool,
        client,
        user,
        now=now,
        auth_time=record.auth_time,
        origin_jti=record.origin_jti,
        device_key=record.device_key,
        with_refresh=False,
    )
    return {"ChallengeParameters": {}, "AuthenticationResult": result}


async def get_tokens_from_refresh_token(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """GetTokensFromRefreshToken: new tokens, and with rotation a new refresh token."""
    pool, client = ctx.store.client(body["ClientId"])
    if client.secret:
        given = body.get("ClientSecret")
        if not given:
            raise not_authorized(
                f"Client {client.id} is configured with secret but ClientSecret was not received"
            )
        if not hmac.compare_digest(str(given).encode(), client.secret.encode()):
            raise not_authorized(f"Unable to verify secret for client {client.id}")
    now = ctx.now()
    token = body["RefreshToken"]
    record = pool.refresh_tokens.get(token)
    if (
        record is not None
        and record.client_id == client.id
        and record.replaced_at is not None
        and now > record.replaced_at + client.rotation_grace
        and not record.revoked
    ):
        raise Fault("RefreshTokenReuseException", "The refresh token has already been used.")
    record = refresh_record(pool, client, token, now=now)
    user = pool.users.get(record.username)
    if user is None:
        raise user_not_found()
    if not user.enabled:
        raise not_authorized("User is disabled.")
    result = issue_tokens(
        ctx.keys,
        pool,
        client,
        user,
        now=now,
        auth_time=record.auth_time,
        origin_jti=record.origin_jti,
        device_key=record.device_key,
        with_refresh=client.rotation,
    )
    if client.rotation:
        # The new token lives as long as the old one had left; the old one ends after the grace period.
        pool.refresh_tokens[result["RefreshToken"]].expires_at = record.expires_at
        if record.replaced_at is None:
            record.replaced_at = now
    return {"AuthenticationResult": result}


# --- the operations -----------------------------------------------------------------------------------------


def _pool_and_client(ctx: Context, body: dict[str, Any], admin: bool) -> tuple[Pool, Client]:
    if admin:
        pool = ctx.store.pool(body["UserPoolId"])
        client = pool.clients.get(body["ClientId"])
        if client is None:
            raise resource_not_found(f"User pool client {body['ClientId']} does not exist.")
        return pool, client
    return ctx.store.client(body["ClientId"])


async def initiate_auth(ctx: Context, body: dict[str, Any], *, admin: bool) -> dict[str, Any]:
    """InitiateAuth / AdminInitiateAuth."""
    ctx.sessions.purge(ctx.now())
    pool, client = _pool_and_client(ctx, body, admin)
    flow = body["AuthFlow"]
    params: dict[str, str] = dict(body.get("AuthParameters") or {})
    if flow.startswith("ADMIN_") and not admin:
        raise invalid_parameter("Initiate Auth method not supported.")
    if flow not in _ALLOWED_BY or not client.allows(_ALLOWED_BY[flow]):
        raise invalid_parameter(f"{flow} flow not enabled for this client")
    if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        return _refresh_auth(ctx, pool, client, params)
    typed = require(params, "USERNAME")
    check_secret_hash(client, params.get("SECRET_HASH"), [typed])
    user = pool.find_user(typed)
    session = AuthSession(
        pool_id=pool.id,
        client_id=client.id,
        username=user.username if user else "",
        typed_username=typed,
        flow=flow,
        expires_at=ctx.now() + client.session_minutes * 60,
        client_metadata=dict(body.get("ClientMetadata") or {}),
        device_key=params.get("DEVICE_KEY", ""),
    )
    if flow == "USER_SRP_AUTH":
        return _start_srp(ctx, pool, client, user, session, require(params, "SRP_A"))
    if flow in _PASSWORD_FLOWS:
        password = require(params, "PASSWORD")
        user = _existing(client, user)
        check_password(ctx, pool, user, password)
        return await _after_password(ctx, pool, client, user, session)
    if flow == "CUSTOM_AUTH":
        return await _start_custom(ctx, pool, client, user, session, params)
    return await _start_user_auth(ctx, pool, client, user, session, params)


def _find_session(ctx: Context, body: dict[str, Any], name: str, responses: dict[str, str]) -> AuthSession:
    now = ctx.now()
    token = body.get("Session")
    if name == "PASSWORD_VERIFIER" and not token:
        return ctx.sessions.by_block(require(responses, "PASSWORD_CLAIM_SECRET_BLOCK"), now)
    if not token:
        raise invalid_parameter("Missing required parameter Session")
    return ctx.sessions.get(token, now)


async def respond_to_auth_challenge(ctx: Context, body: dict[str, Any], *, admin: bool) -> dict[str, Any]:
    """RespondToAuthChallenge / AdminRespondToAuthChallenge."""
    pool, client = _pool_and_client(ctx, body, admin)
    name = body["ChallengeName"]
    responses: dict[str, str] = dict(body.get("ChallengeResponses") or {})
    session = _find_session(ctx, body, name, responses)
    if session.client_id != client.id or session.pool_id != pool.id:
        raise not_authorized("Invalid session for the user.")
    typed = require(responses, "USERNAME")
    check_secret_hash(client, responses.get("SECRET_HASH"), [typed])
    user = pool.users.get(session.username) if session.username else None
    if (
        user is not None
        and typed not in (session.typed_username, user.username)
        and pool.find_user(typed) is not user
    ):
        raise not_authorized("Invalid session for the user.")
    expected = session.challenge
    if name != expected and not (expected == "SELECT_CHALLENGE" and name in ("PASSWORD", "PASSWORD_SRP")):
        raise invalid_parameter(f"The session expects the {expected} challenge, not {name}")
    if body.get("ClientMetadata"):
        session.client_metadata = dict(body["ClientMetadata"])
    if name in ("PASSWORD_VERIFIER", "DEVICE_PASSWORD_VERIFIER"):
        return await _answer_verifier(ctx, pool, client, user, session, name, responses)
    if user is None:
        raise not_authorized()
    if not user.enabled:
        raise not_authorized("User is disabled.")
    if name in _CODE_FIELDS:
        return await _answer_code(ctx, pool, client, user, session, name, responses)
    if name == "NEW_PASSWORD_REQUIRED":
        return await _answer_new_password(ctx, pool, client, user, session, responses)
    if name == "SELECT_MFA_TYPE":
        answer = require(responses, "ANSWER")
        if answer not in session.choices:
            raise invalid_parameter(f"Invalid MFA type {answer}")
        return _mfa_challenge(ctx, pool, user, session, answer)
    if name == "MFA_SETUP":
        return _answer_mfa_setup(ctx, pool, client, user, session, responses)
    if name == "CUSTOM_CHALLENGE":
        return await _answer_custom(ctx, pool, client, user, session, responses)
    if name in ("SELECT_CHALLENGE", "PASSWORD", "PASSWORD_SRP"):
        factor = name if name != "SELECT_CHALLENGE" else require(responses, "ANSWER")
        return await _user_auth_factor(ctx, pool, client, user, session, factor, responses)
    if name == "DEVICE_SRP_AUTH":
        return _answer_device_srp(ctx, user, session, responses)
    raise invalid_parameter(f"The challenge {name} is not supported by this server")


async def _answer_verifier(
    ctx: Context,
    pool: Pool,
    client: Client,
    user: User | None,
    session: AuthSession,
    name: str,
    responses: dict[str, str],
) -> dict[str, Any]:
    exchange = session.exchange
    block = require(responses, "PASSWORD_CLAIM_SECRET_BLOCK")
    if exchange is None or not hmac.compare_digest(block.encode(), exchange.secret_block.encode()):
        raise not_authorized("Invalid session for the user.")
    ctx.sessions.drop(session)  # an exchange answers once, right or wrong
    if user is None:
        _claim_is_valid(ctx, exchange, responses)  # same work and the same format errors as a real user
        raise not_authorized()
    if name == "DEVICE_PASSWORD_VERIFIER":
        if not _claim_is_valid(ctx, exchange, responses):
            raise not_authorized()
        session.device_authenticated = True
        return await _after_first_factor(ctx, pool, client, user, session)
    _check_not_locked(ctx, user)
    if not _claim_is_valid(ctx, exchange, responses):
        _record_failure(ctx, user)
        raise not_authorized()
    user.failed_attempts = 0
    if responses.get("DEVICE_KEY"):
        session.device_key = responses["DEVICE_KEY"]
    if session.flow == "CUSTOM_AUTH":
        _check_status(ctx, pool, user)
        session.custom_history.append(
            {"challengeName": "PASSWORD_VERIFIER", "challengeResult": True, "challengeMetadata": None}
        )
        return await _custom_next(ctx, pool, client, user, session)
    return await _after_password(ctx, pool, client, user, session)


def _answer_device_srp(
    ctx: Context, user: User, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    key = require(responses, "DEVICE_KEY")
    device = user.devices.get(key)
    if key != session.device_key or device is None or not device.confirmed:
        raise resource_not_found("Device does not exist.")
    exchange = _new_exchange(
        _parse_srp_a(require(responses, "SRP_A")), int(device.verifier, 16), device.group_key, key
    )
    session.exchange = exchange
    ctx.sessions.bind_block(session, exchange.secret_block)
    return _challenge(
        ctx,
        session,
        "DEVICE_PASSWORD_VERIFIER",
        {
            "DEVICE_KEY": key,
            "SALT": device.salt,
            "SECRET_BLOCK": exchange.secret_block,
            "SRP_B": format(exchange.big_b, "x"),
            "USERNAME": user.username,
        },
    )


async def _answer_code(
    ctx: Context,
    pool: Pool,
    client: Client,
    user: User,
    session: AuthSession,
    name: str,
    responses: dict[str, str],
) -> dict[str, Any]:
    code = require(responses, _CODE_FIELDS[name])
    if name == "SOFTWARE_TOKEN_MFA":
        valid = check_totp(user.totp_secret, code, ctx.now())
    else:
        valid = bool(session.code) and hmac.compare_digest(session.code.encode(), code.encode())
    if not valid:
        session.failures += 1
        if session.failures >= _MAX_CODE_FAILURES:
            ctx.sessions.drop(session)
        raise Fault("CodeMismatchException", "Invalid code or auth state for the user.")
    session.code = ""
    if session.setup_email:
        user.attributes["email"] = session.setup_email
        user.attributes["email_verified"] = "true"
        user.email_mfa_enabled = True
        user.preferred_mfa = user.preferred_mfa or "EMAIL_OTP"
    if session.in_mfa:
        return _finish(ctx, pool, client, user, session)
    return await _after_first_factor(ctx, pool, client, user, session)


async def _answer_new_password(
    ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    password = require(responses, "NEW_PASSWORD")
    updates = {
        key[len("userAttributes.") :]: value
        for key, value in responses.items()
        if key.startswith("userAttributes.")
    }
    pool.check_attribute_names(list(updates))
    missing = [
        name for name in pool.required_attributes if name not in user.attributes and name not in updates
    ]
    if missing:
        raise invalid_parameter(f"Missing required parameter userAttributes.{missing[0]}")
    pool.check_password_policy(password)
    user.attributes.update(updates)
    user.set_password(pool.srp_name, password, ctx.now())
    user.status = "CONFIRMED"
    return await _after_first_factor(ctx, pool, client, user, session)


def _answer_mfa_setup(
    ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    if session.totp_verified:
        user.totp_secret = session.pending_totp
        user.totp_name = session.totp_name
        user.totp_enabled = True
        user.preferred_mfa = "SOFTWARE_TOKEN_MFA"
        return _finish(ctx, pool, client, user, session)
    email = responses.get("EMAIL")
    if email and pool.email_mfa:
        session.setup_email = email
        parameters = _send_session_code(
            ctx, pool, user, session, attribute="email", kind="MFA", destination=email
        )
        return _challenge(ctx, session, "EMAIL_OTP", parameters)
    raise invalid_parameter("MFA_SETUP needs a verified software token (VerifySoftwareToken) or an EMAIL")


async def _answer_custom(
    ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    answer = require(responses, "ANSWER")
    reply = await ctx.run_trigger(
        pool,
        "verify_auth_challenge_response",
        source="VerifyAuthChallengeResponse_Authentication",
        username=user.username,
        client_id=client.id,
        request={
            "userAttributes": dict(user.attributes),
            "privateChallengeParameters": dict(session.custom_private),
            "challengeAnswer": answer,
            "clientMetadata": dict(session.client_metadata),
            "userNotFound": False,
        },
        response={"answerCorrect": False},
    )
    session.custom_history.append(
        {
            "challengeName": "CUSTOM_CHALLENGE",
            "challengeResult": reply.get("answerCorrect") is True,
            "challengeMetadata": session.custom_metadata or None,
        }
    )
    return await _custom_next(ctx, pool, client, user, session)


# --- software token set-up inside a sign-in (MFA_SETUP) ---------------------------------------------


def associate_with_session(ctx: Context, token: str) -> dict[str, Any]:
    """AssociateSoftwareToken with a Session of an MFA_SETUP challenge."""
    session = ctx.sessions.get(token, ctx.now())
    if session.challenge != "MFA_SETUP":
        raise not_authorized("Invalid session for the user.")
    session.pending_totp = new_totp_secret()
    session.totp_verified = False
    return {"SecretCode": session.pending_totp, "Session": ctx.sessions.issue(session)}


def verify_with_session(ctx: Context, token: str, code: str, friendly_name: str) -> dict[str, Any]:
    """VerifySoftwareToken with the Session AssociateSoftwareToken returned."""
    session = ctx.sessions.get(token, ctx.now())
    if session.challenge != "MFA_SETUP" or not session.pending_totp:
        raise not_authorized("Invalid session for the user.")
    if not check_totp(session.pending_totp, code, ctx.now()):
        raise Fault("EnableSoftwareTokenMFAException", "Code mismatch")
    session.totp_verified = True
    session.totp_name = friendly_name
    return {"Status": "SUCCESS", "Session": ctx.sessions.issue(session)}
