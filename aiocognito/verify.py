"""Verifying Cognito ID and access tokens that clients send you, fast, with the pool's JWKS.

Cognito signs its tokens with RS256 and publishes the keys at ``<issuer>/.well-known/jwks.json``
(RFC 7517). A token is accepted when (RFC 7515, RFC 7519 and Cognito's "Verifying a JSON Web Token"):

- it is a compact JWS of three base64url segments whose header says ``alg: RS256`` and names a
  ``kid`` of the pool's key set, and its RSASSA-PKCS1-v1_5 SHA-256 signature verifies;
- ``iss`` is the pool's issuer, ``token_use`` is ``id`` or ``access``, and the app client (``aud`` of an
  ID token, ``client_id`` of an access token) is one of the allowed ones;
- ``exp``, ``iat`` and ``nbf`` are numbers, with ``exp`` not past and ``iat`` / ``nbf`` not ahead of
  the clock by more than the leeway.

Two layers, as elsewhere in aiocognito:

- A pure core (:func:`_parse`, :func:`_claims_of`): no IO, no clock, the time is a parameter. It
  decodes base64url exactly as PyJWT 2.15 does (padding up to ``==``, the url-safe alphabet only,
  canonical trailing bits) and checks the signature with ``cryptography`` directly: PyJWT's
  ``decode`` costs three times as much for the same checks. ``tests/unit/test_verify.py`` runs both
  over the same valid and hostile tokens and requires the same answer on each.
- The IO edge (:class:`~aiocognito.wire.jwks.KeySet`): fetches the JWKS through the transport (no
  redirect followed, the reply bounded by ``max_reply_bytes``), caches it for ``jwks_ttl``, refreshes
  it in the background when stale, refetches on an unknown ``kid`` at most once per
  ``refetch_interval``, one fetch in flight at a time; a fetch that fails keeps the keys it had.

:class:`TokenVerifier` ties them together and remembers verified tokens (a server sees the same
bearer token on every request) until they expire, in a bounded LRU.
"""

from __future__ import annotations

import binascii
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType
from typing import Any, Final

import aiohttp
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.hashes import SHA256

from .core.safe_json import JsonError, loads
from .oauth import InvalidTokenError as _OAuthInvalidTokenError
from .wire.configured import jwks_endpoint, jwks_url_at
from .wire.endpoints import endpoint_url as _regional_endpoint
from .wire.endpoints import region_from_pool_id
from .wire.jwks import DEFAULT_MAX_JWKS_BYTES, MAX_KID_CHARS, KeySet
from .wire.replies import is_json_syntax_error
from .wire.transport import (
    DEFAULT_MAX_CONNECTIONS,
    RetryPolicy,
    Timeouts,
    Transport,
)
from .wire.urls import checked_url

__all__ = [
    "InsufficientScopeError",
    "InvalidTokenError",
    "TokenClaims",
    "TokenVerifier",
]

#: Tokens longer than this are refused before any work (Cognito's are 1 to 4 KiB, more with many groups).
DEFAULT_MAX_TOKEN_BYTES: Final = 16 * 1024
#: How often expired entries are swept from the cache of verified tokens (seconds).
_SWEEP_INTERVAL: Final = 60.0
#: At most this many distinct verified headers are remembered (Cognito uses one per key).
_MAX_HEADERS: Final = 64

_ALPHABET: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_TO_STANDARD: Final = bytes.maketrans(b"-_", b"+/")
_PAD: Final = (b"", b"", b"==", b"=")
# A segment of length 4n+2 (4n+3) ends in a character whose low 4 (2) bits are unused; they must be
# zero, as PyJWT checks by re-encoding (otherwise one signature has many spellings).
_CANONICAL_LAST: Final[tuple[frozenset[int], ...]] = (
    frozenset(),
    frozenset(),
    frozenset(_ALPHABET[i] for i in range(0, 64, 16)),
    frozenset(_ALPHABET[i] for i in range(0, 64, 4)),
)
_PKCS1V15: Final = PKCS1v15()
_SHA256: Final = SHA256()
_TOKEN_USES: Final = ("id", "access")
_EMPTY: Final[frozenset[str]] = frozenset()


