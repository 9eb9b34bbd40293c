"""mkdocs hook: read the docstrings' Sphinx roles (:class:`~aiocognito.errors.ServiceError`).

The docstrings are Google style with Sphinx cross-reference roles; the Google parser leaves the role
name in the text. This turns each into a cross-reference that mkdocs-autorefs resolves when the name is
in the docs (a full dotted path), and into plain code when it is not (``optional``), so no page shows a
bare ``:class:``.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["on_page_content"]

# :role:`name`, :role:`~dotted.name` (shown by its last part) or :role:`title <dotted.name>`.
_ROLE = re.compile(
    r":(?:class|func|meth|attr|mod|data|exc|obj|const):<code>"
    r"(?:([^<]*?) &lt;([\w.]+)&gt;|(~?)([\w.]+)(\(\))?)</code>"
)


def _reference(found: re.Match[str]) -> str:
    title, titled, short, target, call = found.groups()
    if titled is not None:
        return _link(titled, title, "")
    shown = target.rsplit(".", 1)[-1] if short else target
    return _link(target, shown, call or "")


def _link(target: str, shown: str, call: str) -> str:
    if "." not in target:
        return f"<code>{shown}{call}</code>"
    return f'<autoref identifier="{target}" optional><code>{shown}{call}</code></autoref>'


def on_page_content(html: str, **_: Any) -> str:
    """Replace each role with a reference (or plain code)."""
    return _ROLE.sub(_reference, html)
