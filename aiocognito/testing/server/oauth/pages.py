"""What the domain's browser-facing endpoints answer with: HTML pages, error pages, and redirects back
to the app; and the two refusals that lead to them.
"""

from __future__ import annotations

import html
import urllib.parse
from collections.abc import Mapping

from aiohttp import web

from .templates import document

__all__ = ["PageError", "Redirected", "error_page", "page", "redirect"]

_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Inline style only, no script, no framing. No form-action: browsers apply it to the redirect to
    # the app's callback too, which may be any scheme.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
    "base-uri 'none'",
}


class PageError(Exception):
    """An authorize or logout request that cannot be redirected back (bad client or redirect URI)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


class Redirected(Exception):
    """An authorize request refused with a redirect back to the app (``error=`` in the callback)."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.headers.get("Location", ""))
        self.response = response


def redirect(
    url: str, params: Mapping[str, str | None], *, headers: Mapping[str, str] | None = None
) -> web.Response:
    kept = {k: v for k, v in params.items() if v is not None}
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    target = url + (joiner + urllib.parse.urlencode(kept) if kept else "")
    return web.Response(
        status=302, headers={"Location": target, "Cache-Control": "no-store", **(headers or {})}
    )


def page(
    title: str,
    body: str,
    *,
    app_name: str = "",
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """An HTML page of the managed login: ``body`` (HTML, its values escaped) under ``app_name`` (text).

    Never cached, never framed (clickjacking), and allowed no script and no fetch but its own forms.
    """
    return web.Response(
        text=document(title, body, app_name=app_name),
        status=status,
        content_type="text/html",
        headers={**_PAGE_HEADERS, **(headers or {})},
    )


def error_page(error: PageError) -> web.Response:
    return page(
        "Error",
        "<h1>An error was encountered with the requested page.</h1>"
        f"<p id='error'>{html.escape(error.error)}: {html.escape(error.description)}</p>",
        status=400,
    )
