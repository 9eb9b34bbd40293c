"""Smoke tests for the emulator infrastructure (boto3 only; no aiocognito code).

They prove that each server starts, that a pool/app client/user can be set up, that
USER_PASSWORD_AUTH signs in, and that ministack really checks SRP password proofs.
"""

from __future__ import annotations

from typing import Any

import moto.settings
import pytest
import servers
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP  # only this test file uses pycognito

pytestmark = pytest.mark.integration


def _error_code(exc: ClientError) -> str:
    return str(exc.response["Error"]["Code"])


@pytest.fixture(params=["moto", "ministack"])
def endpoint(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_endpoint"))


def _password_sign_in(pc: servers.PoolClient, user: servers.TestUser) -> dict[str, Any]:
    response: dict[str, Any] = servers.idp_client(pc.endpoint_url).initiate_auth(
        ClientId=pc.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters=servers.password_auth_parameters(pc, user),
    )
    return response


def test_pool_client_user_and_password_sign_in(endpoint: str) -> None:
    pc = servers.create_pool_and_client(endpoint)
    assert pc.pool_id.startswith("us-east-1_")
    assert pc.client_secret is None
    user = servers.create_confirmed_user(pc, email="smoke@example.com")

    result = _password_sign_in(pc, user)["AuthenticationResult"]

    assert {"AccessToken", "IdToken", "RefreshToken"} <= result.keys()
    assert result["TokenType"] == "Bearer"
    described = servers.idp_client(endpoint).admin_get_user(UserPoolId=pc.pool_id, Username=user.username)
    assert described["UserStatus"] == "CONFIRMED"


def test_password_sign_in_with_client_secret(endpoint: str) -> None:
    pc = servers.create_pool_and_client(endpoint, generate_secret=True)
    assert pc.client_secret
    user = servers.create_confirmed_user(pc)

    assert "AccessToken" in _password_sign_in(pc, user)["AuthenticationResult"]


def test_wrong_password_is_refused(endpoint: str) -> None:
    pc = servers.create_pool_and_client(endpoint)
    user = servers.create_confirmed_user(pc)
    wrong = servers.TestUser(user.username, user.password + "x", user.sub)

    with pytest.raises(ClientError) as info:
        _password_sign_in(pc, wrong)

    assert _error_code(info.value) == "NotAuthorizedException"


def test_force_change_password_user_gets_new_password_required(endpoint: str) -> None:
    pc = servers.create_pool_and_client(endpoint)
    user = servers.create_force_change_password_user(pc)

    response = _password_sign_in(pc, user)

    assert response["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert response["Session"]


def test_ministack_checks_client_secret_hash(ministack_endpoint: str) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint, generate_secret=True)
    user = servers.create_confirmed_user(pc)

    with pytest.raises(ClientError) as info:
        servers.idp_client(ministack_endpoint).initiate_auth(
            ClientId=pc.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user.username, "PASSWORD": user.password, "SECRET_HASH": "AAAA"},
        )

    assert _error_code(info.value) == "NotAuthorizedException"


@pytest.mark.parametrize("generate_secret", [False, True], ids=["public-client", "secret-client"])
def test_ministack_checks_srp_password_proof(ministack_endpoint: str, generate_secret: bool) -> None:
    pc = servers.create_pool_and_client(ministack_endpoint, generate_secret=generate_secret)
    user = servers.create_confirmed_user(pc)
    idp = servers.idp_client(ministack_endpoint)

    def srp(password: str) -> dict[str, Any]:
        aws_srp = AWSSRP(
            user.username, password, pc.pool_id, pc.client_id, client=idp, client_secret=pc.client_secret
        )
        tokens: dict[str, Any] = aws_srp.authenticate_user()
        return tokens

    assert "AccessToken" in srp(user.password)["AuthenticationResult"]
    with pytest.raises(ClientError) as info:
        srp(user.password + "x")
    assert _error_code(info.value) == "NotAuthorizedException"


def test_moto_iam_auth_verifies_sigv4() -> None:
    """A private moto server with IAM auth: 3 free actions create IAM credentials, then signatures count."""
    with servers.moto_server(initial_no_auth_action_count=3) as server:
        key, secret = servers.create_moto_iam_credentials(server.endpoint_url)  # the 3 free actions
        good = servers.idp_client(server.endpoint_url, access_key=key, secret_key=secret)
        bad = servers.idp_client(server.endpoint_url, access_key=key, secret_key=secret + "x")
        unknown = servers.idp_client(server.endpoint_url)  # "testing"/"testing" is no IAM key

        assert "UserPools" in good.list_user_pools(MaxResults=5)
        for client, code in ((bad, "SignatureDoesNotMatch"), (unknown, "InvalidClientTokenId")):
            with pytest.raises(ClientError) as info:
                client.list_user_pools(MaxResults=5)
            # moto answers these with a 403 *XML* body, which botocore's JSON parser cannot read.
            assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
            assert code in str(info.value)
    assert float("inf") == moto.settings.INITIAL_NO_AUTH_ACTION_COUNT  # restored


def test_ministack_verifies_sigv4_of_iam_users(ministack_endpoint: str) -> None:
    iam = servers.boto_client("iam", ministack_endpoint)
    name = servers.random_name("iam")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    bad = servers.idp_client(ministack_endpoint, access_key=key["AccessKeyId"], secret_key="wrong")

    with pytest.raises(ClientError) as info:
        bad.list_user_pools(MaxResults=5)

    assert _error_code(info.value) == "InvalidSignatureException"
