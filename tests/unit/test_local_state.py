"""The local user pool's state file: a file that cannot be read or is not one is refused by name.

The server itself (``serve-local --state``) runs in tests/integration/test_serve_local.py.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aiocognito.testing import LocalUserPool
from aiocognito.testing.state import StateFileError, Store

PASSWORD = "Passw0rd!"


@pytest.fixture(scope="module")
def good_state(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The JSON of the state file of a pool with an app client and a user."""
    path = tmp_path_factory.mktemp("state") / "state.json"

    async def fill() -> None:
        async with LocalUserPool(state_file=path, shared_signing_key=True) as server:
            pool_id = await server.create_pool("kept")
            await server.create_client(pool_id)
            await server.create_user(pool_id, "dora", PASSWORD)

    asyncio.run(fill())
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _pool(doc: dict[str, Any]) -> dict[str, Any]:
    (pool,) = doc["pools"].values()
    return pool  # type: ignore[no-any-return]


def test_a_good_state_file_loads(tmp_path: Path, good_state: dict[str, Any]) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(good_state))
    store = Store.load(path)
    (pool,) = store.pools.values()
    assert pool.name == "kept"
    assert list(pool.users) == ["dora"]
    assert pool.users["dora"].check_password(pool.srp_name, PASSWORD)
    assert Store.load(tmp_path / "missing.json").pools == {}  # no file yet: an empty server


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b'{"version": 1, "pools": {', "not JSON at line 1 column 26"),
        (b'{"version": 1,\n "pools": {}\n "x": 1}', "not JSON at line 3 column 2"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 64 levels"),
        (b'{"version": 1, "pools": {"a": 1e400}}', "a number that is not finite"),
        (b"[]", "not a JSON object"),
        (b'{"pools": {}}', 'no "version": 1, so not a local user pool state file'),
        (b'{"version": 2, "pools": {}}', "format version 2, this aiocognito reads version 1"),
    ],
    ids=["truncated", "missing-comma", "utf-16", "deep", "infinite", "array", "no-version", "newer"],
)
def test_a_file_that_is_not_json_of_a_state_is_refused_by_name(tmp_path: Path, raw: bytes, why: str) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(raw)
    with pytest.raises(StateFileError) as refused:
        Store.load(path)
    assert str(refused.value) == (
        f"state file {path}: {why}; it was left unchanged (repair it, or remove it to start empty)"
    )
    assert path.read_bytes() == raw


def _set(*keys: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target = _pool(doc)
        for name in keys[:-1]:
            target = target[name]
        target[keys[-1]] = value

    return change


def _drop(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda doc: _pool(doc).pop(name)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda doc: doc.__setitem__("pools", []), "pools: not an object"),
        (_drop("region"), "pools['{pool}']: 'region' is missing"),
        (_set("users", value=[]), "pools['{pool}'].users: not an object"),
        (
            _set("users", "dora", "attributes", value=["email"]),
            "pools['{pool}'].users['dora'].attributes: not an object",
        ),
        (
            _set("users", "dora", "attributes", "email", value=5),
            "pools['{pool}'].users['dora'].attributes['email']: not a string",
        ),
        (
            _set("users", "dora", "failed_attempts", value=True),
            "pools['{pool}'].users['dora'].failed_attempts: not an integer",
        ),
        (
            _set("users", "dora", "devices", value={"k": {"key": 1}}),
            "pools['{pool}'].users['dora'].devices['k'].key: not a string",
        ),
        (
            _set("users", "dora", "groups", value=["a", 2]),
            "pools['{pool}'].users['dora'].groups[1]: not a string",
        ),
        (
            _set("device_configuration", value={"a": "yes"}),
            "pools['{pool}'].device_configuration: not an object or null",
        ),
        (_set("clients", value={"c": "not a client"}), "pools['{pool}'].clients['c']: not an object"),
        (
            lambda doc: doc.__setitem__("identity_pools", {"i": {"id": 1}}),
            "identity_pools['i'].id: not a string",
        ),
    ],
    ids=[
        "pools-array",
        "missing-field",
        "users-array",
        "attributes-array",
        "attribute-number",
        "bool-for-int",
        "device-key-number",
        "group-number",
        "device-configuration",
        "client-string",
        "identity-pool-id",
    ],
)
def test_a_state_of_the_wrong_shape_is_refused_with_the_path_of_the_value(
    tmp_path: Path, good_state: dict[str, Any], change: Callable[[dict[str, Any]], None], where: str
) -> None:
    doc = copy.deepcopy(good_state)
    pool_id = _pool(doc)["id"]
    change(doc)
    path = tmp_path / "state.json"
    raw = json.dumps(doc).encode()
    path.write_bytes(raw)
    with pytest.raises(StateFileError) as refused:
        Store.load(path)
    message = str(refused.value)
    assert message.startswith(f"state file {path}: not a local user pool state file: "), message
    assert where.format(pool=pool_id) in message
    assert message.endswith("; it was left unchanged (repair it, or remove it to start empty)")
    assert path.read_bytes() == raw


def test_an_unreadable_state_file_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match=rf"^state file {tmp_path}: cannot read it: Is a directory$"):
        Store.load(tmp_path)


async def test_the_server_does_not_start_on_a_bad_state_file_and_leaves_it(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b'{"version": 1, "pools": {"p": {"id": "p"}}}')
    before = path.stat()
    server = LocalUserPool(state_file=path)
    with pytest.raises(StateFileError, match=r"pools\['p'\]: 'name' is missing"):
        await server.start()
    with pytest.raises(RuntimeError, match="not running"):
        server.endpoint_url  # noqa: B018 - the property raises
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )
