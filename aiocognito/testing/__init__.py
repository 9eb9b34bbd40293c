"""Testing tools: a local Amazon Cognito user pool server, faithful enough to test a client against.

:class:`LocalUserPool` serves Cognito's JSON 1.1 protocol (``cognito-idp`` and ``cognito-identity``)
on 127.0.0.1: real SRP checked against stored verifiers, RS256 tokens with Cognito's claims and a
JWKS, MFA (TOTP, SMS and e-mail codes to an inspectable :class:`Outbox`), custom auth triggers as
Python callables, devices, refresh-token rotation and revocation, identity pools. Not imported by
``import aiocognito``.
"""

from .faults import Fault
from .local_pool import ALL_AUTH_FLOWS, MAX_BODY_BYTES, AppClient, LocalUserPool, ServerThread
from .outbox import Message, Outbox
from .server.triggers import Trigger, Triggers

__all__ = [
    "ALL_AUTH_FLOWS",
    "MAX_BODY_BYTES",
    "AppClient",
    "Fault",
    "LocalUserPool",
    "Message",
    "Outbox",
    "ServerThread",
    "Trigger",
    "Triggers",
]
