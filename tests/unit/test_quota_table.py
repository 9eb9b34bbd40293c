"""The quota category table against its generator and against botocore's cognito-idp model.

When botocore is upgraded and the model gains an operation, the coverage test fails: place it in
``tools/cognito_quotas.json`` (or list it as uncategorised, with the reason) and run
``python tools/quotagen.py``.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.loaders import Loader

from aiocognito.limits import QUOTA_CATEGORIES, QUOTA_SOURCE, SEPARATE_QUOTA, UNCATEGORISED, category_of
from aiocognito.wire._tables import operations as _operation_table
from aiocognito.wire._tables import quotas as _quota_table

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import quotagen as _quotagen  # noqa: E402 - the generator is a developer script in tools/, not in the package

#: The categories of Cognito's "Quotas" page.
PAGE_CATEGORIES = {
    "UserAuthentication": 120,
    "UserCreation": 50,
    "UserFederation": 25,
    "UserAccountRecovery": 30,
    "UserRead": 120,
    "UserUpdate": 25,
    "UserToken": 120,
    "UserResourceRead": 50,
    "UserResourceUpdate": 25,
    "UserList": 30,
    "UserPoolRead": 15,
    "UserPoolUpdate": 15,
    "UserPoolResourceRead": 20,
    "UserPoolResourceUpdate": 15,
    "UserPoolClientRead": 15,
    "UserPoolClientUpdate": 15,
    "ClientAuthentication": 150,
}


def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_quotagen.DATA_FILE.read_text(encoding="utf-8"))
    return data


def test_the_committed_table_is_what_the_generator_makes() -> None:
    committed = _quotagen.TABLE_FILE.read_text(encoding="utf-8")
    assert committed == _quotagen.quota_table_source(), (
        "aiocognito/wire/_tables/quotas.py is stale: run `python tools/quotagen.py`"
    )


def test_every_model_operation_has_a_category_or_is_uncategorised_on_purpose() -> None:
    model = set(Loader().load_service_model("cognito-idp", "service-2")["operations"])
    categorised = {op for category in QUOTA_CATEGORIES.values() for op in category.operations}
    assert categorised | set(UNCATEGORISED) == model
    assert not categorised & set(UNCATEGORISED)
    assert sum(len(c.operations) for c in QUOTA_CATEGORIES.values()) == len(categorised)  # no op twice
    assert model == _operation_table.SERVICES["cognito-idp"].operations  # the table it sits next to
    assert all(why for why in UNCATEGORISED.values())


def test_the_categories_and_defaults_of_the_page() -> None:
    assert {name: c.default_rps for name, c in QUOTA_CATEGORIES.items()} == PAGE_CATEGORIES
    assert all(name == c.name for name, c in QUOTA_CATEGORIES.items())
    per_pool = {name for name, c in QUOTA_CATEGORIES.items() if c.per_user_pool_rps is not None}
    assert per_pool == {
        "UserPoolResourceRead",
        "UserPoolResourceUpdate",
        "UserPoolClientRead",
        "UserPoolClientUpdate",
    }
    adjustable = {name for name, c in QUOTA_CATEGORIES.items() if c.adjustable}
    assert adjustable == {
        "UserAuthentication",
        "UserCreation",
        "UserFederation",
        "UserRead",
        "UserToken",
        "UserResourceRead",
    }
    assert QUOTA_SOURCE.startswith(
        "https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html (read "
    )


def test_what_the_page_names() -> None:
    named = {
        op: category["name"]
        for category in _data()["categories"]
        for op, basis in category["operations"].items()
        if basis == "named"
    }
    assert named == {
        "AdminInitiateAuth": "UserAuthentication",
        "AdminRespondToAuthChallenge": "UserAuthentication",
        "InitiateAuth": "UserAuthentication",
        "RespondToAuthChallenge": "UserAuthentication",
        "SignUp": "UserCreation",
        "ConfirmSignUp": "UserCreation",
        "AdminCreateUser": "UserCreation",
        "AdminConfirmSignUp": "UserCreation",
    }
    assert QUOTA_CATEGORIES["UserCreation"].operations == {
        "SignUp",
        "ConfirmSignUp",
        "AdminCreateUser",
        "AdminConfirmSignUp",
    }
    assert SEPARATE_QUOTA == {"RespondToAuthChallenge": 3.0, "AdminRespondToAuthChallenge": 3.0}


def test_category_of() -> None:
    assert category_of("InitiateAuth") == "UserAuthentication"
    assert category_of("GetUser") == "UserRead"
    assert category_of("ListUsers") == "UserList"
    assert category_of("GetProvisionedLimit") is None  # uncategorised on purpose
    assert category_of("GetId") is None  # an identity-pool operation: quotas per operation
    assert category_of("NoSuchOperation") is None
    assert {op: c.name for c in QUOTA_CATEGORIES.values() for op in c.operations} == _quota_table.CATEGORY_OF
    with pytest.raises(TypeError):
        QUOTA_CATEGORIES["UserRead"] = QUOTA_CATEGORIES["UserList"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["categories"][0]["operations"].pop("InitiateAuth"), r"no category.*InitiateAuth"),
        (lambda d: d["categories"][1]["operations"].update({"InitiateAuth": "named"}), "in both"),
        (
            lambda d: d["categories"][0]["operations"].update({"MadeUp": "named"}),
            "not operations of botocore",
        ),
        (lambda d: d["categories"][0]["operations"].update({"InitiateAuth": "guessed"}), "basis must be"),
        (lambda d: d["categories"][0].update({"default_rps": -1}), "positive number"),
        (lambda d: d["uncategorised"].update({"InitiateAuth": "x"}), "also listed as uncategorised"),
        (lambda d: d["source"].pop("read_on"), r"source\.read_on"),
    ],
)
def test_the_generator_refuses_data_that_does_not_cover_the_model(
    tmp_path: Path, change: Any, message: str
) -> None:
    data = copy.deepcopy(_data())
    change(data)
    path = tmp_path / "quotas.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SystemExit, match=message):
        _quotagen.load_data(path)
