"""Minutes views: start, read (HTML and PDF), write notes and sections (409 on conflict), steps,
approval and publishing; the minutes line of the meeting page."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms.fields.choices import SelectChoice

from portal.core import history, itemviews
from portal.core.errors import DomainError
from portal.core.forms import TransitionForm
from portal.core.htmx import render
from portal.core.security import Permission, can
from portal.core.urls import public_base_url, public_url
from portal.core.viewhelpers import (
    MAX_ID,
    acting_user,
    form_error,
    int_arg,
    item_or_404,
    row_or_404,
)
from portal.core.workflow import available_transitions, history_of
from portal.extensions import db, login_manager
from portal.meetings import bp, minutes_record
from portal.meetings import minutes as services
from portal.meetings.forms_minutes import ApproveForm, NotesForm, PublishForm, SectionForm
from portal.meetings.minutes_pdf import minutes_pdf
from portal.meetings.models import AgendaItem, Minutes, MinutesSection
from portal.meetings.sections import attempt_step, meeting_or_404, page_section
from portal.meetings.workflow import MINUTES_SERVICE_STEPS

FIELD_TITLES = {
    "notes": _l("General notes"),
    "discussion": _l("What was said"),
    "decision_text": _l("What was decided"),
}
ONLY_403 = frozenset({403})  # the minutes' steps show any other refusal on their page
# Steps taken with the status form (approve and publish have their own forms).
FORM_STEPS = frozenset({"submit", "send_back"})


def meeting_url(meeting) -> str | None:
    """The meeting page, when the meetings' pages are there."""
    try:
        return url_for("meetings.view_meeting", meeting_id=meeting.id)
    except BuildError:
        return None


@page_section("minutes", order=50)
def minutes_section(meeting) -> dict:
    """For `_minutes_link.html` on the meeting page."""
    minutes = services.minutes_of(meeting)
    return {
        "meeting_minutes": minutes
        if minutes is not None and can(current_user, Permission.VIEW, minutes)
        else None,
        "may_start_minutes": minutes is None
        and meeting.state in services.STARTABLE_STATES
        and can(current_user, Permission.MANAGE_MEETINGS, meeting),
    }


def _minutes_or_404(minutes_id: int, permission: Permission = Permission.VIEW) -> Minutes:
    """Minutes the viewer may see; an anonymous visitor is asked to log in first."""
    minutes = db.session.get(Minutes, minutes_id) if 0 < minutes_id <= MAX_ID else None
    if not current_user.is_authenticated and (
        minutes is None or not can(current_user, Permission.VIEW, minutes)
    ):
        abort(login_manager.unauthorized())  # the same answer whether they exist or not
    return item_or_404(Minutes, minutes_id, permission)


def _section_or_404(minutes: Minutes, section_id: int) -> MinutesSection:
    return row_or_404(MinutesSection, section_id, minutes_id=minutes.id)


def _approve_form(minutes: Minutes, form: ApproveForm | None = None) -> ApproveForm:
    if form is None:  # first showing: the board vote that adopted them, when there is one
        adopted = services.adopted_approval_poll(minutes)
        form = ApproveForm(formdata=None, data={"poll_id": str(adopted.id) if adopted else ""})
    form.poll_id.choices = [SelectChoice("", _("No vote"))] + [
        SelectChoice(str(p.id), p.title) for p in services.approval_polls(minutes)
    ]
    form.item_id.choices = [SelectChoice("", _("No agenda item"))] + [
        SelectChoice(str(i.id), f"{i.meeting.title}, {i.meeting.starts_at:%Y-%m-%d}: {i.title}")
        for i in services.approval_items(minutes)
    ]
    return form


def _status_context(minutes: Minutes, error_message=None, approve_form=None) -> dict:
    steps = [t for t in available_transitions(minutes, current_user) if t.name in FORM_STEPS]
    may_review = can(current_user, Permission.REVIEW, minutes)
    votes = services.minutes_polls(minutes) if may_review else []
    return {
        "minutes_votes": votes,
        "vote_form": FlaskForm(formdata=None)
        if may_review
        and minutes.state == "submitted"
        and not any(poll.state == "open" for poll in votes)
        and services.adopted_approval_poll(minutes) is None
        else None,
        "minutes": minutes,
        "steps": steps,
        # The steps name people and carry comments (a send-back reason): for those who may
        # read the history only, not for every reader of published minutes.
        "recent": history_of(minutes)[-5:]
        if can(current_user, Permission.VIEW_HISTORY, minutes)
        else [],
        "error_message": error_message,
        "approve_form": _approve_form(minutes, approve_form)
        if may_review and minutes.state == "submitted"
        else None,
        "publish_form": PublishForm(formdata=None)
        if may_review and minutes.state == "approved"
        else None,
    }


