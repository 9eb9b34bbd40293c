"""The pure parts of aiocognito.oauth: PKCE, URLs, the authorization request, state, error mapping."""

from __future__ import annotations

import base64
import dataclasses
import json
import pickle
import urllib.parse
from typing import Any

import pytest

import aiocognito
from aiocognito import oauth
from aiocognito.core.tokens import TokenSet
from aiocognito.oauth import (
    AuthorizationRequest,
    InvalidGrantError,
    OAuthClient,
    OAuthError,
    StateMismatchError,
    authorize_url,
    code_challenge,
    new_code_verifier,
    oauth_error,
)
from aiocognito.oauth.replies import parse_reply
from aiocognito.token_store import SessionRecord
from aiocognito.wire.transport import AttemptFailed, Reply

SECRET = "s3cr3t-client-secret-value-0123456789abcdefghijklmn"


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


def test_pkce_s256_vector_of_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    # The verifier of the appendix comes from these 32 octets.
    octets = bytes(
        [116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186,
         22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121]
    )  # fmt: skip
    assert new_code_verifier(token_bytes=lambda n: octets[:n]) == verifier


@pytest.mark.parametrize("verifier", ["short", "x" * 129, "a" * 42 + "!", ""])
def test_code_challenge_refuses_bad_verifiers(verifier: str) -> None:
    with pytest.raises(ValueError, match="43 to 128"):
        code_challenge(verifier)


def test_new_code_verifiers_are_random_and_well_formed() -> None:
    verifiers = {new_code_verifier() for _ in range(20)}
    assert len(verifiers) == 20
    assert all(len(v) == 43 and code_challenge(v) for v in verifiers)


def test_authorize_url_holds_every_parameter() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    request = authorize_url(
        "https://app.auth.eu-west-1.amazoncognito.com",
        "client1",
        "https://app.example/callback?x=1",
        state="st/ate",
        now=1000.0,
        scopes=["openid", "email", "openid"],
        nonce="n0nce",
        code_verifier=verifier,
        identity_provider="Google",
    )
    parts = urllib.parse.urlsplit(request.url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "app.auth.eu-west-1.amazoncognito.com",
        "/oauth2/authorize",
    )
    assert dict(urllib.parse.parse_qsl(parts.query)) == {
        "response_type": "code",
        "client_id": "client1",
        "redirect_uri": "https://app.example/callback?x=1",
        "state": "st/ate",
        "scope": "openid email",
        "nonce": "n0nce",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "identity_provider": "Google",
    }
    assert "%20" in parts.query  # spaces as %20, not '+'
    assert request.scopes == ("openid", "email")
    assert request.issued_at == 1000.0


def test_authorize_url_without_scope_or_pkce() -> None:
    request = authorize_url("https://d", "c", "https://r", state="s", now=0.0)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.url).query))
    assert "scope" not in query and "code_challenge" not in query and "nonce" not in query
    with pytest.raises(ValueError, match="scope"):
        authorize_url("https://d", "c", "https://r", state="s", now=0.0, scopes=["a b"])


def test_authorization_request_round_trips_and_hides_the_verifier() -> None:
    client = OAuthClient("https://app.auth.us-east-1.amazoncognito.com", "cid", redirect_uri="https://r/cb")
    request = client.authorize_url(scopes=["openid", "profile"])
    assert request.code_verifier is not None and request.nonce is not None
    assert request.code_verifier not in repr(request)
    assert AuthorizationRequest.from_json(request.to_json()) == request
    other = client.authorize_url()
    assert other.state != request.state and other.code_verifier != request.code_verifier
    for bad in ("{", "[]", '{"url": "u"}', json.dumps({**request.to_dict(), "scopes": "openid"})):
        with pytest.raises(ValueError, match="authorization request"):
            AuthorizationRequest.from_json(bad)


def test_client_urls_and_checks() -> None:
    client = OAuthClient("https://d.example/", "cid", client_secret=SECRET)
    assert client.domain_url == "https://d.example"
    assert SECRET not in repr(client) and "***" in repr(client)
    with pytest.raises(ValueError, match="redirect_uri"):
        client.authorize_url()
    assert (
        client.logout_url("https://app/bye")
        == "https://d.example/logout?client_id=cid&logout_uri=https%3A%2F%2Fapp%2Fbye"
    )
    again = client.logout_url(redirect_uri="https://app/cb", state="s", scopes=["openid"])
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(again).query)) == {
        "client_id": "cid",
        "redirect_uri": "https://app/cb",
        "response_type": "code",
        "state": "s",
        "scope": "openid",
    }
    with pytest.raises(ValueError, match="exactly one"):
        client.logout_url()
    with pytest.raises(ValueError, match="loopback"):
        OAuthClient("http://auth.example.com", "cid")
    OAuthClient("http://auth.example.com", "cid", allow_http=True)
    OAuthClient("http://127.0.0.1:1/oauth/x", "cid")
    assert oauth.domain_url("app", "eu-west-1") == "https://app.auth.eu-west-1.amazoncognito.com"
    assert oauth.domain_url("auth.example.com") == "https://auth.example.com"
    with pytest.raises(ValueError, match="region"):
        oauth.domain_url("app")


