"""The signed attendance sheet: a participant signs (on their phone, or on the trainer's), the
trainer's sheet page (signed on paper, corrections with a reason, the scanned paper sheet, the
trainer's own signature) and the sheet's PDF for funders."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from portal.core.lifecycle import REFUSED, attempt
from portal.core.security import Permission
from portal.core.urls import public_base_url
from portal.core.viewhelpers import acting_user
from portal.extensions import db
from portal.members.models import Member
from portal.programmes import bp, common, signatures
from portal.programmes.models import (
    HALF_TITLES,
    STATUS_TITLES,
    Attendance,
    Session,
    SessionMaterial,
    Status,
)
from portal.programmes.policies import can_read_sheets, can_run_session, member_id_of
from portal.programmes.sheet import build_sheet, hours
from portal.programmes.sheet_pdf import sheet_pdf as render_sheet_pdf


class SignForm(FlaskForm):
    slot = HiddenField()
    signature = HiddenField(_l("Your signature"))


class PaperForm(FlaskForm):
    slot = HiddenField()


class CorrectForm(FlaskForm):
    slot = HiddenField()
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(s.value, STATUS_TITLES[s]) for s in Status],
        validate_choice=False,
        validators=[InputRequired(_l("Choose a status from the list."))],
    )
    arrived_at = TimeField(_l("Arrived at (optional)"), validators=[Optional()])
    left_at = TimeField(_l("Left at (optional)"), validators=[Optional()])
    minutes = IntegerField(
        _l("Minutes attended (optional)"),
        validators=[Optional(), NumberRange(0, 720, _l("Type a number of minutes."))],
        description=_l("Empty: counted from the times."),
    )
    signed_on_paper = BooleanField(_l("Signed on paper"))
    reason = StringField(
        _l("Reason for the change"),
        description=_l("Needed when the half-day is signed: 10 to 500 characters."),
    )


class UploadForm(FlaskForm):
    file = FileField(_l("Scanned paper sheet (PDF, PNG or JPEG)"))


# --- Helpers -------------------------------------------------------------------------------------


def _session_link(session: Session) -> str | None:
    if "programmes.session" in current_app.view_functions:
        return url_for("programmes.session", session_id=session.id)
    return None


def _slot_id(form) -> int | None:
    text = (form.slot.data or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _sheet_session(session_id: int) -> Session:
    """The session, 404 for who may not see its programme, 403 for who may not read sheets."""
    session = common.session_or_404(session_id)
    if not can_read_sheets(acting_user(), session.programme):
        abort(403)
    return session


def _run_session(session_id: int) -> Session:
    session = common.session_or_404(session_id)
    if not can_run_session(acting_user(), session):
        abort(403)
    return session


def _participant(session: Session, member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or not common.is_participant_on(session, member.id):
        abort(404)
    return member


def _own_rows(session: Session, member_id: int) -> dict[int, Attendance]:
    slot_ids = [slot.id for slot in session.slots]
    if not slot_ids:
        return {}
    return {
        row.slot_id: row
        for row in db.session.scalars(
            sa.select(Attendance).where(
                Attendance.slot_id.in_(slot_ids), Attendance.member_id == member_id
            )
        )
    }


def _sign_page(session: Session, member: Member, form: SignForm, *, for_trainer: bool, status=200):
    rows = _own_rows(session, member.id)
    signed = {slot_id for slot_id, row in rows.items() if row.signed}
    barred = {
        slot_id
        for slot_id, row in rows.items()
        if row.status in (Status.ABSENT.value, Status.EXCUSED.value)
    }
    open_slots = [s for s in signatures.open_slots(session, signed) if s.id not in barred]
    if session.trainer_signed_at is not None:  # the sheet is closed
        open_slots = []
    slot = open_slots[0] if open_slots else None
    if slot is not None and not form.slot.data:
        form.slot.data = str(slot.id)
    action = (
        url_for("programmes.sign_for", session_id=session.id, member_id=member.id)
        if for_trainer
        else url_for("programmes.sign", session_id=session.id)
    )
    return (
        render_template(
            "programmes/sign.html",
            session=session,
            member=member,
            form=form,
            rows=rows,
            slot=slot,
            barred=barred,
            action=action,
            for_trainer=for_trainer,
            session_link=None if for_trainer else _session_link(session),
            sheet_link=url_for("programmes.sheet", session_id=session.id) if for_trainer else None,
            signing_open=signatures.signing_open,
        ),
        status,
    )


def _sign(session: Session, member: Member, form: SignForm, *, for_trainer: bool, done: str):
    if form.validate_on_submit():
        slot_id = _slot_id(form)

        def service():
            slot = signatures.slot_of(session, slot_id)
            return signatures.sign_slot(
                acting_user(), session, member.id, slot, form.signature.data
            )

        if attempt(form, service) is not REFUSED:
            flash(_("Thank you. The signature is saved."), "success")
            return redirect(done, 303)
        return _sign_page(session, member, form, for_trainer=for_trainer, status=422)
    if form.is_submitted():
        return _sign_page(session, member, form, for_trainer=for_trainer, status=422)
    return _sign_page(session, member, form, for_trainer=for_trainer)


# --- Signing -------------------------------------------------------------------------------------


@bp.route("/sessions/<int:session_id>/sign", methods=["GET", "POST"])
@login_required
def sign(session_id: int):
    """The participant signs their own current half-day."""
    session = common.session_or_404(session_id, Permission.ATTEND)
    member_id = member_id_of(acting_user())
    if member_id is None or not common.is_participant_on(session, member_id):
        abort(403)
    if session.cancelled_at is not None:
        abort(403)
    member = db.session.get(Member, member_id)
    return _sign(
        session,
        member,
        SignForm(),
        for_trainer=False,
        done=url_for("programmes.sign", session_id=session.id),
    )


@bp.route("/sessions/<int:session_id>/sign/<int:member_id>", methods=["GET", "POST"])
@login_required
def sign_for(session_id: int, member_id: int):
    """On the trainer's phone: the participant signs; the page shows only their name."""
    session = _run_session(session_id)
    member = _participant(session, member_id)
    return _sign(
        session,
        member,
        SignForm(),
        for_trainer=True,
        done=url_for("programmes.sheet", session_id=session.id),
    )


