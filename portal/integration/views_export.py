"""Download all my data (JSON or PDF), and the same export made for a member, with a written
reason, by their counsellor (everything) or by an administrator (membership data only, for a
member without an integration record): `export.can_export_for`."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import abort, make_response, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from portal.core.errors import DomainError
from portal.core.htmx import render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.viewhelpers import acting_user
from portal.extensions import db
from portal.integration import bp, export, journal, policies
from portal.members.models import Member


class ExportReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you make this export?"),
        description=_l(
            "The person will see it in the list of who read their record. "
            "At least %(low)d characters.",
            low=export.REASON_MIN,
        ),
        validators=[
            InputRequired(message=_l("Write the reason.")),
            Length(
                min=export.REASON_MIN,
                max=export.REASON_MAX,
                message=_l(
                    "Write between %(low)d and %(high)d characters.",
                    low=export.REASON_MIN,
                    high=export.REASON_MAX,
                ),
            ),
        ],
        render_kw={"rows": 3, "maxlength": export.REASON_MAX},
    )


def _download(member: Member, data: dict[str, Any], fmt: str):
    stamp = data["exported_on"]
    if fmt == "pdf":
        response = make_response(export.export_pdf(member, data))
        response.headers["Content-Type"] = "application/pdf"
    else:
        body = json.dumps(data, ensure_ascii=False, indent=2)
        response = make_response(body)
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    number = "".join(c if c.isalnum() else "-" for c in member.member_number)
    response.headers["Content-Disposition"] = f'attachment; filename="data-{number}-{stamp}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _my_member() -> Member:
    user = acting_user()
    member = db.session.scalar(sa.select(Member).where(Member.user_id == user.id))
    if member is None:
        abort(404)
    return member


@bp.route("/mine/data")
@login_required
def my_data():
    member = _my_member()
    return render(
        "integration/export.html",
        member=member,
        pathways=len(export.exported_pathway_ids(member)),
    )


def _my_export(fmt: str):
    """The member's own copy. Its journal rows and audit entry are written first, in a short
    write of their own (the file holds the record's journal, these rows included); the file is
    built afterwards, holding no lock (`journal.write_first`)."""
    member = _my_member()
    user = acting_user()
    try:
        plan = export.plan_export(user, member, fmt)
    except DomainError as error:
        abort(error.status_code if error.status_code in (403, 404) else 400)
    journal.write_first(export.record_export, user, member, fmt, plan)
    return _download(member, export.planned_export(member, plan), fmt)


@bp.route("/mine/data.json")
@login_required
def my_data_json():
    return _my_export("json")


@bp.route("/mine/data.pdf")
@login_required
def my_data_pdf():
    return _my_export("pdf")


@bp.route("/members/<int:member_id>/data", methods=["GET", "POST"])
@login_required
def member_data(member_id: int):
    """The export made for a member by their counsellor (everything) or, for a member without
    an integration record, by an administrator (membership data only); with a written reason.
    Everyone else: 404, and the attempt is written in the member's records' journals."""
    user = acting_user()
    member = db.session.get(Member, member_id)
    if member is None:
        abort(404)
    if policies.can_export_member(user, member):
        # The member themself: their own page (a refused attempt would name them in the journal).
        return redirect(url_for("integration.my_data"))
    if not export.can_export_for(user, member):
        export.refuse_export(user, member)  # journaled, and kept with the 404 (`journal`)
        abort(404)
    exporter = export.exporter_for(user, member)
    form = ExportReasonForm()
    if exporter == export.Exporter.ADMIN:
        form.reason.description = _l("At least %(low)d characters.", low=export.REASON_MIN)
    status = 200
    if request.method == "POST":
        fmt = request.form.get("format", "")
        if fmt not in export.FORMATS:
            form.form_errors.append(str(_l("Choose JSON or PDF.")))
            form.validate()
            status = 422
        elif form.validate():
            data = attempt(form, export.export_member_data, user, member, fmt, form.reason.data)
            if data is not REFUSED:
                return _download(member, data, fmt)
            status = 422
        else:
            status = 422
    return render(
        "integration/export_member.html",
        member=member,
        form=form,
        full=exporter == export.Exporter.COUNSELLOR,
        status=status,
    )
