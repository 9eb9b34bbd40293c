"""Sign-ins in progress on the managed login pages, kept on the server behind opaque tokens.

A flow starts when ``/login`` shows its form and ends when the browser goes back to the app. Between two
pages the browser holds only a random flow token (a hidden field, new on every page: a form submitted
twice finds nothing) and the flow's CSRF token (a hidden field and the ``XSRF-TOKEN`` cookie, which must
both match the flow). The password is never kept: the flow holds the pool's own sign-in ``Session``.
"""

from __future__ import annotations

import hmac
import math
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

__all__ = ["FLOW_VALIDITY", "MAX_FLOWS", "FlowRefused", "LoginFlow", "LoginFlows"]

#: Seconds a managed login page can be answered after the flow started (then the user starts again).
FLOW_VALIDITY = 900
#: Flows kept at most; the oldest is forgotten first (bounded memory against a flood of page loads).
MAX_FLOWS = 10_000
_PRUNE_EVERY = 1.0  # seconds between two passes over all flows for the expired ones


class FlowRefused(Exception):
    """A form that names no live flow (unknown, used, expired) or fails its CSRF check."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason  # "expired" or "csrf"
        self.message = message


@dataclass(slots=True)
class LoginFlow:
    """One sign-in in progress on the managed login pages.

    Attributes:
        pool_id: the user pool whose domain serves the pages.
        query: the checked ``/oauth2/authorize`` parameters, replayed when the code is issued.
        csrf: the token the forms and the ``XSRF-TOKEN`` cookie carry.
        expires_at: when the flow stops being answerable (epoch seconds).
        username: the username as typed, shown again on the next page.
        step: ``PASSWORD``, or the challenge the pool asked (``SOFTWARE_TOKEN_MFA``, ...).
        session: the pool's sign-in ``Session`` of that challenge.
        parameters: the challenge's parameters.
        secret_code: a software token being set up (``MFA_SETUP``), shown to the user.
    """

    pool_id: str
    query: dict[str, str]
    csrf: str = field(repr=False)
    expires_at: float
    username: str = ""
    step: str = "PASSWORD"
    session: str = field(default="", repr=False)
    parameters: dict[str, str] = field(default_factory=dict)
    secret_code: str = field(default="", repr=False)


class LoginFlows:
    """The flows of the managed login pages, by their current token."""

    def __init__(self, *, limit: int = MAX_FLOWS, validity: float = FLOW_VALIDITY) -> None:
        self._flows: OrderedDict[str, LoginFlow] = OrderedDict()
        self._limit = limit
        self._validity = validity
        self._pruned_at = -math.inf

    def __len__(self) -> int:
        return len(self._flows)

    def start(self, pool_id: str, query: dict[str, str], *, now: float) -> tuple[str, LoginFlow]:
        """A new flow for the authorize ``query`` and its first token."""
        flow = LoginFlow(pool_id, dict(query), secrets.token_urlsafe(32), now + self._validity)
        return self.put(flow, now=now), flow

    def put(self, flow: LoginFlow, *, now: float) -> str:
        """Keep ``flow`` under a new token, for the next page."""
        # A full pass at most once a second: a page load under a flood of flows stays O(1) (a flow that
        # expired since is refused by take() all the same).
        if now - self._pruned_at >= _PRUNE_EVERY:
            self.prune(now)
        while len(self._flows) >= self._limit:
            self._flows.popitem(last=False)
        token = secrets.token_urlsafe(32)
        self._flows[token] = flow
        return token

    def take(self, token: str, csrf: str, cookie: str, *, now: float) -> LoginFlow:
        """The flow of ``token``, which stops working; ``csrf`` (the form's) and ``cookie`` (the
        ``XSRF-TOKEN`` cookie's) must both be the flow's.

        Raises:
            FlowRefused: no live flow has that token, or a CSRF token is missing or wrong.
        """
        flow = self._flows.get(token)
        if flow is None or flow.expires_at <= now:
            self._flows.pop(token, None)
            raise FlowRefused(
                "expired", "This sign-in page has expired. Go back to the app and sign in again."
            )
        matches = [hmac.compare_digest(flow.csrf.encode(), given.encode()) for given in (csrf, cookie)]
        if not all(matches):
            raise FlowRefused("csrf", "The form could not be verified (CSRF). Reload the page and try again.")
        del self._flows[token]
        return flow

    def prune(self, now: float) -> None:
        """Forget the flows that have expired."""
        self._pruned_at = now
        for token in [t for t, flow in self._flows.items() if flow.expires_at <= now]:
            del self._flows[token]
