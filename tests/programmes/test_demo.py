"""`flask portal demo` gives the trainers programmes to run, whatever the day it is loaded."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from portal.accounts.models import User
from portal.core.db import local_today
from portal.members.models import Member
from portal.programmes.hours import minutes_by_kind
from portal.programmes.models import (
    Attendance,
    FeedbackAnswer,
    PracticeRole,
    Programme,
    Session,
    SessionTrainer,
)
from portal.voting.models import Poll
from tests.members.test_demo import run_demo


def test_demo_programmes(app, db):
    result = run_demo(app)
    assert "Programmes: 4 programmes, 16 sessions," in result.output
    programmes = {p.title: p for p in db.session.scalars(sa.select(Programme))}
    assert {p.kind for p in programmes.values()} == {
        "citizenship",
        "socialization",
        "training",
        "workplace",
    }
    today = local_today()
    citizenship = programmes["How our cooperative decides"]
    sessions = db.session.scalars(
        sa.select(Session).where(Session.programme_id == citizenship.id).order_by(Session.day)
    ).all()
    assert len(sessions) == 6
    past = [s for s in sessions if s.day < today]
    assert len(past) == 4 and all(s.trainer_signed_at is not None for s in past)
    assert all(s.day.weekday() < 5 for s in sessions)
    # A session later this week that sofia.rossi runs.
    sofia = db.session.scalar(sa.select(User).where(User.username == "sofia.rossi"))
    coming = [s for s in sessions if s.day > today]
    assert coming and coming[0].day - today <= timedelta(days=4)
    assert sofia.id in {t.user_id for t in coming[0].trainers}
    # One with a practice vote (never a decision), one with a practice meeting.
    polls = db.session.scalars(
        sa.select(Poll).where(Poll.subject_key.like("programme_session:%"))
    ).all()
    assert len(polls) == 1 and polls[0].practice and polls[0].state == "closed"
    assert db.session.scalar(sa.select(sa.func.count(PracticeRole.id))) == 6
    # Signatures and feedback on past sessions; the cleaning team's session today.
    assert db.session.scalar(
        sa.select(sa.func.count(Attendance.id)).where(Attendance.signed_at.is_not(None))
    )
    assert db.session.scalar(sa.select(sa.func.count(FeedbackAnswer.id))) >= 6
    cleaning = programmes["Cleaning team: problems as they come"]
    assert db.session.scalar(
        sa.select(Session.id).where(Session.programme_id == cleaning.id, Session.day == today)
    )
    assert db.session.scalar(sa.select(sa.func.count(SessionTrainer.id))) == 16
    # Amina's hours of citizenship sessions.
    amina = db.session.scalar(sa.select(Member).join(User).where(User.username == "amina.diallo"))
    assert minutes_by_kind(amina.id, None, None).get("citizenship", 0) >= 4 * 120
