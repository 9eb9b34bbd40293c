"""Sign-in steps: what a caller sees between two calls of a sign-in, as values.

Each step has Amplify v6's name (``CONFIRM_SIGN_IN_WITH_TOTP_CODE``...) and typed fields for what it shows.
A step can be kept between two HTTP requests of a web app with :meth:`SignInStep.to_json` and
``pool.resume(data)``; the JSON holds no password, no SRP secret and no TOTP secret.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import CognitoError, ProtocolError, ServiceError, SessionExpiredError
from . import safe_json as _json
from .checks import MAX_NAME_CHARS, MAX_SESSION_CHARS, is_epoch_seconds, text_problem
from .flows import (
    LOCAL_EMAIL_SETUP,
    LOCAL_PASSWORD,
    LOCAL_TOTP_SETUP,
    Answer,
    AuthFlow,
    Challenge,
    SignInContext,
    UserContext,
    name_list,
)

if TYPE_CHECKING:
    from ..user import User

__all__ = [
    "STEP_OF_CHALLENGE",
    "CodeDelivery",
    "NewPassword",
    "Responder",
    "SignInStep",
    "StepDataError",
    "StepName",
]

_JSON_VERSION = 1


class StepName(str, Enum):
    """Amplify v6's sign-in step names, plus ``CONFIRM_SIGN_IN_WITH_WEB_AUTHN``."""

    DONE = "DONE"
    CONFIRM_SIGN_IN_WITH_SMS_CODE = "CONFIRM_SIGN_IN_WITH_SMS_CODE"
    CONFIRM_SIGN_IN_WITH_TOTP_CODE = "CONFIRM_SIGN_IN_WITH_TOTP_CODE"
    CONFIRM_SIGN_IN_WITH_EMAIL_CODE = "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"
    CONTINUE_SIGN_IN_WITH_MFA_SELECTION = "CONTINUE_SIGN_IN_WITH_MFA_SELECTION"
    CONTINUE_SIGN_IN_WITH_TOTP_SETUP = "CONTINUE_SIGN_IN_WITH_TOTP_SETUP"
    CONTINUE_SIGN_IN_WITH_EMAIL_SETUP = "CONTINUE_SIGN_IN_WITH_EMAIL_SETUP"
    CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION = "CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION"
    CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED = "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED"
    CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE = "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE"
    CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION = "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION"
    CONFIRM_SIGN_IN_WITH_PASSWORD = "CONFIRM_SIGN_IN_WITH_PASSWORD"
    CONFIRM_SIGN_IN_WITH_WEB_AUTHN = "CONFIRM_SIGN_IN_WITH_WEB_AUTHN"
    CONFIRM_SIGN_UP = "CONFIRM_SIGN_UP"
    RESET_PASSWORD = "RESET_PASSWORD"

    def __str__(self) -> str:
        return self.value


#: Amplify v6's step name for each Cognito challenge (and each ``LOCAL_*`` one) a sign-in can meet.
STEP_OF_CHALLENGE: Mapping[str, StepName] = {
    "SMS_MFA": StepName.CONFIRM_SIGN_IN_WITH_SMS_CODE,
    "SMS_OTP": StepName.CONFIRM_SIGN_IN_WITH_SMS_CODE,
    "SOFTWARE_TOKEN_MFA": StepName.CONFIRM_SIGN_IN_WITH_TOTP_CODE,
    "EMAIL_OTP": StepName.CONFIRM_SIGN_IN_WITH_EMAIL_CODE,
    "SELECT_MFA_TYPE": StepName.CONTINUE_SIGN_IN_WITH_MFA_SELECTION,
    "MFA_SETUP": StepName.CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION,
    LOCAL_TOTP_SETUP: StepName.CONTINUE_SIGN_IN_WITH_TOTP_SETUP,
    LOCAL_EMAIL_SETUP: StepName.CONTINUE_SIGN_IN_WITH_EMAIL_SETUP,
    "NEW_PASSWORD_REQUIRED": StepName.CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED,
    "CUSTOM_CHALLENGE": StepName.CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE,
    "SELECT_CHALLENGE": StepName.CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION,
    "PASSWORD": StepName.CONFIRM_SIGN_IN_WITH_PASSWORD,
    "PASSWORD_SRP": StepName.CONFIRM_SIGN_IN_WITH_PASSWORD,
    LOCAL_PASSWORD: StepName.CONFIRM_SIGN_IN_WITH_PASSWORD,
    "WEB_AUTHN": StepName.CONFIRM_SIGN_IN_WITH_WEB_AUTHN,
}
# Cognito's MFA names as Amplify shows them.
_MFA_TYPE = {"SMS_MFA": "SMS", "SOFTWARE_TOKEN_MFA": "TOTP", "EMAIL_OTP": "EMAIL"}
# Parameters that never go into a step's JSON.
_SECRET_PARAMETERS = frozenset({"SECRET_CODE"})


