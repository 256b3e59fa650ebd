"""Minutes of a meeting: start, write (revisions, 409 on conflict), steps, and what they show.

The secretary starts the minutes once the meeting is in session or closed: general notes and a
section per agenda item. Items added to the agenda later get their section when the minutes
are submitted, or when someone who may edit asks for them (`add_missing_sections`): never on
reading a page.

Approval links the decision that approved them: a closed, adopted, non-practice poll of the
board whose subject is these minutes, or an agenda item of a later meeting of the same body.
The board puts submitted minutes to such a vote from their page (`put_minutes_to_vote`: a named
yes/no/abstain poll of the board body, opened at once; one open at a time).
Approving records the minuted decisions in the register. Publishing makes them readable by
every member, and by anyone when marked public.

Attendance is summed up here from the attendance rows; the quorum line is the quorum as it stood
at its highest during the session, computed as the live line is (`attendance.compute_quorum`).
Once approved, the minutes show what was kept at the approval (`minutes_record`), not live data.

Services take the acting user explicitly, never commit, and raise DomainError subclasses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.core import audit, history
from portal.core.db import utcnow
from portal.core.errors import DomainError, NotAllowed
from portal.core.security import Permission, can
from portal.core.workflow import apply_transition, item_saved
from portal.extensions import db
from portal.meetings.models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Meeting,
    Minutes,
    MinutesSection,
)

MAX_NOTES, MAX_DISCUSSION, MAX_DECISION = 100_000, 50_000, 20_000
STARTABLE_STATES = frozenset({"in_session", "closed"})
LATER_MEETING_STATES = frozenset({"in_session", "closed"})
VERDICT_TITLES = {
    "adopted": _l("Adopted"),
    "rejected": _l("Rejected"),
    "tie": _l("Tie: not adopted"),
    "no_quorum": _l("No quorum: not decided"),
}


def minutes_of(meeting: Meeting) -> Minutes | None:
    return db.session.scalar(sa.select(Minutes).where(Minutes.meeting_id == meeting.id))


def meeting_day(meeting: Meeting) -> date:
    """The meeting's date where the enterprise is."""
    from flask import current_app

    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return meeting.starts_at.astimezone(zone).date()


