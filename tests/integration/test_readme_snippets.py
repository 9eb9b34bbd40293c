"""README snippets run as copied: the in-process local pool, and the pytest fixtures in a fresh project."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import readme_blocks

pytestmark = pytest.mark.integration


def _block(marker: str) -> str:
    found = [block.source for block in readme_blocks.blocks() if marker in block.source]
    assert len(found) == 1, marker
    return found[0]


async def test_in_process_local_pool_snippet_runs_as_copied(capsys: pytest.CaptureFixture[str]) -> None:
    source = _block("async with LocalUserPool() as server:")
    compiled = compile(source, "README in-process", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    await eval(compiled, {"__name__": "readme"})  # the README's own example, nothing added
    assert capsys.readouterr().out == "alice\n"


def test_pytest_fixture_snippet_runs_in_a_fresh_project(tmp_path: Path) -> None:
    (tmp_path / "test_readme_fixture.py").write_text(_block("def test_sign_in_with_mfa"), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # no asyncio_mode: the default
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "AIOCOGNITO_"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
