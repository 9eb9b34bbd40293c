"""Developer tasks: `python -m nox` runs lint, typecheck, tests; `python -m nox -s bench`, benchmarks."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.error_on_missing_interpreters = True

# --- which Python: the one nox runs on when aiocognito supports it, else the newest supported one found ---
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")


def _python(
    running: str = f"{sys.version_info.major}.{sys.version_info.minor}",
    which: Callable[[str], str | None] = shutil.which,
) -> str:
    if running in SUPPORTED:
        return running
    for version in reversed(SUPPORTED):
        if which(f"python{version}"):
            return version
    return SUPPORTED[-1]  # none found: nox (or uv, which may fetch it) says so


PYTHON = _python()
# The exact versions of the dev tools; the public extras in pyproject.toml only name them.
CONSTRAINTS = ("-c", "constraints-dev.txt")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite, real servers included (moto, ministack, redis-server, node)."""
    session.install(*CONSTRAINTS, "-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs, env={"AWS_EC2_METADATA_DISABLED": "true"})


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*CONSTRAINTS, "ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install(*CONSTRAINTS, "-e", ".[typecheck]")
    session.run("mypy", "--strict", "aiocognito")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """The benchmarks, side by side with pycognito, boto3 and aiobotocore; writes benchmarks/RESULTS.md."""
    session.install(*CONSTRAINTS, "-e", ".[bench]")
    session.run("python", "benchmarks/run_all.py", *session.posargs)


@nox.session(python=PYTHON)
def soak(session: nox.Session) -> None:
    """The long runs: the fuzz (10,000 iterations) and the fault-proxy test, 20 times their CI size.

    ``AIOCOGNITO_FUZZ_SEED`` (and ``AIOCOGNITO_FUZZ_REPORT``, ``AIOCOGNITO_FAULT_REPORT``) pass through.
    """
    session.install(*CONSTRAINTS, "-e", ".[test]")
    env = {"AWS_EC2_METADATA_DISABLED": "true", "AIOCOGNITO_SOAK": "1"}
    for name in ("AIOCOGNITO_FUZZ_SEED", "AIOCOGNITO_FUZZ_REPORT", "AIOCOGNITO_FAULT_REPORT"):
        if name in os.environ:
            env[name] = os.environ[name]
    session.run(
        "python",
        "-m",
        "pytest",
        "-rP",
        "tests/integration/test_fuzz.py",
        "tests/integration/test_faults.py",
        *session.posargs,
        env=env,
    )


# --- packaging and documentation ------------------------------------------------------------------------


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """The sdist and the wheel, `twine check`, and what each may and may not hold (tools/check_dist.py)."""
    session.install(*CONSTRAINTS, "build[uv]", "twine")
    shutil.rmtree("dist", ignore_errors=True)
    session.run("python", "-m", "build", "-q", "--installer", "uv", "--outdir", "dist", ".")
    session.run("twine", "check", "--strict", *sorted(str(path) for path in Path("dist").iterdir()))
    session.run("python", "tools/check_dist.py", "dist")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """The documentation (mkdocs + mkdocstrings), built with --strict: a warning fails the build."""
    session.install(
        *CONSTRAINTS,
        "-e",
        ".[fastapi,redis]",
        "mkdocs",
        "mkdocs-material",
        "mkdocstrings-python",
        "griffe-sphinx",
        "ruff",
    )
    quiet = {"NO_MKDOCS_2_WARNING": "1"}  # material's banner about its successor, on every build
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", *session.posargs, env=quiet)
