"""Old import paths of modules that moved into the layers (``aiocognito.flows`` is now
``aiocognito.core.flows``...), kept working for code written against them.

A finder on ``sys.meta_path`` answers only for the names in :data:`MOVED` (and the modules inside a
moved package): importing one imports the module at its new place and registers it under the old name
too, so both names give the same module object (one ``SignInStep`` class, one ``isinstance``). New code
imports from the new places.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Sequence

__all__ = ["MOVED", "install"]

#: old module name -> new module name
MOVED = {
    "aiocognito.endpoints": "aiocognito.wire.endpoints",
    "aiocognito.flows": "aiocognito.core.flows",
    "aiocognito.signing": "aiocognito.wire.signing",
    "aiocognito.srp": "aiocognito.core.srp",
    "aiocognito.steps": "aiocognito.core.steps",
    "aiocognito.tokens": "aiocognito.core.tokens",
    "aiocognito.transport": "aiocognito.wire.transport",
}


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self._target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return importlib.import_module(self._target)

    def exec_module(self, module: types.ModuleType) -> None:
        # The module is the one at its new place, already executed: nothing to run again.
        return None


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        new = _new_name(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(new))


def _new_name(fullname: str) -> str | None:
    """The new name of a moved module, or of a module inside a moved package (``aiocognito.flows.values``)."""
    new = MOVED.get(fullname)
    if new is not None:
        return new
    parent, _, name = fullname.rpartition(".")
    new_parent = MOVED.get(parent) if parent else None
    return f"{new_parent}.{name}" if new_parent is not None else None


def install() -> None:
    """Put the finder on ``sys.meta_path`` once per interpreter.

    First, not last: a moved package (``aiocognito.core.flows``) lends its ``__path__`` to its old name,
    so the path finder would otherwise load ``aiocognito.flows.values`` again as a second module.
    """
    if not any(isinstance(finder, _MovedFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())
