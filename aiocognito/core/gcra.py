"""The arithmetic of aiocognito's rate limiters: GCRA and a slow-down that wears off, as pure functions.

GCRA, the generic cell rate algorithm (ITU-T I.371; the "virtual scheduling" form), keeps one number per
limiter: the *theoretical arrival time* (TAT), the time at which the bucket would be full again.
:func:`reserve` takes the next slot at once and says how long to wait before using it, so callers never
poll, and a caller that oversleeps never lowers the rate of the others. In any window of ``w`` seconds at
most ``w / interval + capacity`` slots start: ``capacity`` is the burst allowed after a quiet time.

After throttling, the rate is multiplied by a *factor* below 1 (:func:`cut`), which climbs back to 1 at a
steady speed (:func:`factor_at`): a cut of 0.7 wears off in ``recovery`` seconds. Cuts less than
``cooldown`` apart count once, so a burst of throttled requests cuts once, not once per request.

:class:`aiocognito.RedisRateLimiter` runs the same arithmetic in a Lua script, in microseconds of the
Redis server's clock; its fallback bucket runs these functions on the local monotonic clock. Times here are
seconds on any one clock: ``now`` is always an argument, never read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Grant", "SlowDown", "cut", "factor_at", "reserve"]


@dataclass(frozen=True, slots=True)
class Grant:
    """What :func:`reserve` decided.

    Attributes:
        granted: whether a slot was taken (not when it is more than ``max_wait`` away).
        wait: seconds from ``now`` until the slot starts (or would have started).
        tat: the new theoretical arrival time (the old one when nothing was granted).
    """

    granted: bool
    wait: float
    tat: float


def reserve(
    tat: float,
    *,
    now: float,
    interval: float,
    capacity: float,
    max_wait: float = math.inf,
    horizon: float = math.inf,
) -> Grant:
    """Take the next slot of a GCRA limiter whose state is ``tat``.

    Args:
        tat: the theoretical arrival time (any value at or before ``now`` means an idle limiter).
        now: the current time.
        interval: seconds between two slots (``1 / rate``).
        capacity: the burst, in slots (at least 1).
        max_wait: the longest wait granted; a slot further away is refused and nothing is taken.
        horizon: a ``tat`` further than this ahead of ``now`` is taken for a clock that went back (or a
            corrupt state) and the limiter starts afresh.
    """
    start = tat if now <= tat <= now + horizon else now
    new_tat = start + interval
    wait = max(0.0, new_tat - capacity * interval - now)
    if wait > max_wait:
        return Grant(False, wait, tat)
    return Grant(True, wait, new_tat)


@dataclass(frozen=True, slots=True)
class SlowDown:
    """A cut of the rate after throttling, wearing off.

    Attributes:
        factor: the rate multiplier right after the cut (0 < factor <= 1).
        at: the time of the cut.
        speed: the factor regained per second.
    """

    factor: float
    at: float
    speed: float

    @property
    def ends_at(self) -> float:
        """When the factor is back to 1."""
        return self.at + (1.0 - self.factor) / self.speed if self.speed > 0 else math.inf


def factor_at(slow: SlowDown | None, *, now: float) -> float:
    """The rate multiplier at ``now``: 1 without a slow-down, else climbing from the cut back to 1."""
    if slow is None:
        return 1.0
    return min(1.0, slow.factor + max(0.0, now - slow.at) * slow.speed)


def cut(
    slow: SlowDown | None,
    *,
    now: float,
    by: float,
    floor: float,
    recovery: float,
    cooldown: float,
) -> SlowDown | None:
    """The slow-down after a throttled request, or ``None`` when the last cut is under ``cooldown`` old.

    Args:
        slow: the current slow-down, if any.
        now: the current time.
        by: the multiplier of a cut (0.7: 30 % slower).
        floor: the factor never goes below this.
        recovery: seconds for one cut to wear off.
        cooldown: cuts closer together than this count once.
    """
    if slow is not None and 0.0 <= now - slow.at < cooldown:
        return None
    factor = max(floor, factor_at(slow, now=now) * by)
    return SlowDown(factor, now, (1.0 - by) / recovery)
