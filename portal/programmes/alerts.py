"""Telling a counsellor that a worker missed several sessions in a row.

A programme's sessions are looked at in order, those that were called (not cancelled, with at
least one attendance row, whoever it is for) up to the session checked. For each participant
enrolled on that session's day, session by session:

- in the room for a slot (present, late, left early): the run of absences starts again;
- excused, or said "I can't come" beforehand (an `Apology`): neither counted nor breaking
  the run;
- absent, or no status at all in a called session: one more missed session.

When the run ending at the checked session reaches `PROGRAMME_ABSENCE_ALERT_AFTER` (default 3),
each counsellor assigned to the member's pathway on the day of the last missed session gets
one e-mail in their own language, and an `AbsenceAlert` records it: once per run (a run already
told about is not told again, however long it grows). Nobody assigned: nothing is recorded, so
a counsellor assigned later is told at the next check.

`check_absences(session)` is meant to be called when a roll-call is saved (it tells nobody
before the session is over: someone marked absent at 9:15 may still come), and by
`flask --app wsgi programmes absences` (daily), which checks the last finished session of each
running programme. It flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from portal.accounts.models import User
from portal.core.db import local_today, utcnow
from portal.core.outbox import queue_mail
from portal.extensions import db
from portal.integration.models import Assignment, Pathway
from portal.members.models import Member
from portal.programmes.common import participants, slot_bounds
from portal.programmes.models import (
    IN_ROOM,
    AbsenceAlert,
    Apology,
    Attendance,
    Enrolment,
    Programme,
    Session,
    Slot,
    Status,
)

DEFAULT_AFTER = 3


def threshold() -> int:
    value = current_app.config.get("PROGRAMME_ABSENCE_ALERT_AFTER", DEFAULT_AFTER)
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return DEFAULT_AFTER


@dataclass(frozen=True)
class Run:
    member: Member
    sessions: tuple[Session, ...]  # the missed sessions of the run, in order

    @property
    def last(self) -> Session:
        return self.sessions[-1]


def _called_sessions(session: Session) -> list[Session]:
    """The programme's sessions up to `session` that were called, in order."""
    called = sa.select(Slot.session_id).join(Attendance, Attendance.slot_id == Slot.id).distinct()
    rows = db.session.scalars(
        sa.select(Session).where(
            Session.programme_id == session.programme_id,
            Session.cancelled_at.is_(None),
            Session.day <= session.day,
            Session.id.in_(called),
        )
    ).all()
    return sorted(rows, key=_in_order)


def _in_order(session: Session) -> tuple:
    return (session.day, session.starts_at or time(0), session.id)


def runs(session: Session) -> list[Run]:
    """The runs of missed sessions ending at `session`, for its participants (any length)."""
    sessions = _called_sessions(session)
    if not sessions or sessions[-1].id != session.id:
        return []  # the session itself was not called: nothing to say about it
    members = participants(session)
    if not members:
        return []
    ids = [s.id for s in sessions]
    member_ids = [m.id for m in members]
    statuses: dict[tuple[int, int], set[str | None]] = {}
    for session_id, member_id, status in db.session.execute(
        sa.select(Slot.session_id, Attendance.member_id, Attendance.status)
        .join(Slot, Slot.id == Attendance.slot_id)
        .where(Slot.session_id.in_(ids), Attendance.member_id.in_(member_ids))
    ):
        statuses.setdefault((session_id, member_id), set()).add(status)
    apologised = set(
        db.session.execute(
            sa.select(Apology.session_id, Apology.member_id).where(
                Apology.session_id.in_(ids), Apology.member_id.in_(member_ids)
            )
        ).tuples()
    )
    enrolments = {
        e.member_id: e
        for e in db.session.scalars(
            sa.select(Enrolment).where(
                Enrolment.programme_id == session.programme_id,
                Enrolment.member_id.in_(member_ids),
            )
        )
    }
    found = []
    for member in members:
        enrolment = enrolments[member.id]
        missed: list[Session] = []
        for called in sessions:
            if called.day < enrolment.enrolled_on:
                continue  # not enrolled yet
            seen = statuses.get((called.id, member.id), set())
            if seen & IN_ROOM:
                missed = []
            elif Status.EXCUSED.value in seen or (called.id, member.id) in apologised:
                continue
            else:  # absent, unmarked, or no row in a called session
                missed.append(called)
        if missed and missed[-1].id == session.id:
            found.append(Run(member, tuple(missed)))
    return found


