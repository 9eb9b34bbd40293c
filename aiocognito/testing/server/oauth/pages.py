"""What the domain's browser-facing endpoints answer with: HTML pages, error pages, and redirects back
to the app; and the two refusals that lead to them.
"""

from __future__ import annotations

import html
import urllib.parse
from collections.abc import Mapping

from aiohttp import web

__all__ = ["PageError", "Redirected", "error_page", "page", "redirect"]


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


def page(title: str, body: str, *, status: int = 200) -> web.Response:
    text = (
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title></head><body>{body}</body></html>"
    )
    return web.Response(
        text=text, status=status, content_type="text/html", headers={"Cache-Control": "no-store"}
    )


def error_page(error: PageError) -> web.Response:
    return page(
        "Error",
        "<h1>An error was encountered with the requested page.</h1>"
        f"<p id='error'>{html.escape(error.error)}: {html.escape(error.description)}</p>",
        status=400,
    )
