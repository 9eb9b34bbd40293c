"""The local user pool's OAuth 2.0 authorization server: a user pool domain's endpoints, and its set-up.

Domains are served under a path of the local server rather than a host name::

    http://127.0.0.1:PORT/oauth/<domain>/oauth2/authorize | /login | /oauth2/token | /oauth2/revoke
                                         /oauth2/userInfo | /logout | /.well-known/openid-configuration

where ``<domain>`` is the prefix given to ``CreateUserPoolDomain`` or, always, the pool id itself (so a
test needs no domain). ``server.oauth.domain_url(pool_id)`` gives the base URL.

Semantics follow Cognito's (developer guide, "User pool endpoints and managed login reference") and
RFC 6749 / 7009 / 7636:

- App clients get ``AllowedOAuthFlows`` (``code``, ``client_credentials``; ``implicit`` is refused here),
  ``AllowedOAuthScopes``, ``CallbackURLs``, ``LogoutURLs`` and ``AllowedOAuthFlowsUserPoolClient`` from
  ``CreateUserPoolClient``/``UpdateUserPoolClient``, checked as Cognito checks them (client credentials
  need a secret, only custom scopes, and exclude ``code``; custom scopes must exist on a resource server
  made with ``CreateResourceServer``; callback URLs are https, or http on localhost / 127.0.0.1).
- ``/oauth2/token``: ``client_credentials`` (Basic or ``client_secret`` in the body), ``authorization_code``
  (single-use codes valid 5 minutes, the same ``redirect_uri``, PKCE S256 checked) and ``refresh_token``.
  Errors are ``{"error": ..., "error_description": ...}`` with HTTP 400.
- ``/oauth2/authorize`` redirects to ``/login``, a minimal HTML form (username and password; users with
  MFA or a required new password cannot sign in there), which redirects to the callback with ``code``
  and ``state``. A successful sign-in sets a ``cognito`` session cookie so a later ``/oauth2/authorize``
  signs in without the form; ``/logout`` ends it. There is no CSRF token on the form and no federation.
- Test hook: ``server.oauth.sign_in(authorize_url, username)`` validates an authorize URL as the
  endpoint does and returns the callback URL (with a code, or with ``error=``), without a password.
- ``server.oauth.token_requests`` counts token requests by grant type (Cognito bills M2M requests).
"""

from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import hmac
import html
import secrets
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web

from ...faults import Fault, invalid_parameter, resource_not_found
from ..context import Context
from ..state import Client, Pool, User
from ..tokens import ACCESS_SCOPE, issue_tokens, refresh_record, verified_claims

__all__ = [
    "CODE_VALIDITY",
    "SESSION_VALIDITY",
    "STANDARD_SCOPES",
    "OAuthEndpoints",
    "client_oauth_config",
    "create_resource_server",
    "create_user_pool_domain",
    "delete_resource_server",
    "delete_user_pool_domain",
    "describe_resource_server",
    "describe_user_pool_domain",
    "list_resource_servers",
    "update_resource_server",
]

#: Seconds an authorization code can be redeemed (Cognito: 5 minutes).
CODE_VALIDITY = 300
#: Seconds a managed login session (the ``cognito`` cookie) lasts (Cognito: one hour).
SESSION_VALIDITY = 3600
#: The scopes every pool has.
STANDARD_SCOPES = frozenset({"openid", "email", "phone", "profile", ACCESS_SCOPE})
_FLOWS = frozenset({"code", "implicit", "client_credentials"})
_COOKIE = "cognito"


# --- set-up: app client settings, resource servers, domains -----------------------------------------


def _check_url(url: object, name: str) -> str:
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.fragment or not parts.hostname:
        raise invalid_parameter(f"{name}: {url!r} is not a valid URL")
    if parts.scheme != "https" and not (
        parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")
    ):
        raise invalid_parameter(f"{name}: {url} must use https (http only for localhost)")
    return str(url)


