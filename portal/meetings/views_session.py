"""Session views: the current item, the speaking queue, polls opened from an item and their
count in the room (htmx swaps the session section; the queue refreshes itself)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from portal.core.db import utcnow
from portal.core.htmx import is_htmx, render
from portal.core.security import Permission
from portal.core.viewhelpers import MAX_ID, acting_user, whole_number
from portal.extensions import db
from portal.meetings import attendance, bp, session
from portal.meetings.forms_session import CurrentItemForm, OpenPollForm
from portal.meetings.models import AgendaItem, ItemKind, Meeting
from portal.meetings.sections import agenda_item_or_404, attempt_step, meeting_or_404, page_section
from portal.meetings.views_attendance import digest, unchanged
from portal.members.lookup import member_of
from portal.voting import services as voting
from portal.voting.models import Poll
from portal.voting.views import VOTE_TITLES

PAGE = "meetings/_session_page.html"
FRAGMENT = "meetings/_session.html"
CHANGED = "meeting-session-changed"


@dataclass
class SessionSection:
    """What `_session.html` needs: the current item, the queue, the polls of the item."""

    meeting: Meeting
    viewer: object
    error: str | None = None
    notice: str | None = None
    count_poll: int | None = None  # the poll whose count form was sent with an error
    count_values: dict | None = None
    count_errors: dict | None = None
    vote_titles = VOTE_TITLES

    @cached_property
    def in_session(self) -> bool:
        return self.meeting.state == "in_session"

    @cached_property
    def may_run(self) -> bool:
        return session.can_run_session(self.viewer, self.meeting)

    @cached_property
    def current(self) -> AgendaItem | None:
        return session.current_item(self.meeting)

    @cached_property
    def queue(self):
        return session.queue(self.meeting)

    @cached_property
    def speaker(self):
        return session.speaker(self.meeting)

    @cached_property
    def queue_digest(self) -> str:
        speaker = self.speaker.id if self.speaker else 0
        return digest(f"{speaker}:{','.join(str(r.id) for r in self.queue)}")

    @cached_property
    def me(self):
        return member_of(self.viewer)

    @cached_property
    def am_present(self) -> bool:
        return self.me is not None and self.me.id in attendance.present_member_ids(self.meeting)

    @cached_property
    def my_request(self):
        return next((r for r in self.queue if self.me and r.member_id == self.me.id), None)

    @cached_property
    def i_speak(self) -> bool:
        return (
            self.speaker is not None
            and self.me is not None
            and self.speaker.member_id == self.me.id
        )

    @cached_property
    def present_only(self) -> bool:
        return self.meeting.body.meeting_votes_present_only

    @cached_property
    def votes_in_room(self) -> int:
        return attendance.votes_in_room(self.meeting)

    @cached_property
    def polls(self) -> list[Poll]:
        return session.polls_of_item(self.current) if self.current else []

    def answers(self, poll: Poll) -> list[str]:
        return voting.room_answers(poll)

    def count_value(self, poll: Poll, answer: str) -> str:
        if self.count_poll == poll.id and self.count_values is not None:
            return self.count_values.get(answer, "")
        counts = voting.room_counts(poll)
        return str(counts[answer]) if answer in counts else ""

    def count_error(self, poll: Poll, answer: str) -> str | None:
        if self.count_poll == poll.id and self.count_errors:
            return self.count_errors.get(answer)
        return None

    def item_form(self) -> CurrentItemForm:
        form = CurrentItemForm(formdata=None, data={"item_id": self.meeting.current_item_id})
        form.item_id.choices = [
            (item.id, f"{item.position}. {item.title}") for item in self.meeting.items
        ]
        form.item_id.id = f"meeting-{self.meeting.id}-current-item"
        form.item_id.label.field_id = form.item_id.id
        return form

    def poll_form(self) -> OpenPollForm:
        return OpenPollForm(formdata=None)

    @property
    def is_decision(self) -> bool:
        return self.current is not None and self.current.kind == ItemKind.DECISION.value


@page_section("session", order=40)
def _session_section(meeting: Meeting) -> dict:
    return {"session_section": SessionSection(meeting, acting_user())}


def _section(meeting: Meeting, status: int = 200, **state):
    section = SessionSection(meeting, acting_user(), **state)
    return render(PAGE, fragment=FRAGMENT, status=status, meeting=meeting, session_section=section)


def _done(meeting: Meeting, message: str):
    if is_htmx():
        response = _section(meeting, notice=message)
        response.headers["HX-Trigger"] = CHANGED
        return response
    flash(message, "success")
    return redirect(url_for("meetings.show_session", meeting_id=meeting.id))


def _step(meeting_id: int, permission: Permission, call, message):
    """Call `call(meeting)`; the section again, with its message (CSRF: checked for every POST)."""
    meeting = meeting_or_404(meeting_id, permission)
    result, error = attempt_step(call, meeting)
    if error is not None:  # not in session (409) included: shown in the section, as always
        return _section(meeting, 422, error=str(error.message))
    return _done(meeting, message(result) if callable(message) else message)


@bp.route("/<int:meeting_id>/session")
@login_required
def show_session(meeting_id: int):
    return _section(meeting_or_404(meeting_id))


@bp.route("/<int:meeting_id>/session/queue")
@login_required
def show_speakers(meeting_id: int):
    """The speaking queue alone (polled every 10 seconds by the session section); 204 when
    unchanged since the client's `seen` digest (see `show_quorum`)."""
    meeting = meeting_or_404(meeting_id)
    section = SessionSection(meeting, acting_user())
    if request.args.get("seen") == section.queue_digest:
        return unchanged()
    return render(
        "meetings/_speak_queue.html",
        fragment="meetings/_speak_queue.html",
        meeting=meeting,
        session_section=section,
    )