# --- errors -------------------------------------------------------------------------------------------


class InvalidTokenError(_OAuthInvalidTokenError):
    """A token was refused: malformed, not signed by the pool, expired, for another app client...

    It is an ``aiocognito.InvalidTokenError`` (RFC 6750's ``invalid_token``, HTTP 401), as the OAuth
    client raises for a token the server refuses. The message says why and never holds the token or a
    claim's value.

    Attributes:
        reason: a short stable code: ``malformed``, ``too_large``, ``algorithm``, ``unknown_key``,
            ``signature``, ``issuer``, ``token_use``, ``client``, ``claims``, ``expired``,
            ``not_yet_valid``, or (:class:`InsufficientScopeError`) ``missing_group``, ``missing_scope``.
        message: why, in words.
    """

    def __init__(
        self, message: str, *, reason: str = "malformed", error: str = "invalid_token", status: int = 401
    ) -> None:
        super().__init__(message, error=error, status=status)
        self.reason = reason
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (type(self), self.message, self.reason))


class InsufficientScopeError(InvalidTokenError):
    """A valid token lacks a group or scope the caller requires (RFC 6750's ``insufficient_scope``, 403).

    Attributes:
        missing: the required groups or scopes the token does not have.
    """

    def __init__(self, message: str, *, reason: str, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message, reason=reason, error="insufficient_scope", status=403)
        self.missing = missing

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_denied, (type(self), self.message, self.reason, self.missing))


def _rebuild_error(cls: type[InvalidTokenError], message: str, reason: str) -> InvalidTokenError:
    return cls(message, reason=reason)


def _rebuild_denied(
    cls: type[InsufficientScopeError], message: str, reason: str, missing: tuple[str, ...]
) -> InsufficientScopeError:
    return cls(message, reason=reason, missing=missing)


def _malformed(what: str) -> InvalidTokenError:
    return InvalidTokenError(f"malformed token: {what}", reason="malformed")


