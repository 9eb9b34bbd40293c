"""FastAPI integration: bearer-token dependencies backed by a :class:`~aiocognito.TokenVerifier`.

Install with ``pip install aiocognito[fastapi]``. The verifier (and a :class:`~aiocognito.UserPool` for
calls made with the bearer's access token) are created in the app's ``lifespan`` and reach the
dependencies through the lifespan state (``request.state``)::

    from aiocognito.fastapi import Claims, CurrentUser, lifespan, require_groups

    app = FastAPI(lifespan=lifespan("us-east-1_AbC123", ["client-id"]))

    @app.get("/me")
    async def me(claims: Claims) -> dict[str, str]:
        return {"username": claims.username}

    @app.get("/admin", dependencies=[Depends(require_groups("admin"))])
    async def admin() -> str: ...

Responses follow RFC 6750: 401 with ``WWW-Authenticate: Bearer`` when the token is missing, and with
``error="invalid_token"`` when it is refused; 403 with ``error="insufficient_scope"`` when a required
group or scope is missing; 503 when the pool's keys could never be fetched.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any, Final, TypedDict

from fastapi import Depends, HTTPException, WebSocketException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import HTTPConnection

from .core.tokens import TokenSet
from .errors import TransportError
from .pool import UserPool
from .user import User
from .verify import InsufficientScopeError, InvalidTokenError, TokenClaims, TokenVerifier

__all__ = [
    "POOL_STATE",
    "VERIFIER_STATE",
    "Bearer",
    "Claims",
    "CognitoState",
    "CurrentUser",
    "IdClaims",
    "OptionalBearer",
    "OptionalClaims",
    "bearer",
    "cognito_state",
    "current_user",
    "lifespan",
    "optional_bearer",
    "require_groups",
    "require_scopes",
    "run_lifespan",
]

_log = logging.getLogger("aiocognito")

#: The lifespan state key of the :class:`TokenVerifier`.
VERIFIER_STATE: Final = "aiocognito_verifier"
#: The lifespan state key of the :class:`UserPool` that :func:`current_user` acts through.
POOL_STATE: Final = "aiocognito_pool"


class CognitoState(TypedDict):
    """The lifespan state :func:`cognito_state` yields: ``state[VERIFIER_STATE]`` is typed, not ``Any``."""

    aiocognito_verifier: TokenVerifier  # VERIFIER_STATE
    aiocognito_pool: UserPool  # POOL_STATE


# Reads "Authorization: Bearer <token>" and shows the scheme in the OpenAPI docs; errors are ours.
_ACCESS = "access"
_ID = "id"


class _BearerScheme(HTTPBearer):
    """HTTPBearer on any connection: FastAPI before 0.116 reads it from a ``Request`` only (no WebSocket)."""

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        scheme, credentials = get_authorization_scheme_param(request.headers.get("Authorization"))
        if scheme.lower() != "bearer" or not credentials:
            return None
        return HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)


_scheme = _BearerScheme(auto_error=False, description="A Cognito access or ID token")


@asynccontextmanager
async def cognito_state(
    pool_id: str,
    client_ids: str | Iterable[str],
    *,
    endpoint_url: str | None = None,
    prefetch_keys: bool = True,
    **verifier_options: Any,
) -> AsyncGenerator[CognitoState, None]:
    """The lifespan state the dependencies need: a :class:`TokenVerifier` and a :class:`UserPool`.

    Merge it into your own lifespan's state (``yield {**state, ...}``), or use :func:`lifespan`.

    Args:
        pool_id, client_ids: the pool and the app clients whose tokens are accepted.
        endpoint_url: the ``cognito-idp`` endpoint (a local emulator): the pool client calls it and the
            verifier trusts its JWKS (default: ``$AIOCOGNITO_ENDPOINT_URL``, else
            ``$AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``; the generic ``$AWS_ENDPOINT_URL`` never chooses
            the keys).
        prefetch_keys: fetch the JWKS at start-up; a failure is logged and retried on the first request.
        verifier_options: more :class:`TokenVerifier` arguments (``jwks_url``, ``leeway``...).
    """
    verifier = TokenVerifier(pool_id, client_ids, endpoint_url=endpoint_url, **verifier_options)
    async with verifier:
        # The pool only makes calls with an access token (GetUser...), which need no client id of their
        # own; tokens are never refreshed here, the client holding them does that.
        pool = UserPool(pool_id, sorted(verifier.client_ids)[0], endpoint_url=endpoint_url, refresh_margin=0)
        async with pool:
            if prefetch_keys:
                try:
                    await verifier.refresh_keys()
                except TransportError as error:
                    _log.warning("the pool's keys are not available yet: %s", error)
            yield {VERIFIER_STATE: verifier, POOL_STATE: pool}


def lifespan(
    pool_id: str,
    client_ids: str | Iterable[str],
    *,
    endpoint_url: str | None = None,
    prefetch_keys: bool = True,
    **verifier_options: Any,
) -> Callable[[object], AbstractAsyncContextManager[CognitoState]]:
    """A ``lifespan`` for ``FastAPI(lifespan=...)`` that holds what :func:`cognito_state` makes."""

    def make(app: object) -> AbstractAsyncContextManager[CognitoState]:
        return cognito_state(
            pool_id,
            client_ids,
            endpoint_url=endpoint_url,
            prefetch_keys=prefetch_keys,
            **verifier_options,
        )

    return make


@asynccontextmanager
async def run_lifespan(app: Any) -> AsyncGenerator[None, None]:
    """Run ``app``'s lifespan where no ASGI server does (``httpx.ASGITransport``), its state on ``app.state``.

    ``TestClient(app)`` used as a context manager runs the lifespan itself; ``httpx.ASGITransport``
    does not, so the dependencies would find no verifier::

        async with run_lifespan(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                ...
    """
    async with app.router.lifespan_context(app) as state:
        names = list(state or {})
        for name in names:
            setattr(app.state, name, state[name])
        try:
            yield
        finally:
            for name in names:
                delattr(app.state, name)


def _from_state(conn: HTTPConnection, name: str) -> Any:
    value = getattr(conn.state, name, None)
    if value is None:
        value = getattr(conn.app.state, name, None)
    if value is None:
        raise RuntimeError(
            f"no {name!r} in the app's state: use aiocognito.fastapi.lifespan (or cognito_state) in lifespan,"
            " and run_lifespan(app) under httpx.ASGITransport"
        )
    return value


def _refused(conn: HTTPConnection, status_code: int, detail: str, headers: dict[str, str]) -> Exception:
    """An HTTP error, or on a WebSocket a close with policy violation (1008): no HTTP reply is possible."""
    if conn.scope.get("type") == "websocket":
        return WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason=detail[:120])
    return HTTPException(status_code=status_code, detail=detail, headers=headers)


def _quoted(text: str) -> str:
    """An RFC 7230 quoted-string body (error descriptions hold no secret, but may hold quotes)."""
    return "".join(ch for ch in text if ch.isprintable() and ch not in '"\\')


def _unauthorized(conn: HTTPConnection, detail: str, error: str | None = None) -> Exception:
    challenge = "Bearer"
    if error is not None:
        challenge += f' error="{error}", error_description="{_quoted(detail)}"'
    return _refused(conn, 401, detail, {"WWW-Authenticate": challenge})


class Bearer:
    """A dependency that verifies the ``Authorization: Bearer`` token and returns its claims.

    Args:
        token_use: ``"access"`` (the default: what APIs should take), ``"id"``, or ``None`` for either.
        groups: groups the user must all be in (``cognito:groups``), else 403.
        scopes: scopes the access token must all carry, else 403.
    """

    def __init__(
        self, *, token_use: str | None = _ACCESS, groups: Iterable[str] = (), scopes: Iterable[str] = ()
    ) -> None:
        if token_use not in (None, "id", "access"):
            raise ValueError("token_use must be 'id', 'access' or None")
        if isinstance(groups, str) or isinstance(scopes, str):
            raise TypeError("groups and scopes are collections of names, not one string")
        self.token_use = token_use
        self.groups = tuple(groups)
        self.scopes = tuple(scopes)

    def __repr__(self) -> str:
        return f"Bearer(token_use={self.token_use!r}, groups={self.groups!r}, scopes={self.scopes!r})"

    async def __call__(
        self,
        conn: HTTPConnection,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_scheme)],
    ) -> TokenClaims:
        if credentials is None:
            raise _unauthorized(conn, "Not authenticated")
        return await self.check(conn, credentials.credentials)

    async def check(self, conn: HTTPConnection, token: str) -> TokenClaims:
        """Verify ``token`` for the request or WebSocket ``conn``; refusals are HTTP (or WebSocket) errors."""
        verifier: TokenVerifier = _from_state(conn, VERIFIER_STATE)
        try:
            return await verifier.verify(
                token, token_use=self.token_use, groups=self.groups, scopes=self.scopes
            )
        except InsufficientScopeError as error:
            challenge = f'Bearer error="insufficient_scope", error_description="{_quoted(error.message)}"'
            if self.scopes:
                challenge += f', scope="{_quoted(" ".join(self.scopes))}"'
            raise _refused(conn, 403, error.message, {"WWW-Authenticate": challenge}) from None
        except InvalidTokenError as error:
            raise _unauthorized(conn, error.message, "invalid_token") from None
        except TransportError:
            _log.warning("a token could not be checked: the pool's keys are unavailable")
            detail = "Token keys are unavailable, try again later"
            raise _refused(conn, 503, detail, {"Retry-After": "5"}) from None


class OptionalBearer:
    """Like :class:`Bearer`, but a request without a bearer token gets ``None`` (a bad token is still 401).

    Args: as :class:`Bearer`'s.
    """

    def __init__(
        self, *, token_use: str | None = _ACCESS, groups: Iterable[str] = (), scopes: Iterable[str] = ()
    ) -> None:
        self.bearer = Bearer(token_use=token_use, groups=groups, scopes=scopes)

    def __repr__(self) -> str:
        return f"Optional{self.bearer!r}"

    async def __call__(
        self,
        conn: HTTPConnection,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_scheme)],
    ) -> TokenClaims | None:
        if credentials is None:
            return None
        return await self.bearer.check(conn, credentials.credentials)


#: Verifies an access token: ``claims: TokenClaims = Depends(bearer)``.
bearer = Bearer()
_id_bearer = Bearer(token_use=_ID)

#: The claims of a verified access token, as a parameter annotation.
Claims = Annotated[TokenClaims, Depends(bearer)]
#: The claims of a verified ID token, as a parameter annotation.
IdClaims = Annotated[TokenClaims, Depends(_id_bearer)]
#: Verifies an access token if there is one: ``None`` without ``Authorization``, 401 for a bad token.
optional_bearer = OptionalBearer()
#: The claims of a verified access token, or ``None`` when the request has none, as a parameter annotation.
OptionalClaims = Annotated[TokenClaims | None, Depends(optional_bearer)]


def require_groups(*groups: str, token_use: str | None = _ACCESS) -> Bearer:
    """A dependency admitting only users in every one of ``groups`` (403 otherwise); returns the claims."""
    return Bearer(token_use=token_use, groups=groups)


def require_scopes(*scopes: str) -> Bearer:
    """A dependency admitting only access tokens carrying every one of ``scopes`` (403 otherwise)."""
    return Bearer(token_use=_ACCESS, scopes=scopes)


async def current_user(conn: HTTPConnection, claims: Claims) -> User:
    """A dependency giving an :class:`~aiocognito.User` acting with the bearer's access token.

    Its calls (``get_user_data``, ``update_attributes``, ``change_password``...) go to Cognito with that
    token; it is never refreshed here. A machine token (:attr:`TokenClaims.is_machine`) has no user: 403.
    """
    if claims.is_machine:
        challenge = 'Bearer error="insufficient_scope", error_description="a machine token has no user"'
        raise _refused(conn, 403, "a machine token has no user", {"WWW-Authenticate": challenge})
    pool: UserPool = _from_state(conn, POOL_STATE)
    tokens = TokenSet(
        id_token="",
        access_token=claims.token,
        refresh_token=None,
        expires_at=claims.expires_at,
        issued_at=claims.issued_at,
        access_claims=claims.raw,
    )
    return pool.user_from_tokens(claims.username, tokens)


#: The :class:`~aiocognito.User` of the bearer's access token, as a parameter annotation.
CurrentUser = Annotated[User, Depends(current_user)]
