"""The generated tables against the installed botocore, and the functions that read them.

When botocore is upgraded and a model, a partition or an endpoint rule set changes, the first test
fails: run ``python tools/codegen.py`` and review the diff.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.loaders import Loader

from aiocognito import _service_errors, errors
from aiocognito.wire._tables import operations as _operation_table
from aiocognito.wire.endpoints import endpoint_url, region_from_pool_id

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import codegen as _codegen  # noqa: E402 - the generator is a developer script in tools/, not in the package

SERVICES = ("cognito-idp", "cognito-identity")
VARIANTS = [(False, False), (True, False), (False, True), (True, True)]

# --- the committed modules are what the generator makes of the installed botocore --------------------


@pytest.mark.parametrize(("name", "text"), sorted(_codegen.generated_sources().items()))
def test_generated_module_is_up_to_date(name: str, text: str) -> None:
    committed = (REPO / "aiocognito" / name).read_text(encoding="utf-8")
    assert committed == text, f"aiocognito/{name} is stale: run `python tools/codegen.py`"


def test_import_does_not_import_botocore() -> None:
    code = (
        "import sys\n"
        "import aiocognito._service_errors\n"
        "import aiocognito.wire._tables.operations, aiocognito.wire._tables.endpoints\n"
        "import aiocognito.wire._tables.quotas, aiocognito.limits\n"
        "import aiocognito.wire.endpoints\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('botocore', 'boto3')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


# --- errors -----------------------------------------------------------------------------------------


def _model_error_codes() -> set[str]:
    codes = set()
    for service in SERVICES:
        for name, shape in Loader().load_service_model(service, "service-2")["shapes"].items():
            if shape.get("exception"):
                codes.add(shape.get("error", {}).get("code", name))
    return codes


def test_every_model_error_has_its_class() -> None:
    codes = _model_error_codes()
    assert len(codes) == len(_service_errors.__all__)
    for code in codes:
        cls = errors.error_class_for(code)
        assert cls.__name__ == code.removesuffix("Exception") + "Error"
        assert cls.code == code
        assert issubclass(cls, errors.ServiceError)
        assert cls.__module__ == "aiocognito._service_errors"
        assert getattr(_service_errors, cls.__name__) is cls
        assert cls.__doc__
        assert cls.__doc__.isascii()


def test_error_names_and_registration() -> None:
    assert errors.error_class_for("NotAuthorizedException").__name__ == "NotAuthorizedError"
    assert errors.error_class_for("UserNotFoundException") is _service_errors.UserNotFoundError
    assert errors.error_class_for("InternalErrorException").__name__ == "InternalErrorError"
    assert errors.error_class_for("NoSuchThingException") is errors.ServiceError
    raised = errors.error_from_reply(
        "com.amazonaws#NotAuthorizedException", "Incorrect username or password.", status=400
    )
    assert isinstance(raised, _service_errors.NotAuthorizedError)
    assert _service_errors.__all__ == sorted(_service_errors.__all__)


def test_only_too_many_requests_is_throttling() -> None:
    throttling = errors.error_class_for("TooManyRequestsException")
    assert throttling.throttling
    assert throttling.retryable
    for code in ("LimitExceededException", "TooManyFailedAttemptsException", "NotAuthorizedException"):
        assert not errors.error_class_for(code).throttling, code
        assert not errors.error_class_for(code).retryable, code
    classes = [errors.error_class_for(code) for code in _model_error_codes()]
    assert [cls for cls in classes if cls.throttling] == [throttling]


# --- operations -------------------------------------------------------------------------------------


def test_operation_table() -> None:
    idp = _operation_table.SERVICES["cognito-idp"]
    identity = _operation_table.SERVICES["cognito-identity"]
    assert idp.target_prefix == "AWSCognitoIdentityProviderService"
    assert identity.target_prefix == "AWSCognitoIdentityService"
    assert (idp.signing_name, identity.signing_name) == ("cognito-idp", "cognito-identity")
    assert {"InitiateAuth", "RespondToAuthChallenge", "GetUser"} <= idp.unauthenticated
    assert "AdminInitiateAuth" in idp.operations - idp.unauthenticated
    assert {"GetId", "GetCredentialsForIdentity"} <= identity.unauthenticated
    for service in SERVICES:
        info = _operation_table.SERVICES[service]
        assert info.unauthenticated <= info.operations
        model = Loader().load_service_model(service, "service-2")
        assert info.operations == set(model["operations"])


# --- endpoints: what botocore itself resolves -------------------------------------------------------


class _Sent(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def _capture(request: object, **kwargs: object) -> None:
    raise _Sent(request.url)  # type: ignore[attr-defined]


_SESSION = botocore.session.get_session()


def botocore_url(service: str, region: str, fips: bool, dualstack: bool) -> str | None:
    """The endpoint a botocore client really sends to, or None where botocore refuses.

    ``client.meta.endpoint_url`` is not used: it comes from botocore's legacy endpoints.json resolver,
    and differs from the rule set that places the requests (e.g. dual-stack in GovCloud, or the
    ``aws-*-global`` names), so the URL of an actual request is captured before it is sent.
    """
    config = Config(use_fips_endpoint=fips, use_dualstack_endpoint=dualstack, retries={"max_attempts": 0})
    try:
        client = _SESSION.create_client(
            service, region_name=region, aws_access_key_id="x", aws_secret_access_key="y", config=config
        )
        client.meta.events.register("before-send", _capture)
        if service == "cognito-idp":
            client.get_user(AccessToken="not-a-token")
        else:
            client.get_id(IdentityPoolId="us-east-1:00000000-0000-0000-0000-000000000000")
    except _Sent as sent:
        return sent.url.removesuffix("/")
    except (BotoCoreError, ValueError):
        return None
    raise AssertionError("the request was not sent")


def _regions() -> list[str]:
    regions = set(_codegen.known_regions())
    for partition in _SESSION.get_available_partitions():
        for service in SERVICES:
            regions.update(_SESSION.get_available_regions(service, partition))
    for partition in Loader().load_data("partitions")["partitions"]:
        regions.update(partition["regions"])
    # Regions no table names, but a partition's pattern matches; then names only the fallback knows.
    regions.update(
        [
            "us-west-9",
            "ap-southeast-12",
            "cn-northwest-7",
            "us-gov-east-5",
            "us-iso-south-8",
            "us-isob-west-3",
            "eu-isoe-north-4",
            "us-isof-west-6",
            "eusc-de-west-2",
            "moon-base-1",
            "fips-us-east-1",
            "us-gov-west-1-fips",
            "fips-cn-north-1",
        ]
    )
    return sorted(regions)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("region", _regions())
def test_endpoint_url_matches_botocore(service: str, region: str) -> None:
    for fips, dualstack in VARIANTS:
        expected = botocore_url(service, region, fips, dualstack)
        if expected is None:
            with pytest.raises(ValueError, match=service):
                endpoint_url(service, region, fips=fips, dualstack=dualstack)
        else:
            got = endpoint_url(service, region, fips=fips, dualstack=dualstack)
            assert got == expected, (service, region, fips, dualstack)


MALFORMED_REGIONS = ["us_east_1", "", "-us-east-1", "us-east-1-", "123", "a" * 64, "us.east.1"]


@pytest.mark.parametrize("region", MALFORMED_REGIONS)
def test_malformed_region_is_refused_like_botocore(region: str) -> None:
    for service in SERVICES:
        assert botocore_url(service, region, False, False) is None
        with pytest.raises(ValueError, match="malformed region"):
            endpoint_url(service, region)


def test_endpoint_url_examples() -> None:
    assert endpoint_url("cognito-idp", "us-east-1") == "https://cognito-idp.us-east-1.amazonaws.com"
    assert endpoint_url("cognito-idp", "cn-north-1") == "https://cognito-idp.cn-north-1.amazonaws.com.cn"
    assert (
        endpoint_url("cognito-identity", "us-gov-west-1", fips=True)
        == "https://cognito-identity-fips.us-gov-west-1.amazonaws.com"
    )
    assert endpoint_url("cognito-idp", "eusc-de-east-1") == "https://cognito-idp.eusc-de-east-1.amazonaws.eu"
    with pytest.raises(ValueError, match="unknown service"):
        endpoint_url("s3", "us-east-1")


# --- pool ids ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pool_id", "region"),
    [
        ("us-east-1_AbC123", "us-east-1"),
        ("cn-north-1_abc", "cn-north-1"),
        ("us-gov-west-1_Z9", "us-gov-west-1"),
        ("eusc-de-east-1_x", "eusc-de-east-1"),
    ],
)
def test_region_from_pool_id(pool_id: str, region: str) -> None:
    assert region_from_pool_id(pool_id) == region


@pytest.mark.parametrize(
    "pool_id",
    [
        "",
        "us-east-1",
        "us-east-1_",
        "_AbC123",
        "us-east-1:AbC123",
        "us east 1_AbC123",
        "us-east-1_AbC/123",
        "us-east-1_AbC_123",
        "-us-east-1_AbC123",
        "us-east-1_" + "a" * 60,
        "s3cr3t-Pa55word-value",
    ],
)
def test_region_from_malformed_pool_id(pool_id: str) -> None:
    with pytest.raises(ValueError, match="malformed user pool id") as raised:
        region_from_pool_id(pool_id)
    assert "s3cr3t" not in str(raised.value)
    assert "AbC/123" not in str(raised.value)
