"""Sign-in flows as generators of effects: the pure core of every sign-in.

A flow yields :class:`Call` ("call this Cognito operation with this body") and :class:`Compute`
("run this SRP function") values and receives their results; a Cognito error is thrown back into it at
the ``yield`` that caused it. It returns a :class:`Signed` (tokens), a :class:`Challenge` (a step the
caller must answer) or a :class:`Stopped` (the caller must do something else first). It does no IO,
reads no clock and makes no randomness of its own: ``now`` and ``random_bytes`` come from :class:`Env`.

The wire names (``AuthParameters``, ``ChallengeResponses``, ``USERNAME``...) are those of Cognito's
InitiateAuth / RespondToAuthChallenge / AdminInitiateAuth / AdminRespondToAuthChallenge API.

The modules: :mod:`~aiocognito.core.flows.values` (the frozen values), ``messages`` (requests and
checked replies), ``srp_flow`` and ``devices`` (the SRP rounds the flow answers itself),
``challenges`` (settling a reply, answering a caller's challenge) and ``sign_in`` (the start).
"""

from __future__ import annotations

from .challenges import answer_challenge
from .messages import name_list
from .sign_in import start_sign_in
from .values import (
    CALLER_CHALLENGES,
    LOCAL_EMAIL_SETUP,
    LOCAL_PASSWORD,
    LOCAL_TOTP_SETUP,
    Answer,
    AuthFlow,
    Call,
    Challenge,
    ClientConfig,
    Compute,
    DeviceCredentials,
    Effect,
    Env,
    Flow,
    NewEphemeral,
    Outcome,
    Signed,
    SignInContext,
    Stopped,
    UserContext,
    new_ephemeral,
)

__all__ = [
    "Answer",
    "AuthFlow",
    "CALLER_CHALLENGES",
    "Call",
    "Challenge",
    "ClientConfig",
    "Compute",
    "DeviceCredentials",
    "Effect",
    "Env",
    "Flow",
    "LOCAL_EMAIL_SETUP",
    "LOCAL_PASSWORD",
    "LOCAL_TOTP_SETUP",
    "NewEphemeral",
    "Outcome",
    "SignInContext",
    "Signed",
    "Stopped",
    "UserContext",
    "answer_challenge",
    "name_list",
    "new_ephemeral",
    "start_sign_in",
]
