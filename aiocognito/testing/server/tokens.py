"""Tokens of the local user pool: RS256 JWTs with Cognito's claims and refresh tokens, issued and read back.

Signed with the pool's key (:mod:`.keys`). ID and access tokens carry the claims Cognito puts in them
for an API sign-in (``iss`` in the AWS form ``https://cognito-idp.<region>.amazonaws.com/<pool id>``,
``token_use``, ``aud`` / ``client_id``, ``origin_jti``, ``jti``, ``event_id``, ``cognito:username`` /
``username``, ``cognito:groups``, ``scope``, ``auth_time``, ``iat``, ``exp``). Refresh tokens are opaque
(Cognito's are encrypted JWE; these look like one and are looked up in the pool's table).
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from typing import Any

import jwt

from aiocognito.core.tokens import decode_claims
from aiocognito.errors import ProtocolError

from ..faults import Fault, not_authorized, user_not_found
from .keys import KeyRing, b64url
from .state import Client, Pool, RefreshRecord, Store, User
from .token_claims import ClaimOverrides

__all__ = [
    "ACCESS_SCOPE",
    "issue_client_token",
    "issue_tokens",
    "new_refresh_token",
    "read_access_token",
    "read_id_token",
    "refresh_record",
    "refreshed_tokens",
    "verified_claims",
]

#: The scope of an access token from an API sign-in: the user's own user-pool operations.
ACCESS_SCOPE = "aws.cognito.signin.user.admin"
_JWE_HEADER = (
    base64.urlsafe_b64encode(json.dumps({"cty": "JWT", "enc": "A256GCM", "alg": "RSA-OAEP"}).encode())
    .rstrip(b"=")
    .decode()
)


def new_refresh_token() -> str:
    """An opaque refresh token shaped like Cognito's (a five-part JWE)."""
    parts = [
        secrets.token_bytes(256),
        secrets.token_bytes(12),
        secrets.token_bytes(600),
        secrets.token_bytes(16),
    ]
    return ".".join([_JWE_HEADER, *(b64url(part) for part in parts)])


def _claim_value(name: str, value: str) -> Any:
    if name in ("email_verified", "phone_number_verified"):
        return value == "true"
    return value


def issue_tokens(
    keys: KeyRing,
    pool: Pool,
    client: Client,
    user: User,
    *,
    now: float,
    auth_time: int | None = None,
    origin_jti: str | None = None,
    device_key: str = "",
    with_refresh: bool = True,
    scope: str = ACCESS_SCOPE,
    nonce: str | None = None,
    overrides: ClaimOverrides | None = None,
) -> dict[str, Any]:
    """An ``AuthenticationResult``: ID and access tokens, and a refresh token of a new family.

    ``overrides`` are a pre token generation trigger's changes to the claims.

    ``origin_jti`` and ``auth_time`` are kept when tokens are refreshed (same family). ``scope`` and
    ``nonce`` are the OAuth scopes of the access token and the id token's nonce (the domain's endpoints).
    """
    issued = int(now)
    auth_time = issued if auth_time is None else auth_time
    origin_jti = origin_jti or str(uuid.uuid4())
    event_id = str(uuid.uuid4())
    common: dict[str, Any] = {"sub": user.sub}
    if user.groups:
        common["cognito:groups"] = sorted(user.groups)
    common.update({"iss": pool.issuer, "origin_jti": origin_jti, "event_id": event_id})
    id_claims = dict(common)
    for name, value in sorted(user.attributes.items()):
        if name != "sub":
            id_claims[name] = _claim_value(name, value)
    id_claims.update(
        {
            "cognito:username": user.username,
            "aud": client.id,
            "token_use": "id",
            **({"nonce": nonce} if nonce is not None else {}),
            "auth_time": auth_time,
            "exp": issued + client.id_validity,
            "iat": issued,
            "jti": str(uuid.uuid4()),
        }
    )
    access_claims = dict(common)
    if device_key:
        access_claims["device_key"] = device_key
    access_claims.update(
        {
            "client_id": client.id,
            "token_use": "access",
            "scope": scope,
            "auth_time": auth_time,
            "exp": issued + client.access_validity,
            "iat": issued,
            "jti": str(uuid.uuid4()),
            "username": user.username,
        }
    )
    if overrides is not None:
        overrides.apply(id_claims, "id")
        overrides.apply(access_claims, "access")
    private = keys.private(pool)
    headers = {"kid": pool.kid, "typ": None}
    result: dict[str, Any] = {
        "AccessToken": jwt.encode(access_claims, private, algorithm="RS256", headers=headers),
        "ExpiresIn": client.access_validity,
        "TokenType": "Bearer",
        "IdToken": jwt.encode(id_claims, private, algorithm="RS256", headers=headers),
    }
    if with_refresh:
        token = new_refresh_token()
        pool.refresh_tokens[token] = RefreshRecord(
            username=user.username,
            client_id=client.id,
            origin_jti=origin_jti,
            auth_time=auth_time,
            expires_at=now + client.refresh_validity,
            device_key=device_key,
            scope="" if scope == ACCESS_SCOPE else scope,
        )
        result["RefreshToken"] = token
    return result


