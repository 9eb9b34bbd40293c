"""The values of a sign-in flow, all frozen: effects it yields, inputs it carries, outcomes it returns.

Effects: :class:`Call` (a Cognito operation) and :class:`Compute` (an SRP function). Inputs: the app
client (:class:`ClientConfig`), the sign-in so far (:class:`SignInContext`), the world (:class:`Env`)
and a caller's :class:`Answer`. Outcomes: :class:`Signed`, :class:`Challenge` or :class:`Stopped`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ...errors import ServiceError
from .. import srp

__all__ = [
    "CALLER_CHALLENGES",
    "INTERNAL_CHALLENGES",
    "LOCAL_EMAIL_SETUP",
    "LOCAL_PASSWORD",
    "LOCAL_TOTP_SETUP",
    "Answer",
    "AuthFlow",
    "Call",
    "Challenge",
    "ClientConfig",
    "Compute",
    "DeviceCredentials",
    "Effect",
    "Env",
    "Flow",
    "NewEphemeral",
    "Outcome",
    "SignInContext",
    "Signed",
    "Stopped",
    "new_ephemeral",
]

#: Challenges the flow answers itself; the caller never sees them.
INTERNAL_CHALLENGES = frozenset({"PASSWORD_VERIFIER", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER"})
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


@dataclass(frozen=True, slots=True)
class NewEphemeral(Compute):
    """A fresh SRP key pair ``(a, A)``: ``Compute(srp.ephemeral, (random bytes,))``, the flow's randomness.

    An effect of its own so that a driver may answer it with a pair drawn ahead of time from the same
    randomness (``source``, the flow's :attr:`Env.random_bytes`; see
    :class:`aiocognito.ComputePool`'s ``ephemerals``) instead of computing one now. A driver that
    does not know it runs it as the :class:`Compute` it is.
    """

    source: Callable[[int], bytes] | None = field(default=None, repr=False, compare=False)


def new_ephemeral(env: Env) -> NewEphemeral:
    """The effect asking for a fresh ephemeral, its bytes drawn from ``env``'s randomness."""
    return NewEphemeral(srp.ephemeral, (env.random_bytes(srp.EPHEMERAL_BYTES),), source=env.random_bytes)


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
    #: USER_AUTH's ``Session`` from SignUp / ConfirmSignUp: sign in with no first factor (auto sign-in).
    session: str | None = field(default=None, repr=False)

    #: Sign in with AdminInitiateAuth / AdminRespondToAuthChallenge (signed with AWS credentials).
    admin_api: bool = False

    @property
    def admin(self) -> bool:
        """Whether the calls are the signed Admin* forms (ADMIN_USER_PASSWORD_AUTH has no other)."""
        return self.admin_api or self.flow is AuthFlow.ADMIN_USER_PASSWORD_AUTH


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


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer to a challenge: the main value and, where a step takes them, extra fields."""

    value: str = field(repr=False)
    attributes: Mapping[str, str] = field(default_factory=dict, repr=False)
    friendly_device_name: str | None = None
    password: str | None = field(default=None, repr=False)
