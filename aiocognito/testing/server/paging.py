"""Pagination of the local user pool's list operations: ``NextToken`` / ``PaginationToken`` name the last
item of the page before (base64url of its key), so a page is the same whatever was added since.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from ..faults import invalid_parameter

__all__ = ["paginate"]


def paginate(
    items: list[Any], limit: int, token: object, key: Callable[[Any], str]
) -> tuple[list[Any], str | None]:
    """One page of ``items`` after the item a token names, and the token of the next page."""
    start = 0
    if token is not None:
        try:
            after = base64.urlsafe_b64decode(str(token).encode()).decode()
        except (ValueError, binascii.Error):
            raise invalid_parameter("Invalid pagination token") from None
        names = [key(item) for item in items]
        if after not in names:
            raise invalid_parameter("Invalid pagination token")
        start = names.index(after) + 1
    page = items[start : start + limit]
    more = start + limit < len(items)
    next_token = base64.urlsafe_b64encode(key(page[-1]).encode()).decode() if more and page else None
    return page, next_token
