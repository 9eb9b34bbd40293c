"""Run every benchmark of this directory side by side and write benchmarks/RESULTS.md.

Runs, each in its own process, the ``bench_*.py`` scripts that exist (bench_transport, bench_srp,
bench_tokens, bench_verify, bench_bulk, bench_throughput, bench_fleet, ...), collects the Markdown each
prints on stdout and writes RESULTS.md with the machine, the command and every figure and ratio.
``--quick`` passes ``--quick`` to every script (each takes it: small counts that check the code paths in
seconds, as CI does in tests/integration/test_benchmarks_quick.py; the figures are noise). Arguments after
``--`` go to bench_bulk.py.

    python benchmarks/run_all.py [--quick] [--only NAME ...] [--out FILE] [-- BENCH_BULK_ARGS]
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._util import command_line, machine_lines

HERE = Path(__file__).resolve().parent
_ORDER = [
    "bench_srp",
    "bench_loop_lag",
    "bench_bulk",
    "bench_throughput",
    "bench_fleet",
    "bench_transport",
    "bench_tokens",
    "bench_verify",
    "bench_hostile",
]
# Arguments for a short run, per script: every script takes --quick (a new one without it fails CI);
# bench_bulk's own --quick takes a minute, so its sizes are made smaller here.
_QUICK = {name: ["--quick"] for name in _ORDER} | {
    "bench_bulk": ["--quick", "--users", "40", "--lag-users", "50", "--memory-users", "1000"]
}


def _scripts(only: list[str]) -> list[Path]:
    found = {p.stem: p for p in HERE.glob("bench_*.py")}
    names = [n for n in _ORDER if n in found] + sorted(n for n in found if n not in _ORDER)
    if only:
        names = [n for n in names if n in only or n.removeprefix("bench_") in only]
    return [found[n] for n in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs")
    parser.add_argument("--only", nargs="*", default=[], help="run only these (bench_bulk or bulk...)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="where to write")
    parser.add_argument("bulk_args", nargs="*", help="extra arguments for bench_bulk.py (after --)")
    args = parser.parse_args()
    started = time.monotonic()
    sections: list[str] = []
    failures: list[str] = []
    for script in _scripts(args.only):
        extra: list[str] = []
        if args.quick:
            extra = list(_QUICK.get(script.stem, ["--quick"]))
        if script.stem == "bench_bulk":
            extra += args.bulk_args
        command = [sys.executable, str(script), *extra]
        print(f"== {script.name} {' '.join(extra)}", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
        took = time.monotonic() - t0
        shown = f"`python benchmarks/{script.name}{' ' + ' '.join(extra) if extra else ''}` ({took:.0f} s)"
        if done.returncode != 0:
            failures.append(script.name)
            sections.append(f"## {script.stem}\n\n{shown} failed with exit status {done.returncode}.\n")
            continue
        body = done.stdout.strip()
        if not body.startswith("#"):
            body = f"## {script.stem}\n\n{body}"
        sections.append(f"{body}\n\nRun as {shown}.\n")
    total = time.monotonic() - started
    header = [
        "# aiocognito benchmarks",
        "",
        f"Written by `{command_line()}` (`nox -s bench` runs the same) on "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, in {total / 60:.1f} min.",
        "",
        "## Machine",
        "",
        *machine_lines(
            ["aiocognito", "aiohttp", "gmpy2", "pycognito", "boto3", "botocore", "aiobotocore", "redis"]
        ),
        "",
    ]
    args.out.write_text("\n".join(header) + "\n" + "\n".join(sections), encoding="utf-8")
    print(f"wrote {args.out} in {total:.0f} s", file=sys.stderr)
    if failures:
        raise SystemExit(f"failed: {', '.join(failures)}")


if __name__ == "__main__":
    main()
