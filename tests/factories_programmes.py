"""Readable programme test data.

    from tests.factories_programmes import make_programme, make_session, enrol

    trainer = trainer_user()
    programme = make_programme(trainer, kind="citizenship", state="running")
    ada = member_with_login(given="Ada")
    enrol(programme, ada)
    session = make_session(programme, day=local_today())          # a morning, 09:00-12:00
    session = make_session(programme, day=..., slots=[("morning", time(9), time(12)),
                                                       ("afternoon", time(13, 30), time(16, 30))])

- `make_programme(*trainers, **fields)`: a Programme row with its trainers (fields: kind, title,
  summary, team, body, planned_hours, starts_on, ends_on, funder, state).
- `enrol(programme, member, enrolled_on=None, source="person")`: an Enrolment row.
- `make_session(programme, day=..., slots=..., trainers=None, **fields)`: a Session with its
  slots and trainers (the programme's by default).
- `mark(slot, member, status, arrived_at=None, left_at=None, minutes=None, signed=False)`: an
  Attendance row (minutes: the slot's length in the room by default).

Rows are written directly (the services are tested on their own); nothing is committed. Dates
are the caller's: build them from `local_today()` or tell a fixed-date story under `story_day`.
"""

from __future__ import annotations

import secrets
from datetime import date, time
from decimal import Decimal
from itertools import count

from portal.core.db import local_today, utcnow
from portal.extensions import db
from portal.programmes.models import (
    IN_ROOM,
    Attendance,
    Enrolment,
    Programme,
    ProgrammeTrainer,
    Session,
    SessionTrainer,
    Slot,
)

_titles = count(1)

MORNING = ("morning", time(9, 0), time(12, 0))
AFTERNOON = ("afternoon", time(13, 30), time(16, 30))


def make_programme(*trainers, **fields) -> Programme:
    starts_on = fields.pop("starts_on", None) or local_today().replace(day=1)
    programme = Programme(
        kind=fields.pop("kind", "citizenship"),
        title=fields.pop("title", f"Programme {next(_titles)}"),
        summary=fields.pop("summary", "What you will learn."),
        starts_on=starts_on,
        planned_hours=fields.pop("planned_hours", Decimal("12")),
        state=fields.pop("state", "running"),
        **fields,
    )
    db.session.add(programme)
    db.session.flush()
    for trainer in trainers:
        db.session.add(ProgrammeTrainer(programme_id=programme.id, user_id=trainer.id))
    db.session.flush()
    db.session.expire(programme, ["trainers"])
    return programme


def enrol(
    programme: Programme, member, enrolled_on: date | None = None, source: str = "person"
) -> Enrolment:
    row = Enrolment(
        programme_id=programme.id,
        member_id=member.id,
        enrolled_on=enrolled_on or programme.starts_on,
        source=source,
    )
    db.session.add(row)
    db.session.flush()
    return row


def make_session(
    programme: Programme,
    day: date | None = None,
    slots=(MORNING,),
    trainers=None,
    **fields,
) -> Session:
    session = Session(
        programme_id=programme.id,
        day=day or local_today(),
        topic=fields.pop("topic", "A session"),
        place=fields.pop("place", "Meeting room"),
        code_secret=secrets.token_hex(16),
        **fields,
    )
    db.session.add(session)
    db.session.flush()
    for half, starts_at, ends_at in slots:
        db.session.add(Slot(session_id=session.id, half=half, starts_at=starts_at, ends_at=ends_at))
    users = trainers if trainers is not None else [t.user for t in programme.trainers]
    for user in users:
        db.session.add(SessionTrainer(session_id=session.id, user_id=user.id))
    db.session.flush()
    db.session.expire(session, ["slots", "trainers"])
    return session


def mark(
    slot: Slot,
    member,
    status: str,
    arrived_at: time | None = None,
    left_at: time | None = None,
    minutes: int | None = None,
    signed: bool = False,
) -> Attendance:
    if minutes is None:
        minutes = slot.minutes if status in IN_ROOM else 0
    row = Attendance(
        slot_id=slot.id,
        member_id=member.id,
        status=status,
        arrived_at=arrived_at,
        left_at=left_at,
        minutes=minutes,
        signed_at=utcnow() if signed else None,
        signature=b"\x89PNG\r\n\x1a\n" if signed else None,
    )
    db.session.add(row)
    db.session.flush()
    return row
