"""What every operation of the local user pool works with: the :class:`Context`.

The store (the model), the signing keys, the outbox, the clock, the sign-in sessions and each pool's
triggers; and the services built on them that many operations use: confirmation codes made, "sent" and
checked, triggers called with a Lambda-shaped event.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..faults import Fault
from ..outbox import Message, Outbox
from . import messages, triggers
from .auth.sessions import Sessions
from .codes import CODE_VALIDITY, delivery_details
from .keys import KeyRing
from .state import Pool, Store, User
from .triggers import Trigger, Triggers

__all__ = ["Context"]


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
    # The base URL of the pools' issuer, when tokens name the server instead of AWS (see Pool.issuer).
    issuer_base: str = ""

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
        trigger = self.trigger(pool, "custom_message")
        subject, text = messages.compose(pool, user, kind=kind, medium=medium, code=code, trigger=trigger)
        message = Message(pool.id, user.username, destination, medium, code, kind, self.now(), subject, text)
        self.outbox.send(message)

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
        version: str = "1",
    ) -> dict[str, Any]:
        """Call a trigger with a Lambda-shaped event; its ``response``.

        Raises:
            Fault: UserLambdaValidationException when the callable raises, InvalidLambdaResponseException
                when it returns something that is not an event.
        """
        function = self.trigger(pool, name)
        if function is None:
            return response
        event = triggers.lambda_event(
            pool,
            source=source,
            username=username,
            client_id=client_id,
            request=request,
            response=response,
            version=version,
        )
        return await triggers.run(function, name, event)
