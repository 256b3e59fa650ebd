"""Meeting views: list, plan, read, steps, convocation (e-mails and PDF), calendar files."""

from __future__ import annotations

from datetime import time
from urllib.parse import urlsplit

from flask import abort, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal.core.db import local_today
from portal.core.forms import TransitionForm
from portal.core.htmx import is_htmx, render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.paging import paginate
from portal.core.security import Permission, can
from portal.core.urls import public_base_url
from portal.core.viewhelpers import acting_user, form_error, int_arg, whole_number
from portal.core.workflow import available_transitions
from portal.extensions import db
from portal.meetings import bp, ical, services
from portal.meetings.forms import CalendarForm, ConveneForm, DeleteMeetingForm, MeetingForm
from portal.meetings.models import MEETING_KIND_TITLES, Meeting
from portal.meetings.sections import attempt_step, meeting_or_404, sections_context
from portal.meetings.workflow import MEETING_SERVICE_STEPS
from portal.members import bodies as body_services
from portal.members.lookup import member_of

PAST_PAGE_SIZE = 20
ONLY_403 = frozenset({403})  # the meeting's steps show any other refusal in their box


def _base_url() -> str:
    return public_base_url()


def _meeting_url(meeting: Meeting) -> str:
    return _base_url() + url_for("meetings.view_meeting", meeting_id=meeting.id)


# --- Forms ----------------------------------------------------------------------------------------


def _with_choices(form: MeetingForm, meeting: Meeting | None = None) -> MeetingForm:
    form.body_id.choices = [SelectChoice(b.id, b.title) for b in body_services.bodies()]
    people = [
        SelectChoice(str(m.id), f"{m.family_name} {m.given_name} ({m.member_number})")
        for m in services.people_choices()
    ]
    known = {choice.value for choice in people}
    for field, current in (
        (form.chair_id, meeting.chair if meeting else None),
        (form.secretary_id, meeting.secretary if meeting else None),
    ):
        extra = []
        if current is not None and str(current.id) not in known:
            extra = [SelectChoice(str(current.id), current.full_name)]
        field.choices = [SelectChoice("", _("Nobody yet")), *extra, *people]
    return form


def _fill(form: MeetingForm, meeting: Meeting) -> None:
    start = services.local_time(meeting.starts_at)
    form.title.data = meeting.title
    form.body_id.data = meeting.body_id
    form.kind.data = meeting.kind
    form.day.data = start.date()
    form.start.data = start.time().replace(second=0, microsecond=0)
    form.end.data = services.local_time(meeting.ends_at).time() if meeting.ends_at else None
    form.place.data = meeting.place
    form.online_link.data = meeting.online_link
    form.description.data = meeting.description
    form.chair_id.data = str(meeting.chair_id or "")
    form.secretary_id.data = str(meeting.secretary_id or "")


def _person(text: str | None) -> int | None:
    return whole_number(text) if text else None


def _data(form: MeetingForm) -> services.MeetingData:
    end = form.end.data
    return services.MeetingData(
        body_id=form.body_id.data,
        kind=form.kind.data or "",
        title=form.title.data or "",
        day=form.day.data,
        start=form.start.data,
        end=end if isinstance(end, time) else None,
        place=form.place.data or "",
        online_link=form.online_link.data or "",
        description=form.description.data or "",
        chair_id=_person(form.chair_id.data),
        secretary_id=_person(form.secretary_id.data),
    )


# --- List -----------------------------------------------------------------------------------------


@bp.route("/")
@login_required
def list_meetings():
    body_id = whole_number(request.args.get("body", "")) or None
    page_number = int_arg("page")
    query = services.visible(current_user)
    if body_id is not None:
        query = query.where(Meeting.body_id == body_id)
    today_starts = services.to_utc(local_today(), time(0, 0))
    upcoming = db.session.scalars(
        query.where(Meeting.starts_at >= today_starts).order_by(Meeting.starts_at, Meeting.id)
    ).all()
    past_query = query.where(Meeting.starts_at < today_starts)
    past = paginate(
        past_query, page_number, PAST_PAGE_SIZE, Meeting.starts_at.desc(), Meeting.id.desc()
    )
    return render(
        "meetings/index.html",
        fragment="meetings/_results.html",
        upcoming=upcoming,
        past=past.items,
        page=past.number,
        pages=past.pages,
        body_id=body_id,
        bodies=body_services.bodies(),
        when=services.when_text,
        can_add=services.can_create_meeting(current_user),
    )


