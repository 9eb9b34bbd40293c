"""Every Python block of README.md, and a user-style script (tests/typecheck/), pass ``mypy --strict``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import readme_blocks

USER_SCRIPT = Path(__file__).resolve().parents[1] / "typecheck" / "user_script.py"
MYPY = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]


def test_readme_blocks_pass_mypy_strict(tmp_path: Path) -> None:
    module, where = readme_blocks.checkable_module()
    path = tmp_path / "readme_snippets.py"
    path.write_text(module, encoding="utf-8")
    done = subprocess.run(
        [*MYPY, "--cache-dir", str(tmp_path / "cache"), str(path), str(USER_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # Name each error by its README line, so the fix is easy to find.
    errors = [
        re.sub(r"^[^:]*readme_snippets\.py:(\d+):", lambda m: f"README.md:{where.get(int(m[1]), '?')}:", line)
        for line in done.stdout.splitlines()
        if ": error:" in line
    ]
    assert done.returncode == 0 and not errors, "\n".join(errors) or done.stdout + done.stderr
    assert len(readme_blocks.blocks()) >= 30  # the extraction found the blocks
