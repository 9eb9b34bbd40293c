"""Modular exponentiation for SRP: which library does it, and which calls are constant-time.

Three backends, the first that imports wins (:func:`load_backend` imports it, off the event loop):

* **pycryptodome** 4.4 or later, ``Crypto.Math.Numbers.Integer`` when it is the constant-time
  ``IntegerNat`` (C, with BMI2/ADX kernels where the CPU has them). Every exponentiation is
  constant-time; its run time depends on the exponent's length in 64-bit words and on nothing else.
  It lets go of the GIL during the call (ctypes), so worker threads run in parallel.
* **gmpy2** (GMP): ``powmod`` is variable-time, ``powmod_sec`` (``mpz_powm_sec``) constant-time and
  slower; gmpy2 lets go of the GIL once a thread's context allows it.
* Python's ``pow()``: variable-time, holds the GIL, about eight times slower.

:func:`powmod` is for exponents that are fresh and random at every call (``A = g^a``, and the server
half of SRP in the local pool); :func:`powmod_secret` for anything a password reaches (``g^x`` and
``S``). With pycryptodome both are constant-time; with gmpy2 only :func:`powmod_secret` is.
``benchmarks/bench_srp.py`` measures them all side by side.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from typing import Any

__all__ = [
    "HAVE_GMPY2",
    "HAVE_INTEGER_NAT",
    "RELEASES_GIL",
    "SECRET_EXPONENT_BYTES",
    "PowMod",
    "available_backends",
    "backend_loaded",
    "backend_name",
    "constant_time",
    "exponent_bytes",
    "load_backend",
    "powmod",
    "powmod_builtin",
    "powmod_secret",
    "release_gil_in_this_thread",
]

#: ``(base, exponent, modulus) -> base ** exponent % modulus``.
PowMod = Callable[[int, int, int], int]

_WORD = 8  # bytes: an exponent is handed over in whole 64-bit words, so only its word count shows
#: The shortest encoding of an exponent given to :func:`powmod_secret` (pycryptodome): 256 bits, SHA-256's.
SECRET_EXPONENT_BYTES = 32


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent package that fails to import
        return False


#: Whether pycryptodome's constant-time integers are installed (``Crypto.Math._IntegerNat``, 4.4+).
HAVE_INTEGER_NAT: bool = _importable("Crypto.Math._IntegerNat")
#: Whether gmpy2 is installed.
HAVE_GMPY2: bool = _importable("gmpy2")
#: Whether the backend lets go of the GIL while it exponentiates (worker threads then run in parallel).
RELEASES_GIL: bool = HAVE_INTEGER_NAT or HAVE_GMPY2

# Imported on first use (gmpy2 about 20 ms, pycryptodome about 5), not with aiocognito.
_integer: Any = None  # pycryptodome's Integer class, once it is known to be IntegerNat
_moduli: dict[int, Any] = {}  # public moduli as Integers: each keeps its Montgomery context
_gmpy2: Any = None
_loaded = False


def _load_pycryptodome() -> Any:
    global _integer  # noqa: PLW0603 - the lazily imported backend
    if _integer is None and HAVE_INTEGER_NAT:
        try:
            integer = importlib.import_module("Crypto.Math.Numbers").Integer
        except (ImportError, OSError):  # its C library did not load: the next backend
            return None
        # Forced to native integers (pycryptodome's own environment switch), Integer is pure Python and
        # variable-time: not this backend.
        if integer.__name__ == "IntegerNat":
            _integer = integer
    return _integer


def _load_gmpy2() -> Any:
    global _gmpy2  # noqa: PLW0603 - the lazily imported backend
    if _gmpy2 is None and HAVE_GMPY2:
        _gmpy2 = importlib.import_module("gmpy2")
    return _gmpy2


def load_backend() -> None:
    """Import the backend now. Worker threads call it as they start, so neither ``import aiocognito``
    nor the event loop pays for the import."""
    global _loaded  # noqa: PLW0603 - set once the backend is chosen
    if not _loaded:
        if _load_pycryptodome() is None:
            _load_gmpy2()
        _loaded = True


def backend_loaded() -> bool:
    """Whether :func:`load_backend` has run (nothing is left to import on the first sign-in)."""
    return _loaded


def backend_name() -> str:
    """``"pycryptodome"``, ``"gmpy2"`` or ``"python"``: what does the exponentiations (loads it)."""
    load_backend()
    return "pycryptodome" if _integer is not None else "gmpy2" if _gmpy2 is not None else "python"


def constant_time() -> tuple[bool, bool]:
    """Whether :func:`powmod` and :func:`powmod_secret` are constant-time with the loaded backend."""
    name = backend_name()
    return name == "pycryptodome", name != "python"


def exponent_bytes(value: int, minimum: int = _WORD) -> int:
    """How many bytes an exponent is handed over in: whole 64-bit words, at least ``minimum`` bytes."""
    return max(minimum, -(-value.bit_length() // (8 * _WORD)) * _WORD)


def _powmod_pycryptodome(base: int, exponent: int, modulus: int, minimum: int = _WORD) -> int:
    integer = _integer
    m = _moduli.get(modulus)
    if m is None:
        m = integer(modulus, public=True)
        if len(_moduli) < 8:  # SRP uses one modulus; a caller with others gets no cache
            _moduli[modulus] = m
    size = (modulus.bit_length() + 7) // 8
    # Fixed-length encodings: the numbers' bounds, and so the run time, depend on lengths alone.
    b = integer.from_bytes((base % modulus).to_bytes(size, "big"))
    e = integer.from_bytes(exponent.to_bytes(exponent_bytes(exponent, minimum), "big"))
    return int.from_bytes(pow(b, e, m).to_bytes(size, "big"), "big")


def _powmod_pycryptodome_secret(base: int, exponent: int, modulus: int) -> int:
    # At least SECRET_EXPONENT_BYTES: x, a SHA-256 value, always takes as long, leading zeros or not.
    return _powmod_pycryptodome(base, exponent, modulus, SECRET_EXPONENT_BYTES)


def _powmod_gmpy2(base: int, exponent: int, modulus: int) -> int:
    return int(_gmpy2.powmod(base, exponent, modulus))


def _powmod_gmpy2_sec(base: int, exponent: int, modulus: int) -> int:
    # mpz_powm_sec wants a positive exponent; x == 0 would need a SHA-256 preimage of zero.
    if exponent <= 0:
        return pow(base, exponent, modulus)
    return int(_gmpy2.powmod_sec(base, exponent, modulus))


def powmod_builtin(base: int, exponent: int, modulus: int) -> int:
    """``pow(base, exponent, modulus)``: the fallback backend, variable-time."""
    return pow(base, exponent, modulus)


def _chosen(secret: bool) -> PowMod:
    load_backend()
    if _integer is not None:
        return _powmod_pycryptodome_secret if secret else _powmod_pycryptodome
    if _gmpy2 is not None:
        return _powmod_gmpy2_sec if secret else _powmod_gmpy2
    return powmod_builtin


def powmod(base: int, exponent: int, modulus: int) -> int:
    """``base ** exponent % modulus`` for an exponent that is fresh and random at every call.

    Constant-time with pycryptodome, variable-time with gmpy2 (``powmod``) or ``pow()``.
    """
    if exponent < 0 or modulus <= 1:
        return pow(base, exponent, modulus)
    return _chosen(secret=False)(base, exponent, modulus)


def powmod_secret(base: int, exponent: int, modulus: int) -> int:
    """``base ** exponent % modulus``, constant-time where the backend offers it (pycryptodome, gmpy2's
    ``powmod_sec``): for an exponent that a password reaches."""
    if exponent < 0 or modulus <= 1:
        return pow(base, exponent, modulus)
    return _chosen(secret=True)(base, exponent, modulus)


def available_backends() -> dict[str, tuple[PowMod, PowMod]]:
    """Every backend that loads here, best first: name to ``(powmod, powmod_secret)`` (for tests and
    benchmarks; :func:`powmod` and :func:`powmod_secret` use the first)."""
    found: dict[str, tuple[PowMod, PowMod]] = {}
    if _load_pycryptodome() is not None:
        found["pycryptodome"] = (_powmod_pycryptodome, _powmod_pycryptodome_secret)
    if _load_gmpy2() is not None:
        found["gmpy2"] = (_powmod_gmpy2, _powmod_gmpy2_sec)
    found["python"] = (powmod_builtin, powmod_builtin)
    return found


def release_gil_in_this_thread() -> None:
    """Thread initializer: load the backend and let this thread's gmpy2 context release the GIL."""
    load_backend()
    gmpy2 = sys.modules.get("gmpy2") if _gmpy2 is not None else None
    if gmpy2 is not None:
        gmpy2.get_context().allow_release_gil = True
