"""The modular-exponentiation backends (aiocognito.core.bignum): each correct, the choice and its stance."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from aiocognito.core import bignum, srp


def test_every_backend_loads_here() -> None:
    # pycryptodome is a dependency and gmpy2 is in the test extra: both paths run in CI.
    assert list(bignum.available_backends()) == ["pycryptodome", "gmpy2", "python"]


@pytest.mark.parametrize("backend", ["pycryptodome", "gmpy2", "python"])
def test_every_backend_computes_pow(backend: str) -> None:
    fast, secret = bignum.available_backends()[backend]
    edge = [(0, 5), (1, 0), (srp.N - 1, 2), (2, 1), (srp.N + 7, 3)]  # base above N is reduced
    randoms = [
        (int.from_bytes(os.urandom(384), "big"), int.from_bytes(os.urandom(size), "big"))
        for size in (1, 7, 8, 9, 32, 40, 65, 128)
    ]
    for base, exponent in edge + randoms:
        expected = pow(base, exponent, srp.N)
        for function in (fast, secret):
            got = function(base, exponent, srp.N)
            assert got == expected
            assert type(got) is int


def test_other_moduli_and_negative_exponents_still_work() -> None:
    assert bignum.powmod(3, 5, 1009) == pow(3, 5, 1009)  # a modulus other than N
    assert bignum.powmod_secret(3, -1, 1009) == pow(3, -1, 1009)  # through pow(): an inverse
    assert bignum.powmod(3, 5, 1) == 0


def test_the_default_backend_is_constant_time_for_everything() -> None:
    assert bignum.backend_name() == "pycryptodome"
    assert bignum.constant_time() == (True, True)
    assert bignum.RELEASES_GIL


def test_pure_python_integers_are_never_taken_for_the_constant_time_ones() -> None:
    # PYCRYPTODOME_INTEGER=native makes pycryptodome's Integer pure Python and variable-time: gmpy2 then.
    code = "from aiocognito.core import bignum; print(bignum.backend_name(), bignum.constant_time())"
    env = {**os.environ, "PYCRYPTODOME_INTEGER": "native"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["gmpy2", "(False,", "True)"]


def test_exponents_are_passed_in_whole_words() -> None:
    # The run time may depend on the exponent's length in 64-bit words, never on its exact bit length:
    # x (SHA-256) is always four words, whatever its leading zeros.
    secret = bignum.SECRET_EXPONENT_BYTES
    assert bignum.exponent_bytes(1, secret) == bignum.exponent_bytes(2**255, secret) == 32
    assert bignum.exponent_bytes(2**256, secret) == 40
    assert bignum.exponent_bytes(0) == bignum.exponent_bytes(255) == 8
    assert bignum.exponent_bytes(2**319) == bignum.exponent_bytes(2**312) == 40  # a: 320 bits


def test_importing_the_package_imports_no_backend() -> None:
    code = (
        "import sys, aiocognito.core.srp; "
        "print(sorted(m for m in sys.modules "
        "if m in ('gmpy2', 'Crypto.Math.Numbers', 'Crypto.Math._IntegerNat')))"
    )  # (finding pycryptodome imports its two empty package modules, Crypto and Crypto.Math)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
