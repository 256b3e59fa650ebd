"""The decisions register: numbering per body and year, automatic entries, follow-up, export.

A reference is `{prefix}-{year}-{number:02d}` ("GA-2026-03"). The prefix is the body's own
register code, else one from its kind (GA, BD, WC, C<id>). The number is one more than the
highest of the body and year. Two concurrent recordings may pick the same number: the database
refuses the second (unique body, year, number), which then tries again inside a savepoint with
a fresh look at the highest number. On PostgreSQL the body's row is also locked first, so
concurrent recordings for one body wait for each other instead of colliding.

Entries are made automatically when minutes are approved (`record_minuted_decisions`): each
section with a decision text, and each adopted poll of an agenda item, becomes one decision,
once. Practice polls never do. `record_poll_decision` records an adopted poll on its own
(meetings listens to voting's `poll_counted` signal, see `meetings.signals`): such an entry is
linked to the minutes at their approval instead of being recorded twice.

Services take the acting user explicitly, never commit, and raise DomainError subclasses.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.db import local_today
from portal.core.errors import DomainError, NotAllowed
from portal.core.security import Permission, allowed_clause, can
from portal.core.viewhelpers import like_pattern
from portal.extensions import db
from portal.meetings.models import AgendaItem, Decision, FollowStatus, Meeting, Minutes
from portal.members.models import Body, BodyKind, Member

MAX_TITLE, MAX_TEXT, MAX_NOTE = 200, 20_000, 2000
ATTEMPTS = 12  # each failed attempt means another recording took the number: it is now visible
KIND_PREFIX = {
    BodyKind.GENERAL_ASSEMBLY.value: "GA",
    BodyKind.BOARD.value: "BD",
    BodyKind.WORKERS_COUNCIL.value: "WC",
}
FOLLOW_TITLES = {
    FollowStatus.TO_DO: _l("To do"),
    FollowStatus.IN_PROGRESS: _l("In progress"),
    FollowStatus.DONE: _l("Done"),
    FollowStatus.ABANDONED: _l("Abandoned"),
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def prefix_of(body: Body) -> str:
    if body.code:
        return body.code.strip().upper()
    return KIND_PREFIX.get(body.kind, f"C{body.id}")


def _next_number(body: Body, year: int) -> int:
    highest = db.session.scalar(
        sa.select(sa.func.max(Decision.number)).where(
            Decision.body_id == body.id, Decision.year == year
        )
    )
    return (highest or 0) + 1


def _lock_body(body: Body) -> None:
    """PostgreSQL: concurrent recordings for one body queue here (SQLite: one writer anyway)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(Body.id).where(Body.id == body.id).with_for_update())


def record_decision(
    actor,
    body: Body,
    title: str,
    text: str,
    decided_on: date,
    *,
    meeting: Meeting | None = None,
    item: AgendaItem | None = None,
    minutes: Minutes | None = None,
    poll=None,
    proposal=None,
) -> Decision:
    """Add a decision to the register with the next number of its body and year.

    Raises DomainError for an empty or too long title or text, or a poll already registered.
    """
    title = (title or "").strip()
    text = (text or "").strip()
    if not title:
        raise DomainError(_l("Give the decision a title."), field="title")
    if len(title) > MAX_TITLE:
        title = title[: MAX_TITLE - 1] + "…"
    if len(text) > MAX_TEXT:
        raise DomainError(
            _l("The text is too long (at most %(n)d characters).", n=MAX_TEXT), field="text"
        )
    if poll is not None and db.session.scalar(
        sa.select(Decision.id).where(Decision.poll_id == poll.id)
    ):
        raise DomainError(_l("This vote is already in the register."))
    year = decided_on.year
    prefix = prefix_of(body)
    _lock_body(body)
    for attempt in range(ATTEMPTS):
        number = _next_number(body, year)
        decision = Decision(
            body_id=body.id,
            year=year,
            number=number,
            reference=f"{prefix}-{year}-{number:02d}",
            title=title,
            text=text,
            decided_on=decided_on,
            meeting_id=meeting.id if meeting is not None else None,
            agenda_item_id=item.id if item is not None else None,
            minutes_id=minutes.id if minutes is not None else None,
            poll_id=poll.id if poll is not None else None,
            proposal_id=getattr(proposal, "id", proposal),
            recorded_by_id=getattr(actor, "id", None),
        )
        savepoint = db.session.begin_nested()
        try:
            db.session.add(decision)
            db.session.flush()
        except sa.exc.IntegrityError:
            savepoint.rollback()
            if attempt == ATTEMPTS - 1:
                raise DomainError(
                    _l("Many decisions were recorded at the same moment. Please try again.")
                ) from None
            continue
        savepoint.commit()
        break
    audit.record(
        actor,
        "decision.recorded",
        f"decision {decision.reference} recorded",
        object_key=f"decision:{decision.id}",
        reference=decision.reference,
    )
    return decision