def _page_context(minutes: Minutes, **extra) -> dict:
    may_edit = can(current_user, Permission.EDIT, minutes)
    return {
        "report": services.report(minutes),
        "may_edit": may_edit,
        "may_history": can(current_user, Permission.VIEW_HISTORY, minutes),
        "missing": services.missing_items(minutes) if may_edit else [],
        "meeting_url": meeting_url(minutes.meeting),
        "verdict_titles": services.VERDICT_TITLES,
        **_status_context(minutes, **extra),
    }


@bp.route("/<int:meeting_id>/minutes/start", methods=["POST"])
@login_required
def start_minutes(meeting_id: int):
    meeting = meeting_or_404(meeting_id, Permission.MANAGE_MEETINGS)
    if not FlaskForm().validate():
        abort(400)
    minutes, error = attempt_step(
        services.start_minutes, acting_user(), meeting, passed_on=ONLY_403
    )
    if error is not None:
        flash(str(error.message), "error")
        existing = services.minutes_of(meeting)
        if existing is not None and can(current_user, Permission.VIEW, existing):
            return redirect(url_for("meetings.view_minutes", minutes_id=existing.id), 303)
        return redirect(meeting_url(meeting) or url_for("meetings.list_decisions"), 303)
    flash(_("The minutes are started. Write what was said for each item."), "success")
    return redirect(url_for("meetings.view_minutes", minutes_id=minutes.id), 303)


@bp.route("/minutes/<int:minutes_id>")
def view_minutes(minutes_id: int):
    minutes = _minutes_or_404(minutes_id)
    return render("meetings/minutes.html", **_page_context(minutes))


@bp.route("/minutes/<int:minutes_id>/minutes.pdf")
def minutes_pdf_file(minutes_id: int):
    minutes = _minutes_or_404(minutes_id)
    response = make_response(minutes_pdf(services.report(minutes), public_base_url() + "/"))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="minutes-{minutes.id}.pdf"'
    return response


@bp.route("/minutes/<int:minutes_id>/notes", methods=["GET", "POST"])
@login_required
def edit_minutes(minutes_id: int):
    minutes = _minutes_or_404(minutes_id, Permission.EDIT)
    form = NotesForm(obj=minutes if request.method == "GET" else None)
    conflict, status = None, 200
    if form.is_submitted():
        status = 422
        if form.validate():
            _saved, error = attempt_step(
                services.save_notes,
                acting_user(),
                minutes,
                form.version.data,
                form.notes.data or "",
                passed_on=frozenset(),
            )
            if isinstance(error, history.EditConflict):
                conflict = itemviews.edit_conflict(minutes, error, form)
                status = 409
            elif error is not None:
                form_error(form, error)
            else:
                flash(_("Your changes are saved."), "success")
                return redirect(url_for("meetings.view_minutes", minutes_id=minutes.id), 303)
    return render(
        "meetings/minutes_edit.html",
        fragment="meetings/_minutes_notes_form.html",
        status=status,
        form=form,
        minutes=minutes,
        conflict=conflict,
        field_titles=FIELD_TITLES,
    )


@bp.route("/minutes/<int:minutes_id>/sections/<int:section_id>", methods=["GET", "POST"])
@login_required
def edit_minutes_section(minutes_id: int, section_id: int):
    minutes = _minutes_or_404(minutes_id, Permission.EDIT)
    section = _section_or_404(minutes, section_id)
    form = SectionForm(obj=section if request.method == "GET" else None)
    conflict, status = None, 200
    if form.is_submitted():
        status = 422
        if form.validate():
            _saved, error = attempt_step(
                services.save_section,
                acting_user(),
                section,
                form.version.data,
                form.discussion.data or "",
                form.decision_text.data or "",
                passed_on=frozenset(),
            )
            if isinstance(error, history.EditConflict):
                conflict = itemviews.edit_conflict(section, error, form)
                status = 409
            elif error is not None:
                form_error(form, error)
            else:
                flash(_("Your changes are saved."), "success")
                return redirect(
                    url_for("meetings.view_minutes", minutes_id=minutes.id)
                    + f"#minutes-section-{section.id}",
                    303,
                )
    return render(
        "meetings/minutes_section_edit.html",
        fragment="meetings/_minutes_section_form.html",
        status=status,
        form=form,
        minutes=minutes,
        section=section,
        conflict=conflict,
        field_titles=FIELD_TITLES,
    )


@bp.route("/minutes/<int:minutes_id>/sections/add", methods=["POST"])
@login_required
def add_minutes_sections(minutes_id: int):
    minutes = _minutes_or_404(minutes_id, Permission.EDIT)
    if not FlaskForm().validate():
        abort(400)
    added = services.add_missing_sections(acting_user(), minutes)
    flash(_("%(n)d new section(s) added.", n=len(added)), "success")
    return redirect(url_for("meetings.view_minutes", minutes_id=minutes.id), 303)


