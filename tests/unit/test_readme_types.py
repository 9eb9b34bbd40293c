"""Every Python block of README.md, and a user-style script (tests/typecheck/), pass ``mypy --strict`` and
pyright's strict mode, and no expression in them is ``Any`` but the raw replies of the allow-list below."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import readme_blocks
import servers

ROOT = Path(__file__).resolve().parents[2]
USER_SCRIPT = ROOT / "tests" / "typecheck" / "user_script.py"
MYPY = [sys.executable, "-m", "mypy", "--strict", "--disallow-any-expr", "--no-incremental"]
# pyright comes pinned through tests/js's lock file, like the JS clients.
PYRIGHT_VERSION: str = json.loads((servers.JS_DIR / "package.json").read_text())["dependencies"]["pyright"]
PYRIGHT_TIMEOUT = 180.0

# Where an `Any` may reach user code, by the source line it is on: each entry says why.
ANY_ALLOWED = (
    # Raw replies, dict[str, Any] by design (typed fields sit beside them): Cognito's JSON as it came, from
    # pool.call(), oauth.user_info() or a ServiceError; a token's decoded claims, a claims object's `.raw`.
    (re.compile(r"\breply\b|\.response\["), "a raw reply (named `reply` in the script)"),
    (re.compile(r"\b(?:id|access)_claims\b|\.raw\b"), "a token's claims, JSON as the token holds them"),
    # botocore and aiobotocore ship no types: aiocognito names their classes (pyright, botocore-stubs and
    # types-aiobotocore type them), plain mypy without those stubs sees Any.
    (re.compile(r"\bcredentials\.(?:for_)?(?:aio)?botocore"), "a botocore / aiobotocore object"),
    # FastAPI's route decorators: its DecoratedCallable is bound to Callable[..., Any].
    (re.compile(r"^@app\.(?:get|post|put|patch|delete|websocket)\("), "FastAPI's route decorator"),
)
_ANY = re.compile(r'Expression (?:has type "Any"|type contains "Any" \(has type "(?P<type>.*)"\))')


def _readme_module(tmp_path: Path) -> tuple[Path, dict[int, int]]:
    module, where = readme_blocks.checkable_module()
    path = tmp_path / "readme_snippets.py"
    path.write_text(module, encoding="utf-8")
    assert len(readme_blocks.blocks()) >= 30  # the extraction found the blocks
    return path, where


def _place(file: str, line: int, readme: Path, where: dict[int, int]) -> str:
    """An error's place: its README line, so the fix is easy to find, or the user script's."""
    return f"README.md:{where.get(line, '?')}" if Path(file).name == readme.name else f"{file}:{line}"


def _any_allowed(message: str, line: str) -> str | None:
    """Why the ``Any`` that ``message`` reports on ``line`` is allowed, or None (then it is an error)."""
    found = _ANY.search(message)
    if found is None:
        return None
    # An async function's own type, Coroutine[Any, Any, T]: typing's send and yield types, not a value.
    shown = found["type"] or "Any"
    if "Coroutine[Any, Any, " in shown and "Any" not in shown.replace("Coroutine[Any, Any, ", ""):
        return "coroutine"
    return next((why for pattern, why in ANY_ALLOWED if pattern.search(line.strip())), None)


def test_readme_blocks_pass_mypy_strict(tmp_path: Path) -> None:
    path, where = _readme_module(tmp_path)
    done = subprocess.run(
        [*MYPY, "--cache-dir", str(tmp_path / "cache"), str(path), str(USER_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    sources = {
        path.name: path.read_text().splitlines(),
        USER_SCRIPT.name: USER_SCRIPT.read_text().splitlines(),
    }
    errors, allowed = [], set()
    for line in done.stdout.splitlines():
        found = re.match(r"^(?:.*/)?([^/:]+\.py):(\d+): error: (.*)$", line)
        if found is None:
            continue
        name, number, message = found[1], int(found[2]), found[3]
        if name not in sources:
            # The package's own modules, found from the checkout: `mypy --strict aiocognito` checks them;
            # --disallow-any-expr is for what user code sees, not for aiocognito's insides.
            continue
        why = _any_allowed(message, sources[name][number - 1])
        if why is not None:
            allowed.add(why)
            continue
        errors.append(f"{_place(name, number, path, where)}: {message}")
    assert not errors, "\n".join(errors)
    # The allow-list stays as small as the code needs: an entry nothing uses goes.
    assert allowed >= {why for _, why in ANY_ALLOWED}, allowed
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: allowed Any only; 2: mypy failed


def test_readme_blocks_pass_pyright_strict(tmp_path: Path) -> None:
    node = servers.node_with("pyright", PYRIGHT_VERSION)
    path, where = _readme_module(tmp_path)
    config = tmp_path / "pyrightconfig.json"
    # The package from this checkout (an editable install's import hook is invisible to pyright), the rest
    # from this interpreter's environment (fastapi, redis, aiohttp...).
    config.write_text(json.dumps({"typeCheckingMode": "strict", "extraPaths": [str(ROOT)]}), encoding="utf-8")
    pyright = servers.JS_DIR / "node_modules" / "pyright" / "index.js"
    command = [node, str(pyright), "--outputjson", "--project", str(config), "--pythonpath", sys.executable]
    done = subprocess.run(
        [*command, str(path), str(USER_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=PYRIGHT_TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    try:
        report = json.loads(done.stdout)
    except ValueError:
        pytest.fail(
            f"pyright gave no report ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    assert report["version"] == PYRIGHT_VERSION
    problems = []
    for item in report["generalDiagnostics"]:
        if item["severity"] not in ("error", "warning"):
            continue
        line = item["range"]["start"]["line"] + 1
        place = _place(item["file"], line, path, where)
        problems.append(f"{place}: {item['severity']}: {item['message']} ({item.get('rule', '')})")
    assert not problems, "\n".join(problems)
    assert report["summary"]["filesAnalyzed"] == 2 and done.returncode == 0, done.stdout[-3000:]
