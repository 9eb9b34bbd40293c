"""Cognito's request-rate quota categories: which category an operation counts against, and its default.

Cognito user pools meter requests per *category* (``UserAuthentication``, ``UserCreation``, ``UserRead``...),
per AWS account and region: every operation of a category shares its quota, whatever the user pool. The
table (:mod:`aiocognito.wire._tables.quotas`) is generated from Cognito's "Quotas" page by
``tools/quotagen.py``, next to the operation table, and checked against botocore's model: every
``cognito-idp`` operation has a category, or is listed in :data:`UNCATEGORISED` with the reason.

Two operations are special (:data:`SEPARATE_QUOTA`): ``RespondToAuthChallenge`` and
``AdminRespondToAuthChallenge`` have a quota of their own, three times UserAuthentication's, and count
towards UserAuthentication only beyond it; so an SRP sign-in (``InitiateAuth`` then one
``RespondToAuthChallenge``) spends one UserAuthentication request, not two.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..wire._tables.quotas import (
    CATEGORIES,
    CATEGORY_OF,
    READ_ON,
    SEPARATE_QUOTA,
    SOURCE_URL,
    UNCATEGORISED,
    QuotaCategory,
)

__all__ = [
    "QUOTA_CATEGORIES",
    "QUOTA_SOURCE",
    "SEPARATE_QUOTA",
    "UNCATEGORISED",
    "QuotaCategory",
    "category_of",
]

#: Category name -> :class:`QuotaCategory` (default requests per second, adjustable, operations...).
QUOTA_CATEGORIES: Mapping[str, QuotaCategory] = MappingProxyType(CATEGORIES)
#: Where the table comes from, and when it was read.
QUOTA_SOURCE = f"{SOURCE_URL} (read {READ_ON})"


def category_of(operation: str) -> str | None:
    """The quota category of a ``cognito-idp`` operation (``"InitiateAuth"`` -> ``"UserAuthentication"``).

    ``None`` for an operation in no category: one of :data:`UNCATEGORISED`, an identity-pool
    (``cognito-identity``) operation, whose quotas are per operation, or a name Cognito does not have.
    """
    return CATEGORY_OF.get(operation)
