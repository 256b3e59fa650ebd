"""The minutes as a PDF (WeasyPrint): title page, attendance, every item, the decisions, the
chair's and secretary's names and the approval date. Text, not images: it can be extracted."""

from __future__ import annotations

from flask import render_template

from portal.meetings.minutes import VERDICT_TITLES, MinutesReport


def minutes_pdf(report: MinutesReport, base_url: str) -> bytes:
    from weasyprint import HTML  # imported here: loading WeasyPrint takes a moment

    html = render_template(
        "meetings/minutes_pdf.html", report=report, verdict_titles=VERDICT_TITLES
    )
    return HTML(string=html, base_url=base_url).write_pdf()
