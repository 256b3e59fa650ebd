"""The register as a file: import a CSV (checked first, all or nothing) and download it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, make_response, request, url_for
from flask_babel import format_number, get_locale, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from portal.core.db import local_today
from portal.core.htmx import hx_redirect, render
from portal.core.lifecycle import write_after
from portal.core.security import Permission, allowed_clause, can
from portal.core.viewhelpers import acting_user
from portal.extensions import db
from portal.members import bp, csvio
from portal.members.models import Member


class ImportForm(FlaskForm):
    file = FileField(
        _l("The file"),
        description=_l(
            "A CSV file saved from your spreadsheet. The first line has the column names."
        ),
        validators=[FileRequired(_l("Choose a file."))],
        render_kw={"accept": ".csv,.txt,text/csv,text/plain"},
    )


def _require_manager() -> None:
    if not can(current_user, Permission.MANAGE_MEMBERS):
        abort(403)


def _show(form: ImportForm, report: csvio.ImportReport | None, status: int):
    return render(
        "members/import.html",
        fragment="members/_import_report.html",
        status=status,
        form=form,
        report=report,
        columns=csvio.COLUMNS,
        aliases=csvio.ALIASES,
        max_rows=format_number(csvio.MAX_ROWS),
    )


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_members():
    _require_manager()
    form = ImportForm()
    if request.method == "GET":
        return _show(form, None, 200)
    if not form.validate_on_submit():
        return _show(form, None, 422)
    dry_run = request.form.get("action") != "import"
    upload = form.file.data
    data = upload.stream.read(csvio.MAX_FILE_BYTES + 1)
    report = csvio.import_members(
        acting_user(), data, dry_run=dry_run, file_name=(upload.filename or "")[:100]
    )
    if not report.ok:
        return _show(form, report, 422)  # 422: nothing of the file is kept
    if dry_run:
        return _show(form, report, 200)  # a check only: nothing was written
    flash(
        ngettext(
            "%(num)d person was added to the register.",
            "%(num)d people were added to the register.",
            report.imported,
        ),
        "success",
    )
    return hx_redirect(url_for("members.register"))


@bp.route("/export.csv")
@login_required
def export_members():
    _require_manager()
    members = db.session.scalars(
        sa.select(Member)
        .where(allowed_clause(current_user, Member, Permission.VIEW))
        .order_by(Member.member_number, Member.id)
    )
    # Excel in French expects semicolons; in English, commas. Import reads both.
    delimiter = ";" if str(get_locale()).startswith("fr") else ","
    actor = acting_user()
    body, count = csvio.members_csv(actor, members, delimiter=delimiter)
    # The audit entry once the file is ready, in a short write of its own (a GET reads only).
    write_after(lambda: csvio.record_export(actor, count))
    response = make_response(body)
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=members-{local_today().isoformat()}.csv"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
