"""Refresh tokens in use: ``REFRESH_TOKEN_AUTH`` (an ``InitiateAuth`` flow), ``GetTokensFromRefreshToken``
(the operation that rotates them when the app client asks for it) and ``RevokeToken``.
"""

from __future__ import annotations

import hmac
from typing import Any

from ...faults import Fault, not_authorized, user_not_found
from .. import lifecycle
from ..checks import check_secret_hash, require
from ..context import Context
from ..state import Client, Pool, User
from ..token_claims import ClaimOverrides
from ..tokens import ACCESS_SCOPE, refresh_record, refreshed_tokens

__all__ = ["get_tokens_from_refresh_token", "refresh_auth", "revoke_token"]


async def refresh_auth(
    ctx: Context, pool: Pool, client: Client, params: dict[str, str], metadata: dict[str, str] | None = None
) -> dict[str, Any]:
    """REFRESH_TOKEN_AUTH: new ID and access tokens of the refresh token's family (no new refresh token).

    Raises:
        Fault: NotAuthorizedException for a refused token or an app client that rotates refresh tokens,
            UserNotFoundException.
    """
    if client.rotation:
        raise not_authorized(
            "REFRESH_TOKEN_AUTH is not allowed for an app client with refresh token rotation; "
            "use GetTokensFromRefreshToken"
        )
    now = ctx.now()
    record = refresh_record(pool, client, require(params, "REFRESH_TOKEN"), now=now)
    user = pool.users.get(record.username)
    if user is None:
        raise user_not_found()
    if not user.enabled:
        raise not_authorized("User is disabled.")
    check_secret_hash(
        client, params.get("SECRET_HASH"), [user.username, user.sub, params.get("USERNAME", "")]
    )
    overrides = await _overrides(ctx, pool, client, user, metadata)
    result = refreshed_tokens(ctx.keys, pool, client, user, record, now=now, overrides=overrides)
    return {"ChallengeParameters": {}, "AuthenticationResult": result}


async def get_tokens_from_refresh_token(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """GetTokensFromRefreshToken: new tokens, and with rotation a new refresh token."""
    pool, client = ctx.store.client(body["ClientId"])
    if client.secret:
        given = body.get("ClientSecret")
        if not given:
            raise not_authorized(
                f"Client {client.id} is configured with secret but ClientSecret was not received"
            )
        if not any(hmac.compare_digest(str(given).encode(), s.encode()) for s in client.secrets):
            raise not_authorized(f"Unable to verify secret for client {client.id}")
    now = ctx.now()
    token = body["RefreshToken"]
    record = pool.refresh_tokens.get(token)
    if (
        record is not None
        and record.client_id == client.id
        and record.replaced_at is not None
        and now > record.replaced_at + client.rotation_grace
        and not record.revoked
    ):
        raise Fault("RefreshTokenReuseException", "The refresh token has already been used.")
    record = refresh_record(pool, client, token, now=now)
    user = pool.users.get(record.username)
    if user is None:
        raise user_not_found()
    if not user.enabled:
        raise not_authorized("User is disabled.")
    overrides = await _overrides(ctx, pool, client, user, body.get("ClientMetadata"))
    result = refreshed_tokens(ctx.keys, pool, client, user, record, now=now, overrides=overrides)
    return {"AuthenticationResult": result}


async def _overrides(
    ctx: Context, pool: Pool, client: Client, user: User, metadata: dict[str, str] | None
) -> ClaimOverrides | None:
    # Refreshed tokens go through the pre token generation trigger too (TokenGeneration_RefreshTokens).
    return await lifecycle.token_overrides(
        ctx, pool, client.id, user, source="RefreshTokens", metadata=metadata, scopes=ACCESS_SCOPE.split()
    )


async def revoke_token(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """RevokeToken: a refresh token, and the tokens issued in its family (RFC 7009)."""
    pool, client = ctx.store.client(body["ClientId"])
    given_secret = str(body.get("ClientSecret") or "").encode()
    if client.secret and not any(hmac.compare_digest(given_secret, s.encode()) for s in client.secrets):
        raise Fault("UnauthorizedException", "Unable to verify the client secret")
    if not client.revocation:
        raise Fault("UnsupportedOperationException", "Token revocation is not enabled for this app client.")
    token = body["Token"]
    record = pool.refresh_tokens.get(token)
    if record is None:
        if token.count(".") == 2:
            raise Fault("UnsupportedTokenTypeException", "Only refresh tokens can be revoked.")
        return {}  # RFC 7009: an unknown token is "revoked" too
    if record.client_id != client.id:
        raise Fault("UnauthorizedException", "The token was not issued to this client.")
    pool.revoke(record)
    return {}
