"""What PyPI shows and what the distributions hold: metadata, the LICENSE, extras without dev pins.

`nox -s build` builds both distributions, runs `twine check --strict` and `tools/check_dist.py` on them
(CI runs it); these tests check the declarations quickly and that the dist checker can fail.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest brings tomli on 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import check_dist  # noqa: E402 - a developer script in tools/, not in the package

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
SUPPORTED = ["3.10", "3.11", "3.12", "3.13"]


def test_the_project_urls_are_declared() -> None:
    assert {"Homepage", "Source", "Issues", "Documentation"} <= set(PROJECT["urls"])
    assert all(url.startswith("https://") for url in PROJECT["urls"].values())


def test_the_license_file_matches_the_license_field() -> None:
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    # PEP 639: with a license expression, License :: classifiers are refused by PyPI.
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]


def test_each_supported_python_and_the_status_are_classified() -> None:
    classifiers = PROJECT["classifiers"]
    assert PROJECT["requires-python"] == f">={SUPPORTED[0]}"
    versions = sorted(
        c.rsplit(" :: ", 1)[1]
        for c in classifiers
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    )
    assert versions == SUPPORTED
    assert len([c for c in classifiers if c.startswith("Development Status :: ")]) == 1


@pytest.mark.parametrize("extra", sorted(PROJECT["optional-dependencies"]))
def test_a_public_extra_pins_nothing_exactly(extra: str) -> None:
    pinned = [req for req in PROJECT["optional-dependencies"][extra] if "==" in req]
    assert pinned == [], "exact versions belong in constraints-dev.txt"


def _constraints() -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in (ROOT / "constraints-dev.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{line}: a constraint is an exact version"
            pins[name] = version
    return pins


def test_the_dev_tools_are_pinned_in_the_constraints() -> None:
    assert {"ruff", "mypy", "moto", "ministack", "pycognito", "build", "twine", "mkdocs"} <= set(
        _constraints()
    )


def test_every_nox_install_uses_the_constraints() -> None:
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    installs = re.findall(r"session\.install\(([^)]*)\)", noxfile)
    assert installs
    assert [args for args in installs if "*CONSTRAINTS" not in args] == []
    assert 'CONSTRAINTS = ("-c", "constraints-dev.txt")' in noxfile


def test_the_sdist_manifest_carries_tests_and_examples() -> None:
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8").splitlines()
    for line in (
        "graft tests",
        "graft examples",
        "graft tools",
        "prune tests/js/node_modules",
        "prune .venv",
        "prune .nox",
    ):
        assert line in manifest


WHEEL = [
    "aiocognito/__init__.py",
    "aiocognito/py.typed",
    "aiocognito-0.1.0.dist-info/METADATA",
    "aiocognito-0.1.0.dist-info/licenses/LICENSE",
]


def test_the_dist_checker_passes_a_clean_wheel() -> None:
    assert check_dist.wheel_problems(WHEEL) == []


@pytest.mark.parametrize("extra", ["tools/codegen.py", "aiocognito/_codegen.py", "tests/conftest.py"])
def test_the_dist_checker_refuses_a_dev_module_in_the_wheel(extra: str) -> None:
    assert check_dist.wheel_problems([*WHEEL, extra]) != []


def _sdist(*extra: str) -> list[str]:
    return [f"aiocognito-0.1.0/{path}" for path in (*check_dist.SDIST_MUST_HAVE, *extra)]


def test_the_dist_checker_passes_a_clean_sdist() -> None:
    assert check_dist.sdist_problems(_sdist("aiocognito/__init__.py")) == []


@pytest.mark.parametrize("extra", ["tests/js/node_modules/x/index.js", ".venv/bin/python", ".nox/tests/x"])
def test_the_dist_checker_refuses_local_folders_in_the_sdist(extra: str) -> None:
    assert check_dist.sdist_problems(_sdist(extra)) != []


def test_the_dist_checker_refuses_an_sdist_without_tests() -> None:
    names = [name for name in _sdist() if "/tests/" not in name]
    assert "the sdist lacks tests/conftest.py" in check_dist.sdist_problems(names)