# --- The sheet -----------------------------------------------------------------------------------


def _sheet_page(session: Session, status: int = 200, **forms):
    user = acting_user()
    sheet = build_sheet(session, with_signatures=can_read_sheets(user, session.programme))
    runs = can_run_session(user, session)
    return (
        render_template(
            "programmes/sheet.html",
            sheet=sheet,
            session=session,
            runs=runs,
            hours=hours,
            titles=STATUS_TITLES,
            half_titles=HALF_TITLES,
            statuses=list(Status),
            locked=common.locked,
            signing_open=signatures.signing_open,
            slot_started=signatures.slot_started,
            sheet_signable=signatures.sheet_signable(session),
            sign_form=forms.get("sign_form") or SignForm(),
            upload_form=forms.get("upload_form") or UploadForm(),
            paper_form=PaperForm(),
            correct_form=forms.get("correct_form"),
            correct_key=forms.get("correct_key"),
            session_link=_session_link(session),
            paper_error=forms.get("paper_error"),
        ),
        status,
    )


@bp.route("/sessions/<int:session_id>/sheet")
@login_required
def sheet(session_id: int):
    return _sheet_page(_sheet_session(session_id))


@bp.route("/sessions/<int:session_id>/sheet/paper/<int:member_id>", methods=["POST"])
@login_required
def sheet_paper(session_id: int, member_id: int):
    """The trainer records that the participant signed the paper sheet for a half-day."""
    session = _run_session(session_id)
    member = _participant(session, member_id)
    form = PaperForm()
    if not form.validate_on_submit():
        abort(400)
    slot_id = _slot_id(form)

    def service():
        slot = signatures.slot_of(session, slot_id)
        return signatures.sign_on_paper(acting_user(), session, member.id, slot)

    if attempt(form, service) is REFUSED:
        return _sheet_page(
            session,
            422,
            paper_error=" ".join(form.form_errors or [])
            or " ".join(e for errors in form.errors.values() for e in errors),
        )
    flash(_("Signed on paper: noted for %(name)s.", name=member.full_name), "success")
    return redirect(url_for("programmes.sheet", session_id=session.id), 303)


