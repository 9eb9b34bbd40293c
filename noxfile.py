"""Developer tasks: `python -m nox` runs lint, typecheck, tests; `python -m nox -s bench`, benchmarks."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable

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


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite, real servers included (moto, ministack, redis-server, node)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs, env={"AWS_EC2_METADATA_DISABLED": "true"})


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff==0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install("-e", ".[typecheck]")
    session.run("mypy", "--strict", "aiocognito")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """The benchmarks, side by side with pycognito, boto3 and aiobotocore; writes benchmarks/RESULTS.md."""
    session.install("-e", ".[bench]")
    session.run("python", "benchmarks/run_all.py", *session.posargs)