class StepDataError(CognitoError, ValueError):
    """Data given to ``pool.resume`` is not a step this pool can resume."""


@dataclass(frozen=True, slots=True)
class CodeDelivery:
    """Where Cognito sent a code: ``destination`` is masked by Cognito (``+*******1234``)."""

    destination: str | None
    medium: str | None
    attribute: str | None = None


@dataclass(frozen=True, slots=True)
class NewPassword:
    """The answer to ``CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED``: a password and required attributes."""

    password: str = field(repr=False)
    attributes: Mapping[str, str] = field(default_factory=dict)


class Responder(Protocol):
    """What answers a step: the pool's sign-in service (a step only holds it, to send the answer back)."""

    async def answer(self, step: SignInStep, answer: Answer) -> SignInStep: ...


def _json_object(value: Any, step: str, name: str) -> dict[str, Any]:
    """An object sent as JSON in a string (Cognito's ``userAttributes``) or as an object."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = _json.loads(value)
        except _json.JsonError as exc:
            raise ProtocolError(f"not a JSON object ({exc})", step=step, field=name) from None
    if not isinstance(value, dict):
        raise ProtocolError("not a JSON object", step=step, field=name)
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInStep:
    """Where a sign-in stands: ``DONE`` with a user, or a step the caller answers with :meth:`respond`.

    Attributes:
        name: Amplify v6's step name; a ``str`` enum, so ``step.name == "DONE"`` works.
        username: the username Cognito knows the user by (its internal name, not an e-mail alias): the
            name every answer carries.
        typed_username: the name the sign-in started with (an alias, perhaps); ``username`` when unknown.
        user: the signed-in :class:`~aiocognito.User`, on ``DONE`` (:attr:`signed_in_user` is the same,
            typed ``User``, and raises on any other step).
        challenge_name: Cognito's challenge name (or a ``LOCAL_*`` one), ``None`` when done.
        expires_at: when the step's Cognito session expires (epoch seconds), from ``session_validity``.
        code_delivery: where a code was sent (SMS, e-mail challenges).
        allowed_mfa_types: ``"SMS"``, ``"TOTP"``, ``"EMAIL"``: to choose from, or to set up.
        totp_secret: the shared secret to enrol an authenticator (TOTP set-up only; never in the JSON).
        required_attributes: attributes a new password must come with (``NEW_PASSWORD_REQUIRED``).
        user_attributes: the user's current attributes (``NEW_PASSWORD_REQUIRED``).
        custom_parameters: the public challenge parameters of a custom challenge.
        available_challenges: first factors to choose from (USER_AUTH).
        credential_request_options: the WebAuthn options JSON to hand to the browser.
        error: the Cognito error that ended the sign-in at ``CONFIRM_SIGN_UP`` / ``RESET_PASSWORD``.
        device_remembered: a new device was confirmed during this sign-in (on ``DONE``).
        user_confirmation_necessary: the pool remembers devices only on the user's word
            (``userConfirmationNecessary``): ask "remember this device?" and, if yes, call
            ``step.user.remember_device()`` (on ``DONE``, with ``device_remembered``).
    """

    name: StepName
    username: str
    user: User | None = None
    challenge_name: str | None = None
    expires_at: float | None = None
    code_delivery: CodeDelivery | None = None
    allowed_mfa_types: tuple[str, ...] = ()
    totp_secret: str | None = field(default=None, repr=False)
    required_attributes: tuple[str, ...] = ()
    user_attributes: Mapping[str, str] = field(default_factory=dict, repr=False)
    custom_parameters: Mapping[str, str] = field(default_factory=dict)
    available_challenges: tuple[str, ...] = ()
    credential_request_options: str | None = None
    error: ServiceError | None = None
    device_remembered: bool = False
    user_confirmation_necessary: bool = False
    typed_username: str = ""
    _challenge: Challenge | None = field(default=None, repr=False, compare=False)
    _responder: Responder | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.typed_username:
            object.__setattr__(self, "typed_username", self.username)

    # --- building ---------------------------------------------------------------------------------

    @classmethod
    def from_challenge(
        cls, challenge: Challenge, *, expires_at: float | None, responder: Responder | None
    ) -> SignInStep:
        """The step a caller sees for a challenge."""
        name = challenge.challenge_name
        params = challenge.parameters
        step_name = STEP_OF_CHALLENGE[name]
        fields: dict[str, Any] = {}
        destination = params.get("CODE_DELIVERY_DESTINATION")
        medium = params.get("CODE_DELIVERY_DELIVERY_MEDIUM")
        if isinstance(destination, str) or isinstance(medium, str):
            fields["code_delivery"] = CodeDelivery(
                destination if isinstance(destination, str) else None,
                medium if isinstance(medium, str) else None,
            )
        if name == "SELECT_MFA_TYPE":
            choices = name_list(params.get("MFAS_CAN_CHOOSE"), name, "MFAS_CAN_CHOOSE")
            fields["allowed_mfa_types"] = tuple(_MFA_TYPE.get(c, c) for c in choices)
        elif name in ("MFA_SETUP", LOCAL_TOTP_SETUP, LOCAL_EMAIL_SETUP):
            choices = name_list(params.get("MFAS_CAN_SETUP"), name)
            fields["allowed_mfa_types"] = tuple(_MFA_TYPE.get(c, c) for c in choices)
        if name == LOCAL_TOTP_SETUP:
            secret = params.get("SECRET_CODE")
            fields["totp_secret"] = secret if isinstance(secret, str) else None
        if name == "NEW_PASSWORD_REQUIRED":
            required = name_list(params.get("requiredAttributes"), name, "requiredAttributes")
            fields["required_attributes"] = tuple(a.removeprefix("userAttributes.") for a in required)
            attributes = _json_object(params.get("userAttributes"), name, "userAttributes")
            fields["user_attributes"] = {k: str(v) for k, v in attributes.items() if v is not None}
        if name == "CUSTOM_CHALLENGE":
            fields["custom_parameters"] = {
                k: v for k, v in params.items() if k != "USERNAME" and isinstance(v, str)
            }
        if name == "WEB_AUTHN":
            options = params.get("CREDENTIAL_REQUEST_OPTIONS")
            fields["credential_request_options"] = options if isinstance(options, str) else None
        return cls(
            name=step_name,
            username=challenge.username,
            typed_username=challenge.context.username if challenge.context else challenge.username,
            challenge_name=name,
            expires_at=expires_at,
            available_challenges=challenge.available_challenges,
            _challenge=challenge,
            _responder=responder,
            **fields,
        )

    @property
    def signed_in_user(self) -> User:
        """The signed-in :class:`~aiocognito.User` of a ``DONE`` step, typed ``User`` (not ``User | None``).

        Raises:
            ServiceError: the sign-in ended with a Cognito error (:attr:`error`).
            ValueError: the step is not ``DONE``: it waits for an answer (MFA code, new password...).
        """
        if self.user is not None:
            return self.user
        if self.error is not None:
            raise self.error
        raise ValueError(f"the sign-in is at {self.name.value}, not DONE: answer the step with respond()")

    @property
    def pending_challenge(self) -> Challenge | None:
        """The challenge this step answers (``None`` on ``DONE``, ``CONFIRM_SIGN_UP``, ``RESET_PASSWORD``)."""
        return self._challenge

    # --- answering --------------------------------------------------------------------------------

    async def respond(
        self,
        answer: str | NewPassword,
        *,
        attributes: Mapping[str, str] | None = None,
        friendly_device_name: str | None = None,
        password: str | None = None,
    ) -> SignInStep:
        """Answer this step and return the next one.

        ``answer`` is a code, a custom answer, an MFA type (``"TOTP"``, ``"SMS"``, ``"EMAIL"``), a first
        factor (``"PASSWORD_SRP"``, ``"EMAIL_OTP"``...), an e-mail address (e-mail MFA set-up), a password,
        the WebAuthn credential JSON, or a :class:`NewPassword`.

        Raises:
            SessionExpiredError: the step's session expired; start the sign-in again.
            ServiceError: Cognito refused the answer (``CodeMismatchError``...). The step stays answerable
                where Cognito allows another try.
            ValueError: this step takes no answer (``DONE``, ``CONFIRM_SIGN_UP``, ``RESET_PASSWORD``), or a
                choice that is not offered.
        """
        if self._challenge is None or self._responder is None:
            raise ValueError(f"a {self.name.value} step takes no answer")
        if isinstance(answer, NewPassword):
            attributes = {**answer.attributes, **(attributes or {})}
            answer = answer.password
        if not isinstance(answer, str):
            raise TypeError("answer must be a str or a NewPassword")
        return await self._responder.answer(
            self,
            Answer(
                answer,
                attributes=dict(attributes or {}),
                friendly_device_name=friendly_device_name,
                password=password,
            ),
        )

    def check_not_expired(self, now: float) -> None:
        """Raise :class:`SessionExpiredError` if the step's session has expired at ``now``."""
        if self.expires_at is not None and now >= self.expires_at:
            raise SessionExpiredError(f"the {self.name.value} step expired; start the sign-in again")

    def totp_uri(self, issuer: str, account: str | None = None) -> str:
        """The ``otpauth://`` URI to show as a QR code for TOTP set-up.

        Raises:
            ValueError: the step is not a TOTP set-up with a known secret.
        """
        if self.totp_secret is None:
            raise ValueError("only a CONTINUE_SIGN_IN_WITH_TOTP_SETUP step has a TOTP secret")
        label = urllib.parse.quote(f"{issuer}:{account or self.username}")
        query = urllib.parse.urlencode({"secret": self.totp_secret, "issuer": issuer})
        return f"otpauth://totp/{label}?{query}"

    # --- keeping between requests -----------------------------------------------------------------

    def to_json(self) -> str:
        """The step as JSON, for ``pool.resume``: no password, no SRP value, no TOTP secret.

        Raises:
            ValueError: for a step that ended the sign-in (``DONE``, ``CONFIRM_SIGN_UP``, ``RESET_PASSWORD``).
        """
        challenge = self._challenge
        if challenge is None or challenge.context is None:
            raise ValueError(f"a {self.name.value} step ends the sign-in and cannot be resumed")
        ctx = challenge.context
        user_context = ctx.user_context
        data = {
            "v": _JSON_VERSION,
            "challenge": challenge.challenge_name,
            "username": challenge.username,
            "session": challenge.session,
            "parameters": {k: v for k, v in challenge.parameters.items() if k not in _SECRET_PARAMETERS},
            "available_challenges": list(challenge.available_challenges),
            "expires_at": self.expires_at,
            "context": {
                "username": ctx.username,
                "flow": ctx.flow.value,
                "client_metadata": dict(ctx.client_metadata) if ctx.client_metadata else None,
                "preferred_challenge": ctx.preferred_challenge,
                "ip_address": user_context.ip_address if user_context else None,
                "admin": ctx.admin_api,
            },
        }
        return json.dumps(data, separators=(",", ":"))

    @staticmethod
    def parse_json(data: str | bytes | Mapping[str, Any]) -> tuple[Challenge, float | None]:
        """Read what :meth:`to_json` wrote back into a challenge and its expiry.

        The data is read as strictly as a reply: it may come back from a browser or a shared cache, and
        its values are echoed into the next request and hashed into its SECRET_HASH.

        Raises:
            StepDataError: the data is not a step written by :meth:`to_json`.
        """
        try:
            if isinstance(data, str | bytes):
                loaded = _json.loads(data)
            else:
                # The same checks for a mapping as for its JSON (lone surrogates, NaN, depth).
                loaded = _json.loads(json.dumps(dict(data)))
        except (ValueError, TypeError, RecursionError):  # JsonError is a ValueError
            raise StepDataError("not a sign-in step written by SignInStep.to_json") from None
        if not isinstance(loaded, dict) or type(loaded.get("v")) is not int or loaded["v"] != _JSON_VERSION:
            raise StepDataError("not a sign-in step written by SignInStep.to_json")
        try:
            challenge, expires_at = _challenge_from(loaded)
            # What the step shows is read from the parameters: refuse data a step cannot be made of.
            SignInStep.from_challenge(challenge, expires_at=expires_at, responder=None)
        except StepDataError:
            raise
        except (ProtocolError, ValueError, KeyError, TypeError, AttributeError):
            raise StepDataError("malformed sign-in step data") from None
        return challenge, expires_at


