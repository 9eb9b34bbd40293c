"""The test command works off this machine: `python -m nox`, any Python 3.10-3.13, a venv in CI."""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


@functools.cache  # loaded once: nox registers each session when the file runs
def _noxfile() -> ModuleType:
    spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_opens_with_the_demo_and_the_test_command() -> None:
    first = re.search(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL)
    assert first is not None
    lines = first.group(1).splitlines()
    assert len(lines) == 2
    assert "aiocognito demo" in lines[0]
    assert "python -m nox -s lint typecheck tests" in lines[1]
    assert re.search(r"(?<!-m )\bnox -s", (ROOT / "README.md").read_text(encoding="utf-8")) is None


def test_noxfile_takes_the_running_python_when_supported() -> None:
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert running == _noxfile().PYTHON  # this suite runs on a supported Python


def test_noxfile_finds_another_supported_python() -> None:
    pick = _noxfile()._python
    present = {"python3.12": "/usr/bin/python3.12", "python3.10": "/usr/bin/python3.10"}
    assert pick("3.9", present.get) == "3.12"  # nox on an unsupported Python: the newest one present
    assert pick("3.10", present.get) == "3.10"
    assert pick("3.14", lambda name: None) in _noxfile().SUPPORTED


def test_ci_installs_its_tools_in_a_venv() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m venv" in script
    # No pip install into the system Python (PEP 668 refuses it): only the venv's pip.
    assert not re.search(r"^\s*python3 -m pip install", script, re.MULTILINE)
    assert '"$tools/bin/python" -m nox -s lint typecheck tests' in script
