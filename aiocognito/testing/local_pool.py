"""The local user pool server: an aiohttp application speaking Cognito's JSON 1.1 protocol.

``POST /`` with ``X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`` (or
``AWSCognitoIdentityService.<Operation>``) is dispatched to a handler table; ``GET
/<pool id>/.well-known/jwks.json`` serves a pool's keys. Every failure is a Cognito-shaped reply
(``{"__type": ..., "message": ...}`` with ``x-amzn-ErrorType``), never a traceback: malformed JSON,
a wrong content type, an unknown target, fields of the wrong type or missing, a body over 1 MB.

Like Cognito, the operations that AWS signs (``Admin*``, pool management) need an ``Authorization``
header (any SigV4 credentials; the signature is not checked), else ``MissingAuthenticationTokenException``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from aiocognito.core import safe_json as _json
from aiocognito.wire._tables.operations import SERVICES

from .faults import Fault
from .outbox import Message, Outbox
from .server import users as admin_ops
from .server.account import USER_OPERATIONS
from .server.auth.respond import Sessions
from .server.context import Context, Triggers
from .server.identity import IDENTITY_OPERATIONS
from .server.oauth.endpoints import OAUTH_OPERATIONS, OAuthEndpoints
from .server.schema import Models, check_body
from .server.state import Store
from .server.tokens import KeyRing, jwks
from .server.users import ADMIN_OPERATIONS, Handler

__all__ = ["ALL_AUTH_FLOWS", "MAX_BODY_BYTES", "AppClient", "LocalUserPool", "ServerThread"]

_log = logging.getLogger("aiocognito.testing")
_T = TypeVar("_T")

#: Request bodies larger than this are refused (with a Cognito-shaped 400).
MAX_BODY_BYTES = 1024 * 1024
_JSON_CONTENT_TYPES = frozenset(
    {"application/x-amz-json-1.1", "application/x-amz-json-1.0", "application/json"}
)
_REPLY_CONTENT_TYPE = "application/x-amz-json-1.1"
_IDP = SERVICES["cognito-idp"]
_IDENTITY = SERVICES["cognito-identity"]
_HANDLERS: dict[str, dict[str, Handler]] = {
    _IDP.target_prefix: {**ADMIN_OPERATIONS, **USER_OPERATIONS, **OAUTH_OPERATIONS},
    _IDENTITY.target_prefix: IDENTITY_OPERATIONS,
}
_PUBLIC: dict[str, frozenset[str]] = {
    _IDP.target_prefix: _IDP.unauthenticated,
    _IDENTITY.target_prefix: _IDENTITY.unauthenticated,
}
# Operations that change nothing: no need to write the state file after them.
_READ_ONLY = frozenset(
    {
        "AdminGetUser",
        "AdminListGroupsForUser",
        "DescribeIdentityPool",
        "DescribeUserPool",
        "DescribeResourceServer",
        "DescribeUserPoolClient",
        "DescribeUserPoolDomain",
        "GetCredentialsForIdentity",
        "GetDevice",
        "GetGroup",
        "GetUser",
        "GetUserAuthFactors",
        "GetUserPoolMfaConfig",
        "ListDevices",
        "ListGroups",
        "ListIdentityPools",
        "ListUserPoolClients",
        "ListUserPools",
        "ListUsers",
        "ListUsersInGroup",
    }
)
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Expose-Headers": "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date",
    "Access-Control-Max-Age": "86400",
}
#: What :meth:`LocalUserPool.create_client` allows by default: every flow.
ALL_AUTH_FLOWS = (
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
)


def _reply(
    body: Mapping[str, Any], *, status: int = 200, request_id: str, error: str | None = None
) -> web.Response:
    headers = {"x-amzn-RequestId": request_id, **_CORS}
    if error is not None:
        headers["x-amzn-ErrorType"] = error
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        headers=headers,
        content_type=_REPLY_CONTENT_TYPE,
    )


def _fault_reply(fault: Fault, request_id: str) -> web.Response:
    return _reply(
        {"__type": fault.code, "message": fault.message},
        status=fault.status,
        request_id=request_id,
        error=fault.code,
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
    ) -> None:
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
        #: The OAuth 2.0 domain endpoints (aiocognito.testing.oauth): ``oauth.domain_url(pool_id)``,
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
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[self._errors])
        app.router.add_post("/", self._handle)
        app.router.add_route("OPTIONS", "/{tail:.*}", self._preflight)
        app.router.add_get("/{pool_id}/.well-known/jwks.json", self._jwks)
        app.router.add_get("/{pool_id}/.well-known/openid-configuration", self._openid_configuration)
        self.oauth.add_routes(app.router)
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
        internal, checked = admin_ops.new_user_from_request(self._ctx, pool, username, listed)
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

    # --- HTTP ------------------------------------------------------------------------------------------

    @web.middleware
    async def _errors(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        request_id = str(uuid.uuid4())
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPException as error:
            code = "UnknownOperationException" if error.status in (404, 405) else "SerializationException"
            fault = Fault(
                code, error.reason or "Bad request", status=error.status if error.status >= 400 else 400
            )
            return _fault_reply(fault, request_id)
        except Exception:
            _log.exception("local user pool: unexpected error")
            return _fault_reply(
                Fault("InternalErrorException", "An internal error occurred.", status=500), request_id
            )
        return response

    async def _preflight(self, request: web.Request) -> web.Response:
        return web.Response(status=200, headers=_CORS)

    async def _jwks(self, request: web.Request) -> web.Response:
        pool = self._ctx.store.pools.get(request.match_info["pool_id"])
        if pool is None:
            raise web.HTTPNotFound(reason=f"User pool {request.match_info['pool_id']} does not exist.")
        return web.json_response(jwks(self._ctx.keys, pool), headers=_CORS)

    async def _openid_configuration(self, request: web.Request) -> web.Response:
        pool = self._ctx.store.pools.get(request.match_info["pool_id"])
        if pool is None:
            raise web.HTTPNotFound(reason=f"User pool {request.match_info['pool_id']} does not exist.")
        return web.json_response(
            {
                "issuer": pool.issuer,
                "jwks_uri": f"{self.endpoint_url}/{pool.id}/.well-known/jwks.json",
                "id_token_signing_alg_values_supported": ["RS256"],
                "subject_types_supported": ["public"],
                "response_types_supported": ["code", "token"],
                **self.oauth.discovery_document(pool),
            },
            headers=_CORS,
        )

    async def _handle(self, request: web.Request) -> web.Response:
        request_id = str(uuid.uuid4())
        try:
            return _reply(await self._dispatch(request), request_id=request_id)
        except Fault as fault:
            return _fault_reply(fault, request_id)

    async def _dispatch(self, request: web.Request) -> dict[str, Any]:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            raise Fault("SerializationException", f"The request body is larger than {MAX_BODY_BYTES} bytes.")
        if request.content_type not in _JSON_CONTENT_TYPES:
            raise Fault(
                "SerializationException",
                f"Unsupported Content-Type {request.content_type!r}: send application/x-amz-json-1.1",
            )
        prefix, _, operation = request.headers.get("X-Amz-Target", "").partition(".")
        if prefix not in _HANDLERS or not operation or prefix not in self._models:
            raise Fault("UnknownOperationException", "Unknown or missing X-Amz-Target header.")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise Fault(
                "SerializationException", f"The request body is larger than {MAX_BODY_BYTES} bytes."
            ) from None
        try:
            # The client library's own reader: a lone surrogate (which would be hashed into SECRET_HASH or
            # stored), NaN, 1e400 or deep nesting is refused here like a body that is not JSON.
            body = _json.loads(raw) if raw.strip() else {}
        except _json.JsonError:
            raise Fault("SerializationException", "The request body is not valid JSON.") from None
        if operation not in self._models[prefix].operation_names:
            raise Fault("UnknownOperationException", f"Unknown operation {operation}.")
        if operation not in _PUBLIC[prefix]:
            authorization = request.headers.get("Authorization", "")
            if not authorization.startswith("AWS4-HMAC-SHA256 "):
                raise Fault("MissingAuthenticationTokenException", "Missing Authentication Token")
        return await self._invoke(prefix, operation, body)

    async def _invoke(self, prefix: str, operation: str, body: Any) -> dict[str, Any]:
        model = self._models.get(prefix) or (await asyncio.to_thread(Models.load))[prefix]
        if operation not in model.operation_names:
            raise Fault("UnknownOperationException", f"Unknown operation {operation}.")
        handler = _HANDLERS[prefix].get(operation)
        if handler is None:
            raise Fault(
                "UnsupportedOperationException",
                f"{operation} is not supported by the aiocognito local user pool.",
            )
        try:
            check_body(model.operation_model(operation).input_shape, body)
        except RecursionError:
            raise Fault("SerializationException", "The request body is nested too deeply.") from None
        try:
            return await handler(self._ctx, body)
        finally:
            if operation not in _READ_ONLY:
                await self._save()

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