def client_oauth_config(pool: Pool, body: Mapping[str, Any], secret: str) -> dict[str, Any]:
    """The OAuth settings of a Create/UpdateUserPoolClient request, checked as Cognito checks them; what
    DescribeUserPoolClient echoes.

    Raises:
        Fault: InvalidOAuthFlowException, ScopeDoesNotExistException, InvalidParameterException.
    """
    enabled = bool(body.get("AllowedOAuthFlowsUserPoolClient"))
    flows = list(dict.fromkeys(body.get("AllowedOAuthFlows") or []))
    scopes = list(dict.fromkeys(body.get("AllowedOAuthScopes") or []))
    callbacks = [_check_url(url, "CallbackURLs") for url in body.get("CallbackURLs") or []]
    logouts = [_check_url(url, "LogoutURLs") for url in body.get("LogoutURLs") or []]
    for flow in flows:
        if flow not in _FLOWS:
            raise Fault("InvalidOAuthFlowException", f"{flow} is not a valid OAuth flow.")
    if "implicit" in flows:
        raise Fault("InvalidOAuthFlowException", "The implicit flow is not supported by the local user pool.")
    if enabled and (not flows or not scopes):
        raise invalid_parameter(
            "AllowedOAuthFlows and AllowedOAuthScopes are required "
            "when AllowedOAuthFlowsUserPoolClient is true"
        )
    if "client_credentials" in flows:
        if "code" in flows:
            raise Fault(
                "InvalidOAuthFlowException",
                "client_credentials flow can not be selected along with code flow or implicit flow.",
            )
        if not secret:
            raise Fault(
                "InvalidOAuthFlowException",
                "client_credentials flow can not be selected if client does not have a client secret.",
            )
    for scope in scopes:
        if scope in STANDARD_SCOPES:
            if "client_credentials" in flows:
                raise Fault(
                    "InvalidOAuthFlowException", f"{scope} can not be used with the client_credentials flow."
                )
            continue
        identifier, _, name = scope.rpartition("/")
        server = pool.resource_servers.get(identifier)
        if server is None or name not in {s["ScopeName"] for s in server.get("Scopes", [])}:
            raise Fault("ScopeDoesNotExistException", f"Invalid scope requested: {scope}")
    if "code" in flows and not callbacks:
        raise invalid_parameter("CallbackURLs are required with the code flow")
    default = body.get("DefaultRedirectURI")
    if default is not None and default not in callbacks:
        raise invalid_parameter("DefaultRedirectURI must be one of the CallbackURLs")
    config: dict[str, Any] = {"AllowedOAuthFlowsUserPoolClient": enabled}
    for key, value in (
        ("AllowedOAuthFlows", flows),
        ("AllowedOAuthScopes", scopes),
        ("CallbackURLs", callbacks),
        ("LogoutURLs", logouts),
        ("SupportedIdentityProviders", list(body.get("SupportedIdentityProviders") or [])),
    ):
        if value:
            config[key] = value
    if default is not None:
        config["DefaultRedirectURI"] = default
    return config


def _resource_server(pool: Pool, identifier: str) -> dict[str, Any]:
    server = pool.resource_servers.get(identifier)
    if server is None:
        raise resource_not_found(f"Resource server {identifier} does not exist.")
    return server


def _resource_server_from(body: dict[str, Any]) -> dict[str, Any]:
    scopes = [
        {"ScopeName": s["ScopeName"], "ScopeDescription": s["ScopeDescription"]}
        for s in body.get("Scopes", [])
    ]
    names = [s["ScopeName"] for s in scopes]
    if len(set(names)) != len(names):
        raise invalid_parameter("Scopes must be unique")
    return {
        "UserPoolId": body["UserPoolId"],
        "Identifier": body["Identifier"],
        "Name": body["Name"],
        "Scopes": scopes,
    }


