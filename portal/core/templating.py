"""Jinja globals and filters shared by every template."""

from __future__ import annotations

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.core import security
from portal.core.htmx import is_htmx
from portal.core.i18n import LANGUAGE_NAMES, available_languages
from portal.core.markdown import render_markdown
from portal.core.workflow import available_transitions, blocked_transitions, history_of

# Names of versioned fields, for diffs.
FIELD_TITLES = {"title": _l("Title"), "summary": _l("Summary"), "body": _l("Text")}


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
    app.jinja_env.filters["date"] = lambda value, fmt="medium": (
        format_date(value, fmt) if value else ""
    )
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals.update(
        can=lambda permission, obj=None: security.can(
            current_user, security.Permission(permission), obj
        ),
        transitions_for=lambda obj: available_transitions(obj, current_user),
        blocked_for=lambda obj: blocked_transitions(obj, current_user),
        recent_steps=_recent_steps,
        role_title=lambda role: security.ROLE_TITLES.get(role, role),
        field_titles=FIELD_TITLES,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _recent_steps(obj, count: int = 5):
    """The last workflow steps of an item, for those who may see its history."""
    if not security.can(current_user, security.Permission.VIEW_HISTORY, obj):
        return []
    return history_of(obj)[-count:]
