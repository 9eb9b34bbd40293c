"""Modules that moved into the layers keep their old import paths, as the very same module objects."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from aiocognito import _moved


@pytest.mark.parametrize(("old", "new"), sorted(_moved.MOVED.items()))
def test_an_old_path_is_the_module_at_its_new_place(old: str, new: str) -> None:
    assert importlib.import_module(old) is importlib.import_module(new)


def test_old_paths_work_in_a_fresh_interpreter_in_any_order() -> None:
    code = (
        "from aiocognito.steps import SignInStep\n"
        "from aiocognito.flows import AuthFlow\n"
        "import aiocognito, aiocognito.transport, aiocognito.tokens\n"
        "assert SignInStep is aiocognito.SignInStep and AuthFlow is aiocognito.AuthFlow\n"
        "assert aiocognito.tokens.TokenSet is aiocognito.TokenSet\n"
        "assert aiocognito.transport.Timeouts is aiocognito.Timeouts\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_module_inside_a_moved_package_is_the_one_at_its_new_place() -> None:
    from aiocognito.core.flows import values

    assert importlib.import_module("aiocognito.flows.values") is values
    assert importlib.import_module("aiocognito.flows").AuthFlow is values.AuthFlow
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("aiocognito.flows.no_such_module")


def test_an_unknown_module_is_still_unknown() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("aiocognito.no_such_module")
