"""Lambda triggers of the local user pool, as Python callables: which ones a pool has, and how one runs.

A trigger gets the event Cognito would send its Lambda function (``version``, ``region``,
``userPoolId``, ``userName``, ``callerContext``, ``triggerSource``, ``request``, ``response``) and
answers with it, changed; :meth:`LocalUserPool.set_triggers <aiocognito.testing.LocalUserPool.set_triggers>`
gives a pool its :class:`Triggers`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..faults import Fault
from .state import Pool

__all__ = ["Trigger", "Triggers", "lambda_event", "run", "run_sync"]

#: A Lambda trigger as a Python callable: takes the event dict, returns it (or a new one, or ``None``
#: after changing it in place); may be ``async``. Raising refuses the operation as a Lambda error would.
Trigger = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Triggers:
    """A pool's Lambda triggers, as Python callables (see :data:`Trigger`).

    ``pre_token_generation_version`` is the event version of LambdaConfig's PreTokenGenerationConfig:
    ``"V1_0"`` (ID token claims and groups) or ``"V2_0"`` (access token claims and scopes too).
    ``custom_message`` is called while the message is sent, so it must be a plain function (not
    ``async``), which a message formatter can always be.
    """

    define_auth_challenge: Trigger | None = None
    create_auth_challenge: Trigger | None = None
    verify_auth_challenge_response: Trigger | None = None
    pre_sign_up: Trigger | None = None
    post_confirmation: Trigger | None = None
    pre_authentication: Trigger | None = None
    post_authentication: Trigger | None = None
    pre_token_generation: Trigger | None = None
    pre_token_generation_version: str = "V1_0"
    user_migration: Trigger | None = None
    custom_message: Trigger | None = None

    def __post_init__(self) -> None:
        if self.pre_token_generation_version not in ("V1_0", "V2_0"):
            raise ValueError("pre_token_generation_version is 'V1_0' or 'V2_0'")
        if self.custom_message is not None and inspect.iscoroutinefunction(self.custom_message):
            raise TypeError("custom_message must be a plain function, not a coroutine function")


_TRIGGER_NAMES = {
    "define_auth_challenge": "DefineAuthChallenge",
    "create_auth_challenge": "CreateAuthChallenge",
    "verify_auth_challenge_response": "VerifyAuthChallengeResponse",
    "pre_sign_up": "PreSignUp",
    "post_confirmation": "PostConfirmation",
    "pre_authentication": "PreAuthentication",
    "post_authentication": "PostAuthentication",
    "pre_token_generation": "PreTokenGeneration",
    "user_migration": "UserMigration",
    "custom_message": "CustomMessage",
}


def lambda_event(
    pool: Pool,
    *,
    source: str,
    username: str,
    client_id: str,
    request: dict[str, Any],
    response: dict[str, Any],
    version: str = "1",
) -> dict[str, Any]:
    """The event of a trigger call, as Cognito shapes it (``source`` is its ``triggerSource``)."""
    return {
        "version": version,
        "region": pool.region,
        "userPoolId": pool.id,
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "triggerSource": source,
        "request": request,
        "response": response,
    }


async def run(function: Trigger, name: str, event: dict[str, Any]) -> dict[str, Any]:
    """Call the trigger ``name`` (a field of :class:`Triggers`) with ``event``; the ``response`` it gives.

    Raises:
        Fault: UserLambdaValidationException when the callable raises, InvalidLambdaResponseException
            when it returns something that is not an event.
    """
    label = _TRIGGER_NAMES[name]
    try:
        result = function(event)
        if inspect.isawaitable(result):
            result = await result
    except Exception as error:  # a trigger's failure is the caller's answer, as with Lambda
        raise Fault("UserLambdaValidationException", f"{label} failed with error {error}.") from None
    return _response(label, event, result)


def run_sync(function: Trigger, name: str, event: dict[str, Any]) -> dict[str, Any]:
    """:func:`run` for a plain function (``custom_message``, called while a message is sent).

    Raises:
        Fault: as :func:`run`.
    """
    label = _TRIGGER_NAMES[name]
    try:
        result = function(event)
    except Exception as error:  # as in run
        raise Fault("UserLambdaValidationException", f"{label} failed with error {error}.") from None
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()  # never run: an answer that comes later cannot change a message sent now
        raise Fault("InvalidLambdaResponseException", f"Invalid {label} Lambda response")
    return _response(label, event, result)


def _response(label: str, event: dict[str, Any], result: Any) -> dict[str, Any]:
    if result is not None:
        event = result
    reply = event.get("response") if isinstance(event, dict) else None
    if not isinstance(reply, dict):
        raise Fault("InvalidLambdaResponseException", f"Invalid {label} Lambda response")
    return reply