# --- Plan and edit --------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create_meeting():
    if not services.can_create_meeting(current_user):
        abort(403)
    form = _with_choices(MeetingForm())
    if request.method == "GET":
        chosen = whole_number(request.args.get("body", ""))
        bodies = body_services.bodies()
        body = next((b for b in bodies if b.id == chosen), bodies[0] if bodies else None)
        if body is not None:
            form.body_id.data = body.id
            form.kind.data = services.KINDS_OF_BODY[body.kind][0].value
        form.start.data = time(18, 0)
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            meeting = attempt(form, services.create_meeting, acting_user(), _data(form))
            if meeting is not REFUSED:
                flash(
                    _("The meeting is planned. Members do not see it until you convene them."),
                    "success",
                )
                return redirect(url_for("meetings.view_meeting", meeting_id=meeting.id))
        elif "csrf_token" in form.errors:
            abort(400)
    return render(
        "meetings/edit.html",
        fragment="meetings/_edit_form.html",
        status=status,
        form=form,
        meeting=None,
    )


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit_meeting(meeting_id: int):
    meeting = meeting_or_404(meeting_id, Permission.EDIT)
    form = _with_choices(MeetingForm(), meeting)
    if request.method == "GET":
        _fill(form, meeting)
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            was_convened = meeting.state == "convened"
            changed = attempt(
                form,
                services.update_meeting,
                acting_user(),
                meeting,
                _data(form),
                link=_meeting_url,
            )
            if changed is not REFUSED:
                if was_convened and "starts_at" in changed:
                    flash(
                        _(
                            "Your changes are saved. The convened members are told of the new "
                            "date by e-mail; send the printed letter to those without e-mail."
                        ),
                        "success",
                    )
                else:
                    flash(_("Your changes are saved."), "success")
                return redirect(url_for("meetings.view_meeting", meeting_id=meeting.id))
        elif "csrf_token" in form.errors:
            abort(400)
    return render(
        "meetings/edit.html",
        fragment="meetings/_edit_form.html",
        status=status,
        form=form,
        meeting=meeting,
    )


# --- The meeting page -----------------------------------------------------------------------------


def _steps(meeting: Meeting):
    return [
        t
        for t in available_transitions(meeting, current_user)
        if t.name not in MEETING_SERVICE_STEPS
    ]


def _context(meeting: Meeting, **extra) -> dict:
    may_convene = meeting.state == "planned" and can(
        current_user, Permission.MANAGE_MEETINGS, meeting
    )
    context = {
        "meeting": meeting,
        "kind_title": MEETING_KIND_TITLES.get(meeting.kind, meeting.kind),
        "when": services.when_text(meeting),
        "steps": _steps(meeting),
        "transition_form": TransitionForm(),
        "may_convene": may_convene,
        "convene_form": ConveneForm(formdata=None) if may_convene else None,
        # A planned meeting was never announced: the board deletes it rather than cancel it.
        "delete_form": DeleteMeetingForm(formdata=None) if may_convene else None,
        "notice_short": may_convene and services.notice_too_short(meeting),
        "notice_message": services.notice_message(meeting) if may_convene else "",
        "cancel_reason": services.cancel_reason(meeting),
        "may_manage": can(current_user, Permission.MANAGE_MEETINGS, meeting),
        "error_message": None,
        "convene_error": None,
    }
    context.update(sections_context(meeting))
    context.update(extra)
    return context


