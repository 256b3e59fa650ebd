"""The practice page of a session: the role cards, the turns of the practice meeting and the
practice vote. Trainers of the session change them; participants of the session read them
(on their phone) and vote on the voting page. Others: 403 (404 when the programme is hidden).

- programmes.practice              GET/POST /programmes/sessions/<id>/practice  (a turn saved)
- programmes.practice_poll         POST     /programmes/sessions/<id>/practice/poll
- programmes.practice_poll_count   POST     /programmes/sessions/<id>/practice/poll/count
- programmes.practice_poll_close   POST     /programmes/sessions/<id>/practice/poll/close
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.core.errors import DomainError
from portal.core.htmx import render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.viewhelpers import acting_user, whole_number
from portal.extensions import db
from portal.members.models import Member
from portal.programmes import bp, practice
from portal.programmes.common import is_participant_on, participants, session_or_404
from portal.programmes.models import PRACTICE_ROLE_TITLES, Session
from portal.programmes.policies import can_attend, can_run_session, member_id_of
from portal.voting import services as voting
from portal.voting.forms import read_room_count
from portal.voting.models import Poll
from portal.voting.policies import can_manage_practice_poll
from portal.voting.views import METHOD_TITLES, VOTE_TITLES

PAGE = "programmes/practice.html"
MAX_QUESTION = 1000
MAX_OPTIONS_TEXT = 3000


@dataclass
class PracticePage:
    """What `practice.html` needs; `error` is (where, field, message) of a refused form, and
    `typed` what that form sent, to show it again."""

    session: Session
    viewer: object
    error: tuple[str, str, str] | None = None
    typed: dict = field(default_factory=dict)
    count_entry: object = None  # voting.forms.RoomCountInput of a refused count

    role_titles = PRACTICE_ROLE_TITLES
    role_cards = practice.ROLE_CARDS
    roles = practice.ROLES
    vote_titles = VOTE_TITLES
    method_titles = METHOD_TITLES
    max_turn = practice.MAX_TURN

    @cached_property
    def runs(self) -> bool:
        return can_run_session(self.viewer, self.session)

    @cached_property
    def member_id(self) -> int | None:
        return member_id_of(self.viewer)

    @cached_property
    def me(self) -> Member | None:
        return db.session.get(Member, self.member_id) if self.member_id else None

    @cached_property
    def people(self) -> list[Member]:
        return participants(self.session)

    @cached_property
    def turns(self) -> dict:
        return practice.turns(self.session)

    @cached_property
    def last_turn(self) -> int:
        return max(self.turns) if self.turns else 0

    @cached_property
    def next_turn(self) -> int | None:
        following = self.last_turn + 1
        return following if following <= practice.MAX_TURN and self.people else None

    @cached_property
    def suggestion(self) -> dict:
        return practice.suggest_turn(self.session, self.people)

    @cached_property
    def never_had_role(self) -> list[Member]:
        held = {row.member_id for roles in self.turns.values() for row in roles.values()}
        return [p for p in self.people if p.id not in held]

    @cached_property
    def my_roles(self) -> list[tuple[int, str]]:
        """(turn, role) the viewer holds, in order."""
        return [
            (turn, role)
            for turn, roles in self.turns.items()
            for role, row in roles.items()
            if row.member_id == self.member_id
        ]

    def selected(self, turn: int, role: str) -> str:
        """The person shown in a role's list: as typed on a refused form, else as saved (else
        suggested, for the next turn)."""
        if self.error and self.error[0] == f"turn-{turn}":
            return self.typed.get(role, "")
        row = self.turns.get(turn, {}).get(role)
        if row is not None:
            return str(row.member_id)
        if turn == self.next_turn:
            suggested = self.suggestion.get(role)
            return str(suggested) if suggested else ""
        return ""

    def error_for(self, where: str, name: str | None = None) -> str | None:
        if self.error is None or self.error[0] != where:
            return None
        if name is None or self.error[1] == name:
            return self.error[2]
        return None

    # --- The practice vote

    @cached_property
    def poll(self) -> Poll | None:
        return practice.practice_poll(self.session)

    @cached_property
    def poll_open(self) -> bool:
        return self.poll is not None and self.poll.state == "open"

    @cached_property
    def may_manage_poll(self) -> bool:
        return (
            self.runs and self.poll is not None and can_manage_practice_poll(self.viewer, self.poll)
        )

    @cached_property
    def may_open_poll(self) -> bool:
        return self.runs and not self.poll_open

    @cached_property
    def turnout(self):
        return voting.turnout(self.poll) if self.poll is not None else None

    @cached_property
    def with_login(self) -> int:
        return len([p for p in self.people if p.user_id is not None])

    @cached_property
    def in_electorate(self) -> bool:
        return practice.in_electorate(self.poll, self.me)

    @cached_property
    def took_part(self) -> bool:
        return practice.took_part(self.poll, self.member_id)

    def room_rows(self) -> list[dict]:
        poll = self.poll
        answers = voting.room_answers(poll)
        entry = self.count_entry
        saved = voting.room_counts(poll) if entry is None else {}
        rows = []
        for index, answer in enumerate(answers):
            if entry is not None:
                text, problem = (
                    entry.count_texts.get(answer, ""),
                    entry.errors.get(f"count:{answer}"),
                )
            else:
                text, problem = (str(saved[answer]) if answer in saved else ""), None
            label = str(VOTE_TITLES[answer]) if answer in VOTE_TITLES else answer
            rows.append({"index": index, "label": label, "text": text, "error": problem})
        return rows

    def room_present(self) -> str:
        if self.count_entry is not None:
            return self.count_entry.present_text
        present = self.poll.present_count if self.poll is not None else None
        return "" if present is None else str(present)

    @property
    def session_url(self) -> str | None:
        """The session page, once it exists (another part of the programme's pages)."""
        if "programmes.session" in current_app.view_functions:
            return url_for("programmes.session", session_id=self.session.id)
        return None


@dataclass(frozen=True)
class PracticeSummary:
    """For the session page: the practice vote and its turnout (never a choice), the turns."""

    poll: Poll | None
    turnout: object
    turns: int


def practice_summary(session: Session) -> PracticeSummary:
    poll = practice.practice_poll(session)
    return PracticeSummary(
        poll, voting.turnout(poll) if poll is not None else None, practice.last_turn(session)
    )


# The session page includes `programmes/_practice_summary.html`, which asks this.
bp.add_app_template_global(practice_summary, "practice_summary")


def _practice_session(session_id: int, *, run: bool = False) -> Session:
    """The session, for its trainers (`run`) or also its participants; else 403 (404 when the
    programme is not visible to the viewer)."""
    session = session_or_404(session_id)
    if can_run_session(current_user, session):
        return session
    if (
        not run
        and can_attend(current_user, session.programme)
        and is_participant_on(session, member_id_of(current_user))
    ):
        return session
    abort(403)


def _page(session: Session, status: int = 200, **state):
    return render(PAGE, status=status, page=PracticePage(session, acting_user(), **state))


def _call(service, *args):
    """Run one service: (result, None), or (REFUSED, the refusal) for bad input (422); other
    refusals (403, 404, 409) go to the error pages."""
    try:
        return attempt(None, service, *args), None
    except DomainError as error:
        if error.status_code != 422:
            raise
        return REFUSED, error


def _back(session: Session, anchor: str = ""):
    return redirect(url_for("programmes.practice", session_id=session.id) + anchor)


@bp.route("/sessions/<int:session_id>/practice", methods=["GET", "POST"], endpoint="practice")
@login_required
def practice_page(session_id: int):
    session = _practice_session(session_id, run=request.method == "POST")
    if request.method == "GET":
        return _page(session)
    turn = whole_number(request.form.get("turn", ""), highest=practice.MAX_TURN + 1)
    typed, choices = {}, {}
    for role in practice.ROLES:
        text = (request.form.get(role.value) or "").strip()[:20]
        typed[role.value] = text
        choices[role.value] = (whole_number(text) or 0) if text else None
    _result, error = _call(practice.save_turn, acting_user(), session, turn, choices)
    if error is not None:
        where = f"turn-{turn}" if turn else "turn-new"
        return _page(
            session, 422, error=(where, error.field or "roles", str(error.message)), typed=typed
        )
    flash(_("Turn %(n)d is saved.", n=turn), "success")
    return _back(session, f"#turn-{turn}")


def _options(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text[:MAX_OPTIONS_TEXT].splitlines() if line.strip())


@bp.route("/sessions/<int:session_id>/practice/poll", methods=["POST"])
@login_required
def practice_poll(session_id: int):
    session = _practice_session(session_id, run=True)
    question = (request.form.get("question") or "").strip()[:MAX_QUESTION]
    method = request.form.get("method") or ""
    options_text = request.form.get("options") or ""
    where = request.form.get("where") or ""
    typed = {
        "question": question,
        "method": method,
        "options": options_text[:MAX_OPTIONS_TEXT],
        "where": where,
    }
    if where not in ("room", "portal"):
        return _page(
            session,
            422,
            error=("poll", "where", _("Choose in the room or on the portal.")),
            typed=typed,
        )
    data = practice.PracticePollInput(
        question=question, method=method, options=_options(options_text), in_room=where == "room"
    )
    _poll, error = _call(practice.open_practice_poll, acting_user(), session, data)
    if error is not None:
        return _page(
            session, 422, error=("poll", error.field or "poll", str(error.message)), typed=typed
        )
    flash(_("The practice vote is open."), "success")
    return _back(session, "#practice-vote")


@bp.route("/sessions/<int:session_id>/practice/poll/count", methods=["POST"])
@login_required
def practice_poll_count(session_id: int):
    session = _practice_session(session_id, run=True)
    poll = practice.practice_poll(session)
    if poll is None or not poll.in_room:
        abort(404)
    entry = read_room_count(voting.room_answers(poll), request.form)
    if entry.errors:
        return _page(
            session,
            422,
            error=("count", "counts", _("Please check the numbers marked below.")),
            count_entry=entry,
        )
    _poll, error = _call(
        practice.count_practice_poll, acting_user(), session, entry.present, entry.counts
    )
    if error is not None:
        if error.field and error.field != "counts":
            entry.errors[error.field] = str(error.message)
        return _page(
            session,
            422,
            error=("count", error.field or "counts", str(error.message)),
            count_entry=entry,
        )
    flash(_("The counts are saved. You can correct them until the close."), "success")
    return _back(session, "#practice-vote")


@bp.route("/sessions/<int:session_id>/practice/poll/close", methods=["POST"])
@login_required
def practice_poll_close(session_id: int):
    session = _practice_session(session_id, run=True)
    _poll, error = _call(practice.close_practice_poll, acting_user(), session)
    if error is not None:
        return _page(session, 422, error=("close", "poll", str(error.message)))
    flash(_("The practice vote is closed. The result is shown."), "success")
    return _back(session, "#practice-vote")
