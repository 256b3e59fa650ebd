"""Pages and news: the first Plone-style content types (workflow, sharing, history, search)."""

from flask import Blueprint

bp = Blueprint("content", __name__, url_prefix="/pages")

from portal.content import views  # noqa: E402,F401


def _register_search() -> None:
    from flask import url_for

    from portal.content.models import Page
    from portal.core.markdown import plain_text
    from portal.core.search import register_searchable

    register_searchable(
        Page,
        to_text=lambda page: (page.title, f"{page.summary}\n{plain_text(page.body)}".strip()),
        url_for=lambda page_id: url_for("content.view_page", page_id=page_id),
    )


_register_search()
