"""The house rules of ARCHITECTURE.md, read from the source with ``ast``.

- No object reaches into another's private members, and no module takes another module's private names
  (a private *module* of the package, such as ``wire/_tables``, is imported by name like any module).
- No hand-written module is over 700 lines (the generated tables are not hand-written).
- The layers: ``core/`` is pure (no IO, clock, randomness, or anything above it); ``wire/`` knows only
  ``core/`` and the errors; neither reaches up into the client objects.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "aiocognito"
GENERATED = ("wire/_tables",)
MAX_LINES = 700
# namedtuple's public API is spelled with an underscore.
NAMEDTUPLE_METHODS = frozenset({"_replace", "_asdict", "_fields", "_make", "_field_defaults"})
# What the pure core may import from the standard library: nothing that does IO, keeps time or draws
# random numbers.
IMPURE = frozenset(
    {"asyncio", "aiohttp", "os", "random", "secrets", "socket", "subprocess", "threading", "time", "uuid"}
)


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if not any(g in p.as_posix() for g in GENERATED))


def relative(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix() if path.is_relative_to(PACKAGE.parent) else path.name


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def is_module(package: Path, dotted: str | None, level: int, name: str, source: Path) -> bool:
    """Whether ``from <dotted> import <name>`` names a module or package of aiocognito."""
    base = source.parent
    for _ in range(max(level - 1, 0)):
        base = base.parent
    if level == 0:
        if not (dotted or "").startswith("aiocognito"):
            return False
        base = package.parent
    target = base.joinpath(*(dotted or "").split(".")) if dotted else base
    return (target / f"{name}.py").exists() or (target / name / "__init__.py").exists()


def private_reaches(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if node.attr in NAMEDTUPLE_METHODS:
                continue
            found.append(f"{relative(path)}:{node.lineno}: {ast.unparse(node)}")
    return found


def private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if is_private(alias.name) and not is_module(
                    PACKAGE, node.module, node.level, alias.name, path
                ):
                    found.append(f"{relative(path)}:{node.lineno}: from {node.module} import {alias.name}")
    return found


def imports_of(path: Path) -> set[str]:
    """The modules ``path`` imports at run time (not under ``if TYPE_CHECKING:``), as dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            type_only.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                names.add(".".join([*base, *(node.module or "").split(".")]).rstrip("."))
            else:
                names.add(node.module or "")
    return names


def test_no_private_reaches_or_imports() -> None:
    found = [line for path in modules() for line in private_reaches(path) + private_imports(path)]
    assert found == [], "\n".join(found)


def test_no_hand_written_module_is_over_700_lines() -> None:
    sizes = {relative(p): len(p.read_text(encoding="utf-8").splitlines()) for p in modules()}
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert too_long == {}


@pytest.mark.parametrize("path", sorted((PACKAGE / "core").rglob("*.py")), ids=relative)
def test_the_core_is_pure(path: Path) -> None:
    for name in imports_of(path):
        top = name.split(".")[0]
        assert top not in IMPURE, f"{relative(path)} imports {name}"
        if top == "aiocognito":
            assert name.startswith(("aiocognito.core", "aiocognito.errors", "aiocognito._service_errors")), (
                f"{relative(path)} imports {name}, above the core"
            )


@pytest.mark.parametrize("path", sorted((PACKAGE / "wire").rglob("*.py")), ids=relative)
def test_the_wire_knows_only_the_core(path: Path) -> None:
    allowed = ("aiocognito.core", "aiocognito.wire", "aiocognito.errors", "aiocognito._service_errors")
    for name in imports_of(path):
        if name.split(".")[0] == "aiocognito":
            assert name.startswith((*allowed, "aiocognito._version")), f"{relative(path)} imports {name}"


def test_the_counters_see_what_they_look_for(tmp_path: Path) -> None:
    # The rules above hold only if the counters find what they look for.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from .elsewhere import _hidden, shown\n"
        "def f(pool, point):\n"
        "    return pool._env, self._own, point._replace(x=1)\n"
    )
    assert [line.split(": ")[1] for line in private_reaches(sample)] == ["pool._env"]
    assert [line.split(": ")[1] for line in private_imports(sample)] == ["from elsewhere import _hidden"]
