"""The programme reports as a PDF (WeasyPrint): the aggregated tables of the page, small groups
protected as on the page. No names: hours per person is only on its own page and CSV."""

from __future__ import annotations

from flask import render_template

from portal.core.db import local_today
from portal.programmes.reports import ProgrammeReport


def report_pdf(report: ProgrammeReport, base_url: str, **helpers) -> bytes:
    from weasyprint import HTML  # imported here: loading WeasyPrint takes a moment

    html = render_template(
        "programmes/reports_pdf.html", report=report, printed_on=local_today(), **helpers
    )
    return HTML(string=html, base_url=base_url).write_pdf()
