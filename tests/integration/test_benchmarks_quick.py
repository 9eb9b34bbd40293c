"""Every benchmark's code path, on small counts: ``python benchmarks/run_all.py --quick``.

The benchmarks start their own servers on 127.0.0.1 (the local user pool, a fake Cognito, redis-server)
in processes of their own and stop them. Only the exit status and the Markdown are checked: timings on a
shared CI machine are noise, so none is asserted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "benchmarks"
SCRIPTS = sorted(path.stem for path in BENCHMARKS.glob("bench_*.py"))


def test_run_all_quick_runs_every_benchmark(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    env = {
        **os.environ,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        # The checkout's package, whichever aiocognito the environment has installed.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run_all.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report = out.read_text(encoding="utf-8")
    assert report.startswith("# aiocognito benchmarks\n")
    assert "failed with exit status" not in report
    # run_all writes "Run as `python benchmarks/<script> --quick` (N s)." after each script that succeeded.
    ran = re.findall(r"^Run as `python benchmarks/(bench_\w+)\.py --quick[^`]*` \(\d+ s\)\.$", report, re.M)
    assert sorted(ran) == SCRIPTS  # every bench_*.py, each once, with --quick
    sections = re.split(r"^Run as `.*$", report, flags=re.M)[:-1]
    for name, section in zip(ran, sections, strict=True):
        assert re.search(r"^\|[-|: ]+\|$", section, re.M), f"{name} printed no Markdown table"
