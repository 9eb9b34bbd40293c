"""The token verifier's core, differentially against PyJWT: same verdict on valid and hostile tokens.

aiocognito parses the JWS itself and checks the signature with ``cryptography`` directly (PyJWT's
``decode`` costs three times as much). The oracle here is ``jwt.decode`` with the same key, issuer,
leeway and required claims, plus Cognito's rules written out plainly (token_use, the app client,
NumericDates that are JSON numbers, string sub / username, list groups, string scope, a size limit).
Every token must get the same verdict from both, and accepted tokens the same claims.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import pickle
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aiocognito
from aiocognito.testing.server.keys import generate_key_pem
from aiocognito.verify import (
    DEFAULT_MAX_TOKEN_BYTES,
    InsufficientScopeError,
    InvalidTokenError,
    TokenClaims,
    TokenVerifier,
)

POOL_ID = "us-east-1_Test123"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
CLIENTS = ("client-a", "client-b")
KID = "key-1"
LEEWAY = 5.0

_PRIVATE = serialization.load_pem_private_key(generate_key_pem(shared=True).encode(), password=None)
assert isinstance(_PRIVATE, rsa.RSAPrivateKey)
PRIVATE: rsa.RSAPrivateKey = _PRIVATE
PUBLIC = PRIVATE.public_key()
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = PUBLIC.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
JWK = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(PUBLIC))
JWK.update({"kid": KID, "alg": "RS256", "use": "sig"})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64(json.dumps(value).encode() if not isinstance(value, bytes) else value)


def access_claims(now: float | None = None, **changes: Any) -> dict[str, Any]:
    now = time.time() if now is None else now
    claims: dict[str, Any] = {
        "sub": "5b1b0a6e-7f0c-4c1e-9a53-0d2f3c7d9e11",
        "cognito:groups": ["admin", "staff"],
        "iss": ISSUER,
        "client_id": "client-a",
        "origin_jti": "0f2c",
        "event_id": "e1",
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin openid",
        "auth_time": int(now) - 10,
        "exp": int(now) + 3600,
        "iat": int(now) - 10,
        "jti": "j1",
        "username": "alice",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not _DROP}


def id_claims(now: float | None = None, **changes: Any) -> dict[str, Any]:
    claims = access_claims(now)
    for name in ("client_id", "scope", "username"):
        del claims[name]
    claims.update({"aud": "client-b", "token_use": "id", "cognito:username": "alice", "email": "a@x.org"})
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not _DROP}


_DROP = object()


def sign(
    claims: Any, *, key: rsa.RSAPrivateKey = PRIVATE, header: dict[str, Any] | None = None, alg: str = "RS256"
) -> str:
    """A token over exactly these header and payload values (raw JSON, so hostile values survive)."""
    head = {"kid": KID, "alg": alg} if header is None else header
    signing_input = f"{b64json(head)}.{b64json(claims)}".encode()
    return signing_input.decode() + "." + b64(_signature(signing_input, key, alg))


def _signature(signing_input: bytes, key: rsa.RSAPrivateKey, alg: str) -> bytes:
    algorithm = jwt.algorithms.get_default_algorithms()[alg if alg.startswith(("RS", "PS")) else "RS256"]
    return algorithm.sign(signing_input, key)  # type: ignore[no-any-return]


def resign(token: str, *, key: rsa.RSAPrivateKey = PRIVATE) -> str:
    signing_input = token.rsplit(".", 1)[0].encode()
    return signing_input.decode() + "." + b64(_signature(signing_input, key, "RS256"))


def verifier(**options: Any) -> TokenVerifier:
    """A verifier holding the key already: no JWKS fetch (its URL would refuse connections anyway)."""
    options.setdefault("leeway", LEEWAY)
    made = TokenVerifier(POOL_ID, CLIENTS, jwks_url="http://127.0.0.1:9/jwks.json", **options)
    keys = made._keys
    keys.keys = {KID: PUBLIC}
    keys._loaded_at = keys._attempted_at = time.monotonic()
    return made


def oracle(token: Any) -> dict[str, Any] | None:
    """PyJWT's verdict plus Cognito's rules; ``None`` when the token is refused."""
    if not isinstance(token, str) or len(token) > DEFAULT_MAX_TOKEN_BYTES:
        return None
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        if kid != KID:
            return None
        claims: dict[str, Any] = jwt.decode(
            token,
            jwt.PyJWK(JWK),
            algorithms=["RS256"],
            issuer=ISSUER,
            leeway=LEEWAY,
            options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": False},
        )
    except jwt.PyJWTError:
        return None
    use = claims.get("token_use")
    client = {"access": claims.get("client_id"), "id": claims.get("aud")}.get(str(use))
    username = {"access": claims.get("username"), "id": claims.get("cognito:username")}.get(str(use))
    if not isinstance(client, str) or client not in CLIENTS or not isinstance(username, str):
        return None
    for name in ("exp", "iat", "nbf", "auth_time"):
        value = claims.get(name)
        if value is not None and type(value) not in (int, float):
            return None
        if (type(value) is float and value != value) or value in (float("inf"), float("-inf")):
            return None
    groups = claims.get("cognito:groups")
    if groups is not None and (type(groups) is not list or any(type(g) is not str for g in groups)):
        return None
    scope = claims.get("scope")
    if scope is not None and type(scope) is not str:
        return None
    return claims


async def ours(v: TokenVerifier, token: Any) -> dict[str, Any] | None:
    try:
        claims = await v.verify(token)
    except InvalidTokenError as error:
        _check_refusal(error, token)
        return None
    return dict(claims.raw)


def _check_refusal(error: InvalidTokenError, token: Any) -> None:
    """A refusal is an aiocognito.InvalidTokenError, a 401, and never repeats the token."""
    assert isinstance(error, aiocognito.InvalidTokenError)
    assert error.status == 401
    if isinstance(token, str):
        assert all(part not in str(error) for part in token.split(".") if len(part) > 8)


# --- the corpus ---------------------------------------------------------------------------------------


def valid_tokens() -> dict[str, str]:
    now = time.time()
    good = sign(access_claims())
    head, payload, signature = good.split(".")
    padded_head = head + "=" * (-len(head) % 4)
    return {
        "access": good,
        "id": sign(id_claims()),
        "id with client-a": sign(id_claims(aud="client-a")),
        "no groups": sign(access_claims(**{"cognito:groups": _DROP})),
        "no scope": sign(access_claims(scope=_DROP)),
        "float exp": sign(access_claims(exp=now + 3600.5)),
        "iat ahead within leeway": sign(access_claims(iat=int(now) + 2)),
        "nbf in the past": sign(access_claims(nbf=int(now) - 100)),
        "exp within leeway": sign(access_claims(exp=int(now) - 2)),
        "typ and extra header fields": sign(
            access_claims(), header={"kid": KID, "alg": "RS256", "typ": "JWT", "x": [1]}
        ),
        "crit b64 true": sign(
            access_claims(), header={"kid": KID, "alg": "RS256", "crit": ["b64"], "b64": True}
        ),
        "padded header": resign(f"{padded_head}.{payload}.{signature}"),
        "unicode claims": sign(access_claims(username="ålice", sub="ü")),
        "empty groups": sign(access_claims(**{"cognito:groups": []})),
        "no auth_time": sign(access_claims(auth_time=_DROP)),
        "no jti": sign(access_claims(jti=_DROP)),
        "access with aud": sign(access_claims(aud="somewhere")),
    }


def hostile_tokens() -> dict[str, Any]:
    now = time.time()
    good = sign(access_claims())
    head, payload, signature = good.split(".")
    raw_signature = base64.urlsafe_b64decode(signature + "==")
    hs_input = f"{b64json({'kid': KID, 'alg': 'HS256'})}.{payload}".encode()
    hs256_pem = hs_input.decode() + "." + b64(hmac.new(PUBLIC_PEM, hs_input, hashlib.sha256).digest())
    jwk_secret = json.dumps(JWK).encode()
    hs256_jwk = hs_input.decode() + "." + b64(hmac.new(jwk_secret, hs_input, hashlib.sha256).digest())
    last = signature[-1]
    non_canonical = signature[:-1] + ("B" if last == "A" else chr(ord(last) + 1) if last != "z" else "y")
    deep = "[" * 5000 + "]" * 5000
    rs512_signature = sign(access_claims(), alg="RS512").split(".")[2]
    bad_utf8 = b64(b'{"alg": "\xff"}')
    zero_padded = b64(b"\x00" + raw_signature)
    plain = json.dumps(access_claims())
    exp_huge = b64(plain.replace('"exp": ', '"exp": 1e999, "x": ').encode())
    exp_nan = b64(plain.replace('"exp": ', '"exp": NaN, "x": ').encode())
    tokens: dict[str, Any] = {
        "not a string": None,
        "bytes": good.encode(),
        "empty": "",
        "one segment": "abc",
        "two segments": f"{head}.{payload}",
        "four segments": f"{good}.{signature}",
        "empty segments": "..",
        "spaces": f"{head} .{payload}.{signature}",
        "non-ASCII": f"{head}.{payload}é.{signature}",
        "bad base64 header": f"!!!!.{payload}.{signature}",
        "base64 length 4n+1": f"{head}A.{payload}.{signature}",
        "standard alphabet in signature": f"{head}.{payload}.{signature.replace('-', '+').replace('_', '/')}",
        "too much padding": f"{head}.{payload}.{signature}===",
        "padding on a short segment": f"{head}.{payload}.{signature}=",
        "non-canonical signature": f"{head}.{payload}.{non_canonical}",
        "header not JSON": f"{b64(b'nope')}.{payload}.{signature}",
        "header a list": f"{b64json([1])}.{payload}.{signature}",
        "header deep nesting": f"{b64(deep.encode())}.{payload}.{signature}",
        "header invalid UTF-8": f"{bad_utf8}.{payload}.{signature}",
        "alg none": f"{b64json({'kid': KID, 'alg': 'none'})}.{payload}.",
        "alg None unsigned": f"{b64json({'kid': KID, 'alg': 'None'})}.{payload}.",
        "no alg": resign(f"{b64json({'kid': KID})}.{payload}.x"),
        "HS256 with the PEM public key": hs256_pem,
        "HS256 with the JWK": hs256_jwk,
        "RS512 signature": sign(access_claims(), alg="RS512"),
        "PS256 signature": sign(access_claims(), alg="PS256"),
        "RS256 header, RS512 signature": f"{head}.{payload}.{rs512_signature}",
        "no kid": sign(access_claims(), header={"alg": "RS256"}),
        "unknown kid": sign(access_claims(), header={"kid": "key-2", "alg": "RS256"}),
        "kid a number": sign(access_claims(), header={"kid": 1, "alg": "RS256"}),
        "kid a list": sign(access_claims(), header={"kid": [KID], "alg": "RS256"}),
        "crit unknown": sign(access_claims(), header={"kid": KID, "alg": "RS256", "crit": ["exp"]}),
        "crit not a list": sign(access_claims(), header={"kid": KID, "alg": "RS256", "crit": "b64"}),
        "crit b64 absent": sign(access_claims(), header={"kid": KID, "alg": "RS256", "crit": ["b64"]}),
        "b64 false": sign(
            access_claims(), header={"kid": KID, "alg": "RS256", "crit": ["b64"], "b64": False}
        ),
        "another key": sign(access_claims(), key=OTHER),
        "signature truncated": f"{head}.{payload}.{b64(raw_signature[:-1])}",
        "signature with a byte more": f"{head}.{payload}.{b64(raw_signature + b'x')}",
        "signature zero-padded": f"{head}.{payload}.{zero_padded}",
        "signature empty": f"{head}.{payload}.",
        "payload swapped": f"{head}.{b64json(access_claims(username='mallory'))}.{signature}",
        "payload not JSON": resign(f"{head}.{b64(b'nope')}.x"),
        "payload a list": resign(f"{head}.{b64json([1])}.x"),
        "payload a string": resign(f"{head}.{b64json('x')}.x"),
        "payload deep nesting": resign(f"{head}.{b64(deep.encode())}.x"),
        "oversize": f"{head}.{'A' * DEFAULT_MAX_TOKEN_BYTES}.{signature}",
        "expired": sign(access_claims(exp=int(now) - 100)),
        "iat ahead": sign(access_claims(iat=int(now) + 100)),
        "nbf ahead": sign(access_claims(nbf=int(now) + 100)),
        "exp missing": sign(access_claims(exp=_DROP)),
        "exp null": sign(access_claims(exp=None)),
        "iat missing": sign(access_claims(iat=_DROP)),
        "exp a numeric string": sign(access_claims(exp=str(int(now) + 3600))),
        "exp true": sign(access_claims(exp=True)),
        "exp huge": resign(f"{head}.{exp_huge}.x"),
        "exp NaN": resign(f"{head}.{exp_nan}.x"),
        "iat a string": sign(access_claims(iat="0")),
        "nbf a list": sign(access_claims(nbf=[0])),
        "auth_time a string": sign(access_claims(auth_time="yesterday")),
        "wrong issuer": sign(
            access_claims(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other")
        ),
        "issuer with a slash": sign(access_claims(iss=ISSUER + "/")),
        "issuer missing": sign(access_claims(iss=_DROP)),
        "issuer a list": sign(access_claims(iss=[ISSUER])),
        "another client": sign(access_claims(client_id="client-z")),
        "client_id missing": sign(access_claims(client_id=_DROP)),
        "client_id a list": sign(access_claims(client_id=["client-a"])),
        "id token for another client": sign(id_claims(aud="client-z")),
        "id token aud a list": sign(id_claims(aud=["client-a"])),
        "id token with client_id only": sign(id_claims(aud=_DROP, client_id="client-a")),
        "access token with aud only": sign(access_claims(client_id=_DROP, aud="client-a")),
        "token_use refresh": sign(access_claims(token_use="refresh")),
        "token_use missing": sign(access_claims(token_use=_DROP)),
        "token_use Access": sign(access_claims(token_use="Access")),
        "sub missing": sign(access_claims(sub=_DROP)),
        "sub a number": sign(access_claims(sub=1)),
        "username missing": sign(access_claims(username=_DROP)),
        "id token without cognito:username": sign(id_claims(**{"cognito:username": _DROP})),
        "jti a number": sign(access_claims(jti=5)),
        "groups a string": sign(access_claims(**{"cognito:groups": "admin"})),
        "groups with a number": sign(access_claims(**{"cognito:groups": ["admin", 1]})),
        "scope a list": sign(access_claims(scope=["openid"])),
    }
    return tokens


# --- the tests ----------------------------------------------------------------------------------------


async def test_valid_tokens_agree_with_pyjwt() -> None:
    async with verifier() as v:
        for name, token in valid_tokens().items():
            expected = oracle(token)
            assert expected is not None, f"{name}: the oracle refuses it"
            assert await ours(v, token) == expected, name


async def test_hostile_tokens_are_refused_by_both() -> None:
    async with verifier() as v:
        for name, token in hostile_tokens().items():
            assert oracle(token) is None, f"{name}: PyJWT accepts it"
            assert await ours(v, token) is None, f"{name}: aiocognito accepts it"


@pytest.mark.parametrize("name", ["alg none", "HS256 with the PEM public key", "RS512 signature"])
async def test_wrong_algorithms_are_refused_before_any_key_lookup(name: str) -> None:
    async with verifier() as v:
        with pytest.raises(InvalidTokenError) as caught:
            await v.verify(hostile_tokens()[name])
    assert caught.value.reason == "algorithm"


def _mutations(token: str) -> st.SearchStrategy[str]:
    alphabet = st.sampled_from('ABCabc019-_=.+/ é\x00{}"')
    position = st.integers(0, len(token))
    return st.one_of(
        st.builds(lambda i, c: token[:i] + c + token[i + 1 :], position, alphabet),
        st.builds(lambda i, c: token[:i] + c + token[i:], position, alphabet),
        st.builds(lambda i, n: token[:i] + token[i + n :], position, st.integers(1, 8)),
        st.builds(lambda i: token[:i], position),
        st.text(max_size=64),
        st.builds(".".join, st.lists(st.text(alphabet="AZaz09-_=", max_size=40), max_size=5)),
    )


_FUZZ_TOKEN = sign(access_claims(exp=int(time.time()) + 7200))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations(_FUZZ_TOKEN))
def test_fuzzed_tokens_agree_with_pyjwt_and_never_raise_anything_else(token: str) -> None:
    loop = asyncio.new_event_loop()
    try:
        v = verifier(cache_size=0)
        assert loop.run_until_complete(ours(v, token)) == oracle(token)
        loop.run_until_complete(v.aclose())
    finally:
        loop.close()


async def test_claims_are_typed() -> None:
    now = time.time()
    async with verifier() as v:
        access = await v.verify(sign(access_claims(now)), token_use="access")
        id_token = sign(id_claims(now))
        ident = await v.verify(id_token, token_use="id")
    assert isinstance(access, TokenClaims)
    assert (access.token_use, access.username, access.client_id) == ("access", "alice", "client-a")
    assert access.groups == ("admin", "staff")
    assert access.scopes == ("aws.cognito.signin.user.admin", "openid")
    assert access.expires_at == int(now) + 3600 and access.issued_at == int(now) - 10
    assert (access.jti, access.origin_jti, access.event_id) == ("j1", "0f2c", "e1")
    assert (ident.token_use, ident.client_id, ident.raw["email"], ident.scopes) == (
        "id",
        "client-b",
        "a@x.org",
        (),
    )
    assert ident.token == id_token and id_token not in repr(ident)
    with pytest.raises(TypeError):
        ident.raw["email"] = "b@x.org"  # type: ignore[index]
    with pytest.raises(AttributeError):
        ident.username = "mallory"  # type: ignore[misc]


async def test_per_call_requirements_on_first_sight_and_from_the_cache() -> None:
    token = sign(access_claims())
    async with verifier() as v:
        for _ in range(2):  # first sight, then the cache
            await v.verify(token, token_use="access", groups=["admin"], scopes=["openid"])
            with pytest.raises(InvalidTokenError) as caught:
                await v.verify(token, token_use="id")
            assert caught.value.reason == "token_use" and caught.value.status == 401
            with pytest.raises(InsufficientScopeError) as denied:
                await v.verify(token, groups=["admin", "root", "ops"])
            assert denied.value.missing == ("root", "ops") and denied.value.status == 403
            assert denied.value.error == "insufficient_scope" and denied.value.reason == "missing_group"
            with pytest.raises(InsufficientScopeError) as denied:
                await v.verify(token, scopes=["email"])
            assert denied.value.reason == "missing_scope"
        with pytest.raises(TypeError):
            await v.verify(token, groups="admin")
        with pytest.raises(ValueError, match="token_use"):
            await v.verify(token, token_use="ID")


async def test_the_cache_never_serves_a_token_past_exp() -> None:
    now = [time.time()]
    token = sign(access_claims(now[0], exp=int(now[0]) + 60))
    async with verifier(clock=lambda: now[0], leeway=0) as v:
        first = await v.verify(token)
        assert await v.verify(token) is first  # from the cache
        now[0] = first.expires_at + 0.001
        with pytest.raises(InvalidTokenError) as caught:
            await v.verify(token)
    assert caught.value.reason == "expired"


async def test_within_the_leeway_a_token_is_accepted_but_not_cached() -> None:
    now = [time.time()]
    token = sign(access_claims(now[0], exp=int(now[0]) + 60))
    async with verifier(clock=lambda: now[0], leeway=30) as v:
        now[0] += 70
        await v.verify(token)
        assert token not in v._cache


async def test_the_cache_is_bounded_and_least_recently_used_goes_first() -> None:
    tokens = [sign(access_claims(jti=f"j{i}")) for i in range(5)]
    async with verifier(cache_size=3) as v:
        for token in tokens[:3]:
            await v.verify(token)
        await v.verify(tokens[0])  # now the most recent
        for token in tokens[3:]:
            await v.verify(token)
        assert list(v._cache) == [tokens[0], tokens[3], tokens[4]]
    async with verifier(cache_size=0) as v:
        await v.verify(tokens[0])
        assert not v._cache


async def test_expired_entries_are_swept() -> None:
    now = [time.time()]
    short = sign(access_claims(now[0], exp=int(now[0]) + 30))
    async with verifier(clock=lambda: now[0], leeway=0) as v:
        await v.verify(short)
        now[0] += 120
        await v.verify(sign(access_claims(now[0], jti="later")))
        assert short not in v._cache and len(v._cache) == 1


def test_errors_pickle_and_say_why() -> None:
    error = InsufficientScopeError("not in admin", reason="missing_group", missing=("admin",))
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.reason, copy.missing, copy.status) == (
        InsufficientScopeError,
        "missing_group",
        ("admin",),
        403,
    )
    plain = pickle.loads(pickle.dumps(InvalidTokenError("the token has expired", reason="expired")))
    assert plain.reason == "expired" and str(plain) == "invalid_token: the token has expired"
    assert isinstance(plain, aiocognito.CognitoError)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"client_ids": []}, "client_ids"),
        ({"client_ids": [""]}, "client_ids"),
        ({"pool_id": "nope"}, "pool id"),
        ({"leeway": -1}, "negative"),
        ({"jwks_url": "http://example.com/jwks.json"}, "http"),
        ({"jwks_url": "ftp://example.com/jwks.json"}, "http"),
    ],
)
def test_bad_settings_are_refused(options: dict[str, Any], match: str) -> None:
    arguments: dict[str, Any] = {"pool_id": POOL_ID, "client_ids": CLIENTS, **options}
    with pytest.raises(ValueError, match=match):
        TokenVerifier(arguments.pop("pool_id"), arguments.pop("client_ids"), **arguments)


def test_issuer_and_jwks_url_follow_the_pool_and_partition() -> None:
    v = TokenVerifier("cn-north-1_AbC", "c")
    assert v.issuer == "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbC"
    assert v.jwks_url == v.issuer + "/.well-known/jwks.json"
    assert TokenVerifier(POOL_ID, "c").issuer == ISSUER


Clock = Callable[[], float]
