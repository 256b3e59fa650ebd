"""The printed convocation to a programme, for participants who get no e-mail: one page per
person, in their language, with what they will learn, the sessions to come (day, times, place)
and the trainers."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale
from markupsafe import Markup

from portal.members.models import Member
from portal.programmes.models import HALF_TITLES, KIND_TITLES, Programme, ProgrammeKind
from portal.programmes.services import upcoming_sessions


def convocation_pdf(programme: Programme, members: list[Member], programme_url: str) -> bytes:
    """One page per member in `members` (each in their language); with nobody, one page
    without a name, to post on the notice board."""
    from weasyprint import HTML  # imported here: loading WeasyPrint takes a moment

    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    sessions = upcoming_sessions(programme)
    pages = []
    for member in members or [None]:
        language = (member.preferred_language if member else None) or default
        with force_locale(language):
            # A rendered template is already escaped HTML.
            pages.append(
                Markup(  # noqa: S704
                    render_template(
                        "programmes/_programme_convocation_page.html",
                        programme=programme,
                        member=member,
                        language=language,
                        sessions=sessions,
                        kind=KIND_TITLES.get(ProgrammeKind(programme.kind), programme.kind),
                        half_titles={k.value: v for k, v in HALF_TITLES.items()},
                        programme_url=programme_url,
                    )
                )
            )
    with force_locale(default):
        html = render_template("programmes/convocation_pdf.html", programme=programme, pages=pages)
    return HTML(string=html, base_url=programme_url).write_pdf()
