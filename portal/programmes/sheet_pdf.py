"""The attendance sheet as a PDF (WeasyPrint), laid out like the paper model ("feuille
d'émargement"): programme, kind, module, day, the slots' times, place, trainers and funder; one
row per participant with one signature cell per slot (the signature, "signed on paper", or a
struck-through cell with the status), minutes per slot and hours per person; the totals; the
corrections with their reasons; the trainer's signature and its time. A4 landscape."""

from __future__ import annotations

from flask import render_template

from portal.core.db import local_today
from portal.programmes.models import HALF_TITLES, KIND_TITLES, STATUS_TITLES
from portal.programmes.sheet import Sheet, hours


def sheet_pdf(sheet: Sheet, base_url: str) -> bytes:
    from weasyprint import HTML  # imported here: loading WeasyPrint takes a moment

    html = render_template(
        "programmes/sheet_pdf.html",
        sheet=sheet,
        session=sheet.session,
        programme=sheet.session.programme,
        kind_titles=KIND_TITLES,
        titles=STATUS_TITLES,
        half_titles=HALF_TITLES,
        printed_on=local_today(),
        hours=hours,
    )
    return HTML(string=html, base_url=base_url).write_pdf()
