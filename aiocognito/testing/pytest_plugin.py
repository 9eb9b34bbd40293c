"""pytest fixtures for testing your own app against a local Cognito user pool.

Installed with aiocognito as the ``aiocognito`` pytest plugin (entry point ``pytest11``), so the fixtures
are there in every test session with no import. The fixtures are synchronous; async tests need a
runner such as pytest-asyncio (``@pytest.mark.asyncio``, or ``asyncio_mode = "auto"``)::

    async def test_sign_in(cognito_pool, cognito_user_factory):
        alice = cognito_user_factory(email="alice@example.com")
        async with cognito_pool.client() as pool:
            step = await pool.sign_in(alice.username, alice.password)
        assert step.name == "DONE"

Fixtures:

- ``cognito_server`` (session): a :class:`~aiocognito.testing.ServerThread`, a
  :class:`~aiocognito.testing.LocalUserPool` on 127.0.0.1 in a background thread, shared by the session
  (one RSA signing key for every pool, so pools are cheap).
- ``cognito_pool``: a fresh user pool and app client for each test (:class:`LocalPool`), with
  ``$AIOCOGNITO_ENDPOINT_URL`` pointing at the server for the test's duration, so app code that builds
  ``aiocognito.UserPool(pool_id, client_id)`` reaches it. Configure it with the marker
  ``@pytest.mark.cognito_pool(mfa="OPTIONAL", totp=True, client={"generate_secret": True})``: keyword
  arguments of :meth:`LocalUserPool.create_pool`, and ``client=`` those of
  :meth:`LocalUserPool.create_client`.
- ``cognito_user_factory``: ``cognito_user_factory(username=None, password=None, **attributes)`` creates a
  CONFIRMED user in ``cognito_pool`` and returns a :class:`LocalUser` (username, password, sub).
- ``cognito_outbox``: the :class:`~aiocognito.testing.Outbox` of codes the pool "sent", emptied when the
  test starts: ``cognito_outbox.last_code("alice", "SIGN_UP")``.

Importing this module starts nothing and imports nothing heavy (no aiohttp; ``aiocognito`` and
``aiocognito.testing`` import lazily); the server starts when a test first asks for a fixture.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from aiocognito.pool import UserPool

    from .local_pool import ServerThread
    from .outbox import Outbox

__all__ = [
    "LocalPool",
    "LocalUser",
    "cognito_outbox",
    "cognito_pool",
    "cognito_server",
    "cognito_user_factory",
    "pytest_configure",
]

_MARKER = "cognito_pool"


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker that gives one test's local user pool its options."""
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(**options): options of the local user pool the cognito_pool fixture creates "
        "(LocalUserPool.create_pool keywords; client={...} for create_client)",
    )


@dataclass(frozen=True, slots=True)
class LocalPool:
    """A user pool and app client on the local server, made for one test.

    Attributes:
        endpoint_url: ``http://127.0.0.1:PORT`` of the server.
        pool_id: the user pool id.
        client_id: the app client id.
        client_secret: the app client secret, if the client has one.
        server: the running server (``server.run(server.server.create_user(...))`` for more set-up).
    """

    endpoint_url: str
    pool_id: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    server: ServerThread | None = field(default=None, repr=False, compare=False)

    def client(self, **kwargs: Any) -> UserPool:
        """An :class:`aiocognito.UserPool` for this pool and client (use it with ``async with``)."""
        from aiocognito.pool import UserPool

        return UserPool(
            self.pool_id,
            self.client_id,
            client_secret=self.client_secret,
            endpoint_url=self.endpoint_url,
            **kwargs,
        )


@dataclass(frozen=True, slots=True)
class LocalUser:
    """A user made by ``cognito_user_factory``: ``username`` is what Cognito knows the user by."""

    username: str
    password: str = field(repr=False)
    sub: str
    attributes: dict[str, str] = field(default_factory=dict)


def _password() -> str:
    """A password the default policy accepts: upper and lower case, a digit, a symbol, 16 long."""
    body = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(12))
    return f"Aa1!{body}"


@pytest.fixture(scope="session")
def cognito_server() -> Iterator[ServerThread]:
    """A local Cognito user pool server on 127.0.0.1, running in a thread for the whole session."""
    from .local_pool import LocalUserPool

    handle = LocalUserPool.start_in_thread(shared_signing_key=True)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def cognito_pool(
    cognito_server: ServerThread, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> LocalPool:
    """A fresh user pool and app client on the local server; ``$AIOCOGNITO_ENDPOINT_URL`` points at it."""
    from aiocognito.pool import ENDPOINT_ENV

    options: dict[str, Any] = {}
    marker = request.node.get_closest_marker(_MARKER)
    if marker is not None:
        if marker.args:
            raise TypeError(f"@pytest.mark.{_MARKER} takes keyword arguments only")
        options = dict(marker.kwargs)
    client_options = dict(options.pop("client", None) or {})
    server = cognito_server.server
    pool_id = cognito_server.run(server.create_pool(f"test-{secrets.token_hex(4)}", **options))
    client = cognito_server.run(server.create_client(pool_id, **client_options))
    monkeypatch.setenv(ENDPOINT_ENV, cognito_server.endpoint_url)
    return LocalPool(
        cognito_server.endpoint_url, pool_id, client.client_id, client.client_secret, cognito_server
    )


@pytest.fixture
def cognito_user_factory(cognito_server: ServerThread, cognito_pool: LocalPool) -> Callable[..., LocalUser]:
    """``make(username=None, password=None, **attributes) -> LocalUser``: a CONFIRMED user in
    ``cognito_pool`` (``email`` and ``phone_number`` count as verified); a random name and password by
    default."""
    server = cognito_server.server

    def make(username: str | None = None, password: str | None = None, **attributes: str) -> LocalUser:
        name = username or f"user-{secrets.token_hex(4)}"
        secret = password or _password()
        internal = cognito_server.run(
            server.create_user(cognito_pool.pool_id, name, secret, attributes=attributes or None)
        )
        sub = server.store.pool(cognito_pool.pool_id).users[internal].sub
        return LocalUser(internal, secret, sub, dict(attributes))

    return make


@pytest.fixture
def cognito_outbox(cognito_server: ServerThread) -> Outbox:
    """The codes the local pool "sent" (sign-up, MFA, attribute verification...), emptied for each test."""
    outbox = cognito_server.outbox
    outbox.clear()
    return outbox