def sections_in_order(minutes: Minutes) -> list[MinutesSection]:
    return db.session.scalars(
        sa.select(MinutesSection)
        .join(AgendaItem, AgendaItem.id == MinutesSection.agenda_item_id)
        .where(MinutesSection.minutes_id == minutes.id)
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()


def missing_items(minutes: Minutes) -> list[AgendaItem]:
    """Agenda items of the meeting that have no section yet."""
    have = sa.select(MinutesSection.agenda_item_id).where(MinutesSection.minutes_id == minutes.id)
    return db.session.scalars(
        sa.select(AgendaItem)
        .where(AgendaItem.meeting_id == minutes.meeting_id, AgendaItem.id.not_in(have))
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()


def _add_sections(actor, minutes: Minutes) -> list[MinutesSection]:
    added = []
    for item in missing_items(minutes):
        section = MinutesSection(minutes_id=minutes.id, agenda_item_id=item.id)
        db.session.add(section)
        db.session.flush()
        history.first_revision(section, actor)
        added.append(section)
    return added


def _require_edit(actor, minutes: Minutes) -> None:
    if not can(actor, Permission.EDIT, minutes):
        raise NotAllowed(_l("You cannot change these minutes now."))


def start_minutes(actor, meeting: Meeting) -> Minutes:
    """Create the minutes of a meeting in session or closed, with a section per item.

    Raises NotAllowed without Manage meetings on the meeting; DomainError when the meeting has
    not started or already has minutes."""
    if not can(actor, Permission.MANAGE_MEETINGS, meeting):
        raise NotAllowed(_l("Only the board writes the minutes."))
    if meeting.state not in STARTABLE_STATES:
        raise DomainError(_l("The minutes can be started once the meeting has begun."))
    if minutes_of(meeting) is not None:
        raise DomainError(_l("The minutes of this meeting are already started."))
    minutes = Minutes(meeting_id=meeting.id, owner_id=actor.id, notes="")
    db.session.add(minutes)
    db.session.flush()
    minutes.security_path = f"/{minutes.object_key}/"
    db.session.flush()
    history.first_revision(minutes, actor)
    _add_sections(actor, minutes)
    audit.record(
        actor,
        "minutes.started",
        f"minutes {minutes.id} of meeting {meeting.id} started",
        object_key=minutes.object_key,
    )
    item_saved.send(minutes)
    return minutes


def add_missing_sections(actor, minutes: Minutes) -> list[MinutesSection]:
    """Sections for agenda items added since the minutes were started (needs Edit)."""
    _require_edit(actor, minutes)
    return _add_sections(actor, minutes)


def _check_length(text: str, limit: int, name: str) -> str:
    text = (text or "").replace("\r\n", "\n")
    if len(text) > limit:
        raise DomainError(
            _l("This text is too long (at most %(n)d characters).", n=limit), field=name
        )
    return text


def save_notes(actor, minutes: Minutes, base_version: int, notes: str):
    """Save the general notes made from `base_version`.

    Raises NotAllowed without Edit; EditConflict when someone saved in between."""
    _require_edit(actor, minutes)
    notes = _check_length(notes, MAX_NOTES, "notes")
    revision = history.save_revision(minutes, actor, base_version, {"notes": notes})
    item_saved.send(minutes)
    return revision


def save_section(actor, section: MinutesSection, base_version: int, discussion: str, decision: str):
    """Save one section (discussion summary, decision text) made from `base_version`.

    Raises NotAllowed without Edit on the minutes; EditConflict when someone saved in between."""
    minutes = section.minutes
    _require_edit(actor, minutes)
    changes = {
        "discussion": _check_length(discussion, MAX_DISCUSSION, "discussion"),
        "decision_text": _check_length(decision, MAX_DECISION, "decision_text"),
    }
    revision = history.save_revision(section, actor, base_version, changes)
    item_saved.send(minutes)
    return revision


def revert_section(actor, section: MinutesSection, version: int):
    _require_edit(actor, section.minutes)
    if history.get_revision(section, version) is None:
        raise DomainError(_l("This version does not exist."))
    revision = history.revert(section, actor, version)
    item_saved.send(section.minutes)
    return revision


def revert_notes(actor, minutes: Minutes, version: int):
    _require_edit(actor, minutes)
    if history.get_revision(minutes, version) is None:
        raise DomainError(_l("This version does not exist."))
    revision = history.revert(minutes, actor, version)
    item_saved.send(minutes)
    return revision


def submit_minutes(actor, minutes: Minutes, comment: str = ""):
    """Submit for approval; agenda items added meanwhile get their (empty) section first."""
    if can(actor, Permission.REQUEST_REVIEW, minutes):
        _add_sections(actor, minutes)
    return apply_transition(minutes, "submit", actor, comment)


def send_back_minutes(actor, minutes: Minutes, reason: str):
    """Back to the secretary, with the reason (required)."""
    return apply_transition(minutes, "send_back", actor, reason)


def approve_minutes(actor, minutes: Minutes, poll=None, item: AgendaItem | None = None):
    """Record the decision that approved the minutes, then the minuted decisions.

    `poll`: closed, adopted, not practice, of a board, about these minutes. `item`: an agenda
    item of a later meeting of the same body, in session or closed. Exactly one of them.

    Raises NotAllowed without Review; DomainError when the link is missing or does not qualify,
    or when the minutes are not submitted."""
    from portal.meetings.decisions import record_minuted_decisions

    if not can(actor, Permission.REVIEW, minutes):
        raise NotAllowed(_l("Only the board records the approval of minutes."))
    if minutes.state != "submitted":
        raise DomainError(_l("Only submitted minutes can be approved."))
    if (poll is None) == (item is None):
        raise DomainError(
            _l("Say which decision approved the minutes: a board vote or an agenda item."),
            field="approval",
        )
    if poll is not None:
        verdict = (poll.result or {}).get("verdict")
        if poll.subject_key != f"minutes:{minutes.id}":
            raise DomainError(_l("This vote is not about these minutes."), field="poll_id")
        if poll.body.kind != "board":
            raise DomainError(_l("This vote is not a vote of a board."), field="poll_id")
        if poll.practice or poll.state != "closed" or verdict != "adopted":
            raise DomainError(
                _l("This vote did not adopt the minutes (it must be closed and adopted)."),
                field="poll_id",
            )
        minutes.approval_poll_id, minutes.approval_item_id = poll.id, None
    else:
        meeting = minutes.meeting
        later = item.meeting
        if (
            later.body_id != meeting.body_id
            or later.id == meeting.id
            or later.starts_at <= meeting.starts_at
            or later.state not in LATER_MEETING_STATES
        ):
            raise DomainError(
                _l("Choose an item of a later meeting of the same body, held or being held."),
                field="item_id",
            )
        minutes.approval_item_id, minutes.approval_poll_id = item.id, None
    minutes.approved_at = utcnow()
    minutes.approved_by_id = actor.id
    db.session.flush()
    entry = apply_transition(
        minutes,
        "approve",
        actor,
        approval_poll=minutes.approval_poll_id,
        approval_item=minutes.approval_item_id,
    )
    record_minuted_decisions(actor, minutes)
    from portal.meetings.minutes_record import keep

    keep(actor, minutes)  # from now on the minutes show what they show today
    return entry


def approval_items(minutes: Minutes) -> list[AgendaItem]:
    """Agenda items that may approve the minutes (later meetings of the body, held)."""
    meeting = minutes.meeting
    return db.session.scalars(
        sa.select(AgendaItem)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            Meeting.body_id == meeting.body_id,
            Meeting.starts_at > meeting.starts_at,
            Meeting.state.in_(LATER_MEETING_STATES),
        )
        .order_by(Meeting.starts_at, AgendaItem.position, AgendaItem.id)
        .limit(200)
    ).all()


def approval_polls(minutes: Minutes) -> list:
    """Closed polls about these minutes (the form offers them; the service checks them)."""
    from portal.voting.models import Poll

    return db.session.scalars(
        sa.select(Poll)
        .where(Poll.subject_key == f"minutes:{minutes.id}", Poll.state == "closed")
        .order_by(Poll.id.desc())
    ).all()


def board_body():
    """The body that approves minutes by a vote: the (first active) body of kind board."""
    from portal.members.models import Body, BodyKind

    return db.session.scalar(
        sa.select(Body)
        .where(Body.kind == BodyKind.BOARD.value, Body.active.is_(True))
        .order_by(Body.id)
        .limit(1)
    )


def minutes_polls(minutes: Minutes) -> list:
    """Every poll about these minutes (subject "minutes:<id>"), newest first."""
    from portal.voting.models import Poll

    return db.session.scalars(
        sa.select(Poll).where(Poll.subject_key == minutes.object_key).order_by(Poll.id.desc())
    ).all()


def adopted_approval_poll(minutes: Minutes):
    """The newest closed, adopted, non-practice board poll about these minutes, or None."""
    for poll in approval_polls(minutes):
        if (
            not poll.practice
            and poll.body.kind == "board"
            and (poll.result or {}).get("verdict") == "adopted"
        ):
            return poll
    return None


def put_minutes_to_vote(actor, minutes: Minutes, link=None):
    """Prepare and open a named yes/no/abstain poll of the board: "Approve the minutes of …",
    subject "minutes:<id>". Once closed and adopted, it approves them (`approve_minutes`).

    `link(poll)` gives the poll's address for the e-mails to the board.

    Raises NotAllowed without Review on the minutes (or without Manage polls); DomainError when
    the minutes are not submitted, a vote about them is open or has adopted them, or there is
    no board."""
    from portal.voting import services as voting

    if not can(actor, Permission.REVIEW, minutes):
        raise NotAllowed(_l("Only the board puts the minutes to a vote."))
    query = sa.select(Minutes.state).where(Minutes.id == minutes.id)
    if db.session.get_bind().dialect.name == "postgresql":  # two clicks at once: one vote
        query = query.with_for_update()
    if db.session.execute(query).scalar_one() != minutes.state:
        db.session.refresh(minutes)
    if minutes.state != "submitted":
        raise DomainError(_l("Only submitted minutes are put to a vote."))
    polls = minutes_polls(minutes)
    if any(poll.state == "open" for poll in polls):
        raise DomainError(_l("A vote about these minutes is already open."))
    if adopted_approval_poll(minutes) is not None:
        raise DomainError(
            _l("The board has already adopted these minutes by a vote: record the approval.")
        )
    body = board_body()
    if body is None:
        raise DomainError(_l("There is no board to vote on the minutes."))
    title = str(_l("Approve the minutes of %(title)s", title=minutes.meeting.title))
    if len(title) > voting.MAX_TITLE:
        title = title[: voting.MAX_TITLE - 1] + "…"
    poll = voting.create_poll(
        actor,
        voting.PollData(
            title=title,
            body_id=body.id,
            method="yes_no_abstain",
            question=str(
                _l(
                    "Do you approve the minutes of %(title)s, as submitted?",
                    title=minutes.meeting.title,
                )
            )[: voting.MAX_QUESTION],
            secret=False,
            majority=body.default_majority,
            subject_key=minutes.object_key,
        ),
    )
    voting.open_poll(actor, poll, link)
    audit.record(
        actor,
        "minutes.put_to_vote",
        f"minutes {minutes.id} put to a board vote (poll {poll.id})",
        object_key=minutes.object_key,
        poll_id=poll.id,
    )
    return poll


def publish_minutes(actor, minutes: Minutes, public: bool):
    """Publish to every member; `public`: also to anyone."""
    entry = apply_transition(minutes, "publish", actor, public=bool(public))
    minutes.is_public = bool(public)
    minutes.published_at = utcnow()
    db.session.flush()
    item_saved.send(minutes)
    return entry


# --- What the minutes show ---------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceSummary:
    present: int
    represented: int
    excused: int
    absent: int
    present_names: list[str] = field(default_factory=list)
    represented_names: list[tuple[str, str]] = field(default_factory=list)  # (member, holder)
    excused_names: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class QuorumLine:
    """The quorum the minutes record. Counts are weights when a college weighs other than 1."""

    electorate: int  # weight of the whole list
    counted: int  # weight counted towards the quorum
    needed: int
    percent: int
    proxies_count: bool
    weighted: bool = False
    at: datetime | None = None  # the moment it stood at its highest

    @property
    def reached(self) -> bool:
        return self.electorate > 0 and self.counted >= self.needed


def attendance_summary(meeting: Meeting) -> AttendanceSummary:
    rows = db.session.scalars(
        sa.select(Attendance).where(Attendance.meeting_id == meeting.id)
    ).all()
    by_status: dict[str, list[Attendance]] = {s.value: [] for s in AttendanceStatus}
    for row in rows:
        by_status.setdefault(row.status, []).append(row)

    def names(status):
        return sorted(r.member.full_name for r in by_status[status])

    return AttendanceSummary(
        present=len(by_status["present"]),
        represented=len(by_status["represented"]),
        excused=len(by_status["excused"]),
        absent=len(by_status["absent"]),
        present_names=names("present"),
        represented_names=sorted(
            (r.member.full_name, r.proxy_holder.full_name if r.proxy_holder else "")
            for r in by_status["represented"]
        ),
        excused_names=names("excused"),
    )


@dataclass(frozen=True)
class QuorumRule:
    """What the quorum is counted against: the list of the day (member id → weight) and the
    body's rule. Approved minutes keep it, so that a correction counts as on the day."""

    weights: dict[int, int]
    percent: int
    proxies_count: bool


def quorum_rule(meeting: Meeting) -> QuorumRule:
    from portal.meetings import attendance

    return QuorumRule(
        weights=attendance.weights(meeting),
        percent=meeting.body.quorum_percent,
        proxies_count=bool(meeting.body.proxies_count_for_quorum),
    )


def quorum_line(meeting: Meeting, rule: QuorumRule | None = None) -> QuorumLine:
    """The quorum as it stood at its highest during the session.

    Computed as the live line is (`attendance.compute_quorum`: college weights, arrivals,
    departures, proxies only while their holder is present), at the session's opening and at
    each arrival between the opening and the closing (now while in session); the moment with
    the largest counted weight wins (then the most people present or represented). `rule`:
    the list and the body's rule (today's by default)."""
    from portal.meetings import attendance

    rule = rule or quorum_rule(meeting)
    weight_of = rule.weights
    rows = list(attendance.attendances(meeting).values())
    end = meeting.closed_at or utcnow()
    start = min(meeting.opened_at or end, end)
    arrivals = {row.arrived_at for row in rows if row.arrived_at and start <= row.arrived_at <= end}
    moments = [start, *sorted(arrivals)]
    best = None
    for moment in moments:
        state = attendance.compute_quorum(
            weight_of, rows, percent=rule.percent, proxies_count=rule.proxies_count, at=moment
        )
        key = (state.counted, state.present + state.represented)
        if best is None or key > best[0]:
            best = (key, state, moment)
    _key, state, moment = best
    needed = math.ceil(state.total * state.percent / 100)
    return QuorumLine(
        electorate=state.total,
        counted=state.counted,
        needed=max(needed, 1) if state.total else 0,
        percent=state.percent,
        proxies_count=state.proxies_count,
        weighted=state.weighted,
        at=moment,
    )


def polls_by_item(meeting: Meeting) -> dict[int, list]:
    """Closed polls of the meeting's agenda items (subject "agenda_item:<id>"), by item id."""
    from portal.voting.models import Poll

    keys = {f"agenda_item:{item.id}": item.id for item in meeting.items}
    found: dict[int, list] = {}
    if not keys:
        return found
    for poll in db.session.scalars(
        sa.select(Poll)
        .where(Poll.subject_key.in_(keys), Poll.state == "closed")
        .order_by(Poll.closed_at, Poll.id)
    ):
        found.setdefault(keys[poll.subject_key], []).append(poll)
    return found


@dataclass(frozen=True)
class MinutesReport:
    minutes: Minutes
    meeting: Meeting
    sections: list[MinutesSection]
    facts: object  # minutes_record.Facts: the body's, the chair's and the secretary's names
    attendance: AttendanceSummary
    quorum: QuorumLine
    polls: dict[int, list]
    decisions: list
    approval_label: str
    record: object = None  # the MinutesRecord shown (approved minutes), else None
    records: int = 0  # how many versions were kept (more than 1: corrected after approval)


def report(minutes: Minutes) -> MinutesReport:
    """Everything the HTML page and the PDF show: their text, and what they show besides
    (attendance, quorum, results, decisions), as kept at the approval once approved
    (`minutes_record`), computed from live data before."""
    from portal.meetings import minutes_record

    shown, record = minutes_record.shown_for(minutes)
    return MinutesReport(
        minutes=minutes,
        meeting=minutes.meeting,
        sections=sections_in_order(minutes),
        facts=shown.facts,
        attendance=shown.attendance,
        quorum=shown.quorum,
        polls=shown.polls,
        decisions=shown.decisions,
        approval_label=shown.approval_label,
        record=record,
        records=record.version if record is not None else 0,
    )


def approval_label(minutes: Minutes) -> str:
    """What approved the minutes, in words ("" before approval)."""
    if minutes.approval_poll_id is not None:
        from portal.voting.models import Poll

        poll = db.session.get(Poll, minutes.approval_poll_id)
        if poll is not None:
            return str(_l("Vote of the board: %(title)s", title=poll.title))
    if minutes.approval_item_id is not None:
        item = db.session.get(AgendaItem, minutes.approval_item_id)
        if item is not None:
            return str(
                _l(
                    "%(meeting)s, item: %(item)s",
                    meeting=item.meeting.title,
                    item=item.title,
                )
            )
    return ""
