"""The printed convocation, for members who get no e-mail: one page per member, in their
language, with the day, the place, the agenda and the meeting's address."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale
from markupsafe import Markup

from portal.meetings import services
from portal.meetings.models import Meeting
from portal.members.models import Member


def convocation_pdf(meeting: Meeting, members: list[Member], meeting_url: str) -> bytes:
    """One page per member in `members` (each in their language); with nobody, one page
    without a name, to post on the notice board."""
    from weasyprint import HTML  # imported here: loading WeasyPrint takes a moment

    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    pages = []
    for member in members or [None]:
        language = (member.preferred_language if member else None) or default
        with force_locale(language):
            # A rendered template is already escaped HTML.
            pages.append(
                Markup(  # noqa: S704
                    render_template(
                        "meetings/_convocation_page.html",
                        meeting=meeting,
                        member=member,
                        language=language,
                        when=services.when_text(meeting),
                        kind=services.kind_title(meeting.kind),
                        meeting_url=meeting_url,
                    )
                )
            )
    with force_locale(default):
        html = render_template("meetings/convocation.html", meeting=meeting, pages=pages)
    return HTML(string=html, base_url=meeting_url).write_pdf()
