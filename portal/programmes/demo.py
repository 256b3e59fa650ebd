"""Demo programmes: what the trainers of the demo WISE run.

- Citizenship, "How our cooperative decides" (Sofia Rossi): six weekly sessions, four of them
  past (one with a practice poll, one with a practice meeting where participants took the chair,
  the secretary's and the teller's roles in turn), one later this week that `sofia.rossi` can run
  from her phone, and one the week after.
- Socialization, "Your rights at work" (Elena Popescu): three past sessions, finished.
- Professional training, "Food hygiene in the kitchen" (Sofia Rossi, the kitchen team, funded by
  the OPCO): whole days of two half-day slots, two past and two to come.
- Integration at the workplace, "Cleaning team: problems as they come" (Elena Popescu, the
  cleaning team): every other week, one today.

Past sessions have their roll-call, each participant's signature per half-day (a drawn line, as
a finger would), the trainer's signature, feedback and, for the citizenship sessions, the
trainer's evidence on "Works in a team". Amina Diallo takes part in three of them: her hours show
in "My pathway" and in "My sessions".

Dates follow the day the demo is loaded, so it reads the same whatever that day is.
"""

from __future__ import annotations

import io
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from PIL import Image, ImageDraw

from portal.accounts.models import User
from portal.core.db import local_today, utcnow
from portal.extensions import db
from portal.integration.models import Pathway, Skill
from portal.members.models import Member, MemberCategory
from portal.programmes import evidence as evidence_service
from portal.programmes import practice
from portal.programmes.common import local_zone
from portal.programmes.models import (
    IN_ROOM,
    Attendance,
    Enrolment,
    FeedbackAnswer,
    FeedbackGiven,
    Half,
    PracticeRole,
    Programme,
    ProgrammeOutcome,
    ProgrammeTrainer,
    Session,
    SessionTrainer,
    Slot,
)
from portal.voting import services as voting

MORNING = (Half.MORNING.value, time(9, 0), time(12, 0))
AFTERNOON = (Half.AFTERNOON.value, time(13, 30), time(16, 30))
SHORT_AFTERNOON = (Half.AFTERNOON.value, time(14, 0), time(16, 0))

FEEDBACK = [
    ("good", "I understood how a vote works."),
    ("good", ""),
    ("so_so", "Too long for me."),
    ("good", "I liked being the chair."),
    ("not_good", ""),
    ("good", ""),
]


@dataclass(frozen=True)
class DemoProgrammes:
    programmes: int
    sessions: int
    signatures: int


def _user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _members(team: str | None, count: int, first: str | None = None) -> list[Member]:
    """Active worker-members with a login (of `team`, or of every team), those whose pathway is
    under way first, then by number; `first` (a username) leads."""
    under_way = sa.exists().where(Pathway.member_id == Member.id, Pathway.exit_on.is_(None))
    query = (
        sa.select(Member)
        .join(MemberCategory, Member.category_id == MemberCategory.id)
        .where(
            MemberCategory.code == "worker",
            Member.user_id.is_not(None),
            Member.state == "active",
        )
        .order_by(sa.case((under_way, 0), else_=1), Member.id)
    )
    if team is not None:
        query = query.where(Member.team == team)
    found = list(db.session.scalars(query))
    if first is not None:
        chosen = [m for m in found if m.user is not None and m.user.username == first]
        found = chosen + [m for m in found if m not in chosen]
    return found[:count]


def signature_png(name: str) -> bytes:
    """A signature as a finger draws it: a few connected strokes, the same for the same name."""
    rng = random.Random(name)
    image = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    x, y = 20, 60 + rng.randint(-15, 15)
    points = [(x, y)]
    for _ in range(14):
        x += rng.randint(12, 26)
        y = max(15, min(105, y + rng.randint(-35, 35)))
        points.append((x, y))
    draw.line(points, fill=(20, 30, 90, 255), width=4, joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _weekday(day: date) -> date:
    """No training at the weekend: a past day moves back to the Friday, a day to come on to the
    Monday (so what is past stays past, whatever the day the demo is loaded)."""
    if day.weekday() < 5 or day == local_today():
        return day
    if day < local_today():
        return day - timedelta(days=day.weekday() - 4)
    return day + timedelta(days=7 - day.weekday())


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, local_zone()).astimezone(UTC)