@bp.route("/<int:meeting_id>")
@login_required
def view_meeting(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    return render("meetings/view.html", **_context(meeting))


def _after_step(meeting_id: int, meeting: Meeting, error_message, done_message):
    """The status box again (htmx), or back to the page with a message."""
    if is_htmx():
        response = render(
            "meetings/_status.html",
            status=422 if error_message else 200,
            **_context(meeting, error_message=error_message),
        )
        if not error_message:
            response.headers["HX-Trigger"] = "meeting-state-changed"
        return response
    flash(error_message or done_message, "error" if error_message else "success")
    return redirect(url_for("meetings.view_meeting", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/transition", methods=["POST"])
@login_required
def transition_meeting(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    form = TransitionForm()
    error_message = None
    if not form.validate():
        if set(form.errors) != {"comment"}:
            abort(400)
        error_message = " ".join(str(message) for message in form.comment.errors)
    else:
        _entry, refusal = attempt_step(
            services.transition_meeting,
            acting_user(),
            meeting,
            form.transition.data,
            form.comment.data or "",
            link=_meeting_url,
            passed_on=ONLY_403,
        )
        if refusal is not None:
            error_message = str(refusal.message)
    return _after_step(
        meeting_id,
        meeting,
        error_message,
        _(
            "Done. The meeting is now: %(state)s.",
            state=meeting.workflow.states[meeting.state].title,
        ),
    )


@bp.route("/<int:meeting_id>/convene", methods=["POST"])
@login_required
def convene_meeting(meeting_id: int):
    meeting = meeting_or_404(meeting_id, Permission.MANAGE_MEETINGS)
    form = ConveneForm()
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        return render(
            "meetings/view.html",
            fragment="meetings/_status.html",
            status=422,
            **_context(meeting, convene_form=form),
        )
    result, error = attempt_step(
        services.convene_meeting,
        acting_user(),
        meeting,
        form.override_reason.data or "",
        link=_meeting_url,
        passed_on=ONLY_403,
    )
    if error is not None:
        if error.field:
            form_error(form, error)
        return render(
            "meetings/view.html",
            fragment="meetings/_status.html",
            status=422,
            **_context(
                meeting,
                convene_form=form,
                convene_error=True,
                # A refusal without a field (e.g. already convened): above the form.
                error_message=None if error.field else str(error.message),
            ),
        )
    message = _(
        "The members are convened. E-mails: %(emailed)d. Printed letters needed: %(paper)d.",
        emailed=result.emailed,
        paper=result.on_paper,
    )
    if is_htmx():
        response = render("meetings/_status.html", **_context(meeting, section_notice=message))
        response.headers["HX-Trigger"] = "meeting-state-changed"
        return response
    flash(message, "success")
    return redirect(url_for("meetings.view_meeting", meeting_id=meeting.id))


@bp.route("/<int:meeting_id>/delete", methods=["POST"])
@login_required
def delete_meeting(meeting_id: int):
    meeting = meeting_or_404(meeting_id, Permission.MANAGE_MEETINGS)
    if not DeleteMeetingForm().validate():
        abort(400)
    _none, error = attempt_step(
        services.delete_planned_meeting, acting_user(), meeting, passed_on=ONLY_403
    )
    if error is not None:  # a redirect keeps nothing of the refused call (`attempt_step`)
        flash(str(error.message), "error")
        return redirect(url_for("meetings.view_meeting", meeting_id=meeting_id))
    flash(_("The plan is deleted, with its agenda. Nobody had been told about it."), "success")
    return redirect(url_for("meetings.list_meetings"))


# --- Files ----------------------------------------------------------------------------------------


def _file_name(meeting: Meeting, extension: str) -> str:
    day = services.meeting_day(meeting).isoformat()
    return f"meeting-{meeting.id}-{day}.{extension}"


@bp.route("/<int:meeting_id>/convocation.pdf")
@login_required
def convocation_pdf(meeting_id: int):
    meeting = meeting_or_404(meeting_id, Permission.MANAGE_MEETINGS)
    from portal.meetings.pdf import convocation_pdf as build

    pdf = build(meeting, services.paper_recipients(meeting), _meeting_url(meeting))
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="convocation-{_file_name(meeting, "pdf")}"'
    )
    return response


def _describe(meeting: Meeting) -> str:
    lines = [f"{meeting.body.title} · {MEETING_KIND_TITLES.get(meeting.kind, meeting.kind)}"]
    reason = services.cancel_reason(meeting)
    if reason:
        lines.append(_("Cancelled: %(reason)s", reason=reason))
    if meeting.description:
        lines += ["", meeting.description]
    if meeting.items:
        lines += ["", _("Agenda:")]
        lines += [f"{n}. {item.title}" for n, item in enumerate(meeting.items, start=1)]
    lines += ["", _meeting_url(meeting)]
    return "\n".join(lines)


def _ics_response(text: str, file_name: str):
    """An .ics answer. Like every answer but static files, it is marked `no-store` by the
    kernel's response hook (stricter than `private`: no cache keeps the feed at all)."""
    response = make_response(text)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def _calendar(meetings, name: str) -> str:
    return ical.calendar(
        meetings,
        url=_meeting_url,
        describe=_describe,
        # The UID's domain: the portal's public name, stable whatever address was asked.
        host=urlsplit(_base_url()).hostname or "portal",
        name=name,
    )


@bp.route("/<int:meeting_id>/meeting.ics")
@login_required
def meeting_ics(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    return _ics_response(_calendar([meeting], meeting.title), _file_name(meeting, "ics"))


@bp.route("/calendar/<string:token>.ics")
def calendar_feed(token: str):
    member = services.member_for_token(token)
    if member is None:
        abort(404)
    name = _("Meetings · %(portal)s", portal=current_app.config["PORTAL_NAME"])
    response = _ics_response(_calendar(services.feed_meetings(member), name), "meetings.ics")
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- My calendar ----------------------------------------------------------------------------------


def _my_calendar(secret: str | None = None, status: int = 200):
    member = member_of(current_user)
    token = services.active_calendar_token(member)
    feed_url = None
    if secret:
        feed_url = _base_url() + url_for("meetings.calendar_feed", token=secret)
    return render(
        "meetings/my_calendar.html",
        status=status,
        member=member,
        token=token,
        feed_url=feed_url,
        form=CalendarForm(formdata=None),
    )


@bp.route("/calendar")
@login_required
def my_calendar():
    return _my_calendar()


@bp.route("/calendar/new", methods=["POST"])
@login_required
def create_calendar_address():
    if not CalendarForm().validate():
        abort(400)
    secret, error = attempt_step(
        services.create_calendar_token, acting_user(), passed_on=frozenset()
    )
    if error is not None:
        flash(str(error.message), "error")
        return redirect(url_for("meetings.my_calendar"))
    # The address is shown once, on this answer: it is never stored nor flashed.
    return _my_calendar(secret)  # the kernel marks every page no-store


@bp.route("/calendar/revoke", methods=["POST"])
@login_required
def revoke_calendar_address():
    if not CalendarForm().validate():
        abort(400)
    if services.revoke_calendar_token(acting_user()):
        flash(_("Your calendar address is stopped. Calendars using it get nothing new."), "success")
    else:
        flash(_("You have no calendar address to stop."), "error")
    return redirect(url_for("meetings.my_calendar"))
