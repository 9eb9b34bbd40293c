"""CPU cost of one SRP sign-in computation: aiocognito against pycognito on identical inputs.

One sign-in is what a client computes for ``USER_SRP_AUTH``: a fresh secret ``a`` and ``A = g^a``,
then the ``PASSWORD_VERIFIER`` claim (``x``, ``u``, ``S``, HKDF, signature) for the "typical" vector's
``SRP_B``, ``SALT`` and ``SECRET_BLOCK``. CPU time is user + system time of this process and its
children (``getrusage``), so it counts work wherever a library puts it.

Then the big-number backends that can be imported (gmpy2 ``powmod`` and ``powmod_sec``, Python's
``pow``, OpenSSL through cryptography's DH exchange, python-flint, pycryptodome), timed on the three
exponentiations of a sign-in: ``g^a`` (320-bit secret exponent), ``g^x`` (256-bit, password-dependent)
and ``S`` (a 3072-bit base to the exponent ``a + u*x``, about 512 bits). Then the size of ``a`` against
the exponentiation choices (pycryptodome constant-time throughout, as shipped; gmpy2 as the fallback
uses it; gmpy2 with only ``g^x`` constant-time, as shipped before), in interleaved rounds.

Last, end to end against the local user pool in another process (``benchmarks/_local_pool.py``): client
CPU per SRP sign-in of ``pool.sign_in`` (concurrent, ``asyncio.gather``), ``pool.sign_in_many`` and
pycognito (``AWSSRP.authenticate_user`` on one boto3 client, in threads), each in a fresh child process
(its ``getrusage``, after a warm-up sign-in), in interleaved rounds; ratios with their range.

    python benchmarks/bench_srp.py [--rounds N] [--repeats R] [--no-variants] [--e2e-users N] [--quick]

``--quick`` runs every table on small counts (10 sign-ins, 1 round, 10 end to end): it checks the code
paths in seconds; its figures are noise.

Needs the ``bench`` extra (pycognito). Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _local_pool import PASSWORD, LocalPoolProcess

from aiocognito.core import bignum, srp
from benchmarks._util import markdown_table

VECTORS = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "srp_js.json"


def cpu_seconds() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def measure(sign_in: Callable[[], object], rounds: int, repeats: int) -> float:
    """Median over ``repeats`` of the mean CPU milliseconds per call over ``rounds`` calls."""
    sign_in()  # warm up
    means = []
    for _ in range(repeats):
        start = cpu_seconds()
        for _ in range(rounds):
            sign_in()
        means.append((cpu_seconds() - start) / rounds * 1000)
    return statistics.median(means)


def measure_interleaved(
    tools: dict[str, Callable[[], object]], rounds: int, repeats: int
) -> dict[str, list[float]]:
    """CPU ms per call of each tool, ``repeats`` times, the tools taking turns (A B C A B C ...)."""
    for tool in tools.values():
        tool()  # warm up
    times: dict[str, list[float]] = {name: [] for name in tools}
    for _ in range(repeats):
        for name, tool in tools.items():
            start = cpu_seconds()
            for _ in range(rounds):
                tool()
            times[name].append((cpu_seconds() - start) / rounds * 1000)
    return times


def spread(values: list[float], unit: str = "") -> str:
    """``median (min-max)``."""
    return f"{statistics.median(values):.2f}{unit} ({min(values):.2f}-{max(values):.2f})"


def with_powmods(sign_in: Callable[[], object], fast: PowMod, secret: PowMod) -> Callable[[], object]:
    def run() -> object:
        with powmods(fast, secret):
            return sign_in()

    return run


def _only_g_x(fast: PowMod, secret: PowMod) -> PowMod:
    """``secret`` for ``g^x`` only and ``fast`` for ``S``: what aiocognito shipped before issue 13."""

    def powmod_secret(base: int, exponent: int, modulus: int) -> int:
        return (secret if base == srp.G else fast)(base, exponent, modulus)

    return powmod_secret


@contextmanager
def powmods(fast: Callable[[int, int, int], int], secret: Callable[[int, int, int], int]) -> Iterator[None]:
    saved = srp.powmod, srp.powmod_secret
    srp.powmod, srp.powmod_secret = fast, secret
    try:
        yield
    finally:
        srp.powmod, srp.powmod_secret = saved


def aiocognito_sign_in(inputs: dict[str, Any], a_bytes: int = srp.EPHEMERAL_BYTES) -> Callable[[], str]:
    name = srp.pool_name(inputs["pool_id"])

    def sign_in() -> str:
        eph = srp.ephemeral(os.urandom(a_bytes))
        _ = eph.srp_a  # what InitiateAuth sends
        return srp.password_claim(
            pool_name=name,
            user_id_for_srp=inputs["user_id_for_srp"],
            password=inputs["password"],
            ephemeral=eph,
            srp_b=inputs["srp_b_hex"],
            salt=inputs["salt_hex"],
            secret_block=inputs["secret_block_b64"],
            timestamp=inputs["timestamp"],
        )

    return sign_in


def pycognito_sign_in(inputs: dict[str, Any]) -> tuple[Callable[[], object], Any]:
    from pycognito.aws_srp import AWSSRP

    aws = AWSSRP(
        username=inputs["user_id_for_srp"],
        password=inputs["password"],
        pool_id=inputs["pool_id"],
        client_id="1example23456789",
        client=object(),  # never used: only the math runs
    )
    challenge = {
        "USERNAME": inputs["user_id_for_srp"],
        "USER_ID_FOR_SRP": inputs["user_id_for_srp"],
        "SALT": inputs["salt_hex"],
        "SRP_B": inputs["srp_b_hex"],
        "SECRET_BLOCK": inputs["secret_block_b64"],
    }
    request = {"USERNAME": inputs["user_id_for_srp"]}

    def sign_in() -> object:
        aws.small_a_value = aws.generate_random_small_a()
        aws.large_a_value = aws.calculate_a()
        _ = aws.get_auth_params()["SRP_A"]
        return aws.process_challenge(challenge, request)

    return sign_in, aws


def check_both_agree_with_the_vector(case: dict[str, Any]) -> None:
    inputs = case["inputs"]
    a = int(inputs["a_hex"], 16)
    eph = srp.ephemeral(a.to_bytes(max(1, (a.bit_length() + 7) // 8), "big"))
    claim = srp.password_claim(
        pool_name=srp.pool_name(inputs["pool_id"]),
        user_id_for_srp=inputs["user_id_for_srp"],
        password=inputs["password"],
        ephemeral=eph,
        srp_b=inputs["srp_b_hex"],
        salt=inputs["salt_hex"],
        secret_block=inputs["secret_block_b64"],
        timestamp=inputs["timestamp"],
    )
    _, aws = pycognito_sign_in(inputs)
    aws.small_a_value = a
    aws.large_a_value = aws.calculate_a()
    aws.get_cognito_formatted_timestamp = lambda moment: inputs["timestamp"]
    theirs = aws.process_challenge(
        {
            "USER_ID_FOR_SRP": inputs["user_id_for_srp"],
            "SALT": inputs["salt_hex"],
            "SRP_B": inputs["srp_b_hex"],
            "SECRET_BLOCK": inputs["secret_block_b64"],
        },
        {"USERNAME": inputs["user_id_for_srp"]},
    )["PASSWORD_CLAIM_SIGNATURE"]
    expected = case["password_claim_signature"]
    if claim != expected or theirs != expected:
        raise SystemExit(f"signatures disagree: aiocognito {claim}, pycognito {theirs}, vector {expected}")


# --- big-number backends ---------------------------------------------------------------------------

PowMod = Callable[[int, int, int], int]


def _backends() -> list[tuple[str, str, PowMod]]:
    """(name, side-channel note, powmod) for every backend that imports here."""
    found: list[tuple[str, str, PowMod]] = [("Python pow()", "variable-time", pow)]
    try:
        import gmpy2
    except ImportError:
        pass
    else:
        fast, sec = gmpy2.powmod, gmpy2.powmod_sec
        found.append(("gmpy2 powmod", "variable-time", lambda b, e, m: int(fast(b, e, m))))
        found.append(("gmpy2 powmod_sec", "constant-time (mpz_powm_sec)", lambda b, e, m: int(sec(b, e, m))))
    try:
        from cryptography.hazmat.primitives.asymmetric import dh
    except ImportError:
        pass
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # FFDH is deprecated in cryptography 50
            params = dh.DHParameterNumbers(srp.N, srp.G)

        def openssl(base: int, exponent: int, modulus: int) -> int:
            # The private key's own public value is not checked: 5 stands in for it.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # FFDH is deprecated in cryptography 50
                key = dh.DHPrivateNumbers(exponent, dh.DHPublicNumbers(5, params)).private_key()
                return int.from_bytes(key.exchange(dh.DHPublicNumbers(base, params).public_key()), "big")

        found.append(("OpenSSL DH exchange (cryptography)", "constant-time; FFDH deprecated", openssl))
    try:
        import flint
    except ImportError:
        pass
    else:
        fmpz = flint.fmpz
        found.append(
            ("python-flint fmpz", "variable-time", lambda b, e, m: int(pow(fmpz(b), fmpz(e), fmpz(m))))
        )
    if "pycryptodome" in bignum.available_backends():
        fast, secret = bignum.available_backends()["pycryptodome"]
        found.append(("pycryptodome IntegerNat (shipped)", "constant-time", secret))
    return found


def _thread_ms(function: Callable[[], object], rounds: int) -> float:
    function()
    start = time.thread_time()
    for _ in range(rounds):
        function()
    return (time.thread_time() - start) / rounds * 1000


def backend_table(rounds: int, repeats: int) -> str:
    a = int.from_bytes(os.urandom(srp.EPHEMERAL_BYTES), "big") | 1 << (8 * srp.EPHEMERAL_BYTES - 1)
    x = int.from_bytes(os.urandom(32), "big")
    base = int.from_bytes(os.urandom(384), "big") % srp.N
    exponent_s = a + int.from_bytes(os.urandom(32), "big") * x
    rows = []
    for name, note, powmod in _backends():
        if powmod(base, exponent_s, srp.N) != pow(base, exponent_s, srp.N):
            raise SystemExit(f"{name} computes a wrong power")
        n = max(3, rounds // 10) if name == "Python pow()" else rounds
        cells = []
        total = 0.0
        for b, e in ((srp.G, a), (srp.G, x), (base, exponent_s)):

            def once(b: int = b, e: int = e, powmod: PowMod = powmod) -> int:
                return powmod(b, e, srp.N)

            ms = statistics.median(_thread_ms(once, n) for _ in range(repeats))
            total += ms
            cells.append(f"{ms:.3f}")
        rows.append([name, note, *cells, f"{total:.2f}"])
    return markdown_table(["backend", "side channels", "g^a ms", "g^x ms", "S ms", "sum ms"], rows, "llrrrr")


# --- end to end, against the local pool ---------------------------------------------------------------

_E2E = {
    "sign_in": "aiocognito pool.sign_in (gather)",
    "sign_in_many": "aiocognito sign_in_many (rate=None)",
    "pycognito": "pycognito AWSSRP + boto3, threads",
}


async def _aiocognito_child(info: dict[str, Any], many: bool) -> float:
    import aiocognito

    first, n, c = info["first"], info["n"], info["concurrency"]
    async with aiocognito.UserPool(
        info["pool_id"], info["client_id"], endpoint_url=info["endpoint_url"]
    ) as pool:
        await pool.sign_in(f"u{first}", PASSWORD)  # warm: a connection, gmpy2 in the workers
        start = _own_cpu()
        if many:
            users = [(f"u{i}", PASSWORD) for i in range(first + 1, first + 1 + n)]
            ok = sum([r.ok async for r in pool.sign_in_many(users, rate=None, concurrency=c)])
        else:
            ok = 0
            for at in range(first + 1, first + 1 + n, c):
                names = [f"u{i}" for i in range(at, min(at + c, first + 1 + n))]
                steps = await asyncio.gather(*(pool.sign_in(u, PASSWORD) for u in names))
                ok += sum(step.user is not None for step in steps)
        cpu = _own_cpu() - start
    if ok != n:
        raise SystemExit(f"only {ok} of {n} signed in")
    return cpu


def _pycognito_child(info: dict[str, Any]) -> float:
    from concurrent.futures import ThreadPoolExecutor

    import boto3
    from pycognito.aws_srp import AWSSRP

    client = boto3.client("cognito-idp", endpoint_url=info["endpoint_url"], region_name="us-east-1")

    def one(i: int) -> bool:
        aws = AWSSRP(f"u{i}", PASSWORD, info["pool_id"], info["client_id"], client=client)
        return "AccessToken" in aws.authenticate_user()["AuthenticationResult"]

    first, n = info["first"], info["n"]
    with ThreadPoolExecutor(info["concurrency"]) as threads:
        one(first)
        start = _own_cpu()
        ok = sum(threads.map(one, range(first + 1, first + 1 + n)))
        cpu = _own_cpu() - start
    if ok != n:
        raise SystemExit(f"only {ok} of {n} signed in")
    return cpu


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(mode: str, info: dict[str, Any]) -> None:
    if mode == "pycognito":
        cpu = _pycognito_child(info)
    else:
        cpu = asyncio.run(_aiocognito_child(info, many=mode == "sign_in_many"))
    print(json.dumps({"cpu_ms": cpu / info["n"] * 1000}))


def end_to_end(users: int, rounds: int, concurrency: int) -> str:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    measured: dict[str, list[float]] = {mode: [] for mode in _E2E}
    print(f"end to end: {rounds} rounds of {users} sign-ins per tool...", file=sys.stderr, flush=True)
    with LocalPoolProcess(users=rounds * len(_E2E) * (users + 1)) as server:
        first = 0
        for _ in range(rounds):
            for mode in _E2E:
                info = {
                    "endpoint_url": server.endpoint_url,
                    "pool_id": server.pool_id,
                    "client_id": server.client_id,
                    "first": first,
                    "n": users,
                    "concurrency": concurrency,
                }
                first += users + 1
                done = subprocess.run(
                    [sys.executable, __file__, "--child", mode, json.dumps(info)],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=False,
                    timeout=1800,
                )
                if done.returncode != 0:
                    raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
                measured[mode].append(json.loads(done.stdout.strip().splitlines()[-1])["cpu_ms"])
    pyco = measured["pycognito"]
    rows = []
    for mode, label in _E2E.items():
        ms = measured[mode]
        ratios = [p / m for p, m in zip(pyco, ms, strict=True)]
        rows.append(
            [
                label,
                f"{statistics.median(ms):.2f} ({min(ms):.2f}-{max(ms):.2f})",
                f"{statistics.median(ratios):.1f}x ({min(ratios):.1f}-{max(ratios):.1f})",
            ]
        )
    return (
        f"End to end against the local pool in another process: {users} SRP sign-ins per tool and round, "
        f"{concurrency} in flight, {rounds} interleaved rounds; client CPU (user + system of the client "
        "process, its worker threads included) per sign-in, median (range), and pycognito's CPU over "
        "the tool's in the same round.\n\n"
        + markdown_table(["tool", "client CPU ms / sign-in", "pycognito / tool"], rows)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, help="sign-ins per measurement (default 100; quick 10)")
    parser.add_argument("--repeats", type=int, help="measurements, median reported (default 3; quick 1)")
    parser.add_argument("--no-variants", action="store_true", help="skip the exponent-size table")
    parser.add_argument(
        "--e2e-users", type=int, help="sign-ins per tool and round, end to end (200; quick 10)"
    )
    parser.add_argument("--e2e-rounds", type=int, help="interleaved end-to-end rounds (default 3; quick 1)")
    parser.add_argument("--concurrency", type=int, default=16, help="end-to-end sign-ins in flight")
    parser.add_argument("--quick", action="store_true", help="small counts: checks the code paths")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], json.loads(args.child[1]))
        return
    # Defaults applied here so that an explicit size wins over --quick's.
    for name, full, quick in (
        ("rounds", 100, 10),
        ("repeats", 3, 1),
        ("e2e_users", 200, 10),
        ("e2e_rounds", 3, 1),
    ):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)

    doc = json.loads(VECTORS.read_text(encoding="utf-8"))
    case = next(c for c in doc["srp_helper_vectors"] if c["name"] == "typical")
    inputs = case["inputs"]
    check_both_agree_with_the_vector(case)

    pycognito_version = importlib.metadata.version("pycognito")
    print(
        f"Python {sys.version.split()[0]}, pycognito {pycognito_version}, "
        f"{args.rounds} sign-ins x {args.repeats} interleaved rounds (median and range), "
        f"``a`` = {8 * srp.EPHEMERAL_BYTES} bits for aiocognito, 1024 for pycognito\n"
    )
    from aiocognito.srp_backend import describe

    print("".join(f"- {line}\n" for line in describe()))
    backends = bignum.available_backends()
    tools: dict[str, Callable[[], object]] = {}
    for name, (fast_fn, secret_fn) in backends.items():
        label = f"aiocognito ({name}{', shipped' if name == bignum.backend_name() else ''})"
        tools[label] = with_powmods(aiocognito_sign_in(inputs), fast_fn, secret_fn)
    pyco, _ = pycognito_sign_in(inputs)
    tools[f"pycognito {pycognito_version} (pow())"] = pyco
    times = measure_interleaved(tools, args.rounds, args.repeats)
    pyco_times = times[f"pycognito {pycognito_version} (pow())"]
    print(
        markdown_table(
            ["tool", "CPU ms per sign-in", "pycognito / tool"],
            [
                [tool, spread(ms), spread([p / t for p, t in zip(pyco_times, ms, strict=True)], "x")]
                for tool, ms in times.items()
            ],
            "lrr",
        )
    )

    print("\nBig-number backends, CPU ms per exponentiation (median of the repeats):\n")
    print(backend_table(args.rounds, args.repeats))
    print()
    print(end_to_end(args.e2e_users, args.e2e_rounds, args.concurrency))

    if args.no_variants:
        return
    choices: dict[str, tuple[PowMod, PowMod]] = {}
    if "pycryptodome" in backends:
        choices["pycryptodome, all constant-time (shipped)"] = backends["pycryptodome"]
    if "gmpy2" in backends:
        fast, sec = backends["gmpy2"]
        choices["gmpy2: g^a powmod, g^x and S powmod_sec (fallback)"] = (fast, sec)
        choices["gmpy2: only g^x powmod_sec (before)"] = (fast, _only_g_x(fast, sec))
    print("\nSize of ``a`` and exponentiation, CPU ms per sign-in (interleaved rounds, median and range):\n")
    variants = {
        f"{a_bits} bits | {label}": with_powmods(aiocognito_sign_in(inputs, a_bits // 8), fast_fn, secret_fn)
        for a_bits in (8 * srp.EPHEMERAL_BYTES, 640, 1024)
        for label, (fast_fn, secret_fn) in choices.items()
    }
    variant_times = measure_interleaved(variants, args.rounds, args.repeats)
    shipped = next(iter(variant_times.values()))
    rows = [
        [*key.split(" | "), spread(ms), spread([t / s for t, s in zip(ms, shipped, strict=True)], "x")]
        for key, ms in variant_times.items()
    ]
    print(markdown_table(["a", "exponentiation", "CPU ms per sign-in", "÷ shipped"], rows, "llrr"))


if __name__ == "__main__":
    main()
