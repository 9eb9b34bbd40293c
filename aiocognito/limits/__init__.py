"""Rate limits: one process's or a whole fleet's share of Cognito's request quotas.

- :class:`RateLimiter`: what every limiter is (``acquire``, ``slow_down``, ``recover``);
  :class:`TokenBucket` (also :class:`aiocognito.bulk.TokenBucket`) is the one-process limiter.
- :class:`RedisRateLimiter`: one rate shared through Redis by every process and machine using the same
  name (:mod:`aiocognito.limits.redis`).
- :func:`category_of` and :data:`QUOTA_CATEGORIES`: which of Cognito's quota categories an operation
  counts against, and each category's default quota (:mod:`aiocognito.limits.categories`).
"""

from __future__ import annotations

from .bucket import TokenBucket
from .categories import (
    QUOTA_CATEGORIES,
    QUOTA_SOURCE,
    SEPARATE_QUOTA,
    UNCATEGORISED,
    QuotaCategory,
    category_of,
)
from .protocol import RateLimiter, RateLimiterError, RateLimitTimeoutError
from .redis import KEY_PREFIX, RedisRateLimiter, Reservation

__all__ = [
    "KEY_PREFIX",
    "QUOTA_CATEGORIES",
    "QUOTA_SOURCE",
    "SEPARATE_QUOTA",
    "UNCATEGORISED",
    "QuotaCategory",
    "RateLimitTimeoutError",
    "RateLimiter",
    "RateLimiterError",
    "RedisRateLimiter",
    "Reservation",
    "TokenBucket",
    "category_of",
]