# --- claims -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """The verified claims of a Cognito ID or access token.

    Attributes:
        token_use: ``"id"`` or ``"access"``.
        sub: the user's immutable id.
        username: the name Cognito knows the user by (``username``, or ``cognito:username`` of an ID token);
            for a machine token, which has no user, the app client id (its ``sub``).
        client_id: the app client the token was issued to (``client_id``, or ``aud`` of an ID token).
        issuer: ``iss``, the pool's issuer URL.
        expires_at, issued_at: ``exp`` and ``iat``, epoch seconds.
        authenticated_at: ``auth_time``, when the user signed in (refreshes keep it).
        groups: ``cognito:groups``, in the token's order.
        scopes: the access token's ``scope``, split on spaces.
        jti, origin_jti, event_id: the token's id, the id of its sign-in (shared by refreshed tokens,
            revoked together), and the sign-in event.
        raw: every claim, read-only (an ID token's user attributes are here: ``email``...).
        token: the token itself (never shown by ``repr``): an access token can act for the user.
        is_machine: an access token of the ``client_credentials`` grant (machine to machine): no
            ``username`` claim and ``sub`` is the app client id. No user stands behind it.
    """

    token_use: str
    sub: str
    username: str
    client_id: str
    issuer: str
    expires_at: int
    issued_at: int
    authenticated_at: int | None
    groups: tuple[str, ...]
    scopes: tuple[str, ...]
    jti: str | None
    origin_jti: str | None
    event_id: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    token: str = field(repr=False, compare=False)
    is_machine: bool = False


# --- the pure core ------------------------------------------------------------------------------------


def _b64url(segment: bytes, name: str) -> bytes:
    """Decode one base64url segment with PyJWT 2.15's rules (``_decode_base64url_segment``)."""
    if segment[-1:] == b"=":
        stripped = segment.rstrip(b"=")
        padding = len(segment) - len(stripped)
        if padding > 2 or len(segment) % 4:
            raise _malformed(f"bad base64url padding in the {name}")
        segment = stripped
    size = len(segment) & 3
    if size == 1 or segment.translate(None, _ALPHABET):
        raise _malformed(f"the {name} is not base64url")
    if size and segment[-1] not in _CANONICAL_LAST[size]:
        raise _malformed(f"the {name} is not canonical base64url")
    return binascii.a2b_base64(segment.translate(_TO_STANDARD) + _PAD[size])


def _load_json(raw: bytes, name: str) -> dict[str, Any]:
    try:
        value = loads(raw)
    except JsonError as exc:
        why = f"the {name} is not JSON" if is_json_syntax_error(exc) else f"the {name} is refused: {exc}"
        raise _malformed(why) from None
    if type(value) is not dict:
        raise _malformed(f"the {name} is not a JSON object")
    return value


def _header_kid(segment: bytes) -> str:
    """The ``kid`` of a JWS header segment that PyJWT would accept with ``algorithms=["RS256"]``."""
    header = _load_json(_b64url(segment, "header"), "header")
    kid = header.get("kid")
    if "kid" in header and type(kid) is not str:
        raise _malformed("kid is not a string")
    if "crit" in header:
        # RFC 7515 4.1.11: extensions we do not understand must be refused; PyJWT knows only b64.
        crit = header["crit"]
        if type(crit) is not list or not crit:
            raise _malformed("crit is not a non-empty list")
        for name in crit:
            if type(name) is not str or name != "b64" or name not in header:
                raise _malformed("crit names an unsupported extension")
    if header.get("b64", True) is False:
        raise _malformed("unencoded payloads (b64: false) are not supported")
    if header.get("alg") != "RS256":
        raise InvalidTokenError("the algorithm is not RS256", reason="algorithm")
    if type(kid) is not str or not kid:
        raise _malformed("no kid")
    if len(kid) > MAX_KID_CHARS:
        raise _malformed("kid is too long")
    return kid


#: A decoded token: (kid, signing input, signature, payload bytes).
_Parsed = tuple[str, bytes, bytes, bytes]


def _parse(token: object, max_bytes: int, headers: dict[bytes, str]) -> _Parsed:
    """Split and decode a compact JWS; ``headers`` caches header segments already found good."""
    if type(token) is not str:
        raise _malformed("not a string")
    if len(token) > max_bytes:
        raise InvalidTokenError("token is too large", reason="too_large")
    try:
        data = token.encode("ascii")
    except UnicodeEncodeError:
        raise _malformed("not ASCII") from None
    parts = data.split(b".")
    if len(parts) != 3:
        raise _malformed("not three segments")
    header, payload, signature = parts
    kid = headers.get(header)
    if kid is None:
        kid = _header_kid(header)
        if len(headers) >= _MAX_HEADERS:
            headers.clear()
        headers[header] = kid
    return (
        kid,
        data[: len(header) + 1 + len(payload)],
        _b64url(signature, "signature"),
        _b64url(payload, "payload"),
    )


def _check_signature(key: RSAPublicKey, signing_input: bytes, signature: bytes) -> None:
    try:
        key.verify(signature, signing_input, _PKCS1V15, _SHA256)
    except InvalidSignature:
        raise InvalidTokenError("the signature does not verify", reason="signature") from None


def _number(claims: dict[str, Any], name: str) -> int | None:
    """A NumericDate claim as PyJWT reads it (``int()``), which must be a JSON number, or ``None``."""
    value = claims.get(name)
    if value is None:
        return None
    kind = type(value)
    if kind is int:
        return int(value)
    if kind is not float:
        raise InvalidTokenError(f"the {name} claim is not a number", reason="claims")
    try:
        return int(value)
    except (ValueError, OverflowError):
        raise InvalidTokenError(f"the {name} claim is not a finite number", reason="claims") from None


def _required_number(claims: dict[str, Any], name: str) -> int:
    value = _number(claims, name)
    if value is None:
        raise InvalidTokenError(f"the {name} claim is missing", reason="claims")
    return value


def _optional_str(value: object) -> str | None:
    return value if type(value) is str else None


def _claims_of(
    payload: bytes,
    token: str,
    *,
    issuer: str,
    client_ids: Collection[str],
    leeway: float,
    now: float,
) -> TokenClaims:
    """Check the claims of a token whose signature verified, and type them."""
    claims = _load_json(payload, "payload")
    get = claims.get
    if get("iss") != issuer:
        raise InvalidTokenError("the token is from another issuer", reason="issuer")
    use = get("token_use")
    if use == "access":
        client = get("client_id")
        username = get("username")
    elif use == "id":
        client = get("aud")
        username = get("cognito:username")
    else:
        raise InvalidTokenError("token_use is neither 'id' nor 'access'", reason="token_use")
    if type(client) is not str or client not in client_ids:
        raise InvalidTokenError("the token was issued to another app client", reason="client")
    expires_at = _required_number(claims, "exp")
    issued_at = _required_number(claims, "iat")
    not_before = _number(claims, "nbf")
    if expires_at <= now - leeway:
        raise InvalidTokenError("the token has expired", reason="expired")
    if issued_at > now + leeway or (not_before is not None and not_before > now + leeway):
        raise InvalidTokenError("the token is not valid yet", reason="not_yet_valid")
    sub = get("sub")
    if type(sub) is not str:
        raise InvalidTokenError("the sub claim is missing or not a string", reason="claims")
    # A client_credentials token has no user: no username, and sub is the app client (Cognito's M2M).
    machine = use == "access" and username is None and sub == client
    if machine:
        username = client
    if type(username) is not str:
        raise InvalidTokenError("the username claim is missing or not a string", reason="claims")
    jti = get("jti")
    if jti is not None and type(jti) is not str:
        raise InvalidTokenError("the jti claim is not a string", reason="claims")
    groups: tuple[str, ...] = ()
    listed = get("cognito:groups")
    if listed is not None:
        if type(listed) is not list or not all(type(group) is str for group in listed):
            raise InvalidTokenError("cognito:groups is not a list of strings", reason="claims")
        groups = tuple(listed)
    scopes: tuple[str, ...] = ()
    scope = get("scope")
    if scope is not None:
        if type(scope) is not str:
            raise InvalidTokenError("the scope claim is not a string", reason="claims")
        scopes = tuple(scope.split())
    return TokenClaims(
        use,
        sub,
        username,
        client,
        issuer,
        expires_at,
        issued_at,
        _number(claims, "auth_time"),
        groups,
        scopes,
        jti,
        _optional_str(get("origin_jti")),
        _optional_str(get("event_id")),
        MappingProxyType(claims),
        token,
        machine,
    )


def _missing(required: Iterable[str], held: frozenset[str]) -> tuple[str, ...]:
    return tuple(name for name in required if name not in held)


class _Entry:
    """A verified token: its claims and what each call may require, precomputed."""

    __slots__ = ("claims", "expires_at", "groups", "scopes", "token_use")

    def __init__(self, claims: TokenClaims) -> None:
        self.claims = claims
        self.expires_at = claims.expires_at
        self.token_use = claims.token_use
        self.groups = frozenset(claims.groups) if claims.groups else _EMPTY
        self.scopes = frozenset(claims.scopes) if claims.scopes else _EMPTY

    def check(self, token_use: str | None, groups: Collection[str], scopes: Collection[str]) -> TokenClaims:
        if token_use is not None and token_use != self.token_use:
            if token_use not in _TOKEN_USES:
                raise ValueError("token_use must be 'id', 'access' or None")
            raise InvalidTokenError(f"not an {token_use} token", reason="token_use")
        if type(groups) is str or type(scopes) is str:
            raise TypeError("groups and scopes are collections of names, not one string")
        if groups and not self.groups.issuperset(groups):
            missing = _missing(groups, self.groups)
            raise InsufficientScopeError(
                f"not in the required group(s) {', '.join(missing)}", reason="missing_group", missing=missing
            )
        if scopes and not self.scopes.issuperset(scopes):
            missing = _missing(scopes, self.scopes)
            raise InsufficientScopeError(
                f"lacks the required scope(s) {' '.join(missing)}", reason="missing_scope", missing=missing
            )
        return self.claims


# --- the verifier -------------------------------------------------------------------------------------


class TokenVerifier:
    """Verifies the ID and access tokens of one user pool, for the given app clients.

    Use one per pool, as an async context manager or closing it with :meth:`aclose`::

        async with aiocognito.TokenVerifier("us-east-1_AbC123", ["client-id"]) as verifier:
            claims = await verifier.verify(token, token_use="access", groups=["admin"])

    A token verified once is remembered until it expires (never past ``exp``) in an LRU of
    ``cache_size`` entries, so a server pays the signature check once per token, not per request.

    Args:
        pool_id: the user pool id (``us-east-1_AbC123``); the issuer is derived from it.
        client_ids: the app client ids whose tokens are accepted (one id or several).
        jwks_url: where the keys are (default: ``<endpoint_url>/<pool id>/.well-known/jwks.json`` when an
            endpoint is configured, else ``<issuer>/.well-known/jwks.json``).
        endpoint_url: a ``cognito-idp`` emulator whose keys are trusted (default:
            ``$AIOCOGNITO_ENDPOINT_URL``, else ``$AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``; never the
            generic ``$AWS_ENDPOINT_URL``, which may be set for another service). The issuer stays Cognito's.
        issuer: the expected ``iss`` (default: Cognito's ``https://cognito-idp.<region>.amazonaws.com/<id>``).
        leeway: seconds of clock difference tolerated for ``exp``, ``iat`` and ``nbf``.
        jwks_ttl: seconds the keys are used before they are refreshed in the background.
        refetch_interval: at least this many seconds between two fetches caused by unknown key ids
            (or by a stale key set), so a flood of forged ``kid`` values costs one fetch per interval.
        cache_size: how many verified tokens are remembered (0: none); an entry takes about 3 KB with
            its token (10,000 entries: about 30 MB).
        max_token_bytes: longer tokens are refused before any work.
        session: an :class:`aiohttp.ClientSession` to lend; it is never closed here.
        timeouts, retry: of the JWKS request (retried on connection errors, timeouts, 5xx and 429).
        allow_http: allow a plain ``http://`` JWKS URL to a host that is not loopback.
        trust_env: take a proxy from ``HTTPS_PROXY`` / ``NO_PROXY``.
        max_reply_bytes: the most bytes of a JWKS reply read, on the wire and decompressed (256 KiB: a
            Cognito JWKS is about 1 KiB); a larger one is refused and the keys in hand are kept. A
            redirect is never followed.
        max_connections: the most connections the verifier's own session keeps open (100).
        clock: epoch seconds, for ``exp`` / ``iat``; timer: monotonic seconds, for the intervals.

    Raises:
        ValueError: a malformed pool id or URL, no client id, a negative setting, a cap that is not a
            positive int.
    """

    def __init__(
        self,
        pool_id: str,
        client_ids: str | Iterable[str],
        *,
        jwks_url: str | None = None,
        endpoint_url: str | None = None,
        issuer: str | None = None,
        leeway: float = 5.0,
        jwks_ttl: float = 3600.0,
        refetch_interval: float = 60.0,
        cache_size: int = 10_000,
        max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
        session: aiohttp.ClientSession | None = None,
        timeouts: Timeouts = Timeouts(connect=5.0, total=10.0),  # noqa: B008 - frozen value
        retry: RetryPolicy = RetryPolicy(max_attempts=3, budget=15.0),  # noqa: B008 - frozen value
        allow_http: bool = False,
        trust_env: bool = True,
        clock: Callable[[], float] = time.time,
        timer: Callable[[], float] = time.monotonic,
        max_reply_bytes: int = DEFAULT_MAX_JWKS_BYTES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        region = region_from_pool_id(pool_id)
        ids = frozenset([client_ids] if isinstance(client_ids, str) else client_ids)
        if not ids or not all(isinstance(item, str) and item for item in ids):
            raise ValueError("client_ids must hold at least one non-empty client id")
        if leeway < 0 or jwks_ttl <= 0 or refetch_interval < 0 or cache_size < 0 or max_token_bytes <= 0:
            raise ValueError("leeway, intervals and sizes must not be negative (the TTL must be positive)")
        self.pool_id = pool_id
        self.client_ids = ids
        self.issuer = issuer or f"{_regional_endpoint('cognito-idp', region)}/{pool_id}"
        if jwks_url is None:
            endpoint = jwks_endpoint(endpoint_url)
            jwks_url = f"{self.issuer}/.well-known/jwks.json"
            if endpoint is not None:
                jwks_url = jwks_url_at(endpoint, pool_id)
        self.jwks_url = checked_url(jwks_url, allow_http=allow_http, what="jwks_url")
        self.leeway = float(leeway)
        self.cache_size = cache_size
        self.max_token_bytes = max_token_bytes
        self._clock = clock
        self._timer = timer
        self._transport = Transport(
            session=session,
            timeouts=timeouts,
            retry=retry,
            trust_env=trust_env,
            clock=timer,
            max_reply_bytes=max_reply_bytes,
            max_connections=max_connections,
        )
        self._keys = KeySet(
            self.jwks_url,
            self._transport,
            ttl=jwks_ttl,
            refetch_interval=refetch_interval,
            timer=timer,
            on_change=self.clear_cache,
        )
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._headers: dict[bytes, str] = {}
        self._sweep_at = 0.0

    def __repr__(self) -> str:
        return f"<TokenVerifier {self.pool_id} clients={sorted(self.client_ids)} jwks={self.jwks_url}>"

    async def __aenter__(self) -> TokenVerifier:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop a fetch in flight and close the HTTP session if it is ours."""
        await self._keys.aclose()
        await self._transport.aclose()

    @property
    def key_ids(self) -> tuple[str, ...]:
        """The key ids in hand."""
        return tuple(self._keys.keys)

    @property
    def jwks_fetches(self) -> int:
        """How many times the JWKS was requested (for monitoring and tests)."""
        return self._keys.fetches

    async def refresh_keys(self) -> None:
        """Fetch the JWKS now (or join the fetch in flight), e.g. at start-up.

        Raises:
            TransportError: it could not be fetched or is not a usable JWKS; the keys in hand are kept.
        """
        await self._keys.refresh()

    def clear_cache(self) -> None:
        """Forget the verified tokens (done by itself when a key leaves the JWKS)."""
        self._cache.clear()

    async def verify(
        self,
        token: str,
        *,
        token_use: str | None = None,
        groups: Collection[str] = (),
        scopes: Collection[str] = (),
    ) -> TokenClaims:
        """Verify ``token`` and return its claims.

        Args:
            token: the JWT, without ``Bearer``.
            token_use: ``"access"`` or ``"id"`` to accept only that kind (default: either).
            groups: groups (``cognito:groups``) the user must all be in.
            scopes: scopes the access token must all carry.

        Raises:
            InvalidTokenError: the token is refused; ``.reason`` says why.
            InsufficientScopeError: (an :class:`InvalidTokenError`) the token is valid but lacks a required
                group or scope.
            TransportError: the pool's keys could never be fetched, so no token can be checked.
        """
        entry = self._cache.get(token) if type(token) is str else None
        if entry is not None and self._clock() < entry.expires_at:
            self._cache.move_to_end(token)
            return entry.check(token_use, groups, scopes)
        kid, signing_input, signature, payload = _parse(token, self.max_token_bytes, self._headers)
        keys = self._keys
        key = keys.keys.get(kid)
        if key is None:
            key = await self._unknown_key(kid, signing_input)
        elif keys.stale():
            keys.refresh_in_background()
        _check_signature(key, signing_input, signature)
        now = self._clock()
        claims = _claims_of(
            payload, token, issuer=self.issuer, client_ids=self.client_ids, leeway=self.leeway, now=now
        )
        entry = _Entry(claims)
        if self.cache_size and now < entry.expires_at:
            self._remember(token, entry, now)
        return entry.check(token_use, groups, scopes)

    async def _unknown_key(self, kid: str, signing_input: bytes) -> RSAPublicKey:
        key = await self._keys.key_for(kid)
        if key is None:
            # Not a kid of the pool: do not remember its header.
            self._headers.pop(signing_input.partition(b".")[0], None)
            raise InvalidTokenError("the key id is not in the pool's key set", reason="unknown_key")
        return key

    def _remember(self, token: str, entry: _Entry, now: float) -> None:
        cache = self._cache
        if now >= self._sweep_at:
            self._sweep_at = now + _SWEEP_INTERVAL
            for expired in [key for key, value in cache.items() if value.expires_at <= now]:
                del cache[expired]
        cache[token] = entry
        cache.move_to_end(token)
        while len(cache) > self.cache_size:
            cache.popitem(last=False)