def _refusal(message):
    """A step that only refuses (the form's input was not usable)."""

    def action():
        raise DomainError(message)

    return action


def _after_step(minutes_id: int, action, done_message, approve_form=None):
    """Run a step (`attempt_step`): back to the minutes, or the page again with the refusal
    (422; a 403 stays a 403). The lifecycle commits the step after the redirect."""
    _result, error = attempt_step(action, passed_on=ONLY_403)
    if error is not None:
        minutes = _minutes_or_404(minutes_id)
        return render(
            "meetings/minutes.html",
            status=422,
            **_page_context(minutes, error_message=str(error.message), approve_form=approve_form),
        )
    flash(done_message, "success")
    return redirect(url_for("meetings.view_minutes", minutes_id=minutes_id), 303)


@bp.route("/minutes/<int:minutes_id>/step", methods=["POST"])
@login_required
def transition_minutes(minutes_id: int):
    minutes = _minutes_or_404(minutes_id)
    form = TransitionForm()
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return _after_step(
            minutes_id,
            _refusal(_l("Choose a step.")),
            "",
        )
    name = form.transition.data
    if name in MINUTES_SERVICE_STEPS or name not in FORM_STEPS:
        abort(400)
    actor = acting_user()
    if name == "submit":
        return _after_step(
            minutes_id,
            lambda: services.submit_minutes(actor, minutes, form.comment.data or ""),
            _("The minutes are submitted for approval."),
        )
    return _after_step(
        minutes_id,
        lambda: services.send_back_minutes(actor, minutes, form.comment.data or ""),
        _("The minutes are sent back to the secretary."),
    )


@bp.route("/minutes/<int:minutes_id>/approve", methods=["POST"])
@login_required
def approve_minutes(minutes_id: int):
    minutes = _minutes_or_404(minutes_id, Permission.REVIEW)
    form = _approve_form(minutes, ApproveForm())
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return _after_step(
            minutes_id,
            _refusal(_l("Choose from the list.")),
            "",
            approve_form=form,
        )
    from portal.voting.models import Poll

    poll = item = None
    if form.poll_id.data:
        poll = (
            db.session.get(Poll, int(form.poll_id.data))
            if int(form.poll_id.data) <= MAX_ID
            else None
        )
        if poll is None:
            abort(404)
    if form.item_id.data:
        item = (
            db.session.get(AgendaItem, int(form.item_id.data))
            if int(form.item_id.data) <= MAX_ID
            else None
        )
        if item is None:
            abort(404)
    return _after_step(
        minutes_id,
        lambda: services.approve_minutes(acting_user(), minutes, poll=poll, item=item),
        _("The approval is recorded. The decisions are in the register."),
        approve_form=form,
    )


@bp.route("/minutes/<int:minutes_id>/vote", methods=["POST"])
@login_required
def put_minutes_to_vote(minutes_id: int):
    minutes = _minutes_or_404(minutes_id, Permission.REVIEW)
    if not FlaskForm().validate():  # only the CSRF token is posted
        abort(400)
    return _after_step(
        minutes_id,
        lambda: services.put_minutes_to_vote(
            acting_user(), minutes, lambda p: public_url("voting.view_poll", poll_id=p.id)
        ),
        _(
            "The board vote on the minutes is open. Once it is closed and adopted, record the approval here."
        ),
    )


@bp.route("/minutes/<int:minutes_id>/publish", methods=["POST"])
@login_required
def publish_minutes(minutes_id: int):
    minutes = _minutes_or_404(minutes_id, Permission.REVIEW)
    form = PublishForm()
    if not form.validate():
        abort(400)
    return _after_step(
        minutes_id,
        lambda: services.publish_minutes(acting_user(), minutes, form.public.data),
        _("The minutes are published."),
    )


# --- History: versions, diff, bring one back ------------------------------------------------

HISTORY_TEXTS = itemviews.ItemTexts(
    back=_l("Back to the minutes"),
    no_steps=_l("No step yet: the minutes are still a draft."),
)
NOTES_ENDPOINTS = itemviews.ItemEndpoints(
    view="meetings.view_minutes",
    history="meetings.minutes_history",
    revert="meetings.revert_minutes",
)
SECTION_ENDPOINTS = itemviews.ItemEndpoints(
    view="meetings.view_minutes",
    history="meetings.minutes_section_history",
    revert="meetings.revert_minutes_section",
)


@dataclass(frozen=True)
class _Shown:
    """What the shared history page shows of the item: its title and its workflow."""

    title: str
    workflow: object


