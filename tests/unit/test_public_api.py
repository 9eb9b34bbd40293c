"""Every name the README shows resolves, and every module's ``__all__`` is what it says.

Modules moved (``aiocognito.flows`` is now ``aiocognito.core.flows``...): the paths users know keep
working, and this test is the list of what they know.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", ROOT / "ARCHITECTURE.md"]
_DOTTED = re.compile(r"\baiocognito(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_FROM = re.compile(r"^\s*from (aiocognito[\w.]*) import \(?([\w, ]+)\)?\s*$", re.MULTILINE)


def _documented() -> list[str]:
    names: set[str] = set()
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        names.update(name.rstrip(".") for name in _DOTTED.findall(text))
        for module, imported in _FROM.findall(text):
            names.update(f"{module}.{name.strip()}" for name in imported.split(",") if name.strip())
    # A file name (aiocognito.token_store.py in prose) is not a name.
    return sorted(name for name in names if not name.endswith(".py"))


def resolve(dotted: str) -> object:
    """Import the longest module prefix of ``dotted``, then take the rest as attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ModuleNotFoundError(dotted)


def test_the_readme_shows_names() -> None:
    assert len(_documented()) > 20  # the pattern finds them


@pytest.mark.parametrize("dotted", _documented())
def test_a_documented_name_resolves(dotted: str) -> None:
    resolve(dotted)


PUBLIC_MODULES = [
    "aiocognito",
    "aiocognito.bulk",
    "aiocognito.caller",
    "aiocognito.core.bignum",
    "aiocognito.core.flows",
    "aiocognito.ephemerals",
    "aiocognito.core.srp",
    "aiocognito.core.steps",
    "aiocognito.core.tokens",
    "aiocognito.errors",
    "aiocognito.identity",
    "aiocognito.limits",
    "aiocognito.oauth",
    "aiocognito.pool",
    "aiocognito.refresh",
    "aiocognito.sessions",
    "aiocognito.sign_ins",
    "aiocognito.testing",
    "aiocognito.token_store",
    "aiocognito.user",
    "aiocognito.verify",
    "aiocognito.wire.transport",
    "aiocognito.wire.urls",
]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_name_in_all_exists(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported, f"{name} has no __all__"
    missing = [item for item in exported if not hasattr(module, item)]
    assert missing == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("aiocognito.UserPool", "aiocognito.pool.UserPool"),
        ("aiocognito.User", "aiocognito.user.User"),
        ("aiocognito.flows.start_sign_in", "aiocognito.core.flows.start_sign_in"),
        ("aiocognito.steps.SignInStep", "aiocognito.core.steps.SignInStep"),
        ("aiocognito.tokens.TokenSet", "aiocognito.core.tokens.TokenSet"),
        ("aiocognito.transport.Transport", "aiocognito.wire.transport.Transport"),
        ("aiocognito.token_store.FileTokenStore", "aiocognito.token_store.FileTokenStore"),
    ],
)
def test_a_moved_name_is_the_same_object(old: str, new: str) -> None:
    assert resolve(old) is resolve(new)
