"""`ServiceError.response` has the shape of botocore's `ClientError.response`, for the same failing call."""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import pytest
import servers
from botocore.exceptions import ClientError

import aiocognito
from aiocognito.testing import LocalUserPool, ServerThread

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def handle() -> Iterator[ServerThread]:
    started = LocalUserPool.start_in_thread()
    try:
        yield started
    finally:
        servers.close_clients(started.endpoint_url)
        started.stop()


async def test_response_matches_botocore_for_the_same_call(handle: ServerThread) -> None:
    pool_id = handle.run(handle.server.create_pool())
    client = handle.run(handle.server.create_client(pool_id))
    handle.run(handle.server.create_user(pool_id, "alice", "Passw0rd!"))
    params = {"AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "alice", "PASSWORD": "wrong"}}

    with pytest.raises(ClientError) as boto:
        servers.idp_client(handle.endpoint_url).initiate_auth(ClientId=client.client_id, **params)
    async with aiocognito.UserPool(pool_id, client.client_id, endpoint_url=handle.endpoint_url) as pool:
        with pytest.raises(aiocognito.ServiceError) as ours:
            await pool.call("InitiateAuth", {"ClientId": client.client_id, **params})

    theirs, mine = boto.value.response, ours.value.response
    assert mine["Error"] == {"Code": theirs["Error"]["Code"], "Message": theirs["Error"]["Message"]}
    assert mine["Error"]["Code"] == "NotAuthorizedException"
    assert mine["ResponseMetadata"]["HTTPStatusCode"] == theirs["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert mine["ResponseMetadata"]["RequestId"] and theirs["ResponseMetadata"]["RequestId"]
    assert ours.value.operation_name == boto.value.operation_name == "InitiateAuth"
    # The same after a round trip through pickle (errors cross process pools).
    assert pickle.loads(pickle.dumps(ours.value)).response == mine


def test_response_without_a_request_id() -> None:
    error = aiocognito.ServiceError("slow down", code="TooManyRequestsException", status=429)
    assert error.response == {
        "Error": {"Code": "TooManyRequestsException", "Message": "slow down"},
        "ResponseMetadata": {"RequestId": "", "HTTPStatusCode": 429},
    }
