"""Confirmation codes of the local user pool: how long they last and how a reply says where they went.

The codes themselves are made, "sent" to the :class:`~aiocognito.testing.Outbox` and checked by
:class:`~.context.Context` (``send_code``, ``check_code``).
"""

from __future__ import annotations

__all__ = ["CODE_VALIDITY", "delivery_details", "mask"]

#: Seconds a sign-up, forgot-password or attribute verification code stays valid (Cognito: 24 hours).
CODE_VALIDITY = 24 * 3600


def mask(destination: str) -> str:
    """A destination as Cognito shows it: ``a***@e***`` or ``+*******1234``."""
    if "@" in destination:
        local, _, domain = destination.partition("@")
        return f"{local[:1]}***@{domain[:1]}***"
    return "+" + "*" * max(len(destination) - 5, 0) + destination[-4:]


def delivery_details(destination: str, attribute: str) -> dict[str, str]:
    """The ``CodeDeliveryDetails`` of a code sent to ``destination``, the user's ``attribute``."""
    return {
        "Destination": mask(destination),
        "DeliveryMedium": "SMS" if attribute == "phone_number" else "EMAIL",
        "AttributeName": attribute,
    }
