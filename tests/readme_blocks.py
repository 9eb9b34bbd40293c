"""The Python blocks of README.md, for the tests that type-check and run them as copied."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
_FENCE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)

# The names a fragment takes from the text around it, with the types the text gives them.
CONTEXT = """\
import os
from collections.abc import Callable

import redis.asyncio as aioredis

import aiocognito
from aiocognito import RedisTokenStore

pool: aiocognito.UserPool
user: aiocognito.User
token: str
users: list[tuple[str, str]]
TOKEN_FILE: str
POOL_ID: str
CLIENT_ID: str
ADMIN_CLIENT_ID: str
password: str
code: str
IDENTITY_POOL_ID: str
domain: str
secret: str
redis: aioredis.Redis
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
