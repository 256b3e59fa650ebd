"""Language choice: the user's preference, else the session's, else the browser's."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user

LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def available_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    if not has_request_context():  # command line, services under test: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = available_languages()
    preferred = getattr(current_user, "locale", None) if current_user else None
    if preferred in languages:
        return preferred
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return browser_language(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def browser_language(languages: tuple[str, ...]) -> str | None:
    """The browser's best-ranked language that we have, matching regional tags by language.

    Werkzeug's best_match prefers any exact match, so "en-US,fr;q=0.3" would give French.
    """
    for tag, _quality in request.accept_languages:  # best first
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary in languages:
            return primary
    return None
