"""The printed record, for the follow-up team: the pathway as the team sees it on screen, on
paper (a meeting with the person, a file for the funder's visit). Journaled as a PDF read.

Those without access to personal data get it without the parts they do not see on screen:
eligibility, difficulties, correction requests and the reasons of pauses. The read journal is
the member's, not printed here. The member prints all their data from "My pathway"
(`views_export`)."""

from __future__ import annotations

from flask import make_response, render_template
from flask_babel import lazy_gettext as _l

from portal.core.db import local_today
from portal.core.viewhelpers import acting_user
from portal.integration import bp, export, policies
from portal.integration.journal import load_pathway
from portal.integration.models import ReadKind

TEAM_PARTS = ("follow_up_team", "periods", "goals", "support_actions", "skill_assessments")
PERSONAL_PARTS = ("eligibility", "barriers", "rectification_requests")
# The headings as the team reads them (the export's speak to the member).
HEADINGS = {
    "eligibility": _l("Why the person could start"),
    "periods": _l("Pauses and extensions"),
    "follow_up_team": _l("Follow-up team"),
    "goals": _l("Goals"),
    "support_actions": _l("Support actions"),
    "skill_assessments": _l("Skills"),
    "barriers": _l("Difficulties"),
    "rectification_requests": _l("Requests for corrections"),
}


def record_document(user, pathway) -> dict | None:
    """The printable record as `user` may see it."""
    data = export.pathway_data(pathway.member, pathway.id)
    if data is None:
        return None
    personal = policies.can_read_barriers(user, pathway)
    keys = (*TEAM_PARTS, *PERSONAL_PARTS) if personal else TEAM_PARTS
    if not personal:
        for period in data["periods"]:
            period["reason"] = ""
    headings = {key: title for key, title in HEADINGS.items() if key in keys}
    return export.printable_pathway(data, headings)


@bp.route("/<int:pathway_id>/record.pdf")
def record_pdf(pathway_id: int):
    from weasyprint import HTML  # imported here: loading WeasyPrint takes a moment

    pathway = load_pathway(pathway_id, ReadKind.PDF, "record")
    user = acting_user()
    document = record_document(user, pathway)
    html = render_template(
        "integration/record_pdf.html",
        pathway=pathway,
        member=pathway.member,
        document=document,
        printed_by=user,
        printed_on=local_today(),
        personal=policies.can_read_barriers(user, pathway),
    )
    response = make_response(HTML(string=html).write_pdf())
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="pathway-{pathway.id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
