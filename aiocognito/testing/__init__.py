"""Testing tools: a local Amazon Cognito user pool server, faithful enough to test a client against.

:class:`LocalUserPool` serves Cognito's JSON 1.1 protocol (``cognito-idp`` and ``cognito-identity``)
on 127.0.0.1: real SRP checked against stored verifiers, RS256 tokens with Cognito's claims and a
JWKS, MFA (TOTP, SMS and e-mail codes to an inspectable :class:`Outbox`), custom auth triggers as
Python callables, devices, refresh-token rotation and revocation, identity pools, a user pool
domain's OAuth 2.0 endpoints. Not imported by ``import aiocognito``.

What users touch is at the top; the server is in :mod:`.server`::

    local_pool.py     LocalUserPool (start, stop, set-up helpers) and ServerThread (one in a thread)
    pytest_plugin.py  the cognito_server / cognito_pool / cognito_user_factory / cognito_outbox fixtures
    outbox.py         Message, Outbox: the codes it "sent"      faults.py  Fault: a Cognito error reply
    server/           the HTTP face, the model (state/), one module per area of the API
    state.py, auth.py the first import paths of StateFileError / Store and of totp (faces)

The CLI's ``aiocognito serve-local`` and ``aiocognito demo`` run a :class:`LocalUserPool`.
"""

from .faults import Fault
from .local_pool import ALL_AUTH_FLOWS, MAX_BODY_BYTES, AppClient, LocalUserPool, ServerThread
from .outbox import Message, Outbox
from .server.state import StateFileError
from .server.totp import totp
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
    "StateFileError",
    "Trigger",
    "Triggers",
    "totp",
]
