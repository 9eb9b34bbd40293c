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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .faults import Fault
    from .local_pool import ALL_AUTH_FLOWS, MAX_BODY_BYTES, AppClient, LocalUserPool, ServerThread
    from .outbox import Message, Outbox
    from .pytest_plugin import LocalPool, LocalUser
    from .server.state import StateFileError
    from .server.totp import totp
    from .server.triggers import Trigger, Triggers

# Imported on first use (PEP 562): the pytest plugin's entry point imports this package in every pytest
# session of every project that installs aiocognito, and must not pull in aiohttp and the server.
_WHERE = {
    "ALL_AUTH_FLOWS": ".local_pool",
    "MAX_BODY_BYTES": ".local_pool",
    "AppClient": ".local_pool",
    "Fault": ".faults",
    "LocalPool": ".pytest_plugin",
    "LocalUser": ".pytest_plugin",
    "LocalUserPool": ".local_pool",
    "Message": ".outbox",
    "Outbox": ".outbox",
    "ServerThread": ".local_pool",
    "StateFileError": ".server.state",
    "Trigger": ".server.triggers",
    "Triggers": ".server.triggers",
    "totp": ".server.totp",
}

__all__ = [
    "ALL_AUTH_FLOWS",
    "MAX_BODY_BYTES",
    "AppClient",
    "Fault",
    "LocalPool",
    "LocalUser",
    "LocalUserPool",
    "Message",
    "Outbox",
    "ServerThread",
    "StateFileError",
    "Trigger",
    "Triggers",
    "totp",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
