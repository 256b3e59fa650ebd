"""What approved minutes show, kept as it was at the approval: approved records are frozen.

The minutes show facts computed from live data: who was there, the quorum, the results of the
votes of each item, the decisions of the register, the names of the body, the chair and the
secretary, and what approved them. Until the approval they are computed at each reading (`take`).
At the approval, `keep` stores them as version 1 of a `MinutesRecord`; the minutes' page and PDF
then show the newest record, whatever changes later (a member renamed, the body's quorum rule
changed, a vote of an item counted after the approval).

A board secretary corrects the attendance of a meeting whose minutes are approved (a person
marked present was in fact absent) as a correction, never silently: the attendance form then
asks for a reason (`check_correction`), and the change makes a new version of the record with
that reason (`correct`): the attendance and the quorum are computed again from the corrected
rows, with the quorum rule and the list of the day kept at the approval; the rest stays as it
was. Every version stays readable in the minutes' history. Arrivals, departures and check-ins
are refused once the minutes are approved: only a correction with a reason changes them.

Services take the acting user explicitly, never commit, and raise DomainError subclasses.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.errors import DomainError
from portal.extensions import db
from portal.meetings.minutes import (
    AttendanceSummary,
    QuorumLine,
    QuorumRule,
    approval_label,
    attendance_summary,
    minutes_of,
    polls_by_item,
    quorum_line,
    quorum_rule,
)
from portal.meetings.models import Decision, Meeting, Minutes, MinutesRecord

FROZEN_STATES = frozenset({"approved", "published"})
MAX_REASON = 1000
FORMAT = 1  # the shape of `MinutesRecord.data`


# --- Reading ------------------------------------------------------------------------------------


def frozen_minutes(meeting: Meeting) -> Minutes | None:
    """The meeting's minutes when they are approved (or published), else None."""
    minutes = minutes_of(meeting)
    return minutes if minutes is not None and minutes.state in FROZEN_STATES else None


def records_of(minutes: Minutes) -> list[MinutesRecord]:
    """Every kept version, newest first."""
    return db.session.scalars(
        sa.select(MinutesRecord)
        .where(MinutesRecord.minutes_id == minutes.id)
        .order_by(MinutesRecord.version.desc())
    ).all()


