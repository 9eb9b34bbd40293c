"""The local user pool's :class:`Store`: every user pool and identity pool it keeps, and its state file.

The state file is JSON, written atomically (a temporary file in the same directory, then
``os.replace``) after each change when the server has one, and read back with every value checked
(:mod:`.json_form`): a file that cannot be read or is not a state file is refused by name and left as
it is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiocognito.core import safe_json

from ...faults import Fault
from .identity_pools import IdentityPool
from .json_form import StateFileError, build, check_object, key_path
from .pools import Client, Pool

__all__ = ["Store"]

# Nesting levels of a state file: store > pools > pool > users > user > devices > device > field, and
# the echoed request configurations below a client or a pool.
_STATE_MAX_DEPTH = 64
# A state file is this server's own and as large as its pools: no limit on its number of objects.
_STATE_MAX_CONTAINERS = 1 << 62


@dataclass(slots=True)
class Store:
    """Everything the server keeps across restarts."""

    pools: dict[str, Pool] = field(default_factory=dict)
    identity_pools: dict[str, IdentityPool] = field(default_factory=dict)

    def pool(self, pool_id: object) -> Pool:
        """Raises: Fault: ResourceNotFoundException for an unknown pool."""
        pool = self.pools.get(pool_id) if isinstance(pool_id, str) else None
        if pool is None:
            raise Fault("ResourceNotFoundException", f"User pool {pool_id} does not exist.")
        return pool

    def client(self, client_id: object) -> tuple[Pool, Client]:
        """The pool and app client of a client id.

        Raises:
            Fault: ResourceNotFoundException for an unknown client.
        """
        if isinstance(client_id, str):
            for pool in self.pools.values():
                client = pool.clients.get(client_id)
                if client is not None:
                    return pool, client
        raise Fault("ResourceNotFoundException", "User pool client " + str(client_id) + " does not exist.")

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "pools": {key: pool.to_json() for key, pool in self.pools.items()},
            "identity_pools": {key: dataclasses.asdict(pool) for key, pool in self.identity_pools.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Store:
        """The store of a state file's JSON.

        Raises:
            StateFileError: a value is missing or of the wrong type (the message gives its path).
        """
        check_object(data, "the document")
        pools = check_object(data.get("pools", {}), "pools")
        identity_pools = check_object(data.get("identity_pools", {}), "identity_pools")
        return cls(
            pools={key: Pool.from_json(value, key_path("pools", key)) for key, value in pools.items()},
            identity_pools={
                key: build(IdentityPool, value, key_path("identity_pools", key))
                for key, value in identity_pools.items()
            },
        )

    def save(self, path: Path) -> None:
        """Write the state to ``path`` atomically (a temporary file, then a rename)."""
        text = json.dumps(self.to_json(), indent=1, sort_keys=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    @classmethod
    def load(cls, path: Path) -> Store:
        """The state in ``path``, or an empty one when the file does not exist.

        Raises:
            StateFileError: the file cannot be read, or is not a local user pool state file; the message
                names it and says why (it is left unchanged).
        """

        def refused(why: str) -> StateFileError:
            return StateFileError(
                f"state file {path}: {why}; it was left unchanged (repair it, or remove it to start empty)"
            )

        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls()
        except OSError as exc:
            raise StateFileError(f"state file {path}: cannot read it: {exc.strerror or exc}") from None
        try:
            data = safe_json.loads(raw, max_depth=_STATE_MAX_DEPTH, max_containers=_STATE_MAX_CONTAINERS)
        except safe_json.JsonError as exc:
            where = _json_position(raw) if str(exc) == "not JSON" else ""
            raise refused(f"{exc}{where}") from None
        if not isinstance(data, dict):
            raise refused("not a JSON object")
        version = data.get("version")
        if version != 1:
            if type(version) is int:
                raise refused(f"format version {version}, this aiocognito reads version 1")
            raise refused('no "version": 1, so not a local user pool state file')
        try:
            return cls.from_json(data)
        except StateFileError as exc:
            raise refused(f"not a local user pool state file: {exc}") from None


def _json_position(raw: bytes) -> str:
    """Where json stops reading ``raw`` (" at line L column C"), to help a repair by hand; else "".

    Only for a document :func:`aiocognito.safe_json.loads` refused as "not JSON": its nesting was checked.
    """
    try:
        json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as exc:
        return f" at line {exc.lineno} column {exc.colno}"
    except (ValueError, RecursionError):
        return ""
    return ""
