"""The local user pool as users hold it: :class:`LocalUserPool` (start, stop, set-up helpers) and
:class:`ServerThread` (one running in a background thread, for synchronous code).

The server itself (its HTTP face, model and operations) is in :mod:`aiocognito.testing.server`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from aiocognito.wire._tables.operations import SERVICES

from .outbox import Message, Outbox
from .server.app import MAX_BODY_BYTES, build_app, invoke
from .server.auth.sessions import Sessions
from .server.context import Context
from .server.keys import KeyRing
from .server.oauth.endpoints import OAuthEndpoints
from .server.schema import Models
from .server.state import Store
from .server.triggers import Triggers
from .server.users import new_user_from_request

__all__ = ["ALL_AUTH_FLOWS", "MAX_BODY_BYTES", "AppClient", "LocalUserPool", "ServerThread"]

_T = TypeVar("_T")

#: What :meth:`LocalUserPool.create_client` allows by default: every flow.
ALL_AUTH_FLOWS = (
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
)


@dataclass(frozen=True, slots=True)
class AppClient:
    """An app client made by :meth:`LocalUserPool.create_client`."""

    pool_id: str
    client_id: str
    client_secret: str | None = None


class LocalUserPool:
    """A local Cognito user pool server on ``host:port`` (``port=0``: any free port).

    Use it as an async context manager::

        async with LocalUserPool() as server:
            pool_id = await server.create_pool()
            client = await server.create_client(pool_id)
            await server.create_user(pool_id, "alice", "Passw0rd!")
            async with aiocognito.UserPool(
                pool_id, client.client_id, endpoint_url=server.endpoint_url
            ) as pool:
                step = await pool.sign_in("alice", "Passw0rd!")

    It starts empty, or with the pools of ``state_file`` (JSON, rewritten atomically after every
    change). Codes it "sends" go to :attr:`outbox` (and to ``on_message``, e.g. ``print``).

    Args:
        host: the address to bind; loopback by default.
        port: the TCP port; 0 picks a free one (see :attr:`endpoint_url`).
        state_file: a JSON file keeping pools, users and devices across restarts.
        region: the region in pool ids and issuers.
        clock: a callable giving the time in epoch seconds, for expiry tests.
        on_message: called with each :class:`Message` sent.
        shared_signing_key: use one RSA key for every pool of the process (fast tests) instead of one
            new key per pool.
        issuer: the tokens' ``iss``: ``"aws"`` (default) for Cognito's
            ``https://cognito-idp.<region>.amazonaws.com/<pool id>``, ``"endpoint"`` for
            ``<endpoint_url>/<pool id>`` (what tools that derive the issuer from the endpoint expect, such
            as pycognito with ``endpoint_url``), or a base URL of your own (``https://idp.test``). The
            pool's keys are served at ``<endpoint_url>/<pool id>/.well-known/jwks.json`` either way.

    Raises:
        ValueError: ``issuer`` is none of those.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: str | Path | None = None,
        *,
        region: str = "us-east-1",
        clock: Callable[[], float] = time.time,
        on_message: Callable[[Message], None] | None = None,
        shared_signing_key: bool = False,
        issuer: str = "aws",
    ) -> None:
        if issuer not in ("aws", "endpoint") and not issuer.startswith(("http://", "https://")):
            raise ValueError(f"issuer must be 'aws', 'endpoint' or an http(s) URL, not {issuer!r}")
        self.issuer = issuer
        self.host = host
        self.port = port
        self.state_file = Path(state_file) if state_file is not None else None
        self.outbox = Outbox(on_message)
        self._ctx = Context(
            store=Store(),
            keys=KeyRing(),
            outbox=self.outbox,
            clock=clock,
            region=region,
            shared_key=shared_signing_key,
            sessions=Sessions(),
        )
        self._models: dict[str, Any] = {}
        self._runner: web.AppRunner | None = None
        self._endpoint_url: str | None = None
        #: The OAuth 2.0 domain endpoints (aiocognito.testing.server.oauth): ``oauth.domain_url(pool_id)``,
        #: ``oauth.sign_in(authorize_url, username)``, ``oauth.token_requests``.
        self.oauth = OAuthEndpoints(self._ctx, lambda: self.endpoint_url, self._save)

    def __repr__(self) -> str:
        return f"<LocalUserPool {self._endpoint_url or 'not started'}>"

    # --- lifetime -------------------------------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        """``http://HOST:PORT`` of the running server.

        Raises:
            RuntimeError: the server is not running.
        """
        if self._endpoint_url is None:
            raise RuntimeError("the local user pool is not running; use 'async with' or start()")
        return self._endpoint_url

    @property
    def store(self) -> Store:
        """The server's data (pools, users, devices...), for inspection in tests."""
        return self._ctx.store

    async def start(self) -> None:
        """Load the state file and botocore's models, bind and serve.

        Raises:
            OSError: the address cannot be bound.
            ValueError: the state file is not one.
        """
        if self._runner is not None:
            raise RuntimeError("already started")
        self._models = await asyncio.to_thread(Models.load)
        if self.state_file is not None:
            self._ctx.store = await asyncio.to_thread(Store.load, self.state_file)
        app = build_app(
            self._ctx,
            self._models,
            # Looked up at each request, so a wrapper set on the instance sees HTTP requests too
            # (benchmarks/bench_tokens.py counts the requests of a refresh that way).
            invoke=lambda prefix, operation, body: self._invoke(prefix, operation, body),  # noqa: PLW0108
            oauth=self.oauth,
            base_url=lambda: self.endpoint_url,
        )
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port, reuse_address=False)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.port = int(port)
        shown = f"[{host}]" if ":" in str(host) else str(host)
        self._endpoint_url = f"http://{shown}:{self.port}"
        self._stamp_issuer()

    def _stamp_issuer(self) -> None:
        # The endpoint is known only once bound; pools loaded from a state file take the current base.
        base = {"aws": "", "endpoint": self.endpoint_url}.get(self.issuer, self.issuer.rstrip("/"))
        self._ctx.issuer_base = base
        for pool in self._ctx.store.pools.values():
            pool.issuer_base = base

    async def aclose(self) -> None:
        """Stop serving (the state file is already up to date)."""
        runner, self._runner = self._runner, None
        self._endpoint_url = None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> LocalUserPool:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    @classmethod
    def start_in_thread(cls, *args: Any, startup_timeout: float = 30.0, **kwargs: Any) -> ServerThread:
        """Run a server in a thread with its own event loop, for synchronous code (pytest fixtures).

        Takes the arguments of :class:`LocalUserPool`. Call ``.stop()`` on the handle when done.

        Raises:
            OSError, ValueError: as :meth:`start`.
            TimeoutError: the server did not start within ``startup_timeout`` seconds.
        """
        return ServerThread(cls(*args, **kwargs), startup_timeout=startup_timeout)

    # --- set-up helpers ---------------------------------------------------------------------------------

    async def call(
        self, operation: str, params: Mapping[str, Any], *, service: str = "cognito-idp"
    ) -> dict[str, Any]:
        """Run an operation in-process (no HTTP, no signature needed), checked like a request.

        Raises:
            Fault: the Cognito error the operation answers.
        """
        info = SERVICES[service]
        return await self._invoke(info.target_prefix, operation, dict(params))

    async def create_pool(
        self,
        name: str = "local-pool",
        *,
        mfa: str = "OFF",
        totp: bool = False,
        sms: bool = False,
        email_mfa: bool = False,
        auto_verify: Iterable[str] = ("email",),
        username_attributes: Iterable[str] = (),
        alias_attributes: Iterable[str] = (),
        password_policy: Mapping[str, Any] | None = None,
        first_factors: Iterable[str] | None = None,
        device_configuration: Mapping[str, bool] | None = None,
        triggers: Triggers | None = None,
        **extra: Any,
    ) -> str:
        """Create a user pool and return its id.

        ``mfa`` is OFF, ON or OPTIONAL, with the factors ``totp``, ``sms`` and ``email_mfa``.

        ``extra`` holds more CreateUserPool fields (``Schema``, ``AccountRecoverySetting``...).
        """
        body: dict[str, Any] = {"PoolName": name, "AutoVerifiedAttributes": list(auto_verify), **extra}
        policies: dict[str, Any] = {}
        if password_policy is not None:
            policies["PasswordPolicy"] = dict(password_policy)
        if first_factors is not None:
            policies["SignInPolicy"] = {"AllowedFirstAuthFactors": list(first_factors)}
        if policies:
            body["Policies"] = policies
        if username_attributes:
            body["UsernameAttributes"] = list(username_attributes)
        if alias_attributes:
            body["AliasAttributes"] = list(alias_attributes)
        if device_configuration is not None:
            body["DeviceConfiguration"] = dict(device_configuration)
        pool_id = str((await self.call("CreateUserPool", body))["UserPool"]["Id"])
        if totp or sms or email_mfa or mfa != "OFF":
            config: dict[str, Any] = {"UserPoolId": pool_id, "MfaConfiguration": mfa}
            config["SoftwareTokenMfaConfiguration"] = {"Enabled": totp}
            if sms:
                config["SmsMfaConfiguration"] = {"SmsAuthenticationMessage": "Your code is {####}"}
            if email_mfa:
                config["EmailMfaConfiguration"] = {"Message": "Your code is {####}", "Subject": "Your code"}
            await self.call("SetUserPoolMfaConfig", config)
        if triggers is not None:
            self.set_triggers(pool_id, triggers)
        return pool_id

    async def create_client(
        self,
        pool_id: str,
        *,
        generate_secret: bool = False,
        auth_flows: Iterable[str] = ALL_AUTH_FLOWS,
        name: str = "local-client",
        **extra: Any,
    ) -> AppClient:
        """Create an app client, every auth flow allowed by default.

        ``extra`` holds more CreateUserPoolClient fields (``RefreshTokenRotation``...).
        """
        body = {
            "UserPoolId": pool_id,
            "ClientName": name,
            "GenerateSecret": generate_secret,
            "ExplicitAuthFlows": list(auth_flows),
            **extra,
        }
        client = (await self.call("CreateUserPoolClient", body))["UserPoolClient"]
        return AppClient(pool_id, str(client["ClientId"]), client.get("ClientSecret"))

    async def create_user(
        self,
        pool_id: str,
        username: str,
        password: str | None = None,
        *,
        attributes: Mapping[str, str] | None = None,
        confirmed: bool = True,
    ) -> str:
        """Create a user; the internal username (a UUID in pools with username attributes).

        ``confirmed=True`` makes a CONFIRMED user whose ``email`` / ``phone_number`` count as verified
        (unless ``attributes`` says otherwise); ``confirmed=False`` an UNCONFIRMED one, as after SignUp.

        Raises:
            Fault: InvalidPasswordException, UsernameExistsException...
        """
        store = self._ctx.store
        pool = store.pool(pool_id)
        values = dict(attributes or {})
        if confirmed:
            for name in ("email", "phone_number"):
                if name in values or (name == "email" and "@" in username and pool.username_attributes):
                    values.setdefault(f"{name}_verified", "true")
        listed = [{"Name": key, "Value": value} for key, value in values.items()]
        internal, checked = new_user_from_request(self._ctx, pool, username, listed)
        if password is not None:
            pool.check_password_policy(password)
        user = pool.new_user(internal, self._ctx.now())
        user.attributes.update(checked)
        if password is not None:
            user.set_password(pool.srp_name, password, self._ctx.now())
        user.status = "CONFIRMED" if confirmed else "UNCONFIRMED"
        await self._save()
        return internal

    def set_triggers(self, pool_id: str, triggers: Triggers | None = None, **callables: Any) -> None:
        """Give a pool Lambda triggers as Python callables (a :class:`Triggers`, or its fields by name)."""
        self._ctx.store.pool(pool_id)
        self._ctx.triggers[pool_id] = triggers if triggers is not None else Triggers(**callables)

    # --- operations --------------------------------------------------------------------------------------

    async def _invoke(self, prefix: str, operation: str, body: Any) -> dict[str, Any]:
        return await invoke(self._ctx, self._models, prefix, operation, body, save=self._save)

    async def _save(self) -> None:
        if self.state_file is not None:
            self._ctx.store.save(self.state_file)


class ServerThread:
    """A :class:`LocalUserPool` running in a background thread with its own event loop.

    Attributes:
        server: the server (call its coroutine methods through :meth:`run`).
    """

    def __init__(self, server: LocalUserPool, *, startup_timeout: float = 30.0) -> None:
        self.server = server
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="aiocognito-local-user-pool", daemon=True)
        self._thread.start()
        if not self._started.wait(startup_timeout):
            self.stop()
            raise TimeoutError("the local user pool did not start in time")
        if self._error is not None:
            self._thread.join(startup_timeout)
            raise self._error

    def _main(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(self.server.start())
            except BaseException as error:  # handed to the starting thread
                self._error = error
                return
            finally:
                self._started.set()
            loop.run_forever()
            loop.run_until_complete(self.server.aclose())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    @property
    def outbox(self) -> Outbox:
        return self.server.outbox

    def run(self, coroutine: Coroutine[Any, Any, _T], timeout: float = 30.0) -> _T:
        """Run a coroutine (e.g. ``server.create_pool()``) on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server and its thread."""
        if self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop already stopped
                self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