async def test_wrong_state_is_refused_before_anything_is_sent() -> None:
    # Port 9 (discard) on loopback: any request would fail with a TransportError, not a state error.
    client = OAuthClient("http://127.0.0.1:9", "cid", redirect_uri="http://localhost/cb")
    request = client.authorize_url()
    try:
        for state in (None, "", request.state + "x", "forged"):
            with pytest.raises(StateMismatchError) as caught:
                await client.exchange_code("code", state=state, expected=request)
            assert caught.value.error == "state_mismatch" and isinstance(caught.value, OAuthError)
        with pytest.raises(StateMismatchError):
            await client.finish_authorization({"code": "c", "state": "forged"}, expected=request)
        with pytest.raises(OAuthError) as denied:
            await client.finish_authorization(
                {"error": "access_denied", "error_description": "no", "state": request.state},
                expected=request,
            )
        assert denied.value.error == "access_denied" and type(denied.value) is OAuthError
    finally:
        await client.aclose()


def test_error_mapping() -> None:
    expected = {
        "invalid_request": aiocognito.InvalidRequestError,
        "invalid_client": aiocognito.InvalidClientError,
        "invalid_grant": aiocognito.InvalidGrantError,
        "unauthorized_client": aiocognito.UnauthorizedClientError,
        "unsupported_grant_type": aiocognito.UnsupportedGrantTypeError,
        "invalid_scope": aiocognito.InvalidScopeError,
        "invalid_token": aiocognito.InvalidTokenError,
    }
    for code, cls in expected.items():
        error = oauth_error(code, "why", status=400)
        assert type(error) is cls and error.error == code and str(error) == f"{code}: why"
        assert isinstance(error, aiocognito.CognitoError)
    unknown = oauth_error("slow_down")
    assert type(unknown) is OAuthError and unknown.error == "slow_down"
    copy = pickle.loads(pickle.dumps(oauth_error("invalid_grant", "used", status=400)))
    assert type(copy) is InvalidGrantError and copy.description == "used" and copy.status == 400


def _reply(status: int, body: bytes, challenge: str = "") -> Reply:
    return Reply(status, {"WWW-Authenticate": challenge} if challenge else {}, body)


def test_reply_parsing() -> None:
    def parse(status: int, body: bytes, challenge: str = "") -> dict[str, Any]:
        return parse_reply("op", _reply(status, body, challenge))

    assert parse(200, b'{"a": 1}') == {"a": 1}
    with pytest.raises(InvalidGrantError, match="used"):
        parse(400, b'{"error": "invalid_grant", "error_description": "used"}')
    with pytest.raises(aiocognito.InvalidTokenError, match="expired"):
        parse(401, b"", 'Bearer error="invalid_token", error_description="expired"')
    with pytest.raises(AttemptFailed) as retry:
        parse(503, b"<html>busy</html>")
    assert isinstance(retry.value.error, aiocognito.TransportError)
    with pytest.raises(AttemptFailed) as throttled:
        parse(429, b"")
    assert throttled.value.throttled
    with pytest.raises(aiocognito.TransportError, match="proxy"):
        parse(403, b"<html>proxy says no</html>")
    with pytest.raises(aiocognito.TransportError):
        parse(200, b"[1]")


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"access_token": 1e400}', b'{"a": NaN}', b'{"a": "\\ud800"}'],
    ids=["deep", "infinite", "nan", "lone-surrogate"],
)
def test_refused_json_is_a_protocol_error_when_2xx_and_a_transport_error_else(body: bytes) -> None:
    with pytest.raises(aiocognito.ProtocolError, match="op: reply refused"):
        parse_reply("op", _reply(200, body))
    with pytest.raises(aiocognito.TransportError, match="without an OAuth error code"):
        parse_reply("op", _reply(400, body))


def test_hostile_error_fields_are_bounded() -> None:
    body = json.dumps({"error": "x" * 10_000, "error_description": "d" * 100_000}).encode()
    with pytest.raises(OAuthError) as caught:
        parse_reply("op", _reply(400, body))
    assert len(caught.value.error) <= 128 and len(caught.value.description) <= 2048
    with pytest.raises(aiocognito.TransportError):  # a challenge that is not valid text is ignored
        parse_reply("op", _reply(403, b"", 'Bearer error="\udcff"'))


def test_token_sets_from_oauth_replies() -> None:
    access = _jwt({"iat": 1000, "exp": 4600, "client_id": "cid", "scope": "api/read"})
    tokens = TokenSet.from_oauth(
        {"access_token": access, "expires_in": 3600, "token_type": "Bearer"}, now=1001
    )
    assert tokens.id_token == "" and tokens.refresh_token is None and tokens.id_claims == {}
    assert tokens.expires_at == 4600 and tokens.clock_drift == 1
    record = SessionRecord.from_dict(SessionRecord(tokens=tokens).to_dict())
    assert record.tokens == tokens
    id_token = _jwt({"iat": 1000, "exp": 4600, "sub": "u", "nonce": "n"})
    full = TokenSet.from_oauth({"access_token": access, "id_token": id_token}, now=1000, refresh_token="old")
    assert full.id_claims["nonce"] == "n" and full.refresh_token == "old"
    with pytest.raises(aiocognito.ProtocolError, match="AccessToken"):
        TokenSet.from_oauth({"id_token": id_token}, now=0)
    with pytest.raises(aiocognito.ProtocolError, match="IdToken"):
        TokenSet.from_result({"AccessToken": access}, now=0)  # Cognito's API replies still need one


def test_m2m_margins_are_checked() -> None:
    client = OAuthClient("https://d.example", "cid", client_secret=SECRET)
    with pytest.raises(ValueError, match="negative"):
        oauth.M2MTokens(client, margin=-1)
    assert SECRET not in repr(oauth.M2MTokens(client))
    assert dataclasses.is_dataclass(AuthorizationRequest)
