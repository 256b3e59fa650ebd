"""Hostile review: privacy of the anonymous feedback."""

from __future__ import annotations

from datetime import date, time

import sqlalchemy as sa

from portal.programmes import feedback
from portal.programmes.models import FeedbackAnswer, FeedbackGiven
from tests.clock import frozen_at
from tests.factories_members import member_with_login, trainer_user
from tests.factories_programmes import MORNING, enrol, make_programme, make_session, mark

DAY = date(2026, 12, 4)
MOODS = ("good", "so_so", "not_good")


def test_the_order_of_the_answers_does_not_give_who_answered(db):
    """'Who answered' and 'what was answered' are written together: with ids from two
    sequences, the n-th answer of a session was the n-th person who answered (readable by
    anyone who sees the tables or a backup). The answer's key says nothing of its order."""
    with frozen_at(DAY, time(9, 0)):
        trainer = trainer_user()
        programme = make_programme(trainer, starts_on=date(2026, 11, 2))
        session = make_session(programme, day=DAY, slots=(MORNING,))
        people = [member_with_login(given=f"P{i}") for i in range(10)]
        for person in people:
            enrol(programme, person)
            mark(session.slots[0], person, "present")
    with frozen_at(DAY, time(11, 0)):
        for index, person in enumerate(people):
            feedback.give_feedback(person.user, session, MOODS[index % 3], f"sentence {index}")
    given = db.session.scalars(
        sa.select(FeedbackGiven.member_id)
        .where(FeedbackGiven.session_id == session.id)
        .order_by(FeedbackGiven.id)
    ).all()
    answers = db.session.scalars(
        sa.select(FeedbackAnswer.sentence)
        .where(FeedbackAnswer.session_id == session.id)
        .order_by(FeedbackAnswer.id)
    ).all()
    assert given == [p.id for p in people]
    assert sorted(answers) == sorted(f"sentence {i}" for i in range(10))
    assert answers != [f"sentence {i}" for i in range(10)], "the answers' ids follow who answered"