def current(minutes: Minutes) -> MinutesRecord | None:
    return db.session.scalar(
        sa.select(MinutesRecord)
        .where(MinutesRecord.minutes_id == minutes.id)
        .order_by(MinutesRecord.version.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class Facts:
    body: str
    chair: str | None
    secretary: str | None


@dataclass(frozen=True)
class PollLine:
    """A vote of an agenda item as the minutes show it."""

    title: str
    practice: bool
    result: dict | None  # {"counts": {answer: n}, "verdict": "adopted"}


@dataclass(frozen=True)
class DecisionLine:
    reference: str
    title: str
    text: str


@dataclass(frozen=True)
class Shown:
    """What the minutes show besides their text (from a record, or from live data)."""

    facts: Facts
    attendance: AttendanceSummary
    quorum: QuorumLine
    polls: dict[int, list[PollLine]]
    decisions: list[DecisionLine]
    approval_label: str


def _minutes_decisions(minutes: Minutes) -> list[Decision]:
    return db.session.scalars(
        sa.select(Decision)
        .where(sa.or_(Decision.minutes_id == minutes.id, Decision.meeting_id == minutes.meeting_id))
        .order_by(Decision.number)
    ).all()


def _quorum_data(line: QuorumLine) -> dict:
    data = asdict(line)
    data["at"] = line.at.isoformat() if line.at else None
    return data


def _rule_data(rule: QuorumRule) -> dict:
    return {
        "percent": rule.percent,
        "proxies_count": rule.proxies_count,
        "weights": {str(member_id): weight for member_id, weight in rule.weights.items()},
    }


def _plain(data: dict) -> dict:
    """`data` as the JSON column gives it back (tuples become lists), to compare and keep."""
    return json.loads(json.dumps(data))


def take(minutes: Minutes) -> dict:
    """What the minutes show now, computed from live data (the shape a record keeps)."""
    meeting = minutes.meeting
    rule = quorum_rule(meeting)
    return _plain(
        {
            "format": FORMAT,
            "facts": {
                "body": meeting.body.title,
                "chair": meeting.chair.full_name if meeting.chair else None,
                "secretary": meeting.secretary.full_name if meeting.secretary else None,
            },
            "attendance": asdict(attendance_summary(meeting)),
            "quorum": _quorum_data(quorum_line(meeting, rule)),
            "rule": _rule_data(rule),
            "polls": {
                str(item_id): [
                    {
                        "title": poll.title,
                        "practice": bool(poll.practice),
                        "result": {
                            "counts": dict((poll.result or {}).get("counts", {})),
                            "verdict": (poll.result or {}).get("verdict"),
                        }
                        if poll.result
                        else None,
                    }
                    for poll in polls
                ]
                for item_id, polls in polls_by_item(meeting).items()
            },
            "decisions": [
                {"reference": d.reference, "title": d.title, "text": d.text}
                for d in _minutes_decisions(minutes)
            ],
            "approval": approval_label(minutes),
        }
    )


def shown(data: dict) -> Shown:
    """A record's data (or `take`'s) as the page and the PDF read it."""
    attendance = dict(data["attendance"])
    attendance["represented_names"] = [tuple(pair) for pair in attendance["represented_names"]]
    quorum = dict(data["quorum"])
    quorum["at"] = datetime.fromisoformat(quorum["at"]) if quorum.get("at") else None
    return Shown(
        facts=Facts(**data["facts"]),
        attendance=AttendanceSummary(**attendance),
        quorum=QuorumLine(**quorum),
        polls={
            int(item_id): [PollLine(**poll) for poll in polls]
            for item_id, polls in data["polls"].items()
        },
        decisions=[DecisionLine(**d) for d in data["decisions"]],
        approval_label=data["approval"],
    )


def shown_for(minutes: Minutes) -> tuple[Shown, MinutesRecord | None]:
    """What the minutes show: their newest record once approved, else live data."""
    record = current(minutes)
    return shown(record.data if record is not None else take(minutes)), record


# --- Writing ------------------------------------------------------------------------------------


def _add(actor, minutes: Minutes, data: dict, reason: str) -> MinutesRecord:
    newest = current(minutes)
    record = MinutesRecord(
        minutes_id=minutes.id,
        version=newest.version + 1 if newest is not None else 1,
        data=data,
        reason=reason,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(record)
    db.session.flush()
    return record


def keep(actor, minutes: Minutes) -> MinutesRecord:
    """At the approval: what the minutes show becomes version 1 of their record."""
    record = _add(actor, minutes, take(minutes), "")
    audit.record(
        actor,
        "minutes.record_kept",
        f"minutes {minutes.id}: what they show is kept as version {record.version}",
        object_key=minutes.object_key,
        version=record.version,
    )
    return record


def check_correction(actor, meeting: Meeting, reason: str) -> tuple[Minutes | None, str]:
    """Before a change of the attendance: `(None, "")` while the minutes are not approved;
    once they are, `(minutes, reason)` for `correct`, their record kept first if they were
    approved before records were kept.

    Raises DomainError (field "reason") when the reason is missing or too long."""
    minutes = frozen_minutes(meeting)
    if minutes is None:
        return None, ""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(
            _l(
                "The minutes of this meeting are approved. Say why you correct the "
                "attendance: the minutes get a new version with your reason."
            ),
            field="reason",
        )
    if len(reason) > MAX_REASON:
        raise DomainError(
            _l("This is too long (at most %(n)d characters).", n=MAX_REASON), field="reason"
        )
    if current(minutes) is None:  # approved before records were kept: keep them as they were
        keep(actor, minutes)
    return minutes, reason


def correct(actor, minutes: Minutes, reason: str) -> MinutesRecord | None:
    """After a correction of the attendance: a new version of the record, with the attendance
    and the quorum computed again (the quorum rule and the list kept at the approval), and
    `reason`. None when what the minutes show did not change."""
    newest = current(minutes)
    data = dict(newest.data)
    meeting = minutes.meeting
    kept = data["rule"]
    rule = QuorumRule(
        weights={int(member_id): weight for member_id, weight in kept["weights"].items()},
        percent=kept["percent"],
        proxies_count=kept["proxies_count"],
    )
    data["attendance"] = asdict(attendance_summary(meeting))
    data["quorum"] = _quorum_data(quorum_line(meeting, rule))
    data = _plain(data)
    if data == newest.data:
        return None
    record = _add(actor, minutes, data, reason)
    audit.record(
        actor,
        "minutes.corrected",
        f"minutes {minutes.id} corrected after approval: version {record.version}",
        object_key=minutes.object_key,
        version=record.version,
        reason=reason,
    )
    return record


def refuse_once_frozen(meeting: Meeting) -> None:
    """Arrivals, departures and check-ins stop once the minutes are approved.

    Raises DomainError."""
    if frozen_minutes(meeting) is not None:
        raise DomainError(
            _l(
                "The minutes of this meeting are approved. Change the attendance with a "
                "correction: choose the status and say why."
            )
        )


# --- The minutes' history -----------------------------------------------------------------------


def lines(data: dict) -> list[str]:
    """A record in plain lines (translated now), to show what a correction changed."""
    view = shown(data)
    a, q = view.attendance, view.quorum
    found = [
        str(_l("Present: %(n)d", n=a.present)) + " · " + ", ".join(a.present_names),
        str(_l("Represented: %(n)d", n=a.represented))
        + " · "
        + ", ".join(
            str(_l("%(member)s by %(holder)s", member=member, holder=holder))
            for member, holder in a.represented_names
        ),
        str(_l("Excused: %(n)d", n=a.excused)) + " · " + ", ".join(a.excused_names),
        str(_l("Absent: %(n)d", n=a.absent)),
        (str(_l("Quorum reached:")) if q.reached else str(_l("Quorum not reached:")))
        + " "
        + str(
            _l(
                "%(counted)d of %(electorate)d counted, %(needed)d needed.",
                counted=q.counted,
                electorate=q.electorate,
                needed=q.needed,
            )
        ),
    ]
    return [line.rstrip(" ·") for line in found]