def _step_text(value: Any, name: str, max_chars: int = MAX_NAME_CHARS, *, optional: bool = False) -> Any:
    if optional and value is None:
        return None
    if text_problem(value, max_chars, allow_empty=optional) is not None:
        raise StepDataError(f"malformed sign-in step data: {name}")
    return value


def _challenge_from(loaded: dict[str, Any]) -> tuple[Challenge, float | None]:
    """The challenge of :meth:`SignInStep.to_json`'s form, every value checked."""
    challenge_name = loaded["challenge"]
    if not isinstance(challenge_name, str) or challenge_name not in STEP_OF_CHALLENGE:
        raise StepDataError("unknown challenge in step data")
    username = _step_text(loaded["username"], "username")
    session = _step_text(loaded["session"], "session", MAX_SESSION_CHARS, optional=True)
    expires_at = loaded["expires_at"]
    if expires_at is not None and not is_epoch_seconds(expires_at, fractions=True):
        raise StepDataError("malformed sign-in step data: expires_at")
    parameters = loaded["parameters"]
    if not isinstance(parameters, dict):
        raise StepDataError("malformed sign-in step data: parameters")
    if challenge_name == LOCAL_PASSWORD and parameters.get("CHOICE") not in (
        None,
        "PASSWORD",
        "PASSWORD_SRP",
    ):
        raise StepDataError("malformed sign-in step data: parameters")
    available = loaded["available_challenges"]
    if not isinstance(available, list):
        raise StepDataError("malformed sign-in step data: available_challenges")
    for item in available:
        _step_text(item, "available_challenges")
    ctx_data = loaded["context"]
    if not isinstance(ctx_data, dict):
        raise StepDataError("malformed sign-in step data: context")
    metadata = ctx_data.get("client_metadata")
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
    ):
        raise StepDataError("malformed sign-in step data: client_metadata")
    ip_address = _step_text(ctx_data.get("ip_address"), "ip_address", optional=True)
    context = SignInContext(
        username=_step_text(ctx_data["username"], "context username"),
        flow=AuthFlow(ctx_data["flow"]),
        client_metadata=metadata or None,
        preferred_challenge=_step_text(
            ctx_data.get("preferred_challenge"), "preferred_challenge", optional=True
        ),
        user_context=UserContext(ip_address=ip_address) if ip_address else None,
        admin_api=ctx_data.get("admin") is True,
    )
    challenge = Challenge(challenge_name, username, session, parameters, tuple(available), context)
    return challenge, expires_at