def _adopted(poll) -> bool:
    return (
        poll.state == "closed"
        and not poll.practice
        and bool(poll.result)
        and poll.result.get("verdict") == "adopted"
    )


def _local_date(moment: datetime) -> date:
    """The date of `moment` where the enterprise is (a vote counted at 00:30 in Paris is of
    that day, not of the day before in UTC)."""
    from flask import current_app, has_app_context

    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "Europe/Paris"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone)).date()


def record_poll_decision(actor, poll) -> Decision | None:
    """Register an adopted, counted, non-practice poll (once). None when it does not qualify."""
    if not _adopted(poll) or db.session.scalar(
        sa.select(Decision.id).where(Decision.poll_id == poll.id)
    ):
        return None
    item = proposal_id = None
    kind, _sep, key = (poll.subject_key or "").partition(":")
    key_id = int(key) if key.isascii() and key.isdigit() and len(key) < 10 else None
    if kind == "agenda_item" and key_id is not None:
        item = db.session.get(AgendaItem, key_id)
    elif kind == "proposal" and key_id is not None:
        from portal.proposals.models import Proposal

        proposal_id = db.session.scalar(sa.select(Proposal.id).where(Proposal.id == key_id))
    if item is not None:  # decided at the meeting: of its day, even when counted after midnight
        decided = _local_date(item.meeting.starts_at)
    else:
        decided = _local_date(poll.closed_at) if poll.closed_at else local_today()
    return record_decision(
        actor,
        poll.body,
        poll.title,
        poll.question,
        decided,
        meeting=item.meeting if item is not None else None,
        item=item,
        poll=poll,
        proposal=item.proposal_id if item is not None else proposal_id,
    )


def record_minuted_decisions(actor, minutes: Minutes) -> list[Decision]:
    """When minutes are approved: each decision text and each adopted poll of an agenda item
    becomes a decision of the register, once (running it again adds nothing)."""
    from portal.meetings.minutes import meeting_day, polls_by_item, sections_in_order

    meeting = minutes.meeting
    decided_on = meeting_day(meeting)
    polls = polls_by_item(meeting)
    registered_polls = set(
        db.session.scalars(
            sa.select(Decision.poll_id).where(
                Decision.poll_id.in_([p.id for ps in polls.values() for p in ps] or [0])
            )
        )
    )
    # Votes already in the register (recorded when they were counted) now link to the minutes;
    # their item's decision text does not make a second entry for the same decision.
    for earlier in db.session.scalars(
        sa.select(Decision).where(
            Decision.agenda_item_id.in_([item.id for item in meeting.items] or [0]),
            Decision.minutes_id.is_(None),
        )
    ):
        earlier.minutes_id = minutes.id
    db.session.flush()
    minuted_items = set(
        db.session.scalars(
            sa.select(Decision.agenda_item_id).where(Decision.minutes_id == minutes.id)
        )
    )
    recorded: list[Decision] = []
    for section in sections_in_order(minutes):
        item = section.agenda_item
        adopted = [
            p for p in polls.get(item.id, []) if _adopted(p) and p.id not in registered_polls
        ]
        text = section.decision_text.strip()
        if text and item.id not in minuted_items:
            poll = adopted.pop(0) if adopted else None
            recorded.append(
                record_decision(
                    actor,
                    meeting.body,
                    item.title,
                    text,
                    decided_on,
                    meeting=meeting,
                    item=item,
                    minutes=minutes,
                    poll=poll,
                    proposal=item.proposal_id,
                )
            )
            if poll is not None:
                registered_polls.add(poll.id)
        for poll in adopted:
            recorded.append(
                record_decision(
                    actor,
                    meeting.body,
                    poll.title,
                    poll.question,
                    decided_on,
                    meeting=meeting,
                    item=item,
                    minutes=minutes,
                    poll=poll,
                    proposal=item.proposal_id,
                )
            )
            registered_polls.add(poll.id)
    return recorded


# --- Reading the register -------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    body_id: int | None = None
    year: int | None = None
    status: str | None = None
    search: str = ""


