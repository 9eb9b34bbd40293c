"""The table of served operations in the docs (docs/local-pool-operations.md) is what
tools/local_operations_table.py makes of botocore's models and the server's registry, the local pool
serves at least 87 % of cognito-idp's operations (issue 16), and the rest answer a typed error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from botocore.loaders import Loader

from aiocognito.testing import Fault, LocalUserPool
from aiocognito.testing.server.operations import OPERATIONS

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import local_operations_table  # noqa: E402 - a developer script in tools/, not in the package

IDP = sorted(Loader().load_service_model("cognito-idp", "service-2")["operations"])


def test_the_committed_table_is_what_the_generator_makes() -> None:
    committed = local_operations_table.OUTPUT.read_text(encoding="utf-8")
    assert committed == local_operations_table.table(), "stale: run `python tools/local_operations_table.py`"


def test_at_least_87_percent_of_cognito_idp_is_served() -> None:
    served = [name for name in IDP if name in OPERATIONS["cognito-idp"]]
    assert len(served) >= 115 and len(served) / len(IDP) >= 0.87
    table = local_operations_table.table()
    assert f"## cognito-idp: {len(served)} of {len(IDP)} served" in table
    for name in ("UpdateUserPool", "TagResource", "AdminListDevices", "CreateIdentityProvider"):
        assert f"| {name} | yes |" in table


@pytest.mark.parametrize("name", [n for n in IDP if n not in OPERATIONS["cognito-idp"]][:3])
async def test_an_operation_not_served_answers_unsupported_operation(name: str) -> None:
    async with LocalUserPool(shared_signing_key=True) as server:
        with pytest.raises(Fault) as caught:
            await server.call(name, {})
    assert caught.value.code == "UnsupportedOperationException"
