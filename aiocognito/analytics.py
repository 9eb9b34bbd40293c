"""Amazon Pinpoint analytics: ``UserPool(analytics_endpoint_id=...)`` sends ``AnalyticsMetadata`` with
every operation that takes it, so Cognito can tie sign-ins and sign-ups to the app's Pinpoint endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .caller import Caller
from .core.checks import MAX_NAME_CHARS, text_problem

__all__ = ["ANALYTICS_OPERATIONS", "AnalyticsCaller"]

#: The cognito-idp operations whose input has ``AnalyticsMetadata`` (checked against botocore's model).
ANALYTICS_OPERATIONS = frozenset(
    {
        "AdminInitiateAuth",
        "AdminRespondToAuthChallenge",
        "ConfirmForgotPassword",
        "ConfirmSignUp",
        "ForgotPassword",
        "InitiateAuth",
        "ResendConfirmationCode",
        "RespondToAuthChallenge",
        "SignUp",
    }
)


class AnalyticsCaller:
    """A :class:`~aiocognito.caller.Caller` that adds ``AnalyticsMetadata`` where Cognito takes it.

    Raises:
        ValueError: ``endpoint_id`` is not a non-empty string of at most 1024 characters.
    """

    def __init__(self, inner: Caller, endpoint_id: str) -> None:
        if text_problem(endpoint_id, MAX_NAME_CHARS) is not None:
            raise ValueError("analytics_endpoint_id must be a non-empty string")
        self._inner = inner
        self._metadata = {"AnalyticsEndpointId": endpoint_id}

    def __repr__(self) -> str:
        return f"<AnalyticsCaller around {self._inner!r}>"

    async def call(
        self,
        operation: str,
        params: Mapping[str, Any],
        *,
        service: str = "cognito-idp",
        max_reply_bytes: int | None = None,
    ) -> dict[str, Any]:
        if (
            service == "cognito-idp"
            and operation in ANALYTICS_OPERATIONS
            and "AnalyticsMetadata" not in params
        ):
            params = {**params, "AnalyticsMetadata": dict(self._metadata)}
        return await self._inner.call(operation, params, service=service, max_reply_bytes=max_reply_bytes)
