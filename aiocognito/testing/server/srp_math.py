"""The server's half of SRP-6a arithmetic, the mirror of :mod:`aiocognito.core.srp` (Cognito's 3072-bit
group, ``k = H(N | pad(g))``): password verifiers ``v = g^x``, the server's public value
``B = k*v + g^b`` and the shared secret ``S = (A * v^u)^b``.

``g^x`` is computed in constant time where gmpy2 offers it (its exponent depends on the password
alone); the exponents of ``B`` and ``S`` are fresh at every exchange, so the faster exponentiation does.
"""

from __future__ import annotations

from aiocognito.core import srp
from aiocognito.core.srp import powmod, powmod_secret

__all__ = ["server_public_value", "shared_secret", "verifier"]


def verifier(x: int) -> int:
    """``v = g^x mod N``: the verifier of a password's ``x`` (:func:`aiocognito.core.srp.compute_x`)."""
    return powmod_secret(srp.G, x, srp.N)


def server_public_value(verifier: int, b: int) -> int:
    """``B = (k*v + g^b) mod N`` for the server's secret ephemeral ``b``."""
    return (srp.K * verifier + powmod(srp.G, b, srp.N)) % srp.N


def shared_secret(big_a: int, verifier: int, u: int, b: int) -> int:
    """``S = (A * v^u)^b mod N``: the server's side of the premaster secret."""
    base = big_a * powmod(verifier, u, srp.N) % srp.N
    return powmod(base, b, srp.N)
