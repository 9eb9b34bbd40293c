"""In-process refresh locks: one ``asyncio.Lock`` per user, waited for up to a deadline.

Every store queues a process's waiters here first, so only one of them waits on the file lock or polls
Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

from .base import LockTimeoutError, StoreKey

__all__ = ["KeyedLocks"]


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class KeyedLocks:
    """One ``asyncio.Lock`` per key, dropped when nobody holds or waits for it (thousands of users)."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: dict[StoreKey, _Entry] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: StoreKey, deadline: float, timeout: float) -> AsyncGenerator[None, None]:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
        entry.users += 1
        try:
            await _acquire_by(entry.lock, deadline, f"refresh lock of {key} (held in this process)", timeout)
            try:
                yield
            finally:
                entry.lock.release()
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[key]


async def _acquire_by(lock: asyncio.Lock, deadline: float, what: str, timeout: float) -> None:
    """``lock.acquire()`` bounded by a loop-time deadline; never leaves the lock taken on failure.

    ``asyncio.wait_for(lock.acquire(), t)`` can, before Python 3.12, time out after the lock was granted
    and leave it held forever; waiting on a task and releasing a late grant avoids that.
    """
    if not lock.locked():
        await lock.acquire()  # free: returns without suspending
        return
    loop = asyncio.get_running_loop()
    task = loop.create_task(lock.acquire())
    try:
        done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - loop.time()))
    except BaseException:
        _abandon(task, lock)
        raise
    if not done:
        _abandon(task, lock)
        raise LockTimeoutError(f"{what} was not free within {timeout:g}s")


def _abandon(task: asyncio.Task[bool], lock: asyncio.Lock) -> None:
    def release_if_granted(t: asyncio.Task[bool]) -> None:
        if not t.cancelled() and t.exception() is None:
            lock.release()

    if not task.done():
        task.cancel()
    task.add_done_callback(release_if_granted)