def _counsellors(member_id: int, day) -> list[User]:
    """The active counsellors assigned on `day` to the member's pathway of that day."""
    pathways = sa.select(Pathway.id).where(
        Pathway.member_id == member_id,
        Pathway.anonymised_on.is_(None),
        Pathway.entry_on <= day,
        sa.or_(Pathway.exit_on.is_(None), Pathway.exit_on >= day),
    )
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Assignment, Assignment.user_id == User.id)
            .where(
                Assignment.pathway_id.in_(pathways),
                Assignment.role == "counsellor",
                Assignment.starts_on <= day,
                sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on >= day),
                User.active.is_(True),
                User.email.is_not(None),
                User.email != "",
            )
            .distinct()
            .order_by(User.id)
        )
    )


def _message(user: User, member: Member, programme: Programme, run: Run) -> tuple[str, str]:
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        name = f"{member.given_name} {member.family_name}".strip()
        subject = _("%(name)s missed several sessions", name=name)
        body = _(
            "Hello,\n\n%(name)s missed %(count)d sessions in a row of %(programme)s. "
            "The last one was on %(day)s.\n\n"
            "This is not a sanction. Something may be making it hard to come: "
            "you could talk about it together.\n",
            name=name,
            count=len(run.sessions),
            programme=programme.title,
            day=format_date(run.last.day, "long"),
        )
    return subject, body


def _over(session: Session) -> bool:
    if not session.slots:
        return session.day < local_today()
    return utcnow() >= slot_bounds(session, session.slots[-1])[1]


def check_absences(session: Session) -> int:
    """Tell the counsellors about the runs of `PROGRAMME_ABSENCE_ALERT_AFTER` missed sessions
    ending at `session`, once per run, once the session is over (a roll-call saved while it
    runs tells nobody yet). Returns the number of alerts recorded."""
    if not _over(session):
        return 0  # someone marked absent at 9:15 may still come: told once the session is over
    after = threshold()
    long_runs = [run for run in runs(session) if len(run.sessions) >= after]
    if not long_runs:
        return 0
    told = set(
        db.session.execute(
            sa.select(AbsenceAlert.member_id, AbsenceAlert.session_id).where(
                AbsenceAlert.programme_id == session.programme_id,
                AbsenceAlert.member_id.in_([run.member.id for run in long_runs]),
            )
        ).tuples()
    )
    alerts = 0
    for run in long_runs:
        if any((run.member.id, s.id) in told for s in run.sessions):
            continue  # this run was told about already
        counsellors = _counsellors(run.member.id, run.last.day)
        if not counsellors:
            continue
        for user in counsellors:
            queue_mail(user.email, *_message(user, run.member, session.programme, run))
        db.session.add(
            AbsenceAlert(
                programme_id=session.programme_id,
                member_id=run.member.id,
                session_id=run.last.id,
                missed=len(run.sessions),
                sent_at=utcnow(),
            )
        )
        alerts += 1
    db.session.flush()
    return alerts


def finished_sessions_to_check(today=None) -> list[Session]:
    """The last finished, called session of each running programme (each run ends at one)."""
    today = today or local_today()
    called = sa.select(Slot.session_id).join(Attendance, Attendance.slot_id == Slot.id).distinct()
    candidates = db.session.scalars(
        sa.select(Session)
        .join(Programme, Programme.id == Session.programme_id)
        .where(
            Programme.state == "running",
            Session.cancelled_at.is_(None),
            Session.day <= today,
            Session.id.in_(called),
        )
    ).all()
    last: dict[int, Session] = {}
    for session in sorted(candidates, key=_in_order):
        if _over(session):
            last[session.programme_id] = session
    return list(last.values())


def check_all(today=None) -> int:
    """Check every running programme (the command). Returns the number of alerts recorded."""
    return sum(check_absences(session) for session in finished_sessions_to_check(today))
