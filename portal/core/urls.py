"""Safe redirect targets, absolute links for outside the site, the id converter."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request, url_for
from werkzeug.routing import IntegerConverter

from portal.core.db import MAX_ID


def public_base_url() -> str:
    """The portal's public address (scheme and host, no trailing slash) for links that leave
    the site: e-mails, printed sheets and QR codes, calendar feeds, poll notices.

    It comes from PUBLIC_BASE_URL, never from the request's Host header, which anyone can
    forge (a reset link pointing at evil.example). Production refuses to start without it
    (config.py); only development and tests may fall back to the address of the request.
    """
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/")
    if current_app.config.get("ENV_NAME") == "production":
        raise RuntimeError("PUBLIC_BASE_URL is not set: absolute links cannot be built")
    return request.host_url.rstrip("/")


def public_url(endpoint: str, **values) -> str:
    """The absolute link to `endpoint` on the portal's public address (see public_base_url)."""
    return public_base_url() + url_for(endpoint, **values)


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
    """`<int:…>` in routes: only values an id column can hold (1 … MAX_ID); others are 404.

    Without the bound, /pages/99999999999 would reach PostgreSQL as an out-of-range integer.
    """

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
