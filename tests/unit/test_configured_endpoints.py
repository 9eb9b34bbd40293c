"""Endpoints the AWS way: an argument, then $AIOCOGNITO_ENDPOINT_URL, then boto3's variables, then AWS."""

from __future__ import annotations

import pytest

import aiocognito
from aiocognito.wire.configured import configured_endpoint, jwks_endpoint

OURS = "http://127.0.0.1:1001/"
IDP = "http://127.0.0.1:1002/"
IDENTITY = "http://127.0.0.1:1003/"
GENERIC = "http://127.0.0.1:1004/"
EXPLICIT = "http://127.0.0.1:1005/"
VARIABLES = {
    "AIOCOGNITO_ENDPOINT_URL": OURS,
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": IDP,
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY": IDENTITY,
    "AWS_ENDPOINT_URL": GENERIC,
}
POOL_ID = "us-east-1_AbC123"
AWS_JWKS = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}/.well-known/jwks.json"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in [*VARIABLES, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("present", "idp", "identity"),
    [
        (list(VARIABLES), OURS, OURS),
        (["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_ENDPOINT_URL"], IDP, GENERIC),
        (["AWS_ENDPOINT_URL_COGNITO_IDENTITY", "AWS_ENDPOINT_URL"], GENERIC, IDENTITY),
        (["AWS_ENDPOINT_URL"], GENERIC, GENERIC),
        (
            [],
            "https://cognito-idp.us-east-1.amazonaws.com/",
            "https://cognito-identity.us-east-1.amazonaws.com/",
        ),
    ],
    ids=["aiocognito-first", "idp-variable", "identity-variable", "generic", "regional"],
)
def test_user_pool_takes_the_first_configured_endpoint(
    env: pytest.MonkeyPatch, present: list[str], idp: str, identity: str
) -> None:
    for name in present:
        env.setenv(name, VARIABLES[name])
    pool = aiocognito.UserPool(POOL_ID, "client", allow_http=True)
    assert (pool.endpoint_url, pool.identity_endpoint_url) == (idp, identity)


def test_an_argument_beats_every_variable(env: pytest.MonkeyPatch) -> None:
    for name, value in VARIABLES.items():
        env.setenv(name, value)
    pool = aiocognito.UserPool(POOL_ID, "client", endpoint_url=EXPLICIT)
    assert (pool.endpoint_url, pool.identity_endpoint_url) == (EXPLICIT, EXPLICIT)
    both = aiocognito.UserPool(POOL_ID, "client", endpoint_url=EXPLICIT, identity_endpoint_url=IDENTITY)
    assert both.identity_endpoint_url == IDENTITY


def test_botocore_switch_ignores_the_aws_variables(env: pytest.MonkeyPatch) -> None:
    env.setenv("AWS_ENDPOINT_URL", GENERIC)
    env.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", IDP)
    env.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert configured_endpoint("cognito-idp") is None
    assert jwks_endpoint() is None
    env.setenv("AIOCOGNITO_ENDPOINT_URL", OURS)  # ours is not an AWS variable
    assert configured_endpoint("cognito-idp") == OURS


def test_an_unknown_service_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown service"):
        configured_endpoint("s3", environ={})


@pytest.mark.parametrize(
    ("present", "jwks"),
    [
        (list(VARIABLES), f"http://127.0.0.1:1001/{POOL_ID}/.well-known/jwks.json"),
        (
            ["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_ENDPOINT_URL"],
            f"{IDP}{POOL_ID}/.well-known/jwks.json",
        ),
        # A variable set for every service never chooses the keys a server trusts.
        (["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDENTITY"], AWS_JWKS),
        ([], AWS_JWKS),
    ],
    ids=["aiocognito-first", "idp-variable", "generic-ignored", "aws"],
)
def test_verifier_keys_come_from_a_cognito_endpoint_only(
    env: pytest.MonkeyPatch, present: list[str], jwks: str
) -> None:
    for name in present:
        env.setenv(name, VARIABLES[name])
    verifier = aiocognito.TokenVerifier(POOL_ID, "client")
    assert verifier.jwks_url == jwks
    # The issuer stays Cognito's: the local pool signs tokens with it.
    assert verifier.issuer == f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"


def test_verifier_argument_and_jwks_url_win(env: pytest.MonkeyPatch) -> None:
    env.setenv("AIOCOGNITO_ENDPOINT_URL", OURS)
    explicit = aiocognito.TokenVerifier(POOL_ID, "client", endpoint_url=EXPLICIT)
    assert explicit.jwks_url == f"{EXPLICIT}{POOL_ID}/.well-known/jwks.json"
    keys = "http://127.0.0.1:9/keys.json"
    assert aiocognito.TokenVerifier(POOL_ID, "client", endpoint_url=EXPLICIT, jwks_url=keys).jwks_url == keys


async def test_fastapi_lifespan_trusts_the_configured_emulator_keys(env: pytest.MonkeyPatch) -> None:
    from aiocognito.fastapi import POOL_STATE, VERIFIER_STATE, cognito_state

    env.setenv("AWS_ENDPOINT_URL", GENERIC)
    async with cognito_state(POOL_ID, "client", prefetch_keys=False) as state:
        assert state[VERIFIER_STATE].jwks_url == AWS_JWKS  # the generic variable: calls only
        assert state[POOL_STATE].endpoint_url == GENERIC
    env.setenv("AIOCOGNITO_ENDPOINT_URL", OURS)
    async with cognito_state(POOL_ID, "client", prefetch_keys=False) as state:
        assert state[VERIFIER_STATE].jwks_url == f"{OURS}{POOL_ID}/.well-known/jwks.json"
    async with cognito_state(POOL_ID, "client", endpoint_url=EXPLICIT, prefetch_keys=False) as state:
        assert state[VERIFIER_STATE].jwks_url == f"{EXPLICIT}{POOL_ID}/.well-known/jwks.json"
        assert state[POOL_STATE].endpoint_url == EXPLICIT
