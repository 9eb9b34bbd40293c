"""The HTTP face of the local user pool: an aiohttp application speaking Cognito's JSON 1.1 protocol.

``POST /`` with ``X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`` (or
``AWSCognitoIdentityService.<Operation>``) runs the operation's handler from :mod:`.operations`; ``GET
/<pool id>/.well-known/jwks.json`` serves a pool's keys. Every failure is a Cognito-shaped reply
(``{"__type": ..., "message": ...}`` with ``x-amzn-ErrorType``), never a traceback: malformed JSON,
a wrong content type, an unknown target, fields of the wrong type or missing, a body over 1 MB.

Like Cognito, the operations that AWS signs (``Admin*``, pool management) need an ``Authorization``
header (any SigV4 credentials; the signature is not checked), else ``MissingAuthenticationTokenException``.

:func:`invoke` runs one operation for HTTP and for ``LocalUserPool.call`` alike: the operation checked
against botocore's model, the body against its input shape, the state file written after it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from aiocognito.core import safe_json
from aiocognito.wire._tables.operations import SERVICES

from ..faults import Fault
from .context import Context
from .keys import jwks
from .oauth.endpoints import OAuthEndpoints
from .operations import OPERATIONS, find
from .schema import Models, check_body

__all__ = ["MAX_BODY_BYTES", "Invoke", "Save", "build_app", "invoke"]

_log = logging.getLogger("aiocognito.testing")

#: Request bodies larger than this are refused (with a Cognito-shaped 400).
MAX_BODY_BYTES = 1024 * 1024

#: Runs one operation: ``(X-Amz-Target prefix, operation, body) -> reply body``.
Invoke = Callable[[str, str, Any], Awaitable[dict[str, Any]]]
#: Writes the state file, if the server has one.
Save = Callable[[], Awaitable[None]]

_JSON_CONTENT_TYPES = frozenset(
    {"application/x-amz-json-1.1", "application/x-amz-json-1.0", "application/json"}
)
_REPLY_CONTENT_TYPE = "application/x-amz-json-1.1"
# X-Amz-Target prefix -> botocore's service name, for the services the server answers.
_SERVICE_OF_PREFIX = {SERVICES[service].target_prefix: service for service in OPERATIONS}
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Expose-Headers": "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date",
    "Access-Control-Max-Age": "86400",
}


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


async def invoke(
    ctx: Context, models: Mapping[str, Any], prefix: str, operation: str, body: Any, *, save: Save
) -> dict[str, Any]:
    """Run ``operation`` of the service with the ``X-Amz-Target`` prefix ``prefix`` on ``body``.

    ``models`` are botocore's models by target prefix (loaded here when empty, for calls made before
    the server started).

    Raises:
        Fault: UnknownOperationException, UnsupportedOperationException (not served here),
            SerializationException or InvalidParameterException (the body), or the operation's own error.
    """
    model = models.get(prefix) or (await asyncio.to_thread(Models.load))[prefix]
    if operation not in model.operation_names:
        raise Fault("UnknownOperationException", f"Unknown operation {operation}.")
    served = find(_SERVICE_OF_PREFIX[prefix], operation)
    if served is None:
        raise Fault(
            "UnsupportedOperationException",
            f"{operation} is not supported by the aiocognito local user pool.",
        )
    try:
        check_body(model.operation_model(operation).input_shape, body)
    except RecursionError:
        raise Fault("SerializationException", "The request body is nested too deeply.") from None
    try:
        return await served.handler(ctx, body)
    finally:
        if not served.read_only:
            await save()


def build_app(
    ctx: Context,
    models: Mapping[str, Any],
    *,
    invoke: Invoke,
    oauth: OAuthEndpoints,
    base_url: Callable[[], str],
) -> web.Application:
    """The aiohttp application of one server: the JSON 1.1 endpoint, the JWKS and discovery documents,
    CORS pre-flights and the OAuth domain endpoints of ``oauth``.

    ``invoke`` runs each operation posted to ``/``; ``base_url`` gives ``http://HOST:PORT``.
    """
    routes = _Routes(ctx, models, invoke, oauth, base_url)
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[routes.errors])
    app.router.add_post("/", routes.handle)
    app.router.add_route("OPTIONS", "/{tail:.*}", routes.preflight)
    app.router.add_get("/{pool_id}/.well-known/jwks.json", routes.jwks)
    app.router.add_get("/{pool_id}/.well-known/openid-configuration", routes.openid_configuration)
    oauth.add_routes(app.router)
    return app


class _Routes:
    """The request handlers of :func:`build_app`."""

    def __init__(
        self,
        ctx: Context,
        models: Mapping[str, Any],
        invoke: Invoke,
        oauth: OAuthEndpoints,
        base_url: Callable[[], str],
    ) -> None:
        self._ctx = ctx
        self._models = models
        self._invoke = invoke
        self._oauth = oauth
        self._base_url = base_url

    @web.middleware
    async def errors(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
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

    async def preflight(self, request: web.Request) -> web.Response:
        return web.Response(status=200, headers=_CORS)

    async def jwks(self, request: web.Request) -> web.Response:
        pool = self._ctx.store.pools.get(request.match_info["pool_id"])
        if pool is None:
            raise web.HTTPNotFound(reason=f"User pool {request.match_info['pool_id']} does not exist.")
        return web.json_response(jwks(self._ctx.keys, pool), headers=_CORS)

    async def openid_configuration(self, request: web.Request) -> web.Response:
        pool = self._ctx.store.pools.get(request.match_info["pool_id"])
        if pool is None:
            raise web.HTTPNotFound(reason=f"User pool {request.match_info['pool_id']} does not exist.")
        return web.json_response(
            {
                "issuer": pool.issuer,
                "jwks_uri": f"{self._base_url()}/{pool.id}/.well-known/jwks.json",
                "id_token_signing_alg_values_supported": ["RS256"],
                "subject_types_supported": ["public"],
                "response_types_supported": ["code", "token"],
                **self._oauth.discovery_document(pool),
            },
            headers=_CORS,
        )

    async def handle(self, request: web.Request) -> web.Response:
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
        if prefix not in _SERVICE_OF_PREFIX or not operation or prefix not in self._models:
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
            body = safe_json.loads(raw) if raw.strip() else {}
        except safe_json.JsonError:
            raise Fault("SerializationException", "The request body is not valid JSON.") from None
        if operation not in self._models[prefix].operation_names:
            raise Fault("UnknownOperationException", f"Unknown operation {operation}.")
        if operation not in SERVICES[_SERVICE_OF_PREFIX[prefix]].unauthenticated:
            authorization = request.headers.get("Authorization", "")
            if not authorization.startswith("AWS4-HMAC-SHA256 "):
                raise Fault("MissingAuthenticationTokenException", "Missing Authentication Token")
        return await self._invoke(prefix, operation, body)
