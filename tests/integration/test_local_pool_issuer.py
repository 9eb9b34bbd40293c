"""The issuer option of the local user pool (issue 16, point 5): tokens name Cognito's issuer by
default, ``<endpoint_url>/<pool id>`` with ``issuer="endpoint"`` (what pycognito with ``endpoint_url``
expects), and TokenVerifier finds the keys under that issuer as it does under Cognito's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jwt
import pytest

import aiocognito
from aiocognito.core.tokens import TokenSet
from aiocognito.testing import LocalUserPool
from aiocognito.verify import InvalidTokenError, TokenVerifier


async def _sign_in(server: LocalUserPool, pool_id: str, client_id: str) -> TokenSet:
    async with aiocognito.UserPool(pool_id, client_id, endpoint_url=server.endpoint_url) as pool:
        step = await pool.sign_in("alice", "Passw0rd!")
        assert step.user is not None
        return step.user.current_tokens


async def _setup(server: LocalUserPool) -> tuple[str, str]:
    pool_id = await server.create_pool()
    client = await server.create_client(pool_id)
    await server.create_user(pool_id, "alice", "Passw0rd!", attributes={"email": "alice@example.com"})
    return pool_id, client.client_id


async def test_by_default_tokens_name_cognitos_issuer() -> None:
    async with LocalUserPool(shared_signing_key=True) as server:
        pool_id, client_id = await _setup(server)
        tokens = await _sign_in(server, pool_id, client_id)
    for token in (tokens.id_token, tokens.access_token):
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"


async def test_endpoint_issuer_is_in_the_tokens_and_verifies_with_the_servers_keys() -> None:
    async with LocalUserPool(shared_signing_key=True, issuer="endpoint") as server:
        pool_id, client_id = await _setup(server)
        tokens = await _sign_in(server, pool_id, client_id)
        issuer = f"{server.endpoint_url}/{pool_id}"
        for token in (tokens.id_token, tokens.access_token):
            assert jwt.decode(token, options={"verify_signature": False})["iss"] == issuer
        # The keys are found from the issuer alone, as pycognito finds them: <iss>/.well-known/jwks.json.
        async with TokenVerifier(pool_id, [client_id], issuer=issuer) as verifier:
            access = await verifier.verify(tokens.access_token, token_use="access")
            ident = await verifier.verify(tokens.id_token, token_use="id")
        assert access.username == "alice" and ident.raw["email"] == "alice@example.com"
        assert access.issuer == ident.issuer == issuer
        # A verifier expecting Cognito's issuer refuses them.
        jwks_url = f"{issuer}/.well-known/jwks.json"
        async with TokenVerifier(pool_id, [client_id], jwks_url=jwks_url) as verifier:
            with pytest.raises(InvalidTokenError) as caught:
                await verifier.verify(tokens.id_token)
        assert caught.value.reason == "issuer"
        # The server takes its own tokens back (GetUser checks iss against the pool's issuer).
        reply = await server.call("GetUser", {"AccessToken": tokens.access_token})
        assert reply["Username"] == "alice"
        # Refreshed tokens too.
        async with aiocognito.UserPool(pool_id, client_id, endpoint_url=server.endpoint_url) as pool:
            refreshed = await pool.user_from_tokens("alice", tokens).refresh()
        assert jwt.decode(refreshed.id_token, options={"verify_signature": False})["iss"] == issuer


async def test_a_base_url_of_ones_own_and_a_state_file_restarted_on_another_port(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    async with LocalUserPool(state_file=state, shared_signing_key=True, issuer="endpoint") as server:
        pool_id, client_id = await _setup(server)
    async with LocalUserPool(state_file=state, shared_signing_key=True, issuer="endpoint") as server:
        tokens = await _sign_in(server, pool_id, client_id)
        claims = jwt.decode(tokens.id_token, options={"verify_signature": False})
        assert claims["iss"] == f"{server.endpoint_url}/{pool_id}"
    async with LocalUserPool(state_file=state, shared_signing_key=True, issuer="https://idp.test/") as server:
        tokens = await _sign_in(server, pool_id, client_id)
        claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
        assert claims["iss"] == f"https://idp.test/{pool_id}"
    async with LocalUserPool(state_file=state, shared_signing_key=True) as server:
        tokens = await _sign_in(server, pool_id, client_id)
        claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
        assert claims["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"


def test_an_issuer_that_is_none_of_the_forms_is_refused() -> None:
    with pytest.raises(ValueError, match="issuer"):
        LocalUserPool(issuer="cognito")


def test_serve_local_takes_the_issuer_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aiocognito", "serve-local", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "--issuer {aws,endpoint}" in result.stdout
