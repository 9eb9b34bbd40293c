"""The SRP backend report: the CPU read from /proc/cpuinfo, GMP's generic-kernel fallback, the CLI line."""

from __future__ import annotations

import sys

import pytest

from aiocognito.cli import main
from aiocognito.srp_backend import CpuId, cpu_id, describe, gmp_kernel_note


def _cpuinfo(vendor: str, family: int, model: int, name: str) -> str:
    one = f"processor\t: 0\nvendor_id\t: {vendor}\ncpu family\t: {family}\n"
    one += f"model\t\t: {model}\nmodel name\t: {name}\n"
    return one + "\n" + one.replace("processor\t: 0", "processor\t: 1")


ZEN5 = _cpuinfo("AuthenticAMD", 26, 2, "AMD EPYC 9R45")
ZEN3 = _cpuinfo("AuthenticAMD", 25, 1, "AMD EPYC 7R13")
INTEL = _cpuinfo("GenuineIntel", 6, 143, "Intel(R) Xeon(R) Platinum 8488C")


def test_the_cpu_is_read_from_cpuinfo() -> None:
    assert cpu_id(ZEN5) == CpuId("AuthenticAMD", 0x1A, 2, "AMD EPYC 9R45")
    assert str(cpu_id(INTEL)) == "Intel(R) Xeon(R) Platinum 8488C (GenuineIntel family 0x06 model 0x8f)"
    assert cpu_id("no cpu here\n") is None


def test_gmp_6_3_on_zen_5_runs_generic_kernels() -> None:
    note = gmp_kernel_note("GMP 6.3.0", cpu_id(ZEN5))
    assert note is not None
    assert note.startswith("GMP runs generic kernels on this CPU")
    assert "0x1a" in note and "Zen 5" in note


@pytest.mark.parametrize(
    ("gmp", "cpuinfo"), [("GMP 6.3.0", ZEN3), ("GMP 6.3.0", INTEL), ("GMP 7.0.0", ZEN5), ("GMP 6.3.0", "")]
)
def test_no_fallback_is_reported_where_none_is_known(gmp: str, cpuinfo: str) -> None:
    assert gmp_kernel_note(gmp, cpu_id(cpuinfo)) is None


def test_describe_names_the_backend_and_the_cpu() -> None:
    lines = describe(ZEN5)
    backend = next(line for line in lines if line.startswith("SRP backend: "))
    assert "CPU: AMD EPYC 9R45 (AuthenticAMD family 0x1a model 0x02)" in lines
    crypto = sys.modules["Crypto"]
    expected = f"pycryptodome {crypto.__version__} IntegerNat (g^a, g^x and S all constant-time)"
    assert backend == f"SRP backend: {expected}"
    assert not any(line.startswith("GMP runs generic kernels") for line in lines)  # no GMP in use


def test_describe_with_gmpy2_names_its_gmp_and_its_kernels() -> None:
    lines = describe(ZEN5, backend="gmpy2")
    backend = next(line for line in lines if line.startswith("SRP backend: "))
    gmpy2 = sys.modules["gmpy2"]
    assert f"gmpy2 {gmpy2.version()} with {gmpy2.mp_version()}" in backend
    assert "powmod_sec, constant-time" in backend
    generic = any(line.startswith("GMP runs generic kernels") for line in lines)
    assert generic == str(gmpy2.mp_version()).startswith("GMP 6.3.")


def test_describe_without_a_backend_says_python() -> None:
    lines = describe(ZEN5, backend="python")
    assert any(line.startswith("SRP backend: Python pow()") for line in lines)
    assert not any(line.startswith("GMP runs generic kernels") for line in lines)


def test_version_verbose_prints_the_backend_and_the_cpu(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version", "--verbose"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("aiocognito ")
    assert any(line.startswith("SRP backend: ") for line in out)
    assert any(line.startswith("CPU: ") for line in out)
    assert main(["--version"]) == 0
    assert "SRP backend" not in capsys.readouterr().out
