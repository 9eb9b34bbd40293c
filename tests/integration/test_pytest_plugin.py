"""The ``aiocognito`` pytest plugin, as a user's own test suite meets it (pytester runs a small one)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

pytestmark = pytest.mark.integration

USER_TESTS = """
import boto3
import pytest

import aiocognito


async def test_sign_in_in_a_few_lines(cognito_pool, cognito_user_factory):
    alice = cognito_user_factory(email="alice@example.com")
    async with cognito_pool.client() as pool:
        step = await pool.sign_in(alice.username, alice.password)
    assert step.name == "DONE"
    assert step.user.current_tokens.id_claims["email"] == "alice@example.com"


async def test_app_code_without_endpoint_reaches_the_local_pool(cognito_pool, cognito_user_factory):
    bob = cognito_user_factory("bob")
    # What the app under test does: no endpoint_url, $AIOCOGNITO_ENDPOINT_URL is set by the fixture.
    async with aiocognito.UserPool(cognito_pool.pool_id, cognito_pool.client_id) as pool:
        step = await pool.sign_in("bob", bob.password)
    assert step.name == "DONE"
    with pytest.raises(aiocognito.NotAuthorizedError):
        async with cognito_pool.client() as pool:
            await pool.sign_in("bob", "Wr0ng-password!")


@pytest.mark.cognito_pool(mfa="ON", email_mfa=True)
async def test_mfa_code_from_the_outbox(cognito_pool, cognito_user_factory, cognito_outbox):
    carol = cognito_user_factory(email="carol@example.com")
    async with cognito_pool.client() as pool:
        step = await pool.sign_in(carol.username, carol.password)
        assert step.name == "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"
        step = await step.respond(cognito_outbox.last_code(carol.username, "MFA"))
    assert step.name == "DONE"


def test_outbox_is_empty_for_each_test_and_pools_are_fresh(cognito_pool, cognito_outbox):
    assert list(cognito_outbox) == []
    server = cognito_pool.server.server
    assert server.store.pool(cognito_pool.pool_id).users == {}


@pytest.mark.cognito_pool(client={"generate_secret": True})
def test_boto3_sign_up_with_a_client_secret(cognito_pool, cognito_outbox):
    import base64, hashlib, hmac

    assert cognito_pool.client_secret
    digest = hmac.new(
        cognito_pool.client_secret.encode(), b"dave" + cognito_pool.client_id.encode(), hashlib.sha256
    ).digest()
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=cognito_pool.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    try:
        idp.sign_up(
            ClientId=cognito_pool.client_id,
            SecretHash=base64.b64encode(digest).decode(),
            Username="dave",
            Password="Passw0rd!",
            UserAttributes=[{"Name": "email", "Value": "dave@example.com"}],
        )
    finally:
        idp.close()
    assert cognito_outbox.last("dave", "SIGN_UP").destination == "dave@example.com"
"""


INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
addopts = --strict-markers
filterwarnings = error
"""


def test_fixtures_in_a_users_test_suite(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_app=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=5)


def test_a_session_that_uses_no_fixture_starts_no_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plain="""
        import threading

        def test_nothing_running():
            names = [thread.name for thread in threading.enumerate()]
            assert "aiocognito-local-user-pool" not in names, names
        """
    )
    pytester.makeini(INI)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=1)


def test_fixtures_are_listed(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_empty="")
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider", timeout=120)
    assert result.ret == 0
    listed = result.stdout.str()
    for name in ("cognito_server [session scope]", "cognito_pool", "cognito_user_factory", "cognito_outbox"):
        assert name in listed
