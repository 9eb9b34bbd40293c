"""Developer tasks: `nox` runs lint, typecheck and tests; `nox -s bench` runs the benchmarks."""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.error_on_missing_interpreters = True

PYTHON = "3.11"


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


@nox.session(python=PYTHON)
def soak(session: nox.Session) -> None:
    """The long runs: the fuzz (10,000 iterations) and the fault-proxy test, 20 times their CI size.

    ``AIOCOGNITO_FUZZ_SEED`` (and ``AIOCOGNITO_FUZZ_REPORT``, ``AIOCOGNITO_FAULT_REPORT``) pass through.
    """
    session.install("-e", ".[test]")
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
