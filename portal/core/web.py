"""Request plumbing: request ids in every log line, security headers, read-only transactions."""

from __future__ import annotations

import contextlib
import logging
import re
import uuid

from flask import Flask, g, has_request_context, request
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from portal.core.db import reset_sqlite_begin, set_sqlite_read_only

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every log record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def configure_logging(app: Flask) -> None:
    """One handler on the root logger, with the request id in every line."""
    root = logging.getLogger()
    if not any(getattr(h, "_portal", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._portal = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    for h in root.handlers:  # handlers added by others (pytest's capture) get the field too
        if not any(isinstance(f, RequestIdFilter) for f in h.filters):
            h.addFilter(RequestIdFilter())
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    for noisy in ("weasyprint", "fontTools"):  # they narrate every PDF at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app.logger.handlers.clear()
    app.logger.propagate = True


# Control characters no keyboard types (NUL, escape, …; tab and line breaks are kept). PostgreSQL
# refuses NUL in text, so one pasted or forged into any field or query would be a 500 there.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _without_controls(values: MultiDict) -> MultiDict | None:
    """A copy of `values` without control characters, or None when there are none."""
    if not any(_CONTROL_CHARACTERS.search(k) or _CONTROL_CHARACTERS.search(v)
               for k, v in values.items(multi=True)):  # fmt: skip
        return None
    return ImmutableMultiDict(
        (_CONTROL_CHARACTERS.sub("", k), _CONTROL_CHARACTERS.sub("", v))
        for k, v in values.items(multi=True)
    )


def init_request_hooks(app: Flask) -> None:
    @app.before_request
    def _start_request():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        # A blueprint whose reads write (a read journal) sets `reads_write`, and lists the pages
        # that write nothing in `read_only_endpoints`.
        blueprint = app.blueprints.get(request.blueprint or "")
        reads_write = getattr(blueprint, "reads_write", False) and request.endpoint not in getattr(
            blueprint, "read_only_endpoints", ()
        )
        read_only = request.method in SAFE_METHODS and not reads_write
        g.read_only_request = read_only  # the lifecycle commits nothing of a read (core.lifecycle)
        g.sqlite_begin_token = set_sqlite_read_only(read_only)
        # Every form and query value reaches the views without control characters.
        for name in ("args", "form"):
            cleaned = _without_controls(getattr(request, name))
            if cleaned is not None:
                setattr(request, name, cleaned)

    @app.teardown_request
    def _end_request(_exc):
        token = g.pop("sqlite_begin_token", None)
        if token is not None:
            # A token from another context (a streamed response) cannot be reset; harmless.
            with contextlib.suppress(ValueError):
                reset_sqlite_begin(token)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if "request_id" in g:
            headers["X-Request-ID"] = g.request_id
        if request.endpoint != "static":
            # Pages carry CSRF tokens and, when logged in, personal data: never store them.
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
            response.vary.add("Cookie")
            if current_user and current_user.is_authenticated:
                headers["Cache-Control"] = "no-store, private"
        return response
