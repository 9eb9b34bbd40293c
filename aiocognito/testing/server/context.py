"""What every operation of the local user pool works with: the store, the clock, the outbox, triggers.

Also the small rules several operations share: confirmation codes and where they go, masked
destinations, ``SECRET_HASH`` checks, Lambda-style trigger calls.
"""

from __future__ import annotations

import hmac
import inspect
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiocognito.core import srp

from ..faults import Fault, invalid_parameter, not_authorized
from ..outbox import Message, Outbox
from .state import Client, Pool, Store, User
from .tokens import KeyRing

if TYPE_CHECKING:
    from .auth.respond import Sessions

__all__ = [
    "CODE_VALIDITY",
    "Context",
    "Trigger",
    "Triggers",
    "check_secret_hash",
    "delivery_details",
    "mask",
    "require",
]

#: Seconds a sign-up, forgot-password or attribute verification code stays valid (Cognito: 24 hours).
CODE_VALIDITY = 24 * 3600

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


def mask(destination: str) -> str:
    """A destination as Cognito shows it: ``a***@e***`` or ``+*******1234``."""
    if "@" in destination:
        local, _, domain = destination.partition("@")
        return f"{local[:1]}***@{domain[:1]}***"
    return "+" + "*" * max(len(destination) - 5, 0) + destination[-4:]


def check_secret_hash(client: Client, given: object, usernames: list[str]) -> None:
    """Cognito's SECRET_HASH check for a client with a secret; any of ``usernames`` may be hashed.

    Raises:
        Fault: NotAuthorizedException with Cognito's message when missing or wrong.
    """
    if not client.secret:
        return
    if not isinstance(given, str) or not given:
        raise not_authorized(f"Client {client.id} is configured with secret but SECRET_HASH was not received")
    for name in usernames:
        if name and hmac.compare_digest(
            srp.secret_hash(name, client.id, client.secret).encode(), given.encode()
        ):
            return
    raise not_authorized(f"Unable to verify secret hash for client {client.id}")


@dataclass(slots=True)
class Context:
    """The server's state and collaborators, handed to every operation."""

    store: Store
    keys: KeyRing
    outbox: Outbox
    clock: Callable[[], float]
    # Sign-in sessions live in memory only (they last minutes).
    sessions: Sessions
    region: str = "us-east-1"
    shared_key: bool = False
    triggers: dict[str, Triggers] = field(default_factory=dict)

    def now(self) -> float:
        return float(self.clock())

    # --- codes -------------------------------------------------------------------------------------

    def send_code(self, pool: Pool, user: User, *, purpose: str, kind: str, attribute: str) -> dict[str, str]:
        """Make a 6-digit code for ``purpose``, "send" it to the user's ``attribute``; CodeDeliveryDetails."""
        destination = user.attributes.get(attribute, "")
        code = f"{secrets.randbelow(10**6):06d}"
        user.codes[purpose] = {"code": code, "expires_at": self.now() + CODE_VALIDITY, "attribute": attribute}
        self.deliver(pool, user, destination, code, kind, attribute)
        return delivery_details(destination, attribute)

    def deliver(self, pool: Pool, user: User, destination: str, code: str, kind: str, attribute: str) -> None:
        medium = "SMS" if attribute == "phone_number" else "EMAIL"
        self.outbox.send(Message(pool.id, user.username, destination, medium, code, kind, self.now()))

    def check_code(self, user: User, purpose: str, code: str) -> dict[str, Any]:
        """Consume a pending code.

        Raises:
            Fault: CodeMismatchException or ExpiredCodeException, as Cognito words them.
        """
        pending = user.codes.get(purpose)
        if pending is None or self.now() >= float(pending["expires_at"]):
            user.codes.pop(purpose, None)
            raise Fault("ExpiredCodeException", "Invalid code provided, please request a code again.")
        if not hmac.compare_digest(str(pending["code"]).encode(), code.encode()):
            raise Fault("CodeMismatchException", "Invalid verification code provided, please try again.")
        del user.codes[purpose]
        return pending

    # --- triggers ----------------------------------------------------------------------------------

    def trigger(self, pool: Pool, name: str) -> Trigger | None:
        triggers = self.triggers.get(pool.id)
        return getattr(triggers, name) if triggers is not None else None

    async def run_trigger(
        self,
        pool: Pool,
        name: str,
        *,
        source: str,
        username: str,
        client_id: str,
        request: dict[str, Any],
        response: dict[str, Any],
    ) -> dict[str, Any]:
        """Call a trigger with a Lambda-shaped event; its ``response``.

        Raises:
            Fault: UserLambdaValidationException when the callable raises, InvalidLambdaResponseException
                when it returns something that is not an event.
        """
        function = self.trigger(pool, name)
        if function is None:
            return response
        event: dict[str, Any] = {
            "version": "1",
            "region": pool.region,
            "userPoolId": pool.id,
            "userName": username,
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
            "triggerSource": source,
            "request": request,
            "response": response,
        }
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


def delivery_details(destination: str, attribute: str) -> dict[str, str]:
    return {
        "Destination": mask(destination),
        "DeliveryMedium": "SMS" if attribute == "phone_number" else "EMAIL",
        "AttributeName": attribute,
    }


def require(params: dict[str, str], name: str) -> str:
    """A required AuthParameters / ChallengeResponses entry.

    Raises:
        Fault: InvalidParameterException "Missing required parameter NAME".
    """
    value = params.get(name)
    if not value:
        raise invalid_parameter(f"Missing required parameter {name}")
    return value
