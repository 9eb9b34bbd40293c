"""The token endpoints of a user pool domain (RFC 6749, 7009, 7636; OpenID Connect's userInfo).

``/oauth2/token``: ``client_credentials`` (Basic or ``client_secret`` in the body), ``authorization_code``
(single-use codes valid 5 minutes, the same ``redirect_uri``, PKCE S256 checked) and ``refresh_token``.
Errors are ``{"error": ..., "error_description": ...}`` with HTTP 400. ``/oauth2/revoke`` revokes a
refresh token's family; ``/oauth2/userInfo`` gives the attributes of an access token with ``openid``.
"""

from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import hmac
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from ...faults import Fault
from ..context import Context
from ..state import Client, Pool
from ..tokens import (
    ACCESS_SCOPE,
    issue_client_token,
    issue_tokens,
    refresh_record,
    refreshed_tokens,
    verified_claims,
)
from .codes import CodeBook
from .config import STANDARD_SCOPES, flows_of, scopes_of
from .domains import pool_of_domain
from .pages import PageError, error_page

__all__ = ["TokenEndpoint"]


class _OAuthFailure(Exception):
    """An OAuth error reply (RFC 6749 section 5.2)."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


def _oauth_reply(failure: _OAuthFailure) -> web.Response:
    return web.json_response(
        {"error": failure.error, "error_description": failure.description},
        status=failure.status,
        headers={"Cache-Control": "no-store"},
    )


class TokenEndpoint:
    """The token endpoints of the user pool domains: ``/oauth2/token``, ``/oauth2/revoke`` and
    ``/oauth2/userInfo``.

    Attributes:
        token_requests: token requests answered (successfully or not), by ``grant_type``.
    """

    def __init__(self, ctx: Context, codes: CodeBook, save: Callable[[], Awaitable[None]]) -> None:
        self._ctx = ctx
        self._codes = codes
        self._save = save
        self.token_requests: collections.Counter[str] = collections.Counter()

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

    async def token(self, request: web.Request) -> web.Response:
        try:
            pool = pool_of_domain(self._ctx.store, request.match_info["domain"])
        except PageError as error:
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
        if "client_credentials" not in flows_of(client):
            raise _OAuthFailure("unauthorized_client", "the app client may not use client_credentials")
        allowed = [s for s in scopes_of(client) if s not in STANDARD_SCOPES]
        requested = form.get("scope", "").split() or allowed
        if not requested or not set(requested) <= set(allowed):
            raise _OAuthFailure("invalid_scope", "a requested scope is not allowed for the app client")
        token = issue_client_token(self._ctx.keys, pool, client, " ".join(requested), now=self._ctx.now())
        return {"access_token": token, "expires_in": client.access_validity, "token_type": "Bearer"}

    def _authorization_code(self, pool: Pool, client: Client, form: dict[str, str]) -> dict[str, Any]:
        if "code" not in flows_of(client):
            raise _OAuthFailure("unauthorized_client", "the app client may not use the code flow")
        code_value = form.get("code")
        if not code_value:
            raise _OAuthFailure("invalid_request", "code is missing")
        code = self._codes.redeem(code_value)
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
        result = refreshed_tokens(self._ctx.keys, pool, client, user, record, now=now, scope=scope)
        return _token_reply(result, "openid" if not record.scope else scope)

    async def revoke(self, request: web.Request) -> web.Response:
        try:
            pool = pool_of_domain(self._ctx.store, request.match_info["domain"])
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
            pool.revoke(record)
            await self._save()
            return web.Response(status=200)
        except PageError as error:
            return _oauth_reply(_OAuthFailure("invalid_request", error.description))
        except _OAuthFailure as failure:
            return _oauth_reply(failure)

    async def user_info(self, request: web.Request) -> web.Response:
        def refuse(description: str) -> web.Response:
            challenge = f'Bearer error="invalid_token", error_description="{description}"'
            return web.json_response(
                {"error": "invalid_token", "error_description": description},
                status=401,
                headers={"WWW-Authenticate": challenge},
            )

        try:
            pool = pool_of_domain(self._ctx.store, request.match_info["domain"])
        except PageError as error:
            return error_page(error)
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


def _token_reply(result: Mapping[str, Any], scope: str) -> dict[str, Any]:
    reply: dict[str, Any] = {"access_token": result["AccessToken"]}
    if "openid" in scope.split():
        reply["id_token"] = result["IdToken"]
    if "RefreshToken" in result:
        reply["refresh_token"] = result["RefreshToken"]
    reply.update({"expires_in": result["ExpiresIn"], "token_type": "Bearer"})
    return reply