@bp.route("/sessions/<int:session_id>/sheet/correct/<int:member_id>", methods=["POST"])
@login_required
def sheet_correct(session_id: int, member_id: int):
    """The trainer changes a participant's half-day (with a reason once it is signed)."""
    session = _run_session(session_id)
    member = _participant(session, member_id)
    form = CorrectForm()
    slot_id = _slot_id(form)
    key = f"{member.id}-{slot_id}"
    if form.validate_on_submit():
        change = signatures.CellChange(
            status=form.status.data,
            arrived_at=form.arrived_at.data,
            left_at=form.left_at.data,
            minutes=form.minutes.data,
            signed_on_paper=bool(form.signed_on_paper.data),
            reason=form.reason.data or "",
        )

        def service():
            slot = signatures.slot_of(session, slot_id)
            return signatures.correct_cell(acting_user(), session, member.id, slot, change)

        if attempt(form, service) is not REFUSED:
            flash(_("The change is saved."), "success")
            return redirect(url_for("programmes.sheet", session_id=session.id), 303)
    return _sheet_page(session, 422, correct_form=form, correct_key=key)


@bp.route("/sessions/<int:session_id>/sheet/upload", methods=["POST"])
@login_required
def sheet_upload(session_id: int):
    """The trainer adds the scanned paper sheet."""
    session = _run_session(session_id)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(signatures.MAX_FILE_BYTES + 1) if upload else b""
        name = (upload.filename or "") if upload else ""
        if (
            attempt(form, signatures.add_paper_sheet, acting_user(), session, name, data)
            is not REFUSED
        ):
            flash(_("The scanned sheet is saved."), "success")
            return redirect(url_for("programmes.sheet", session_id=session.id), 303)
    return _sheet_page(session, 422, upload_form=form)


@bp.route("/sessions/<int:session_id>/sheet/sign", methods=["POST"])
@login_required
def sheet_sign(session_id: int):
    """The trainer signs the whole sheet."""
    session = _run_session(session_id)
    form = SignForm()
    if form.validate_on_submit() and (
        attempt(form, signatures.sign_sheet, acting_user(), session, form.signature.data)
        is not REFUSED
    ):
        flash(_("You signed the sheet."), "success")
        return redirect(url_for("programmes.sheet", session_id=session.id), 303)
    return _sheet_page(session, 422, sign_form=form)


@bp.route("/sessions/<int:session_id>/sheet/files/<int:material_id>")
@login_required
def sheet_file(session_id: int, material_id: int):
    """A scanned paper sheet, as a download, for those who read sheets."""
    session = _sheet_session(session_id)
    material = db.session.scalar(
        sa.select(SessionMaterial)
        .where(
            SessionMaterial.id == material_id,
            SessionMaterial.session_id == session.id,
            SessionMaterial.paper_sheet.is_(True),
        )
        .options(sa.orm.undefer(SessionMaterial.data))
    )
    if material is None:
        abort(404)
    response = make_response(material.data)
    response.headers["Content-Type"] = material.content_type
    response.headers["Content-Disposition"] = (
        f'attachment; filename="paper-sheet-{material.id}{_extension(material)}"'
    )
    return response


def _extension(material: SessionMaterial) -> str:
    from portal.proposals.attachments import kind_of

    kind = kind_of(material.content_type)
    return kind.extension if kind else ""


@bp.route("/sessions/<int:session_id>/sheet.pdf")
@login_required
def sheet_pdf(session_id: int):
    """The sheet laid out like the paper model, for funders (those who read sheets)."""
    session = common.session_or_404(session_id)
    if not can_read_sheets(acting_user(), session.programme):
        abort(403)
    sheet = build_sheet(session, with_signatures=True)
    pdf = render_sheet_pdf(sheet, public_base_url() + "/")
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'inline; filename="attendance-sheet-session-{session.id}.pdf"'
    )
    return response