async def create_resource_server(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    if body["Identifier"] in pool.resource_servers:
        raise invalid_parameter(f"Resource server {body['Identifier']} already exists.")
    server = pool.resource_servers[body["Identifier"]] = _resource_server_from(body)
    return {"ResourceServer": dict(server)}


async def update_resource_server(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    _resource_server(pool, body["Identifier"])
    server = pool.resource_servers[body["Identifier"]] = _resource_server_from(body)
    return {"ResourceServer": dict(server)}


async def describe_resource_server(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    return {"ResourceServer": dict(_resource_server(pool, body["Identifier"]))}


async def list_resource_servers(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    return {"ResourceServers": [dict(s) for _, s in sorted(pool.resource_servers.items())]}


async def delete_resource_server(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    del pool.resource_servers[_resource_server(pool, body["Identifier"])["Identifier"]]
    return {}


async def create_user_pool_domain(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    domain = body["Domain"]
    if body.get("CustomDomainConfig"):
        raise Fault(
            "UnsupportedOperationException", "Custom domains are not supported by the local user pool."
        )
    if pool.domain:
        raise invalid_parameter(f"User pool {pool.id} already has a domain configured.")
    if any(p.domain == domain for p in ctx.store.pools.values()) or domain in ctx.store.pools:
        raise invalid_parameter("Domain already associated with another user pool.")
    pool.domain = domain
    return {"ManagedLoginVersion": int(body.get("ManagedLoginVersion") or 1)}


async def describe_user_pool_domain(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    for pool in ctx.store.pools.values():
        if pool.domain and pool.domain == body["Domain"]:
            return {
                "DomainDescription": {
                    "UserPoolId": pool.id,
                    "AWSAccountId": "123456789012",
                    "Domain": pool.domain,
                    "CloudFrontDistribution": f"{pool.domain}.local",
                    "Version": "1",
                    "Status": "ACTIVE",
                    "ManagedLoginVersion": 1,
                }
            }
    return {"DomainDescription": {}}


async def delete_user_pool_domain(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    if pool.domain != body["Domain"]:
        raise invalid_parameter(f"Domain {body['Domain']} is not the domain of user pool {pool.id}.")
    pool.domain = ""
    return {}


# --- the domain's endpoints ---------------------------------------------------------------------------


class _OAuthFailure(Exception):
    """An OAuth error reply (RFC 6749 section 5.2)."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


class _PageError(Exception):
    """An authorize or logout request that cannot be redirected back (bad client or redirect URI)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


@dataclass(slots=True)
class _Code:
    pool_id: str
    client_id: str
    username: str
    redirect_uri: str
    scope: str
    nonce: str | None
    challenge: str | None
    expires_at: float
    auth_time: int


@dataclass(slots=True)
class _Authorization:
    """A checked ``/oauth2/authorize`` request."""

    pool: Pool
    client: Client
    redirect_uri: str
    state: str | None
    scope: str
    nonce: str | None
    challenge: str | None
    query: dict[str, str]


def _redirect(
    url: str, params: Mapping[str, str | None], *, headers: Mapping[str, str] | None = None
) -> web.Response:
    kept = {k: v for k, v in params.items() if v is not None}
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    target = url + (joiner + urllib.parse.urlencode(kept) if kept else "")
    return web.Response(
        status=302, headers={"Location": target, "Cache-Control": "no-store", **(headers or {})}
    )


def _oauth_reply(failure: _OAuthFailure) -> web.Response:
    return web.json_response(
        {"error": failure.error, "error_description": failure.description},
        status=failure.status,
        headers={"Cache-Control": "no-store"},
    )


def _page(title: str, body: str, *, status: int = 200) -> web.Response:
    text = (
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title></head><body>{body}</body></html>"
    )
    return web.Response(
        text=text, status=status, content_type="text/html", headers={"Cache-Control": "no-store"}
    )


def _error_page(error: _PageError) -> web.Response:
    return _page(
        "Error",
        "<h1>An error was encountered with the requested page.</h1>"
        f"<p id='error'>{html.escape(error.error)}: {html.escape(error.description)}</p>",
        status=400,
    )


def _scopes_of(client: Client) -> list[str]:
    return list(client.config.get("AllowedOAuthScopes", []))


def _flows_of(client: Client) -> list[str]:
    if not client.config.get("AllowedOAuthFlowsUserPoolClient"):
        return []
    return list(client.config.get("AllowedOAuthFlows", []))


class OAuthEndpoints:
    """The domain endpoints of a :class:`~aiocognito.testing.LocalUserPool` (``server.oauth``).

    Attributes:
        token_requests: token requests answered (successfully or not), by ``grant_type``.
    """

    def __init__(
        self, ctx: Context, base_url: Callable[[], str], save: Callable[[], Awaitable[None]]
    ) -> None:
        self._ctx = ctx
        self._base_url = base_url
        self._save = save
        self._codes: dict[str, _Code] = {}
        self._sessions: dict[str, tuple[str, str, float]] = {}  # id -> (pool id, username, expires_at)
        self.token_requests: collections.Counter[str] = collections.Counter()

    def domain_url(self, domain: str) -> str:
        """``http://HOST:PORT/oauth/<domain>``: the base URL of a pool's domain (prefix or pool id)."""
        return f"{self._base_url()}/oauth/{urllib.parse.quote(domain, safe='')}"

    def add_routes(self, router: web.UrlDispatcher) -> None:
        prefix = "/oauth/{domain}"
        router.add_get(prefix + "/oauth2/authorize", self._authorize)
        router.add_get(prefix + "/login", self._login_form)
        router.add_post(prefix + "/login", self._login)
        router.add_post(prefix + "/oauth2/token", self._token)
        router.add_post(prefix + "/oauth2/revoke", self._revoke)
        router.add_get(prefix + "/oauth2/userInfo", self._user_info)
        router.add_post(prefix + "/oauth2/userInfo", self._user_info)
        router.add_get(prefix + "/logout", self._logout)
        router.add_get(prefix + "/.well-known/openid-configuration", self._discovery)

    def discovery_document(self, pool: Pool) -> dict[str, Any]:
        """The pool's OpenID Connect discovery document, with its domain's endpoints."""
        base = self.domain_url(pool.domain or pool.id)
        return {
            "issuer": pool.issuer,
            "authorization_endpoint": f"{base}/oauth2/authorize",
            "token_endpoint": f"{base}/oauth2/token",
            "userinfo_endpoint": f"{base}/oauth2/userInfo",
            "revocation_endpoint": f"{base}/oauth2/revoke",
            "end_session_endpoint": f"{base}/logout",
            "jwks_uri": f"{self._base_url()}/{pool.id}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
            "scopes_supported": sorted({"openid", "email", "phone", "profile"}),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }

    # --- test hook ---------------------------------------------------------------------------------------

    def sign_in(self, authorize_url: str, username: str) -> str:
        """Sign ``username`` in for an ``/oauth2/authorize`` URL without a password; the callback URL.

        The URL is checked as the endpoint checks it: an error that can go back to the app gives a
        callback URL with ``error=``.

        Raises:
            ValueError: the URL is not one of this server's authorize URLs, its client or redirect URI is
                wrong (the endpoint would show an error page), or the user does not exist.
        """
        parts = urllib.parse.urlsplit(authorize_url)
        marker = "/oauth/"
        if marker not in parts.path or not parts.path.endswith("/oauth2/authorize"):
            raise ValueError("not an /oauth/<domain>/oauth2/authorize URL")
        domain = urllib.parse.unquote(parts.path.split(marker, 1)[1].split("/", 1)[0])
        query = dict(urllib.parse.parse_qsl(parts.query))
        try:
            pool = self._pool(domain)
            request = self._check_authorization(pool, query)
        except _PageError as error:
            raise ValueError(f"{error.error}: {error.description}") from None
        except _Redirected as redirected:
            return str(redirected.response.headers["Location"])
        user = pool.find_user(username)
        if user is None:
            raise ValueError("no such user")
        return str(self._issue_code(request, user).headers["Location"])

    # --- authorize and login ------------------------------------------------------------------------------

    def _pool(self, domain: str) -> Pool:
        store = self._ctx.store
        pool = store.pools.get(domain)
        if pool is not None:
            return pool
        for candidate in store.pools.values():
            if candidate.domain and candidate.domain == domain:
                return candidate
        raise _PageError("invalid_request", f"no user pool domain {domain}")

    def _check_authorization(self, pool: Pool, query: dict[str, str]) -> _Authorization:
        client = pool.clients.get(query.get("client_id", ""))
        if client is None:
            raise _PageError("invalid_request", "Invalid client_id")
        redirect_uri = query.get("redirect_uri") or client.config.get("DefaultRedirectURI") or ""
        if redirect_uri not in client.config.get("CallbackURLs", []):
            raise _PageError("redirect_mismatch", "redirect_uri is not one of the app client's CallbackURLs")
        state = query.get("state")

        def refuse(error: str, description: str) -> _Redirected:
            return _Redirected(
                _redirect(redirect_uri, {"error": error, "error_description": description, "state": state})
            )

        if "code" not in _flows_of(client):
            raise refuse("unauthorized_client", "the app client may not use the code flow")
        if query.get("response_type") != "code":
            raise refuse("unsupported_response_type", "response_type must be code")
        allowed = _scopes_of(client)
        requested = query.get("scope", "").split() or allowed
        if not set(requested) <= set(allowed):
            raise refuse("invalid_scope", "a requested scope is not allowed for the app client")
        challenge = query.get("code_challenge")
        method = query.get("code_challenge_method")
        if (challenge is None) != (method is None) or (method is not None and method != "S256"):
            raise refuse("invalid_request", "PKCE needs code_challenge with code_challenge_method=S256")
        provider = query.get("identity_provider")
        if provider not in (None, "COGNITO"):
            raise refuse("invalid_request", "only the COGNITO identity provider is served locally")
        return _Authorization(
            pool, client, redirect_uri, state, " ".join(requested), query.get("nonce"), challenge, query
        )

    def _issue_code(
        self, request: _Authorization, user: User, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        code = str(uuid.uuid4())
        now = self._ctx.now()
        self._prune(now)
        self._codes[code] = _Code(
            pool_id=request.pool.id,
            client_id=request.client.id,
            username=user.username,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            nonce=request.nonce,
            challenge=request.challenge,
            expires_at=now + CODE_VALIDITY,
            auth_time=int(now),
        )
        return _redirect(request.redirect_uri, {"code": code, "state": request.state}, headers=headers)

    def _prune(self, now: float) -> None:
        # Bounded memory: codes and sessions nobody will use again.
        for code in [c for c, v in self._codes.items() if v.expires_at <= now - CODE_VALIDITY]:
            del self._codes[code]
        for sid in [s for s, v in self._sessions.items() if v[2] <= now]:
            del self._sessions[sid]

    def _session_user(self, request: web.Request, pool: Pool) -> User | None:
        session = self._sessions.get(request.cookies.get(_COOKIE, ""))
        if session is None or session[0] != pool.id or session[2] <= self._ctx.now():
            return None
        user = pool.users.get(session[1])
        return user if user is not None and user.enabled else None

    async def _authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        try:
            pool = self._pool(request.match_info["domain"])
            checked = self._check_authorization(pool, query)
        except _PageError as error:
            return _error_page(error)
        except _Redirected as redirected:
            return redirected.response
        user = self._session_user(request, pool)
        if user is not None and query.get("prompt") != "login":
            return self._issue_code(checked, user)
        login = f"{self.domain_url(request.match_info['domain'])}/login"
        return _redirect(login, query)

    def _form(self, query: Mapping[str, str], message: str = "", *, status: int = 200) -> web.Response:
        hidden = "".join(
            f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>"
            for k, v in query.items()
            if k not in ("username", "password")
        )
        error = f"<p id='loginErrorMessage'>{html.escape(message)}</p>" if message else ""
        return _page(
            "Signin",
            f"<h1>Sign in</h1>{error}<form method='post'>{hidden}"
            "<label>Username <input name='username' autocomplete='username'></label>"
            "<label>Password <input name='password' type='password' autocomplete='current-password'></label>"
            "<button type='submit' name='signInSubmitButton'>Sign in</button></form>",
            status=status,
        )

    async def _login_form(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        try:
            self._check_authorization(self._pool(request.match_info["domain"]), query)
        except _PageError as error:
            return _error_page(error)
        except _Redirected as redirected:
            return redirected.response
        return self._form(query)

    async def _login(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        query = {k: v for k, v in form.items() if k not in ("username", "password")}
        try:
            pool = self._pool(request.match_info["domain"])
            checked = self._check_authorization(pool, query)
        except _PageError as error:
            return _error_page(error)
        except _Redirected as redirected:
            return redirected.response
        user = pool.find_user(form.get("username", ""))
        if user is None or not user.check_password(pool.srp_name, form.get("password", "")):
            return self._form(query, "Incorrect username or password.")
        if not user.enabled:
            return self._form(query, "User is disabled.")
        if user.status != "CONFIRMED":
            return self._form(query, f"User status {user.status}: not served by the local managed login.")
        if pool.mfa == "ON" or user.totp_enabled or user.sms_mfa_enabled or user.email_mfa_enabled:
            return self._form(query, "MFA is not served by the local managed login.")
        now = self._ctx.now()
        sid = secrets.token_urlsafe(32)
        self._sessions[sid] = (pool.id, user.username, now + SESSION_VALIDITY)
        path = urllib.parse.urlsplit(self.domain_url(request.match_info["domain"])).path
        cookie = f"{_COOKIE}={sid}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={SESSION_VALIDITY}"
        return self._issue_code(checked, user, headers={"Set-Cookie": cookie})

    async def _logout(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        try:
            pool = self._pool(request.match_info["domain"])
            client = pool.clients.get(query.get("client_id", ""))
            if client is None:
                raise _PageError("invalid_request", "Invalid client_id")
            logout_uri = query.get("logout_uri")
            if logout_uri is None:
                checked = self._check_authorization(pool, query)
            elif logout_uri not in client.config.get("LogoutURLs", []):
                raise _PageError("invalid_request", "logout_uri is not one of the app client's LogoutURLs")
        except _PageError as error:
            return _error_page(error)
        except _Redirected as redirected:
            return redirected.response
        self._sessions.pop(request.cookies.get(_COOKIE, ""), None)
        path = urllib.parse.urlsplit(self.domain_url(request.match_info["domain"])).path
        clear = {"Set-Cookie": f"{_COOKIE}=; Path={path}; HttpOnly; SameSite=Lax; Max-Age=0"}
        if logout_uri is not None:
            return _redirect(logout_uri, {}, headers=clear)
        del checked  # checked above: sign in again
        login = f"{self.domain_url(request.match_info['domain'])}/login"
        return _redirect(login, {k: v for k, v in query.items() if k != "logout_uri"}, headers=clear)

    async def _discovery(self, request: web.Request) -> web.Response:
        try:
            pool = self._pool(request.match_info["domain"])
        except _PageError as error:
            return _error_page(error)
        return web.json_response(self.discovery_document(pool))

    # --- token, revoke, userInfo ---------------------------------------------------------------------------

    async def _form_body(self, request: web.Request) -> dict[str, str]:
        if request.content_type != "application/x-www-form-urlencoded":
            raise _OAuthFailure("invalid_request", "the body must be application/x-www-form-urlencoded")
        return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}

    def _authenticate(self, request: web.Request, pool: Pool, form: dict[str, str]) -> Client:
        """The app client of a token or revoke request (RFC 6749 section 2.3.1)."""
        header = request.headers.get("Authorization", "")
        secret: str | None = form.get("client_secret")
        client_id = form.get("client_id")
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "basic":
                raise _OAuthFailure("invalid_client", "unsupported client authentication")
            if secret is not None:
                raise _OAuthFailure("invalid_request", "use one client authentication method, not two")
            try:
                pair = base64.b64decode(value.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise _OAuthFailure("invalid_client", "malformed Basic authorization") from None
            basic_id, sep, basic_secret = pair.partition(":")
            if not sep:
                raise _OAuthFailure("invalid_client", "malformed Basic authorization")
            basic_id = urllib.parse.unquote_plus(basic_id)
            if client_id is not None and client_id != basic_id:
                raise _OAuthFailure("invalid_client", "client_id does not match the authorization header")
            client_id, secret = basic_id, urllib.parse.unquote_plus(basic_secret)
        client = pool.clients.get(client_id or "")
        if client is None:
            raise _OAuthFailure("invalid_client", "unknown client")
        if client.secret:
            if not secret or not hmac.compare_digest(secret.encode(), client.secret.encode()):
                raise _OAuthFailure("invalid_client", "client authentication failed")
        elif secret:
            raise _OAuthFailure("invalid_client", "the app client has no secret")
        return client

    async def _token(self, request: web.Request) -> web.Response:
        try:
            pool = self._pool(request.match_info["domain"])
        except _PageError as error:
            return _oauth_reply(_OAuthFailure("invalid_request", error.description))
        try:
            form = await self._form_body(request)
            grant = form.get("grant_type", "")
            self.token_requests[grant or "(none)"] += 1
            client = self._authenticate(request, pool, form)
            if not grant:
                raise _OAuthFailure("invalid_request", "grant_type is missing")
            if grant not in ("client_credentials", "authorization_code", "refresh_token"):
                raise _OAuthFailure("unsupported_grant_type", f"{grant} is not supported")
            if grant == "client_credentials":
                reply = self._client_credentials(pool, client, form)
            elif grant == "authorization_code":
                reply = self._authorization_code(pool, client, form)
            else:
                reply = self._refresh(pool, client, form)
        except _OAuthFailure as failure:
            return _oauth_reply(failure)
        finally:
            await self._save()
        return web.json_response(reply, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _client_credentials(self, pool: Pool, client: Client, form: dict[str, str]) -> dict[str, Any]:
        if "client_credentials" not in _flows_of(client):
            raise _OAuthFailure("unauthorized_client", "the app client may not use client_credentials")
        allowed = [s for s in _scopes_of(client) if s not in STANDARD_SCOPES]
        requested = form.get("scope", "").split() or allowed
        if not requested or not set(requested) <= set(allowed):
            raise _OAuthFailure("invalid_scope", "a requested scope is not allowed for the app client")
        now = int(self._ctx.now())
        claims = {
            "sub": client.id,
            "token_use": "access",
            "scope": " ".join(requested),
            "auth_time": now,
            "iss": pool.issuer,
            "exp": now + client.access_validity,
            "iat": now,
            "version": 2,
            "jti": str(uuid.uuid4()),
            "client_id": client.id,
        }
        token = jwt.encode(
            claims, self._ctx.keys.private(pool), algorithm="RS256", headers={"kid": pool.kid, "typ": None}
        )
        return {"access_token": token, "expires_in": client.access_validity, "token_type": "Bearer"}

    def _authorization_code(self, pool: Pool, client: Client, form: dict[str, str]) -> dict[str, Any]:
        if "code" not in _flows_of(client):
            raise _OAuthFailure("unauthorized_client", "the app client may not use the code flow")
        code_value = form.get("code")
        if not code_value:
            raise _OAuthFailure("invalid_request", "code is missing")
        code = self._codes.pop(code_value, None)  # single use, whatever happens next
        if code is None or code.pool_id != pool.id or code.client_id != client.id:
            raise _OAuthFailure("invalid_grant", "the code is invalid or was already used")
        if self._ctx.now() >= code.expires_at:
            raise _OAuthFailure("invalid_grant", "the code has expired")
        if form.get("redirect_uri") != code.redirect_uri:
            raise _OAuthFailure("invalid_grant", "redirect_uri is not the one of the authorization request")
        if code.challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                raise _OAuthFailure("invalid_grant", "code_verifier is missing (the request used PKCE)")
            digest = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            )
            if not hmac.compare_digest(digest.encode(), code.challenge.encode()):
                raise _OAuthFailure("invalid_grant", "code_verifier does not match the code_challenge")
        user = pool.users.get(code.username)
        if user is None or not user.enabled:
            raise _OAuthFailure("invalid_grant", "the user can no longer sign in")
        result = issue_tokens(
            self._ctx.keys,
            pool,
            client,
            user,
            now=self._ctx.now(),
            auth_time=code.auth_time,
            scope=code.scope,
            nonce=code.nonce,
        )
        return _token_reply(result, code.scope)

    def _refresh(self, pool: Pool, client: Client, form: dict[str, str]) -> dict[str, Any]:
        token = form.get("refresh_token")
        if not token:
            raise _OAuthFailure("invalid_request", "refresh_token is missing")
        now = self._ctx.now()
        try:
            record = refresh_record(pool, client, token, now=now)
        except Fault as fault:
            raise _OAuthFailure("invalid_grant", fault.message) from None
        user = pool.users.get(record.username)
        if user is None or not user.enabled:
            raise _OAuthFailure("invalid_grant", "the user can no longer sign in")
        scope = record.scope or ACCESS_SCOPE
        result = issue_tokens(
            self._ctx.keys,
            pool,
            client,
            user,
            now=now,
            auth_time=record.auth_time,
            origin_jti=record.origin_jti,
            device_key=record.device_key,
            with_refresh=client.rotation,
            scope=scope,
        )
        if client.rotation:
            pool.refresh_tokens[result["RefreshToken"]].expires_at = record.expires_at
            if record.replaced_at is None:
                record.replaced_at = now
        return _token_reply(result, "openid" if not record.scope else scope)

    async def _revoke(self, request: web.Request) -> web.Response:
        try:
            pool = self._pool(request.match_info["domain"])
            form = await self._form_body(request)
            client = self._authenticate(request, pool, form)
            token = form.get("token")
            if not token:
                raise _OAuthFailure("invalid_request", "token is missing")
            if not client.revocation:
                raise _OAuthFailure("invalid_request", "token revocation is not enabled for the app client")
            record = pool.refresh_tokens.get(token)
            if record is None:
                if token.count(".") == 2:
                    raise _OAuthFailure("unsupported_token_type", "only refresh tokens can be revoked")
                return web.Response(status=200)  # RFC 7009 2.2: an unknown token is "revoked" too
            if record.client_id != client.id:
                raise _OAuthFailure("invalid_request", "the token was not issued to this client")
            record.revoked = True
            if record.origin_jti not in pool.revoked_origins:
                pool.revoked_origins.append(record.origin_jti)
            await self._save()
            return web.Response(status=200)
        except _PageError as error:
            return _oauth_reply(_OAuthFailure("invalid_request", error.description))
        except _OAuthFailure as failure:
            return _oauth_reply(failure)

    async def _user_info(self, request: web.Request) -> web.Response:
        def refuse(description: str) -> web.Response:
            challenge = f'Bearer error="invalid_token", error_description="{description}"'
            return web.json_response(
                {"error": "invalid_token", "error_description": description},
                status=401,
                headers={"WWW-Authenticate": challenge},
            )

        try:
            pool = self._pool(request.match_info["domain"])
        except _PageError as error:
            return _error_page(error)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return refuse("Access token is missing")
        try:
            token_pool, claims = verified_claims(
                self._ctx.keys, self._ctx.store, token.strip(), "Access Token"
            )
        except Fault:
            return refuse("Invalid access token")
        if token_pool.id != pool.id or claims.get("token_use") != "access":
            return refuse("Invalid access token")
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= self._ctx.now():
            return refuse("Access token has expired")
        if claims.get("origin_jti") in pool.revoked_origins:
            return refuse("Access token has been revoked")
        if "openid" not in str(claims.get("scope", "")).split():
            return refuse("Access token does not have the openid scope")
        user = pool.users.get(str(claims.get("username")))
        if user is None or user.sub != claims.get("sub") or not user.enabled:
            return refuse("Invalid access token")
        info: dict[str, Any] = {"sub": user.sub}
        info.update({k: v for k, v in sorted(user.attributes.items()) if k != "sub"})
        info["username"] = user.username
        return web.json_response(info)


class _Redirected(Exception):
    """An authorize request refused with a redirect back to the app (``error=`` in the callback)."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.headers.get("Location", ""))
        self.response = response


def _token_reply(result: Mapping[str, Any], scope: str) -> dict[str, Any]:
    reply: dict[str, Any] = {"access_token": result["AccessToken"]}
    if "openid" in scope.split():
        reply["id_token"] = result["IdToken"]
    if "RefreshToken" in result:
        reply["refresh_token"] = result["RefreshToken"]
    reply.update({"expires_in": result["ExpiresIn"], "token_type": "Bearer"})
    return reply
