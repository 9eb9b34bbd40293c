"""The local user pool's table of served operations (aiocognito/testing/server/operations.py), and the
layout of aiocognito.testing: old import paths kept, no part reaching into another's private names.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import json
from pathlib import Path
from typing import Any

import pytest

from aiocognito.core import srp
from aiocognito.testing import Fault, LocalUserPool
from aiocognito.testing.server.operations import OPERATIONS, find
from aiocognito.testing.server.schema import Models
from aiocognito.wire._tables.operations import SERVICES

TESTING = Path(__file__).resolve().parents[2] / "aiocognito" / "testing"
SERVED = sorted((op.service, op.name) for table in OPERATIONS.values() for op in table.values())


def test_every_served_operation_is_one_of_botocores_model() -> None:
    models = Models.load()
    for service, table in OPERATIONS.items():
        known = set(models[SERVICES[service].target_prefix].operation_names)
        assert sorted(set(table) - known) == [], f"not operations of {service}"


def test_each_operation_is_a_coroutine_of_a_server_module_found_by_its_name() -> None:
    for service, table in OPERATIONS.items():
        for name, operation in table.items():
            assert (operation.service, operation.name) == (service, name)
            assert inspect.iscoroutinefunction(operation.handler), name
            assert operation.module.startswith("aiocognito.testing.server."), name
            assert find(service, name) is operation
    assert find("cognito-idp", "NoSuchOperation") is None
    assert find("no-such-service", "InitiateAuth") is None


def _minimal(shape: Any) -> Any:
    """The smallest value of a botocore shape that its constraints accept (required members only)."""
    kind = shape.type_name
    low = shape.metadata.get("min")
    if kind == "structure":
        return {name: _minimal(shape.members[name]) for name in shape.required_members}
    if kind == "list":
        return [_minimal(shape.member) for _ in range(int(low or 0))]
    if kind == "map":
        return {}
    if kind == "string":
        return shape.enum[0] if shape.enum else "x" * max(int(low or 1), 1)
    if kind in ("integer", "long"):
        return int(low) if low is not None else 1
    if kind == "boolean":
        return False
    if kind in ("float", "double", "timestamp"):
        return 1
    return "eA=="  # blob


@pytest.mark.parametrize(("service", "name"), SERVED)
async def test_only_the_operations_that_change_something_rewrite_the_state_file(
    tmp_path: Path, service: str, name: str
) -> None:
    operation = find(service, name)
    assert operation is not None
    model = Models.load()[SERVICES[service].target_prefix].operation_model(name)
    path = tmp_path / "state.json"
    async with LocalUserPool(state_file=path, shared_signing_key=True) as server:
        await server.create_pool()
        before = path.stat()
        with contextlib.suppress(Fault):  # the answer does not matter: whether the file is written does
            await server.call(name, _minimal(model.input_shape), service=service)
        after = path.stat()
    # Store.save writes a new file and renames it over the old one, so a write is a new inode.
    rewritten = (after.st_ino, after.st_mtime_ns) != (before.st_ino, before.st_mtime_ns)
    assert rewritten is not operation.read_only


READ_ONLY = sorted(
    (op.service, op.name) for table in OPERATIONS.values() for op in table.values() if op.read_only
)


async def _populated(server: LocalUserPool) -> dict[str, Any]:
    """A pool holding one of everything a read-only operation can look at; their ids by member name."""
    devices = {"ChallengeRequiredOnNewDevice": False, "DeviceOnlyRememberedOnUserPrompt": False}
    pool_id = await server.create_pool(device_configuration=devices)
    client = await server.create_client(pool_id, generate_secret=True)
    assert client.client_secret is not None
    await server.create_user(pool_id, "alice", "Passw0rd!", attributes={"email": "alice@example.com"})
    await server.call("CreateGroup", {"UserPoolId": pool_id, "GroupName": "admins"})
    membership = {"UserPoolId": pool_id, "Username": "alice", "GroupName": "admins"}
    await server.call("AdminAddUserToGroup", membership)
    await server.call("CreateUserPoolDomain", {"UserPoolId": pool_id, "Domain": "local-test"})
    await server.call("CreateResourceServer", {"UserPoolId": pool_id, "Identifier": "api", "Name": "api"})
    signed_in = await server.call(
        "InitiateAuth",
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client.client_id,
            "AuthParameters": {
                "USERNAME": "alice",
                "PASSWORD": "Passw0rd!",
                "SECRET_HASH": srp.secret_hash("alice", client.client_id, client.client_secret),
            },
        },
    )
    result = signed_in["AuthenticationResult"]
    device_key = result["NewDeviceMetadata"]["DeviceKey"]
    await server.call(
        "ConfirmDevice",
        {
            "AccessToken": result["AccessToken"],
            "DeviceKey": device_key,
            "DeviceSecretVerifierConfig": {"PasswordVerifier": "AQID", "Salt": "BAUG"},
        },
    )
    provider = {
        "UserPoolId": pool_id,
        "ProviderName": "Google",
        "ProviderType": "Google",
        "ProviderDetails": {"client_id": "c", "client_secret": "s", "authorize_scopes": "openid"},
        "IdpIdentifiers": ["google"],
    }
    await server.call("CreateIdentityProvider", provider)
    branding = await server.call(
        "CreateManagedLoginBranding", {"UserPoolId": pool_id, "ClientId": client.client_id}
    )
    terms = await server.call(
        "CreateTerms",
        {
            "UserPoolId": pool_id,
            "ClientId": client.client_id,
            "TermsName": "terms-of-use",
            "TermsSource": "LINK",
            "Enforcement": "NONE",
            "Links": {"cognito:default": "https://example.com/terms"},
        },
    )
    job = await server.call(
        "CreateUserImportJob",
        {"UserPoolId": pool_id, "JobName": "j", "CloudWatchLogsRoleArn": "arn:aws:iam::1:role/r"},
    )
    identity_pool = await server.call(
        "CreateIdentityPool",
        {"IdentityPoolName": "ids", "AllowUnauthenticatedIdentities": True},
        service="cognito-identity",
    )
    identity = await server.call(
        "GetId", {"IdentityPoolId": identity_pool["IdentityPoolId"]}, service="cognito-identity"
    )
    return {
        "UserPoolId": pool_id,
        "ClientId": client.client_id,
        "Username": "alice",
        "GroupName": "admins",
        "Domain": "local-test",
        "Identifier": "api",
        "AccessToken": result["AccessToken"],
        "DeviceKey": device_key,
        "IdentityPoolId": identity_pool["IdentityPoolId"],
        "IdentityId": identity["IdentityId"],
        "ProviderName": "Google",
        "IdpIdentifier": "google",
        "ManagedLoginBrandingId": branding["ManagedLoginBranding"]["ManagedLoginBrandingId"],
        "TermsId": terms["Terms"]["TermsId"],
        "TermsName": "terms-of-use",
        "JobId": job["UserImportJob"]["JobId"],
        "ResourceArn": (await server.call("DescribeUserPool", {"UserPoolId": pool_id}))["UserPool"]["Arn"],
    }


@pytest.mark.parametrize(("service", "name"), READ_ONLY)
async def test_a_read_only_operation_answers_and_changes_nothing_the_server_keeps(
    service: str, name: str
) -> None:
    model = Models.load()[SERVICES[service].target_prefix].operation_model(name)
    async with LocalUserPool(shared_signing_key=True) as server:
        known = await _populated(server)
        body = _minimal(model.input_shape)
        body.update({key: value for key, value in known.items() if key in model.input_shape.members})
        before = json.dumps(server.store.to_json(), sort_keys=True)
        await server.call(name, body, service=service)
        assert json.dumps(server.store.to_json(), sort_keys=True) == before


def test_old_import_paths_give_the_very_same_objects() -> None:
    from aiocognito import testing
    from aiocognito.testing import auth, state
    from aiocognito.testing.server import state as model
    from aiocognito.testing.server import totp

    assert state.StateFileError is model.StateFileError is testing.StateFileError
    assert state.Store is model.Store
    assert auth.totp is totp.totp is testing.totp
    assert auth.check_totp is totp.check_totp
    for name in state.__all__:
        assert getattr(state, name) is getattr(model, name)


def _modules() -> list[Path]:
    return sorted(TESTING.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(TESTING)))
def test_no_module_takes_or_reaches_into_private_names_of_another(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    reaches = [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
    ]
    taken = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    assert (reaches, taken) == ([], [])
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 700
