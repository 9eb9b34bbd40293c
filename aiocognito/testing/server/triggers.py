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

__all__ = ["Trigger", "Triggers", "lambda_event", "run"]

#: A Lambda trigger as a Python callable: takes the event dict, returns it (or a new one, or ``None``
#: after changing it in place); may be ``async``. Raising refuses the operation as a Lambda error would.
Trigger = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Triggers:
    """A pool's Lambda triggers, as Python callables (see :data:`Trigger`)."""

    define_auth_challenge: Trigger | None = None
    create_auth_challenge: Trigger | None = None
    verify_auth_challenge_response: Trigger | None = None
    pre_sign_up: Trigger | None = None


_TRIGGER_NAMES = {
    "define_auth_challenge": "DefineAuthChallenge",
    "create_auth_challenge": "CreateAuthChallenge",
    "verify_auth_challenge_response": "VerifyAuthChallengeResponse",
    "pre_sign_up": "PreSignUp",
}


def lambda_event(
    pool: Pool,
    *,
    source: str,
    username: str,
    client_id: str,
    request: dict[str, Any],
    response: dict[str, Any],
) -> dict[str, Any]:
    """The event of a trigger call, as Cognito shapes it (``source`` is its ``triggerSource``)."""
    return {
        "version": "1",
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
    if result is not None:
        event = result
    reply = event.get("response") if isinstance(event, dict) else None
    if not isinstance(reply, dict):
        raise Fault("InvalidLambdaResponseException", f"Invalid {label} Lambda response")
    return reply
