"""mkdocs hook: put the CLI's own `--help` texts where cli.md says `<!-- cli-help -->`.

The page then cannot drift from the parser: every command's help comes from `aiocognito.cli.main`,
run in-process (one import instead of a Python start per command).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from typing import Any

from aiocognito.cli import main

__all__ = ["command_names", "help_text", "on_page_markdown"]

_MARK = "<!-- cli-help -->"
_COMMAND = re.compile(r"^ {4}(\S+)", re.MULTILINE)
_WIDTH = "100"


def help_text(*args: str) -> str:
    """What `aiocognito ARGS --help` prints, at a fixed width."""
    out = io.StringIO()
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = _WIDTH  # argparse wraps to the terminal's width
    try:
        with contextlib.redirect_stdout(out):
            status = main([*args, "--help"])
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    if status != 0:
        raise RuntimeError(f"aiocognito {' '.join(args)} --help exited with {status}")
    return out.getvalue()


def command_names(top_help: str) -> list[str]:
    """The command names listed under `commands:` in the top-level help."""
    _, _, listing = top_help.partition("\ncommands:\n")
    names = _COMMAND.findall(listing.split("\n\n")[0])
    if not names:
        raise ValueError("aiocognito --help lists no commands")
    return names


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace the mark with the top-level help and one section per command."""
    if _MARK not in markdown:
        return markdown
    top = help_text()
    sections = [f"```text\n$ aiocognito --help\n{top}```\n"]
    sections += [f"## `aiocognito {name}`\n\n```text\n{help_text(name)}```\n" for name in command_names(top)]
    return markdown.replace(_MARK, "\n".join(sections))