class _Builder:
    def __init__(self) -> None:
        self.programmes = self.sessions = self.signatures = 0

    def programme(self, trainers: list[User], outcomes: list[Skill], **fields) -> Programme:
        programme = Programme(owner_id=trainers[0].id, **fields)
        db.session.add(programme)
        db.session.flush()
        for trainer in trainers:
            db.session.add(ProgrammeTrainer(programme_id=programme.id, user_id=trainer.id))
        for skill in outcomes:
            db.session.add(ProgrammeOutcome(programme_id=programme.id, skill_id=skill.id))
        self.programmes += 1
        return programme

    def enrol(self, programme: Programme, members: list[Member], source: str = "person") -> None:
        for member in members:
            db.session.add(
                Enrolment(
                    programme_id=programme.id,
                    member_id=member.id,
                    enrolled_on=programme.starts_on,
                    source=source,
                    invited_at=utcnow() if member.email else None,
                )
            )
        db.session.flush()

    def session(
        self,
        programme: Programme,
        day: date,
        topic: str,
        trainers: list[User],
        slots=(MORNING,),
        place: str = "Meeting room, ground floor",
        covered: str = "",
    ) -> Session:
        day = _weekday(day)
        session = Session(
            programme_id=programme.id,
            day=day,
            topic=topic,
            place=place,
            covered=covered if day < local_today() else "",
            code_secret=secrets.token_hex(16),
            created_by_id=trainers[0].id,
        )
        db.session.add(session)
        db.session.flush()
        for half, starts_at, ends_at in slots:
            db.session.add(
                Slot(session_id=session.id, half=half, starts_at=starts_at, ends_at=ends_at)
            )
        for trainer in trainers:
            db.session.add(SessionTrainer(session_id=session.id, user_id=trainer.id))
        db.session.flush()
        db.session.expire(session, ["slots", "trainers"])
        self.sessions += 1
        return session

    def held(
        self,
        session: Session,
        members: list[Member],
        trainer: User,
        *,
        absent: tuple[int, ...] = (),
        late: tuple[int, ...] = (),
        feedback: int = 0,
        evidence: Skill | None = None,
    ) -> None:
        """A past session: roll-call, signatures per slot, the trainer's signature, feedback."""
        for slot in session.slots:
            slot_minutes = slot.minutes
            for index, member in enumerate(members):
                if index in absent:
                    status, minutes, arrived = "absent", 0, None
                elif index in late:
                    status, minutes = "late", slot_minutes - 20
                    arrived = (
                        datetime.combine(session.day, slot.starts_at) + timedelta(minutes=20)
                    ).time()
                else:
                    status, minutes, arrived = "present", slot_minutes, None
                signed = status in IN_ROOM
                db.session.add(
                    Attendance(
                        slot_id=slot.id,
                        member_id=member.id,
                        status=status,
                        arrived_at=arrived,
                        minutes=minutes,
                        signature=signature_png(member.family_name + member.given_name)
                        if signed
                        else None,
                        signed_at=_at(session.day, arrived or slot.starts_at)
                        + timedelta(minutes=5 + index)
                        if signed
                        else None,
                        recorded_by_id=trainer.id,
                    )
                )
                self.signatures += int(signed)
        session.trainer_signature = signature_png(trainer.display_name)
        session.trainer_signed_at = _at(session.day, session.slots[-1].ends_at)
        session.trainer_signed_by_id = trainer.id
        session.roll_version = 1
        present = [m for i, m in enumerate(members) if i not in absent]
        for member, (mood, sentence) in zip(present[:feedback], FEEDBACK, strict=False):
            db.session.add(FeedbackGiven(session_id=session.id, member_id=member.id))
            db.session.add(FeedbackAnswer(session_id=session.id, mood=mood, sentence=sentence))
        db.session.flush()
        if evidence is not None:
            # The trainer's decisions, as on the evidence page: written to the pathways' skills.
            evidence_service.save_evidence(
                trainer,
                session,
                {
                    evidence_service.field_name(member.id, evidence.id): (
                        str(2 + index % 2) if index % 4 else "none"
                    )
                    for index, member in enumerate(present)
                },
            )
        db.session.flush()


def _practice_vote(trainer: User, session: Session, present: int) -> None:
    """A practice vote counted in the room during the session, dated on its day."""
    poll = practice.open_practice_poll(
        trainer,
        session,
        practice.PracticePollInput(
            question="Do we hold the summer party at the lake?", in_room=True
        ),
    )
    answers = voting.room_answers(poll)
    counts = dict(zip(answers, (present - 2, 1, 1), strict=False))
    practice.count_practice_poll(trainer, session, present, counts)
    poll = practice.close_practice_poll(trainer, session)
    poll.opened_at = _at(session.day, time(14, 30))
    poll.closed_at = _at(session.day, time(14, 45))
    db.session.flush()


