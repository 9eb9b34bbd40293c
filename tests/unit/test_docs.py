"""The documentation covers the public API: every exported name has a `::: path` entry in docs/.

`nox -s docs` builds the pages with --strict (CI runs it); this test is the quick half: each name in
``aiocognito.__all__`` and in each public module's ``__all__`` is documented by a directive that
resolves to that very object, and no directive points at nothing.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from .test_public_api import PUBLIC_MODULES, resolve

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
_DIRECTIVE = re.compile(r"^::: ([\w.]+)\s*$", re.MULTILINE)
# Public modules the README does not list but users import: the FastAPI integration, the stores,
# the pytest plugin's fixtures.
DOCUMENTED_MODULES = sorted(
    {*PUBLIC_MODULES, "aiocognito.fastapi", "aiocognito.stores", "aiocognito.testing.pytest_plugin"}
)


def directives() -> dict[str, str]:
    """Every `::: path` in the docs' pages, with the page it is on."""
    found: dict[str, str] = {}
    for page in sorted(DOCS.glob("*.md")):
        for path in _DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            found[path] = page.name
    return found


def _is_named_object(value: object) -> bool:
    return inspect.isclass(value) or inspect.isfunction(value) or inspect.ismodule(value)


def public_names() -> list[tuple[str, str]]:
    """(module, name) for every name a public module exports."""
    return [
        (module, name) for module in DOCUMENTED_MODULES for name in importlib.import_module(module).__all__
    ]


def documents(path: str, module: str, name: str) -> bool:
    """Whether the directive ``path`` documents ``module.name``.

    A class or function is the same object wherever it is re-exported; a constant (a number, a
    table) is documented where it is defined or exported under its own name.
    """
    value = getattr(importlib.import_module(module), name)
    if _is_named_object(value):
        return resolve(path) is value
    return path.rsplit(".", 1)[-1] == name and resolve(path) is value


def test_the_docs_have_directives() -> None:
    assert len(directives()) > 200


@pytest.mark.parametrize("path", sorted(directives()))
def test_a_directive_resolves(path: str) -> None:
    resolve(path)


def test_every_public_name_is_documented() -> None:
    found = directives()
    by_last: dict[str, list[str]] = {}
    for path in found:
        by_last.setdefault(path.rsplit(".", 1)[-1], []).append(path)
    missing = []
    for module, name in public_names():
        value = getattr(importlib.import_module(module), name)
        candidates = list(found) if _is_named_object(value) and name not in by_last else by_last.get(name, [])
        if not any(documents(path, module, name) for path in candidates):
            missing.append(f"{module}.{name}")
    assert missing == [], f"add a `::: path` line to a page in docs/ for: {missing}"


def test_every_public_class_and_function_has_a_docstring() -> None:
    bare = []
    for module, name in public_names():
        value = getattr(importlib.import_module(module), name)
        ours = getattr(value, "__module__", "").startswith("aiocognito")
        # An alias (powmod = _powmod_gmpy2) is documented by the `#:` comment above it.
        if _is_named_object(value) and ours and getattr(value, "__name__", None) == name:
            own = value.__dict__.get("__doc__") if inspect.isclass(value) else value.__doc__
            if not (own or "").strip():
                bare.append(f"{module}.{name}")
    assert bare == []


def test_a_missing_name_is_noticed() -> None:
    # The check above must be able to fail: a directive for another object does not count.
    assert not documents("aiocognito.pool.UserPool", "aiocognito", "User")
    assert not documents("aiocognito.core.srp.N", "aiocognito.core.srp", "G")


def test_every_page_is_in_the_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = sorted(page.name for page in DOCS.glob("*.md"))
    assert [page for page in pages if f": {page}" not in nav] == []


def _hook(name: str) -> ModuleType:
    sys.path.insert(0, str(DOCS / "hooks"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(DOCS / "hooks"))


def test_the_cli_page_lists_every_command() -> None:
    cli_help = _hook("cli_help")
    names = cli_help.command_names(cli_help.help_text())
    assert {"sign-in", "verify", "bulk-sign-in", "serve-local", "demo"} <= set(names)
    page = cli_help.on_page_markdown("# CLI\n\n<!-- cli-help -->\n")
    assert all(f"## `aiocognito {name}`" in page for name in names)
    assert "--pool-id" in page


def test_doc_tools_are_pinned() -> None:
    pins = (ROOT / "constraints-dev.txt").read_text(encoding="utf-8")
    for tool in ("mkdocs", "mkdocs-material", "mkdocstrings", "mkdocstrings-python", "griffe"):
        assert re.search(rf"^{re.escape(tool)}==\d", pins, re.MULTILINE), tool


def test_sphinx_roles_become_references() -> None:
    roles = _hook("roles")
    html = (
        "a :class:<code>~aiocognito.errors.ServiceError</code>, :func:<code>error_from_reply</code>,"
        " :meth:<code>User.tokens &lt;aiocognito.user.User.tokens&gt;</code>"
    )
    done = roles.on_page_content(html)
    assert ":class:" not in done and ":func:" not in done and ":meth:" not in done
    assert (
        '<autoref identifier="aiocognito.errors.ServiceError" optional><code>ServiceError</code></autoref>'
        in done
    )
    assert "<code>error_from_reply</code>" in done
    assert (
        '<autoref identifier="aiocognito.user.User.tokens" optional><code>User.tokens</code></autoref>'
        in done
    )
