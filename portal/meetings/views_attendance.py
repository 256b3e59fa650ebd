"""Attendance views: the list and each person's status, arrivals and departures, self check-in,
the live quorum line and the attendance sheet (PDF)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from portal.core.db import local_today, utcnow
from portal.core.htmx import is_htmx, render
from portal.core.lifecycle import REFUSED
from portal.core.security import Permission
from portal.core.urls import public_base_url
from portal.core.viewhelpers import MAX_ID, acting_user, form_error
from portal.meetings import attendance, bp, minutes_record
from portal.meetings.agenda import to_local
from portal.meetings.forms_attendance import CheckInForm, StatusForm
from portal.meetings.models import ATTENDANCE_TITLES, Meeting
from portal.meetings.sections import attempt_step, meeting_or_404, page_section
from portal.members.lookup import member_of

PAGE = "meetings/_attendance_page.html"
FRAGMENT = "meetings/_attendance.html"
CHANGED = "meeting-attendance-changed"  # HX-Trigger: the quorum line refreshes at once


@dataclass
class AttendanceSection:
    """What `_attendance.html` needs: the list (for those who keep it), the quorum, check-in."""

    meeting: Meeting
    viewer: object
    active_member: int | None = None  # the person whose status form was sent with an error
    active_form: StatusForm | None = None
    check_in_form: CheckInForm = field(default_factory=lambda: CheckInForm(formdata=None))
    error: str | None = None
    notice: str | None = None
    titles = ATTENDANCE_TITLES

    @cached_property
    def may_manage(self) -> bool:
        return attendance.can_manage_attendance(self.viewer, self.meeting)

    @cached_property
    def may_check_in(self) -> bool:
        return attendance.can_check_in(self.viewer, self.meeting)

    @cached_property
    def frozen(self) -> bool:
        """The minutes are approved: a change of status is a correction, with a reason."""
        return self.may_manage and minutes_record.frozen_minutes(self.meeting) is not None

    @cached_property
    def quorum(self) -> attendance.QuorumState:
        return attendance.quorum_state(self.meeting)

    @cached_property
    def lines(self) -> list[attendance.Line]:
        return attendance.roll(self.meeting) if self.may_manage else []

    @cached_property
    def weighted(self) -> bool:
        return any(line.weight != 1 for line in self.lines)

    @cached_property
    def me(self):
        return member_of(self.viewer)

    @cached_property
    def my_line(self) -> attendance.Line | None:
        """The viewer's own row on the list (for the check-in box)."""
        if self.me is None:
            return None
        if self.me.id not in attendance.weights(self.meeting):
            return None
        row = attendance.attendances(self.meeting).get(self.me.id)
        return attendance.Line(self.me, 1, row)

    @staticmethod
    def time_of(moment) -> str:
        return format_time(moment, "short") if moment else ""

    @cached_property
    def quorum_digest(self) -> str:
        return digest(self.quorum.line)

    def is_here(self, line: attendance.Line) -> bool:
        return line.attendance is not None and attendance.is_present_at(line.attendance, utcnow())

    @cached_property
    def _held(self) -> dict[int, int]:
        held: dict[int, int] = {}
        for line in self.lines:
            if line.status == attendance.REPRESENTED:
                holder = line.attendance.proxy_holder_id
                held[holder] = held.get(holder, 0) + 1
        return held

    def holders_for(self, line: attendance.Line) -> list[tuple[int, str]]:
        """People present who may hold this person's proxy (their current holder included)."""
        current = line.attendance.proxy_holder_id if line.attendance else None
        cap = self.meeting.body.proxy_cap
        return [
            (other.member.id, other.member.full_name)
            for other in self.lines
            if self.is_here(other)
            and other.member.id != line.member.id
            and (other.member.id == current or self._held.get(other.member.id, 0) < cap)
        ]

    def holder_name(self, line: attendance.Line) -> str | None:
        if line.status != attendance.REPRESENTED:
            return None
        for other in self.lines:
            if other.member.id == line.attendance.proxy_holder_id:
                return other.member.full_name
        return None

    def form_for(self, line: attendance.Line) -> StatusForm:
        if self.active_member == line.member.id and self.active_form is not None:
            form = self.active_form
        else:
            form = StatusForm(
                formdata=None,
                data={
                    "status": line.status or "absent",
                    "holder_id": line.attendance.proxy_holder_id if line.attendance else None,
                },
            )
        form.holder_id.choices = [
            SelectChoice("", _("Nobody")),
            *(SelectChoice(*choice) for choice in self.holders_for(line)),
        ]
        prefix = f"attendance-{self.meeting.id}-{line.member.id}"
        for input_ in (form.status, form.holder_id, form.reason):
            input_.id = f"{prefix}-{input_.name}"
            input_.label.field_id = input_.id
        return form