def load_demo_programmes() -> DemoProgrammes:
    """Once (nothing happens when there are programmes). The caller commits."""
    if db.session.scalar(sa.select(sa.func.count(Programme.id))):
        return DemoProgrammes(0, 0, 0)
    sofia, elena = _user("sofia.rossi"), _user("elena.popescu")
    skills = {s.name: s for s in db.session.scalars(sa.select(Skill))}
    if sofia is None or elena is None or not skills:
        return DemoProgrammes(0, 0, 0)
    today = local_today()
    build = _Builder()
    team_skill = skills.get("Works in a team")
    hygiene = skills.get("Follows food hygiene rules")
    instructions = skills.get("Reads work instructions")

    # Citizenship: six weekly sessions, four past, one later this week, one the week after.
    first = today - timedelta(days=26)
    citizenship = build.programme(
        [sofia],
        [s for s in (team_skill, instructions) if s is not None],
        kind="citizenship",
        title="How our cooperative decides",
        summary=(
            "How a meeting works, how to vote and how to speak up. "
            "You will chair a meeting and count votes, for practice."
        ),
        planned_hours=Decimal("15"),
        starts_on=first,
        ends_on=today + timedelta(days=9),
        state="running",
    )
    people = _members(None, 8, first="amina.diallo")
    build.enrol(citizenship, people)
    topics = [
        ("Who decides what in our cooperative", "The general assembly, the board, the teams."),
        ("How a vote works", "Yes, no, abstain. A practice vote on the summer party."),
        ("A meeting, step by step", "A practice meeting: chair, secretary and teller in turn."),
        ("Reading the minutes", "What the minutes say and where to find them."),
        ("Making a proposal", ""),
        ("Our general assembly", ""),
    ]
    days = [first + timedelta(days=7 * week) for week in range(4)] + [
        today + timedelta(days=2),
        today + timedelta(days=9),
    ]
    for number, ((topic, covered), day) in enumerate(zip(topics, days, strict=True)):
        session = build.session(
            citizenship, day, topic, [sofia], slots=(SHORT_AFTERNOON,), covered=covered
        )
        if session.day < today:
            build.held(
                session,
                people,
                sofia,
                absent=(5,) if number == 1 else (6,) if number == 3 else (),
                late=(3,) if number == 0 else (),
                feedback=6,
                evidence=team_skill if number == 2 else None,
            )
        if number == 1 and session.day < today:
            _practice_vote(sofia, session, len(people) - 1)
        if number == 2:
            groups = [people[i : i + 3] for i in range(0, 6, 3) if len(people) >= i + 3]
            for turn, chosen in enumerate(groups, start=1):
                for role, member in zip(("chair", "secretary", "teller"), chosen, strict=True):
                    db.session.add(
                        PracticeRole(
                            session_id=session.id, turn=turn, role=role, member_id=member.id
                        )
                    )

    # Socialization: three past sessions, finished.
    start = today - timedelta(days=60)
    rights = build.programme(
        [elena],
        [],
        kind="socialization",
        title="Your rights at work",
        summary="Your contract, your pay slip, your rights and duties, who to ask for help.",
        planned_hours=Decimal("9"),
        starts_on=start,
        ends_on=start + timedelta(days=14),
        funder="Région",
        state="finished",
    )
    rights_people = _members("Cleaning", 5, first="amina.diallo")
    build.enrol(rights, rights_people)
    for number, topic in enumerate(
        ("Your contract of employment", "Reading your pay slip", "Health and safety at work")
    ):
        session = build.session(
            rights, start + timedelta(days=7 * number), topic, [elena], covered=topic + "."
        )
        build.held(session, rights_people, elena, absent=(2,) if number == 1 else (), feedback=4)

    # Professional training in the kitchen: whole days, two past and two to come.
    start = today - timedelta(days=15)
    kitchen = build.programme(
        [sofia],
        [s for s in (hygiene,) if s is not None],
        kind="training",
        title="Food hygiene in the kitchen",
        summary="Clean hands, clean surfaces, the cold chain, allergens. With the kitchen team.",
        team="Kitchen",
        planned_hours=Decimal("24"),
        starts_on=start,
        ends_on=today + timedelta(days=20),
        funder="OPCO",
        state="running",
    )
    cooks = _members("Kitchen", 5)
    build.enrol(kitchen, cooks, source="team")
    for number, topic in enumerate(
        ("Hands and surfaces", "The cold chain", "Allergens", "A day in the kitchen, checked")
    ):
        day = start + timedelta(days=7 * number)
        session = build.session(
            kitchen,
            day,
            topic,
            [sofia],
            slots=(MORNING, AFTERNOON),
            place="Kitchen",
            covered=topic + ".",
        )
        if session.day < today:
            build.held(session, cooks, sofia, late=(1,), feedback=3, evidence=hygiene)

    # Integration at the workplace, with the cleaning team: every other week, one today.
    start = today - timedelta(days=28)
    cleaning = build.programme(
        [elena],
        [s for s in (skills.get("Uses the cleaning machines"),) if s is not None],
        kind="workplace",
        title="Cleaning team: problems as they come",
        summary="We talk about what went wrong this fortnight, and how to do better.",
        team="Cleaning",
        planned_hours=Decimal("8"),
        starts_on=start,
        ends_on=today + timedelta(days=28),
        state="running",
    )
    cleaners = _members("Cleaning", 6, first="amina.diallo")
    build.enrol(cleaning, cleaners, source="team")
    for number, topic in enumerate(("A difficult client", "The floor machine broke", "Today")):
        day = start + timedelta(days=14 * number)
        session = build.session(
            cleaning, day, topic, [elena], slots=(SHORT_AFTERNOON,), place="Cleaning depot"
        )
        if session.day < today:
            build.held(session, cleaners, elena, feedback=3)
    return DemoProgrammes(build.programmes, build.sessions, build.signatures)
