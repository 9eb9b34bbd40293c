"""Session-wide fixtures: real local Cognito emulators (logic lives in tests/servers.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import servers  # tests/ is on sys.path: pytest (prepend import mode) inserts the conftest dir


@pytest.fixture(scope="session", autouse=True)
def _aws_test_env() -> Iterator[None]:
    """Fake credentials/region and no EC2 metadata lookups, for the whole session; restored after."""
    saved = {name: os.environ.get(name) for name in servers.BASE_ENV}
    os.environ.update(servers.BASE_ENV)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def moto_server(_aws_test_env: None) -> Iterator[servers.MotoServer]:
    with servers.moto_server() as server:
        yield server


@pytest.fixture(scope="session")
def moto_endpoint(moto_server: servers.MotoServer) -> str:
    """http://127.0.0.1:PORT of a moto server shared by the session (IAM auth off)."""
    return moto_server.endpoint_url


@pytest.fixture(scope="session")
def ministack_server(_aws_test_env: None) -> Iterator[servers.MinistackServer]:
    with servers.ministack_server() as server:
        yield server


@pytest.fixture(scope="session")
def ministack_endpoint(ministack_server: servers.MinistackServer) -> str:
    """http://127.0.0.1:PORT of a ministack (AUTH=true) shared by the session."""
    return ministack_server.endpoint_url


@pytest.fixture
def redis_server() -> Iterator[servers.RedisServer]:
    """A throwaway redis-server of the test's own (CI installs it; elsewhere the test is skipped)."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("redis-server is not on PATH (see .ci/run)", pytrace=False)
        pytest.skip("redis-server is not on PATH (apt-get install redis-server)")
    with tempfile.TemporaryDirectory() as workdir, servers.RedisServer(binary, Path(workdir)) as server:
        yield server


@pytest.fixture(autouse=True)
def _requests_match_botocore_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request body aiocognito sends in a test must validate against botocore's model."""
    from aiocognito.wire.transport import Transport

    original = Transport.post_json

    async def checked(self: Transport, url: str, target: str, params: Any, **kwargs: Any) -> Any:
        servers.validate_request(target, params)
        return await original(self, url, target, params, **kwargs)

    monkeypatch.setattr(Transport, "post_json", checked)
