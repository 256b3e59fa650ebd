"""Jinja globals and filters shared by every template."""

from __future__ import annotations

from flask import Flask
from flask_babel import format_datetime, get_locale

from portal.core.htmx import is_htmx
from portal.core.i18n import LANGUAGE_NAMES, available_languages


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(
        is_htmx=is_htmx,
        available_languages=available_languages,
        language_names=LANGUAGE_NAMES,
        current_locale=lambda: str(get_locale()),
        htmx_js="vendor/htmx-2.0.11.min.js",
        pico_css="vendor/pico-2.1.1.min.css",
    )
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        format_datetime(value, fmt) if value else ""
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