def visible_clause(viewer) -> sa.ColumnElement[bool]:
    """Decisions `viewer` may read: those of no minutes (an adopted poll on its own), and those
    of minutes the viewer may see (approved but unpublished minutes: the board only)."""
    return sa.or_(
        Decision.minutes_id.is_(None),
        Decision.minutes_id.in_(
            sa.select(Minutes.id).where(allowed_clause(viewer, Minutes, Permission.VIEW))
        ),
    )


def may_view(viewer, decision: Decision) -> bool:
    if decision.minutes_id is None:
        return True
    minutes = db.session.get(Minutes, decision.minutes_id)
    return minutes is not None and can(viewer, Permission.VIEW, minutes)


def decisions_query(filters: Filters, viewer) -> sa.Select:
    query = sa.select(Decision).where(visible_clause(viewer))
    if filters.body_id:
        query = query.where(Decision.body_id == filters.body_id)
    if filters.year:
        query = query.where(Decision.year == filters.year)
    if filters.status in {s.value for s in FollowStatus}:
        query = query.where(Decision.follow_status == filters.status)
    if filters.search:
        pattern = like_pattern(filters.search)
        query = query.where(
            sa.or_(
                sa.func.lower(Decision.title).like(pattern, escape="\\"),
                sa.func.lower(Decision.text).like(pattern, escape="\\"),
                sa.func.lower(Decision.reference).like(pattern, escape="\\"),
            )
        )
    return query.order_by(Decision.decided_on.desc(), Decision.id.desc())


def years() -> list[int]:
    return list(
        db.session.scalars(sa.select(Decision.year).distinct().order_by(Decision.year.desc()))
    )


def _safe(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.lstrip(" ").startswith(FORMULA_START) else text


CSV_HEADER = (
    "reference",
    "body",
    "date",
    "title",
    "text",
    "follow_up",
    "responsible",
    "due",
    "meeting_id",
    "poll_id",
    "proposal_id",
)


def export_csv(decisions: list[Decision]) -> bytes:
    """UTF-8 with a BOM (spreadsheets read accents), formula-safe cells."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for d in decisions:
        writer.writerow(
            [
                _safe(cell)
                for cell in (
                    d.reference,
                    d.body.title,
                    d.decided_on.isoformat(),
                    d.title,
                    d.text,
                    d.follow_status,
                    d.follow_responsible.full_name if d.follow_responsible else "",
                    d.follow_due.isoformat() if d.follow_due else "",
                    d.meeting_id or "",
                    d.poll_id or "",
                    d.proposal_id or "",
                )
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- Follow-up -------------------------------------------------------------------------------


def can_follow_up(user) -> bool:
    return can(user, Permission.MANAGE_MEETINGS)


def update_follow_up(
    actor,
    decision: Decision,
    status: str,
    responsible: Member | None,
    due: date | None,
    note: str = "",
) -> Decision:
    """The board records how a decision is carried out (audited with what it replaced).

    Raises NotAllowed without Manage meetings; DomainError for an unknown status, a due date
    newly set in the past, or a note too long."""
    if not can_follow_up(actor):
        raise NotAllowed(_l("Only the board records the follow-up of decisions."))
    if status not in {s.value for s in FollowStatus}:
        raise DomainError(_l("Choose a follow-up status."), field="status")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(
            _l("The note is too long (at most %(n)d characters).", n=MAX_NOTE), field="note"
        )
    if due is not None and due != decision.follow_due and due < local_today():
        raise DomainError(_l("The due date cannot be in the past."), field="due")
    before = {
        "status": decision.follow_status,
        "responsible_id": decision.follow_responsible_id,
        "due": decision.follow_due.isoformat() if decision.follow_due else None,
        "note": decision.follow_note,
    }
    decision.follow_status = status
    decision.follow_responsible_id = responsible.id if responsible is not None else None
    decision.follow_due = due
    decision.follow_note = note
    db.session.flush()
    audit.record(
        actor,
        "decision.follow_up",
        f"decision {decision.reference} follow-up: {before['status']} -> {status}",
        object_key=f"decision:{decision.id}",
        before=before,
        status=status,
        responsible_id=decision.follow_responsible_id,
        due=due.isoformat() if due else None,
    )
    return decision


def responsible_candidates() -> list[Member]:
    """Active members, by name (the proposals' follow-up uses the same people)."""
    from portal.proposals.services import responsible_candidates as candidates

    return candidates()
