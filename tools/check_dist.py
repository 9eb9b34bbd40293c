"""Check what the built sdist and wheel hold: `python tools/check_dist.py dist` (run by `nox -s build`).

The wheel is the installed library and nothing else: the `aiocognito` package and its metadata, no
developer script (tools/, a code generator), no tests. The sdist is the source a packager or a PyPI user
reads: the README points at examples/ and tests/, so both are in it, with the LICENSE and the tools the
tests import; a local virtualenv, nox's environments and node_modules are not.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

__all__ = ["SDIST_MUST_HAVE", "SDIST_MUST_NOT_HAVE", "main", "sdist_problems", "wheel_problems"]

SDIST_MUST_HAVE = (
    "LICENSE",
    "README.md",
    "pyproject.toml",
    "constraints-dev.txt",
    "examples/README.md",
    "tests/conftest.py",
    "tests/unit/test_public_api.py",
    "tests/js/package-lock.json",
    "tools/codegen.py",
    "mkdocs.yml",
    "docs/index.md",
)
SDIST_MUST_NOT_HAVE = ("node_modules", ".venv", ".nox", "__pycache__", ".git", "site", "dist")
_WHEEL_TOP = "aiocognito"


def wheel_problems(names: list[str]) -> list[str]:
    """What is wrong with a wheel holding ``names`` (its archive member names)."""
    problems = []
    for name in names:
        top = PurePosixPath(name).parts[0]
        if top != _WHEEL_TOP and not (top.startswith("aiocognito-") and top.endswith(".dist-info")):
            problems.append(f"the wheel holds {name}, outside the package")
        elif "codegen" in name or "quotagen" in name:
            problems.append(f"the wheel holds the developer script {name}")
    if f"{_WHEEL_TOP}/py.typed" not in names:
        problems.append("the wheel lacks aiocognito/py.typed")
    if not any(name.endswith(".dist-info/licenses/LICENSE") for name in names):
        problems.append("the wheel lacks its LICENSE")
    return problems


def sdist_problems(names: list[str]) -> list[str]:
    """What is wrong with an sdist holding ``names`` (member names, under one top folder)."""
    inside = {str(PurePosixPath(*PurePosixPath(name).parts[1:])) for name in names}
    problems = [f"the sdist lacks {path}" for path in SDIST_MUST_HAVE if path not in inside]
    for path in sorted(inside):
        parts = PurePosixPath(path).parts
        bad = [part for part in parts if part in SDIST_MUST_NOT_HAVE]
        if bad and parts[0] != "aiocognito":
            problems.append(f"the sdist holds {path}")
    return problems


def main(argv: list[str]) -> int:
    """Check every wheel and sdist in the folder ``argv[0]``; print each problem, return 1 if any."""
    folder = Path(argv[0] if argv else "dist")
    wheels = sorted(folder.glob("*.whl"))
    sdists = sorted(folder.glob("*.tar.gz"))
    if not wheels or not sdists:
        print(f"{folder} needs one wheel and one sdist; it has {len(wheels)} and {len(sdists)}")
        return 1
    problems: list[str] = []
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            problems += wheel_problems(archive.namelist())
    for sdist in sdists:
        with tarfile.open(sdist) as archive:
            problems += sdist_problems(archive.getnames())
    for problem in problems:
        print(problem)
    print(f"checked {len(wheels)} wheel(s) and {len(sdists)} sdist(s): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
