"""CPU cost of one SRP sign-in computation: aiocognito against pycognito on identical inputs.

One sign-in is what a client computes for ``USER_SRP_AUTH``: a fresh secret ``a`` and ``A = g^a``,
then the ``PASSWORD_VERIFIER`` claim (``x``, ``u``, ``S``, HKDF, signature) for the "typical" vector's
``SRP_B``, ``SALT`` and ``SECRET_BLOCK``. CPU time is user + system time of this process and its
children (``getrusage``), so it counts work wherever a library puts it.

    python benchmarks/bench_srp.py [--rounds N] [--repeats R] [--no-variants]

Needs the ``bench`` extra (pycognito). Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import resource
import statistics
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiocognito.core import srp

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=100, help="sign-ins per measurement (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="measurements, median reported (default 3)")
    parser.add_argument("--no-variants", action="store_true", help="skip the exponent-size table")
    args = parser.parse_args()

    doc = json.loads(VECTORS.read_text(encoding="utf-8"))
    case = next(c for c in doc["srp_helper_vectors"] if c["name"] == "typical")
    inputs = case["inputs"]
    check_both_agree_with_the_vector(case)

    import gmpy2

    pycognito_version = importlib.metadata.version("pycognito")
    print(
        f"Python {sys.version.split()[0]}, gmpy2 {gmpy2.version()}, pycognito {pycognito_version}, "
        f"{args.rounds} sign-ins x {args.repeats} (median), ``a`` = {8 * srp.EPHEMERAL_BYTES} bits "
        f"for aiocognito, 1024 for pycognito\n"
    )
    rows: list[tuple[str, float]] = []
    if srp.HAVE_GMPY2:
        rows.append(("aiocognito (gmpy2)", measure(aiocognito_sign_in(inputs), args.rounds, args.repeats)))
    with powmods(srp._powmod_builtin, srp._powmod_builtin):
        rows.append(
            ("aiocognito (pure pow())", measure(aiocognito_sign_in(inputs), args.rounds, args.repeats))
        )
    pyco, _ = pycognito_sign_in(inputs)
    pyco_ms = measure(pyco, args.rounds, args.repeats)
    rows.append((f"pycognito {pycognito_version} (pow())", pyco_ms))

    print("| tool | CPU ms per sign-in | ratio (pycognito / tool) |")
    print("|---|---:|---:|")
    for tool, ms in rows:
        print(f"| {tool} | {ms:.2f} | {pyco_ms / ms:.1f}x |")

    if args.no_variants or not srp.HAVE_GMPY2:
        return
    fast, sec = srp._powmod_gmpy2, srp._powmod_gmpy2_sec
    choices = [
        ("powmod, g^x powmod_sec (shipped)", fast, sec),
        ("all powmod", fast, fast),
        ("all powmod_sec", sec, sec),
    ]
    print("\nSize of ``a`` and exponentiation (gmpy2), CPU ms per sign-in:\n")
    print("| a | " + " | ".join(label for label, _, _ in choices) + " |")
    print("|---|" + "---:|" * len(choices))
    for a_bits in (640, 768, 1024):
        cells = []
        for _, fast_fn, secret_fn in choices:
            with powmods(fast_fn, secret_fn):
                ms = measure(aiocognito_sign_in(inputs, a_bits // 8), args.rounds, args.repeats)
            cells.append(f"{ms:.2f}")
        print(f"| {a_bits} bits | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
