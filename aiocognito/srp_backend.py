"""What runs the SRP math here: the big-number backend, with gmpy2 its GMP and whether GMP knows this CPU.

pycryptodome (the default backend) picks its kernels by CPU feature (BMI2/ADX), not by model. gmpy2's
wheels bundle a GMP whose assembly kernels are chosen by the CPU's CPUID family and model. A CPU
newer than that GMP falls back to its generic kernels, which costs about half again on the exponentiations
of a sign-in (issue 13, on AMD Zen 5: 4.1 ms a sign-in instead of 2.7 with GMP's Zen kernels).
``aiocognito --version --verbose`` and the SRP benchmark's header print :func:`describe`.
"""

from __future__ import annotations

import importlib
import platform
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .core import bignum

__all__ = ["CpuId", "cpu_id", "describe", "gmp_kernel_note"]

# The newest AMD CPUID family each GMP release has kernels for (GMP 6.3.0: up to Zen 3/4, family 0x19).
_GMP_AMD_FAMILIES = {(6, 3): 0x19}
_AMD_NAMES = {0x17: "Zen 1/2", 0x19: "Zen 3/4", 0x1A: "Zen 5"}


@dataclass(frozen=True, slots=True)
class CpuId:
    """The CPU as ``/proc/cpuinfo`` reports it (CPUID vendor, family and model)."""

    vendor: str
    family: int
    model: int
    name: str

    def __str__(self) -> str:
        return f"{self.name} ({self.vendor} family {self.family:#04x} model {self.model:#04x})"


def cpu_id(cpuinfo: str | None = None) -> CpuId | None:
    """The first CPU of ``/proc/cpuinfo`` (or of the text given); ``None`` where there is none (not Linux)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    try:
        return CpuId(
            vendor=fields["vendor_id"],
            family=int(fields["cpu family"]),
            model=int(fields["model"]),
            name=fields.get("model name", "unknown"),
        )
    except (KeyError, ValueError):
        return None


def _gmp_version(text: str) -> tuple[int, int] | None:
    found = re.search(r"(\d+)\.(\d+)", text)
    return (int(found.group(1)), int(found.group(2))) if found else None


def gmp_kernel_note(gmp: str, cpu: CpuId | None) -> str | None:
    """A line saying GMP runs its generic kernels on ``cpu``, when this GMP is known not to know it."""
    if cpu is None or cpu.vendor != "AuthenticAMD":
        return None
    version = _gmp_version(gmp)
    newest = _GMP_AMD_FAMILIES.get(version) if version is not None else None
    if newest is None or cpu.family <= newest:
        return None
    name = _AMD_NAMES.get(cpu.family, "a newer AMD core")
    return (
        f"GMP runs generic kernels on this CPU: {gmp} does not know AMD family {cpu.family:#04x} ({name}); "
        "a gmpy2 built on a newer GMP is faster here"
    )


def describe(cpuinfo: str | None = None, backend: str | None = None) -> list[str]:
    """Lines naming the SRP backend, which powmods are constant-time, the CPU and GMP's fit to it.

    ``backend``: describe that one of :func:`aiocognito.core.bignum.available_backends` instead of the
    one in use.
    """
    lines = [f"Python: {platform.python_implementation()} {platform.python_version()} on {sys.platform}"]
    gmp = ""
    name = backend or bignum.backend_name()
    if name == "pycryptodome":
        integer = importlib.import_module("Crypto.Math.Numbers").Integer
        version = importlib.import_module("Crypto").__version__
        lines.append(
            f"SRP backend: pycryptodome {version} {integer.__name__} (g^a, g^x and S all constant-time)"
        )
    elif name == "gmpy2":
        gmpy2 = importlib.import_module("gmpy2")
        gmp = str(gmpy2.mp_version())
        lines.append(
            f"SRP backend: gmpy2 {gmpy2.version()} with {gmp} (g^x and S: powmod_sec, constant-time; "
            "g^a: powmod, variable-time on a secret random exponent)"
        )
    else:
        lines.append(
            "SRP backend: Python pow() (no pycryptodome or gmpy2: about eight times slower, variable-time)"
        )
    cpu = cpu_id(cpuinfo)
    lines.append(f"CPU: {cpu if cpu is not None else platform.processor() or platform.machine()}")
    note = gmp_kernel_note(gmp, cpu) if gmp else None
    if note is not None:
        lines.append(note)
    return lines
