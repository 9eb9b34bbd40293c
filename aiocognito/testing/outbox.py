"""The outbox of the local user pool: every code it would have sent by e-mail or SMS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Message", "Outbox"]


@dataclass(frozen=True, slots=True)
class Message:
    """One message the local user pool "sent".

    Attributes:
        pool_id: the user pool.
        username: the internal username of the user it was sent to.
        destination: the e-mail address or phone number.
        medium: ``"EMAIL"`` or ``"SMS"``.
        code: the code (or temporary password) it carries.
        kind: why it was sent: ``SIGN_UP``, ``FORGOT_PASSWORD``, ``MFA``, ``OTP`` (a passwordless first
            factor), ``VERIFY_ATTRIBUTE``, ``INVITATION`` (a temporary password) or ``RESET_PASSWORD``.
        sent_at: epoch seconds by the server's clock.
        subject: an e-mail's subject ("" for SMS).
        text: the words sent, from the pool's message templates or its custom message trigger.
    """

    pool_id: str
    username: str
    destination: str
    medium: str
    code: str = field(repr=False)
    kind: str
    sent_at: float = 0.0
    subject: str = ""
    text: str = field(default="", repr=False)

    def __str__(self) -> str:
        return f"{self.kind} code {self.code} for {self.username} ({self.medium} to {self.destination})"


class Outbox(list[Message]):
    """The messages sent so far, oldest first (a list), with look-up helpers."""

    def __init__(self, on_message: Callable[[Message], None] | None = None) -> None:
        super().__init__()
        self._on_message = on_message

    def send(self, message: Message) -> None:
        self.append(message)
        if self._on_message is not None:
            self._on_message(message)

    def last(self, username: str | None = None, kind: str | None = None) -> Message:
        """The newest message to ``username`` (internal username, or the destination), of ``kind``.

        Raises:
            LookupError: there is none.
        """
        for message in reversed(self):
            if username is not None and username not in (message.username, message.destination):
                continue
            if kind is not None and message.kind != kind:
                continue
            return message
        raise LookupError(f"no message for {username!r} of kind {kind!r}")

    def last_code(self, username: str, kind: str | None = None) -> str:
        """The code of the newest message to ``username`` (see :meth:`last`).

        Raises:
            LookupError: there is none.
        """
        return self.last(username, kind).code
