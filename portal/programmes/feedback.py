"""Feedback on a session: three pictograms (good, so-so, not good) and an optional sentence.

- `give_feedback(actor, session, mood, sentence)`: once per participant and session, by those
  who were in the room (at least one slot), from the start of the last slot to seven days after
  its end. Who answered (`FeedbackGiven`) and what was answered (`FeedbackAnswer`, with no
  member and no time) are written in the same transaction; nothing links them.
- `feedback_totals(session)`: the anonymous totals the programme's trainers read; below
  `MIN_ANSWERS` answers nothing is shown, so that nobody can be recognised.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from portal.core.db import utcnow
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.programmes.hours import FEEDBACK_DAYS, feedback_open
from portal.programmes.models import (
    IN_ROOM,
    Attendance,
    FeedbackAnswer,
    FeedbackGiven,
    Mood,
    Session,
    Slot,
)
from portal.programmes.policies import can_run, member_id_of

MIN_ANSWERS = 3
SENTENCE_MAX = 280

ALREADY = _l("You already gave your opinion. Thank you.")
NOT_THERE = _l("Only the people who came to this session can give their opinion on it.")
CLOSED = _l(
    "You can give your opinion from the last part of the session until %(days)d days after.",
    days=FEEDBACK_DAYS,
)
CHOOSE_A_FACE = _l("Choose one of the three faces.")
TOO_LONG = _l("This is too long (at most %(n)d characters).", n=SENTENCE_MAX)
CANCELLED = _l("This session was cancelled.")


def attended(session: Session, member_id: int | None) -> bool:
    """Was the member in the room for at least one slot of the session?"""
    if member_id is None:
        return False
    return (
        db.session.scalar(
            sa.select(Attendance.id)
            .join(Slot, Slot.id == Attendance.slot_id)
            .where(
                Slot.session_id == session.id,
                Attendance.member_id == member_id,
                Attendance.status.in_(sorted(IN_ROOM)),
            )
            .limit(1)
        )
        is not None
    )


def already_given(session: Session, member_id: int | None) -> bool:
    if member_id is None:
        return False
    return (
        db.session.scalar(
            sa.select(FeedbackGiven.id).where(
                FeedbackGiven.session_id == session.id, FeedbackGiven.member_id == member_id
            )
        )
        is not None
    )


def clean_sentence(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError(TOO_LONG, "sentence")
    text = " ".join(value.replace("\x00", "").split())
    if len(text) > SENTENCE_MAX:
        raise DomainError(TOO_LONG, "sentence")
    return text


def give_feedback(actor, session: Session, mood, sentence="") -> None:
    """Record one participant's opinion of a session, anonymously.

    Raises NotAllowed unless the actor was in the room; DomainError for a cancelled session,
    outside the feedback's days, a mood not of the three, a sentence over 280 characters, or a
    second answer (also when two arrive at once: the unique row decides)."""
    member_id = member_id_of(actor)
    if not attended(session, member_id):
        raise NotAllowed(NOT_THERE)
    if session.cancelled:
        raise DomainError(CANCELLED)
    if already_given(session, member_id):
        raise DomainError(ALREADY)
    if not feedback_open(session, utcnow()):
        raise DomainError(CLOSED)
    if mood not in {m.value for m in Mood}:
        raise DomainError(CHOOSE_A_FACE, "mood")
    text = clean_sentence(sentence)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = db.session.execute(
        insert(FeedbackGiven)
        .values(session_id=session.id, member_id=member_id)
        .on_conflict_do_nothing(index_elements=["session_id", "member_id"])
    )
    if not result.rowcount:  # another request of the same person was first
        raise DomainError(ALREADY)
    _add_answer(insert, session, mood, text)
    db.session.flush()


# Answers take a random key (far above the sequence's): keys in the order of arrival would pair
# the n-th answer of a session with the n-th `FeedbackGiven` row, so with who answered.
_ANSWER_IDS = (2**30, 2**31 - 1)


def _add_answer(insert, session: Session, mood: str, text: str) -> None:
    for _attempt in range(8):
        answer_id = _ANSWER_IDS[0] + secrets.randbelow(_ANSWER_IDS[1] - _ANSWER_IDS[0])
        done = db.session.execute(
            insert(FeedbackAnswer)
            .values(id=answer_id, session_id=session.id, mood=mood, sentence=text)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        if done.rowcount:
            return
    raise RuntimeError("no free key for a feedback answer")  # 8 draws among a billion


# --- The totals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackTotals:
    answers: int
    counts: dict[str, int] = field(default_factory=dict)  # by mood, empty while hidden
    sentences: tuple[str, ...] = ()  # sorted, empty while hidden

    @property
    def hidden(self) -> bool:
        return self.answers < MIN_ANSWERS

    def share(self, mood: str) -> int:
        """The percentage of answers with this mood (rounded)."""
        if not self.answers:
            return 0
        return round(100 * self.counts.get(mood, 0) / self.answers)


def feedback_totals(session: Session) -> FeedbackTotals:
    """The anonymous totals of a session: two statements. Below MIN_ANSWERS answers only their
    number is given. The sentences are sorted (never in the order they came)."""
    counts = {
        mood: int(n)
        for mood, n in db.session.execute(
            sa.select(FeedbackAnswer.mood, sa.func.count(FeedbackAnswer.id))
            .where(FeedbackAnswer.session_id == session.id)
            .group_by(FeedbackAnswer.mood)
        )
    }
    answers = sum(counts.values())
    if answers < MIN_ANSWERS:
        return FeedbackTotals(answers)
    sentences = sorted(
        db.session.scalars(
            sa.select(FeedbackAnswer.sentence).where(
                FeedbackAnswer.session_id == session.id, FeedbackAnswer.sentence != ""
            )
        ),
        key=str.casefold,
    )
    return FeedbackTotals(
        answers, {m.value: counts.get(m.value, 0) for m in Mood}, tuple(sentences)
    )


def can_read_feedback(user, session: Session) -> bool:
    """The anonymous totals are for the programme's trainers."""
    return can_run(user, session.programme)


def may_give_feedback(user, session: Session) -> bool:
    """Is the feedback form offered to `user` now (the service's own checks)?"""
    member_id = member_id_of(user)
    return (
        not session.cancelled
        and feedback_open(session, utcnow())
        and attended(session, member_id)
        and not already_given(session, member_id)
    )
