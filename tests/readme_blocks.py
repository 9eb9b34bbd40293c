"""The Python blocks of README.md, for the tests that type-check and run them as copied."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
_FENCE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)

# The names a fragment takes from the text around it, with the types the text gives them: bound (a cast),
# since pyright calls a name that is only declared unbound. Fragments sit side by side in one module, so
# pyright's rules on that module's shape (a name imported by two blocks, a block's function or example
# variable never used) are off; every typing rule stays as strict as on a user's file.
CONTEXT = """\
# pyright: reportDuplicateImport=false, reportUnusedFunction=false, reportUnusedVariable=false
import os
from collections.abc import Callable
from typing import cast

import redis.asyncio as aioredis

import aiocognito
from aiocognito import RedisTokenStore

pool = cast(aiocognito.UserPool, None)
user = cast(aiocognito.User, None)
token = cast(str, None)
users = cast(list[tuple[str, str]], None)
TOKEN_FILE = cast(str, None)
POOL_ID = cast(str, None)
CLIENT_ID = cast(str, None)
ADMIN_CLIENT_ID = cast(str, None)
password = cast(str, None)
code = cast(str, None)
IDENTITY_POOL_ID = cast(str, None)
domain = cast(str, None)
secret = cast(str, None)
redis = cast(aioredis.Redis, None)
"""


@dataclass(frozen=True)
class Block:
    line: int  # of the block's first line in README.md
    source: str

    @property
    def is_program(self) -> bool:
        """A whole program (imports, functions) rather than a fragment of a coroutine."""
        return not re.search(r"^(?:\S.*?)?\bawait |^async (?:for|with) ", self.source, re.MULTILINE)


def blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    return [Block(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _FENCE.finditer(text)]


def checkable_module() -> tuple[str, dict[int, int]]:
    """One module holding every block (fragments inside a coroutine each), and its line -> README line."""
    lines = CONTEXT.splitlines()
    where: dict[int, int] = {}
    for number, block in enumerate(blocks()):
        body = block.source.splitlines()
        if block.is_program:
            lines.append("")
            offset = 0
        else:
            lines += ["", f"async def _block_{number}() -> None:"]
            body = textwrap.indent(block.source, "    ").splitlines()
            offset = 0
        for index, line in enumerate(body):
            lines.append(line)
            where[len(lines)] = block.line + index + offset
    return "\n".join(lines) + "\n", where