@bp.route("/<int:meeting_id>/session/current", methods=["POST"])
@login_required
def set_current_item(meeting_id: int):
    meeting = meeting_or_404(meeting_id, Permission.MANAGE_MEETINGS)
    value = request.form.get("item_id", "")
    item_id = whole_number(value)
    if not item_id:
        return _section(meeting, 422, error=_("Choose an item from the list."))
    item = agenda_item_or_404(meeting, item_id)
    return _step(
        meeting_id,
        Permission.MANAGE_MEETINGS,
        lambda m: session.set_current_item(acting_user(), m, item),
        lambda chosen: _("Now: %(title)s", title=chosen.title),
    )


@bp.route("/<int:meeting_id>/session/next", methods=["POST"])
@login_required
def next_item(meeting_id: int):
    return _step(
        meeting_id,
        Permission.MANAGE_MEETINGS,
        lambda m: session.next_item(acting_user(), m),
        lambda chosen: _("Now: %(title)s", title=chosen.title),
    )


@bp.route("/<int:meeting_id>/session/speak", methods=["POST"])
@login_required
def ask_to_speak(meeting_id: int):
    return _step(
        meeting_id,
        Permission.VIEW,
        lambda m: session.ask_to_speak(acting_user(), m, member_of(acting_user())),
        _("You are on the list to speak."),
    )


@bp.route("/<int:meeting_id>/session/withdraw", methods=["POST"])
@login_required
def withdraw_from_speaking(meeting_id: int):
    return _step(
        meeting_id,
        Permission.VIEW,
        lambda m: session.withdraw(acting_user(), m, member_of(acting_user())),
        _("You are off the list."),
    )


@bp.route("/<int:meeting_id>/session/floor", methods=["POST"])
@login_required
def give_floor(meeting_id: int):
    return _step(
        meeting_id,
        Permission.MANAGE_MEETINGS,
        lambda m: session.give_floor(acting_user(), m),
        lambda chosen: (
            _("%(name)s has the floor.", name=chosen.member.full_name)
            if chosen
            else _("Nobody else asked to speak.")
        ),
    )


@bp.route("/<int:meeting_id>/session/items/<int:item_id>/poll", methods=["POST"])
@login_required
def open_item_poll(meeting_id: int, item_id: int):
    meeting = meeting_or_404(meeting_id, Permission.MANAGE_MEETINGS)
    item = agenda_item_or_404(meeting, item_id)
    form = OpenPollForm()
    if form.where.data not in ("room", "portal"):
        return _section(meeting, 422, error=_("Choose in the room or on the portal."))
    in_room = form.where.data == "room"
    return _step(
        meeting_id,
        Permission.MANAGE_MEETINGS,
        lambda m: session.open_item_poll(acting_user(), m, item, in_room=in_room),
        _("The vote is open."),
    )


@bp.route("/<int:meeting_id>/session/polls/<int:poll_id>/count", methods=["POST"])
@login_required
def record_item_count(meeting_id: int, poll_id: int):
    meeting = meeting_or_404(meeting_id, Permission.MANAGE_MEETINGS)
    poll = db.session.get(Poll, poll_id) if 0 < poll_id <= MAX_ID else None
    items = {item.object_key for item in meeting.items}
    if poll is None or poll.subject_key not in items:
        abort(404)
    answers = voting.room_answers(poll)
    values = {a: (request.form.get(f"count:{a}") or "").strip() for a in answers}
    errors, counts = {}, {}
    for answer, value in values.items():
        number = whole_number(value) if value else 0
        if number is None:
            errors[answer] = _("Give a whole number.")
        else:
            counts[answer] = number
    state = {"count_poll": poll.id, "count_values": values}
    if errors:
        return _section(meeting, 422, count_errors=errors, **state)
    _count, error = attempt_step(
        session.record_item_count, acting_user(), meeting, poll, counts, utcnow()
    )
    if error is not None:
        field = (error.field or "").removeprefix("count:")
        if field in values:
            return _section(meeting, 422, count_errors={field: str(error.message)}, **state)
        return _section(meeting, 422, error=str(error.message), **state)
    return _done(meeting, _("The count is saved."))