def _record_versions(minutes: Minutes) -> list[dict]:
    """The versions kept since the approval, newest first, each with what it changed."""
    records = minutes_record.records_of(minutes)
    if not records:
        return []
    versions = []
    for record, previous in zip(records, [*records[1:], None], strict=True):
        changes = []
        if previous is not None:
            rows = history.diff_lines(
                "\n".join(minutes_record.lines(previous.data)),
                "\n".join(minutes_record.lines(record.data)),
            )
            changes = [(kind, text) for kind, text in rows if kind != "same"]
        versions.append({"record": record, "changes": changes})
    return versions


def _history_page(
    target, minutes: Minutes, title: str, kind: str, endpoints, args: dict, page=None, **extra
):
    revisions = history.revisions_of(target)
    newest = revisions[0].version if revisions else 1
    a, b = int_arg("a", max(newest - 1, 1)), int_arg("b", newest)
    old, new = history.get_revision(target, a), history.get_revision(target, b)
    return render(
        page or "_items/history.html",
        fragment="_items/_diff.html",
        item=_Shown(title, minutes.workflow),
        item_kind=kind,
        item_args=args,
        endpoints=endpoints,
        texts=HISTORY_TEXTS,
        revisions=revisions,
        steps=history_of(minutes) if target is minutes else [],
        a=a,
        b=b,
        old=old,
        new=new,
        diff=history.diff_fields(old.fields, new.fields) if old and new else {},
        can_edit=can(current_user, Permission.EDIT, minutes),
        field_titles=FIELD_TITLES,
        **extra,
    )


def _revert(minutes_id: int, action, history_url: str):
    if not FlaskForm().validate():  # only the CSRF token is posted
        abort(400)
    revision, error = attempt_step(action, passed_on=ONLY_403)
    if error is not None:  # a redirect keeps nothing of the refused call (`attempt_step`)
        flash(str(error.message), "error")
        return redirect(history_url, 303)
    if revision is None:
        flash(_("This version is the same as the current text."), "success")
    else:
        flash(_("The old version is back, saved as a new version."), "success")
    return redirect(url_for("meetings.view_minutes", minutes_id=minutes_id), 303)


@bp.route("/minutes/<int:minutes_id>/history")
@login_required
def minutes_history(minutes_id: int):
    minutes = _minutes_or_404(minutes_id, Permission.VIEW_HISTORY)
    return _history_page(
        minutes,
        minutes,
        _("Minutes: %(title)s", title=minutes.meeting.title),
        "minutes",
        NOTES_ENDPOINTS,
        {"minutes_id": minutes.id},
        page="meetings/minutes_history.html",
        record_versions=_record_versions(minutes),
    )


@bp.route("/minutes/<int:minutes_id>/revert/<int:version>", methods=["POST"])
@login_required
def revert_minutes(minutes_id: int, version: int):
    minutes = _minutes_or_404(minutes_id, Permission.EDIT)
    return _revert(
        minutes_id,
        lambda: services.revert_notes(acting_user(), minutes, version),
        url_for("meetings.minutes_history", minutes_id=minutes_id),
    )


@bp.route("/minutes/<int:minutes_id>/sections/<int:section_id>/history")
@login_required
def minutes_section_history(minutes_id: int, section_id: int):
    minutes = _minutes_or_404(minutes_id, Permission.VIEW_HISTORY)
    section = _section_or_404(minutes, section_id)
    return _history_page(
        section,
        minutes,
        _("Minutes, item: %(title)s", title=section.agenda_item.title),
        "minutes-section",
        SECTION_ENDPOINTS,
        {"minutes_id": minutes.id, "section_id": section.id},
    )


@bp.route(
    "/minutes/<int:minutes_id>/sections/<int:section_id>/revert/<int:version>", methods=["POST"]
)
@login_required
def revert_minutes_section(minutes_id: int, section_id: int, version: int):
    minutes = _minutes_or_404(minutes_id, Permission.EDIT)
    section = _section_or_404(minutes, section_id)
    return _revert(
        minutes_id,
        lambda: services.revert_section(acting_user(), section, version),
        url_for("meetings.minutes_section_history", minutes_id=minutes_id, section_id=section_id),
    )


def _register_search() -> None:
    """Minutes are found by their text; the search shows only those the viewer may read (a
    draft to the board, published minutes to members, public ones to anyone)."""
    from portal.core.markdown import plain_text
    from portal.core.search import register_searchable

    def to_text(minutes: Minutes) -> tuple[str, str]:
        parts = [plain_text(minutes.notes)]
        for section in services.sections_in_order(minutes):
            parts += [section.agenda_item.title, section.discussion, section.decision_text]
        return (
            str(_l("Minutes: %(title)s", title=minutes.meeting.title)),
            "\n".join(p for p in parts if p).strip(),
        )

    register_searchable(
        Minutes,
        to_text=to_text,
        url_for=lambda minutes_id: url_for("meetings.view_minutes", minutes_id=minutes_id),
    )


_register_search()