def issue_client_token(keys: KeyRing, pool: Pool, client: Client, scope: str, *, now: float) -> str:
    """The access token of a client credentials grant: the app client is its subject, ``scope`` its
    custom scopes, and it has no ID token and no refresh token.
    """
    issued = int(now)
    claims = {
        "sub": client.id,
        "token_use": "access",
        "scope": scope,
        "auth_time": issued,
        "iss": pool.issuer,
        "exp": issued + client.access_validity,
        "iat": issued,
        "version": 2,
        "jti": str(uuid.uuid4()),
        "client_id": client.id,
    }
    return jwt.encode(claims, keys.private(pool), algorithm="RS256", headers={"kid": pool.kid, "typ": None})


def refresh_record(pool: Pool, client: Client, token: object, *, now: float) -> RefreshRecord:
    """The live record of a refresh token sent to ``client``.

    Raises:
        Fault: NotAuthorizedException, as Cognito words it, for an unknown, foreign, revoked,
            rotated-out or expired token.
    """
    record = pool.refresh_tokens.get(token) if isinstance(token, str) else None
    if record is None or record.client_id != client.id:
        raise not_authorized("Invalid Refresh Token")
    if record.revoked or record.origin_jti in pool.revoked_origins:
        raise not_authorized("Refresh Token has been revoked")
    if record.replaced_at is not None and now > record.replaced_at + client.rotation_grace:
        raise not_authorized("Invalid Refresh Token")
    if now >= record.expires_at:
        raise not_authorized("Refresh Token has expired")
    return record


def refreshed_tokens(
    keys: KeyRing,
    pool: Pool,
    client: Client,
    user: User,
    record: RefreshRecord,
    *,
    now: float,
    scope: str = ACCESS_SCOPE,
    overrides: ClaimOverrides | None = None,
) -> dict[str, Any]:
    """The ``AuthenticationResult`` of a refresh: tokens of the refresh token's family (same
    ``origin_jti``, ``auth_time`` and device).

    When the app client rotates refresh tokens it holds a new one, which lives as long as the old one
    had left; the old one ends after the client's grace period.
    """
    result = issue_tokens(
        keys,
        pool,
        client,
        user,
        now=now,
        auth_time=record.auth_time,
        origin_jti=record.origin_jti,
        device_key=record.device_key,
        with_refresh=client.rotation,
        scope=scope,
        overrides=overrides,
    )
    if client.rotation:
        pool.refresh_tokens[result["RefreshToken"]].expires_at = record.expires_at
        if record.replaced_at is None:
            record.replaced_at = now
    return result


def verified_claims(keys: KeyRing, store: Store, token: object, what: str) -> tuple[Pool, dict[str, Any]]:
    """The pool that signed ``token`` and its claims, the signature checked (not the expiry or audience).

    Raises:
        Fault: NotAuthorizedException "Invalid <what>" for anything that is not a JWT one of the pools
            signed.
    """
    invalid = not_authorized(f"Invalid {what}")
    if not isinstance(token, str) or token.count(".") != 2:
        raise invalid
    try:
        # The client library's reader: a forged payload nested ten thousand deep, or holding NaN or a lone
        # surrogate, is an invalid token here, not an internal error.
        unverified = decode_claims(token)
    except ProtocolError:
        raise invalid from None
    issuer = unverified.get("iss")
    pool_id = issuer.rsplit("/", 1)[-1] if isinstance(issuer, str) else None
    pool = store.pools.get(pool_id) if pool_id else None
    if pool is None or issuer != pool.issuer:
        raise invalid
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            keys.private(pool).public_key(),
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_aud": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.PyJWTError:
        raise invalid from None
    return pool, claims


def read_access_token(
    keys: KeyRing, store: Store, token: object, *, now: float
) -> tuple[Pool, User, dict[str, Any]]:
    """The pool, user and claims of a valid access token.

    Raises:
        Fault: NotAuthorizedException (invalid, expired, revoked, wrong scope), UserNotFoundException.
    """
    pool, claims = verified_claims(keys, store, token, "Access Token")
    if claims.get("token_use") != "access":
        raise not_authorized("Invalid Access Token")
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
        raise not_authorized("Access Token has expired")
    if claims.get("origin_jti") in pool.revoked_origins:
        raise not_authorized("Access Token has been revoked")
    if ACCESS_SCOPE not in str(claims.get("scope", "")).split():
        raise not_authorized("Access Token does not have required scopes")
    user = pool.users.get(str(claims.get("username")))
    if user is None or user.sub != claims.get("sub"):
        raise user_not_found()
    if not user.enabled:
        raise not_authorized("User is disabled.")
    return pool, user, claims


def read_id_token(keys: KeyRing, store: Store, token: object, *, now: float) -> tuple[Pool, dict[str, Any]]:
    """The pool and claims of a valid, unexpired ID token (for identity pools).

    Raises:
        Fault: NotAuthorizedException "Invalid login token..." when it is not one.
    """
    message = "Invalid login token. Not a valid OpenId Connect identity token."
    try:
        pool, claims = verified_claims(keys, store, token, "Id Token")
    except Fault:
        raise not_authorized(message) from None
    if claims.get("token_use") != "id":
        raise not_authorized(message)
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
        raise not_authorized("Invalid login token. Token expired: " + str(claims.get("exp")))
    return pool, claims
