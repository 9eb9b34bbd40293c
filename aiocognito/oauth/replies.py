"""The replies of the domain's endpoints, read with no IO: a token set, a JSON object, or the error.

Errors come as ``{"error": ...}`` (RFC 6749 section 5.2) or, from ``/oauth2/userInfo``, in a
``WWW-Authenticate: Bearer error="..."`` header (RFC 6750 section 3).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..core.safe_json import JsonError, is_valid_text, loads
from ..core.tokens import TokenSet
from ..errors import ProtocolError, TransportError
from ..wire.replies import AttemptFailed, Reply, is_json_syntax_error
from .errors import InvalidTokenError, oauth_error

__all__ = ["parse_reply", "parse_token_reply"]

_EXCERPT_CHARS = 120
_BEARER_ERROR = re.compile(r'error="([^"]{1,64})"')
_BEARER_DESCRIPTION = re.compile(r'error_description="([^"]{0,512})"')
# An OAuth error code or description longer than this is cut (RFC 6749's are a few words).
_MAX_ERROR_CHARS = 128
_MAX_DESCRIPTION_CHARS = 2048


def parse_token_reply(reply: Mapping[str, Any], *, now: float, refresh_token: str | None = None) -> TokenSet:
    """The token set of a successful token endpoint reply (RFC 6749 section 5.1).

    Raises:
        ProtocolError: no ``access_token``, or a token that is not a JWT.
    """
    return TokenSet.from_oauth(reply, now=now, refresh_token=refresh_token)


def parse_reply(operation: str, reply: Reply) -> dict[str, Any]:
    """The JSON object of a reply, or the error it stands for (RFC 6749 section 5.2, RFC 6750 section 3).

    Raises:
        OAuthError: the reply carries an OAuth error code (or is a bare 401).
        AttemptFailed: throttled (429) or a server error (5xx), for the transport to retry.
        TransportError, ProtocolError: a reply that is not a JSON object, or refused JSON.
    """
    status, raw = reply.status, reply.body
    if status == 429:
        error = TransportError("throttled", status=status, excerpt=_excerpt(raw), operation=operation)
        raise AttemptFailed(error, sent=True, throttled=True)
    ok = 200 <= status < 300
    if ok and (not raw or raw.isspace()):
        return {}
    document: Any = None
    try:
        document = loads(raw)
    except JsonError as exc:
        if ok and not is_json_syntax_error(exc):
            raise ProtocolError(f"reply refused: {exc}", step=operation) from None
    if status >= 500:
        raise AttemptFailed(
            TransportError("server error", status=status, excerpt=_excerpt(raw), operation=operation),
            sent=True,
        )
    if ok:
        if not isinstance(document, dict):
            raise TransportError(
                "reply is not a JSON object", status=status, excerpt=_excerpt(raw), operation=operation
            )
        return document
    code = document.get("error") if isinstance(document, dict) else None
    if isinstance(code, str) and code:
        description = document.get("error_description")
        raise oauth_error(
            code[:_MAX_ERROR_CHARS],
            description[:_MAX_DESCRIPTION_CHARS] if isinstance(description, str) else "",
            status=status,
        )
    challenge = reply.headers.get("WWW-Authenticate", "")
    found = _BEARER_ERROR.search(challenge) if is_valid_text(challenge) else None
    if found is not None:
        described = _BEARER_DESCRIPTION.search(challenge)
        raise oauth_error(found.group(1), described.group(1) if described else "", status=status)
    if status == 401:
        raise InvalidTokenError("the server refused the token", status=status)
    raise TransportError(
        "error reply without an OAuth error code", status=status, excerpt=_excerpt(raw), operation=operation
    )


def _excerpt(raw: bytes) -> str:
    text = " ".join(raw[: _EXCERPT_CHARS * 4].decode("utf-8", "replace").split())
    return text[:_EXCERPT_CHARS] if text else "(empty body)"
