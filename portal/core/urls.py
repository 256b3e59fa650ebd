"""Safe redirect targets."""

from __future__ import annotations

from urllib.parse import urlsplit

from werkzeug.routing import IntegerConverter


def safe_next(target: str | None, default: str) -> str:
    """Only local paths: never send a user to another site after logging in."""
    if not target or len(target) > 2000:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target


class IdConverter(IntegerConverter):
    """`<int:…>` in routes: only values an id column can hold (1 … 2**31 - 1); others are 404.

    Without the bound, /pages/99999999999 would reach PostgreSQL as an out-of-range integer.
    """

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)