def digest(text: str) -> str:
    """A short fingerprint of what a polled live region shows."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def unchanged():
    """204: what the client shows is still right (htmx does not swap)."""
    response = make_response("", 204)
    response.vary.add("HX-Request")
    return response


@page_section("attendance", order=30)
def _attendance_section(meeting: Meeting) -> dict:
    return {"attendance_section": AttendanceSection(meeting, acting_user())}


def _section(meeting: Meeting, status: int = 200, **state):
    section = AttendanceSection(meeting, acting_user(), **state)
    return render(
        PAGE, fragment=FRAGMENT, status=status, meeting=meeting, attendance_section=section
    )


def _member_id(member_id: int) -> int:
    if not 0 < member_id <= MAX_ID:
        abort(404)
    return member_id


def _attempt(form: FlaskForm, service, *args):
    """`attempt_step`: the service's result, or REFUSED with the refusal shown on `form` (a step
    not possible now, such as an arrival after the session, included: 422 in the section)."""
    result, error = attempt_step(service, *args)
    if error is not None:
        form_error(form, error)
    return result


def _done(meeting: Meeting, message: str, member_id: int | None = None):
    if is_htmx():
        response = _section(meeting, notice=message)
        response.headers["HX-Trigger"] = CHANGED
        return response
    flash(message, "success")
    anchor = (
        f"attendance-{meeting.id}-{member_id}" if member_id else f"meeting-{meeting.id}-attendance"
    )
    return redirect(url_for("meetings.show_attendance", meeting_id=meeting.id, _anchor=anchor))


def _form_error_text(form: FlaskForm) -> str | None:
    return " ".join(str(message) for message in form.form_errors) or None


@bp.route("/<int:meeting_id>/attendance")
@login_required
def show_attendance(meeting_id: int):
    return _section(meeting_or_404(meeting_id))


@bp.route("/<int:meeting_id>/quorum")
@login_required
def show_quorum(meeting_id: int):
    """The quorum line alone (polled every 10 seconds by the attendance section). Unchanged
    since the client's `seen` digest: 204, and htmx leaves the live region alone (a screen
    reader would otherwise read the same line again every 10 seconds)."""
    meeting = meeting_or_404(meeting_id)
    section = AttendanceSection(meeting, acting_user())
    if request.args.get("seen") == section.quorum_digest:
        return unchanged()
    return render(
        "meetings/_attendance_quorum.html",
        fragment="meetings/_attendance_quorum.html",
        meeting=meeting,
        attendance_section=section,
    )


@bp.route("/<int:meeting_id>/attendance/<int:member_id>/status", methods=["POST"])
@login_required
def set_attendance_status(meeting_id: int, member_id: int):
    meeting = meeting_or_404(meeting_id, Permission.MANAGE_MEETINGS)
    member_id = _member_id(member_id)
    form = StatusForm()
    if form.validate():
        row = _attempt(
            form,
            attendance.set_status,
            acting_user(),
            meeting,
            member_id,
            form.status.data,
            form.holder_id.data,
            form.reason.data or "",
        )
        if row is not REFUSED:
            return _done(meeting, _("The attendance is saved."), member_id)
    return _section(
        meeting,
        422,
        active_member=member_id,
        active_form=form,
        error=_form_error_text(form) or _("Check the answer marked below."),
    )


def _time_step(meeting_id: int, member_id: int, service, message: str):
    meeting = meeting_or_404(meeting_id, Permission.MANAGE_MEETINGS)
    member_id = _member_id(member_id)
    form = FlaskForm()
    if _attempt(form, service, acting_user(), meeting, member_id) is REFUSED:
        return _section(meeting, 422, error=_form_error_text(form))
    return _done(meeting, message, member_id)


@bp.route("/<int:meeting_id>/attendance/<int:member_id>/arrived", methods=["POST"])
@login_required
def record_arrival(meeting_id: int, member_id: int):
    return _time_step(
        meeting_id, member_id, attendance.record_arrival, _("The arrival is recorded.")
    )


@bp.route("/<int:meeting_id>/attendance/<int:member_id>/left", methods=["POST"])
@login_required
def record_departure(meeting_id: int, member_id: int):
    return _time_step(
        meeting_id, member_id, attendance.record_departure, _("The departure is recorded.")
    )


@bp.route("/<int:meeting_id>/check-in", methods=["POST"])
@login_required
def check_in(meeting_id: int):
    meeting = meeting_or_404(meeting_id, Permission.CHECK_IN)
    form = CheckInForm()
    if form.validate():
        fresh = _attempt(
            form,
            attendance.check_in,
            acting_user(),
            meeting,
            member_of(acting_user()),
            form.code.data,
        )
        if fresh is not REFUSED:
            if fresh:
                return _done(meeting, _("Welcome. You are checked in."))
            return _done(meeting, _("You are already checked in."))
    return _section(meeting, 422, check_in_form=form)


def attendance_sheet_pdf(meeting: Meeting, base_url: str) -> bytes:
    """The sheet to print and sign: everyone on the list, their status, holder, times, and
    the quorum line when printed."""
    from weasyprint import HTML  # imported here: loading WeasyPrint takes a moment

    lines = attendance.roll(meeting)
    html = render_template(
        "meetings/attendance_sheet.html",
        meeting=meeting,
        lines=lines,
        names={line.member.id: line.member.full_name for line in lines},
        quorum=attendance.quorum_state(meeting),
        titles=ATTENDANCE_TITLES,
        printed_on=local_today(),
        to_local=to_local,
    )
    return HTML(string=html, base_url=base_url).write_pdf()


@bp.route("/<int:meeting_id>/attendance.pdf")
@login_required
def attendance_sheet(meeting_id: int):
    meeting = meeting_or_404(meeting_id, Permission.MANAGE_MEETINGS)
    pdf = attendance_sheet_pdf(meeting, public_base_url() + "/")
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'inline; filename="attendance-meeting-{meeting.id}.pdf"'
    )
    return response
