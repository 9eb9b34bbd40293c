"""SRP key pairs ``(a, A)`` drawn ahead of time, so that a sign-in's latency path has only the claim.

Opt-in (``ComputePool(ephemerals=N)``). A sign-in asks for a fresh pair with a
:class:`~aiocognito.core.flows.NewEphemeral` effect; a pool with spares answers it with one made
earlier by its workers from the same randomness source (the flow's ``Env.random_bytes``), and has
another made to take its place. Each pair:

- is handed out once and then forgotten (taken out of the store before it is returned);
- lives in this process's memory only: never pickled, logged or shown in a repr;
- is dropped in a child made by ``os.fork`` (parent and child would otherwise sign in with the same
  ``a``): every store is cleared by an ``os.register_at_fork`` hook;
- counts toward a bound (``capacity`` pairs per source, at most :data:`MAX_SOURCES` sources), so the
  memory is a few hundred bytes per pair.

It moves the cost of ``g^a`` off the latency path; it does not remove it: the workers still compute every
pair, while nothing else is waiting if the pool is idle.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable

from .core import srp

__all__ = ["MAX_CAPACITY", "MAX_SOURCES", "EphemeralSpares", "RandomSource"]

#: The most spare pairs a store keeps per randomness source.
MAX_CAPACITY = 1024
#: The most randomness sources a store keeps pairs for (the oldest is dropped first).
MAX_SOURCES = 4

#: Where random bytes come from: a flow's ``Env.random_bytes`` (``secrets.token_bytes`` by default).
RandomSource = Callable[[int], bytes]

_stores: weakref.WeakSet[EphemeralSpares] = weakref.WeakSet()


class EphemeralSpares:
    """Spare ``(a, A)`` pairs per randomness source, at most ``capacity`` each; thread-safe.

    Raises:
        ValueError: ``capacity`` is not from 1 to :data:`MAX_CAPACITY`.
    """

    def __init__(self, capacity: int) -> None:
        if not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
            raise ValueError(f"ephemerals must be an integer from 1 to {MAX_CAPACITY}")
        self.capacity = capacity
        self._lock = threading.Lock()
        self._pairs: OrderedDict[RandomSource, deque[srp.Ephemeral]] = OrderedDict()
        self._drawing: dict[RandomSource, int] = {}
        self._generation = 0  # bumped by clear(): pairs still being drawn then are dropped on arrival
        _stores.add(self)

    def __repr__(self) -> str:
        with self._lock:
            held = sum(len(pairs) for pairs in self._pairs.values())
        return f"<EphemeralSpares {held} held, capacity {self.capacity} per source>"

    def take(self, source: RandomSource) -> srp.Ephemeral | None:
        """A spare pair drawn from ``source``, removed from the store; ``None`` when there is none."""
        with self._lock:
            pairs = self._pairs.get(source)
            return pairs.popleft() if pairs else None

    def to_draw(self, source: RandomSource) -> tuple[int, int]:
        """``(how many pairs to start drawing now, generation)``; the caller must :meth:`put` or
        :meth:`abandon` each. Counts them as being drawn."""
        with self._lock:
            pairs = self._pairs.get(source)
            if pairs is None:
                if len(self._pairs) >= MAX_SOURCES:
                    dropped, _ = self._pairs.popitem(last=False)
                    self._drawing.pop(dropped, None)
                pairs = self._pairs[source] = deque()
            drawing = self._drawing.get(source, 0)
            wanted = max(0, self.capacity - len(pairs) - drawing)
            self._drawing[source] = drawing + wanted
            return wanted, self._generation

    def put(self, source: RandomSource, pair: srp.Ephemeral, generation: int) -> None:
        """Keep a pair drawn from ``source`` (dropped if the store was cleared since it was started)."""
        with self._lock:
            self._done_drawing(source)
            pairs = self._pairs.get(source)
            if generation == self._generation and pairs is not None and len(pairs) < self.capacity:
                pairs.append(pair)

    def abandon(self, source: RandomSource) -> None:
        """A pair that was being drawn will not come (its computation failed or was cancelled)."""
        with self._lock:
            self._done_drawing(source)

    def _done_drawing(self, source: RandomSource) -> None:
        if self._drawing.get(source, 0) > 0:
            self._drawing[source] -= 1

    def held(self) -> int:
        """How many spare pairs the store holds, all sources together."""
        with self._lock:
            return sum(len(pairs) for pairs in self._pairs.values())

    def clear(self) -> None:
        """Forget every pair, and any being drawn (a forked child, a closed pool)."""
        with self._lock:
            self._pairs.clear()
            self._drawing.clear()
            self._generation += 1

    def forget_after_fork(self) -> None:
        """In a forked child: a new lock (the parent's may have been held by a thread the child lacks),
        and no pairs."""
        self._lock = threading.Lock()
        self.clear()


def _clear_every_store_in_the_child() -> None:
    for store in list(_stores):
        store.forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_clear_every_store_in_the_child)
