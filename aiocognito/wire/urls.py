"""Endpoint URLs a caller configures: checked once, where they enter."""

from __future__ import annotations

import ipaddress
import urllib.parse

__all__ = ["checked_url", "is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (``localhost`` or a loopback address)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def checked_url(url: str, *, allow_http: bool, what: str) -> str:
    """``url`` if it is an http(s) URL fit to send credentials to, with ``/`` as its path when it has none.

    Raises:
        ValueError: not an http(s) URL, or plain http to a host that is not loopback without ``allow_http``.
    """
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError(f"{what} must be an http(s) URL")
    if parsed.scheme == "http" and not allow_http and not is_loopback(parsed.hostname):
        raise ValueError(
            f"{what} uses plain http to a host that is not loopback; pass allow_http=True if you mean it"
        )
    return url if parsed.path not in ("", "/") else f"{parsed.scheme}://{parsed.netloc}/"
