"""The bodies the managed login pages accept: small URL-encoded forms, read with bounds before parsing."""

from __future__ import annotations

import urllib.parse

from aiohttp import web

__all__ = ["MAX_FIELDS", "MAX_FORM_BYTES", "MAX_VALUE_CHARS", "FormRefused", "parse_form", "read_form"]

#: Bytes a managed login form may have (its fields are a few short values).
MAX_FORM_BYTES = 16 * 1024
#: Fields a form may have.
MAX_FIELDS = 32
#: Characters a field's value may have.
MAX_VALUE_CHARS = 2048


class FormRefused(Exception):
    """A form body that is too large, not URL-encoded, or not well formed; ``status`` is the HTTP reply's."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_form(body: bytes) -> dict[str, str]:
    """The fields of a URL-encoded ``body`` (a repeated field is refused: nothing here is a list).

    Raises:
        FormRefused: too large, too many fields, a value too long, repeated fields or bad UTF-8.
    """
    if len(body) > MAX_FORM_BYTES:
        raise FormRefused(413, "The form is too large.")
    try:
        text = body.decode("utf-8")
        pairs = urllib.parse.parse_qsl(
            text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        raise FormRefused(400, "The form is not well formed.") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise FormRefused(400, f"The form repeats the field {name[:40]!r}.")
        if len(value) > MAX_VALUE_CHARS or len(name) > 64:
            raise FormRefused(413, "A field of the form is too long.")
        fields[name] = value
    return fields


async def read_form(request: web.Request) -> dict[str, str]:
    """The URL-encoded form of ``request``, read no further than :data:`MAX_FORM_BYTES`.

    Raises:
        FormRefused: as :func:`parse_form`, or another content type (415).
    """
    if request.content_type != "application/x-www-form-urlencoded":
        raise FormRefused(415, "The form must be application/x-www-form-urlencoded.")
    if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
        raise FormRefused(413, "The form is too large.")
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_FORM_BYTES:  # each read gives at least a byte, or b"" at the end
        chunk = await request.content.read(MAX_FORM_BYTES + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return parse_form(b"".join(chunks))
