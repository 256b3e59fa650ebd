"""Demo meetings: the general assembly of Atelier Commun in June, and the next board meeting.

- the ordinary general assembly of 20 June 2026 (18:00), convened 18 days before (the notice
  is 15 days): its agenda (the accounts 2025 and the discharge of the board, decided by a show
  of hands; the workers' council report; the summer meal), its attendance (most present, two
  excused, one represented by a proxy holder), its minutes with a section per item, approved
  by a vote of the board about them and published to the members, and its three decisions in
  the register (GA-2026-…, numbered after the votes of `portal.voting.demo`, which the
  register records when they are counted) with their follow-up;
- a board meeting about two weeks ahead, convened, with its agenda.

Everything goes through the services as the chair of the board (marta.kowalska) and the
secretary (joao.silva). The services refuse to plan or convene a meeting on a day that has
passed: the June assembly is made like `services.create_meeting` makes a meeting (same checks
and audit entry) and convened by the same workflow step, then the moments of its session and of
its polls are set to the day of the assembly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

import sqlalchemy as sa

from portal.accounts.models import User
from portal.core import audit
from portal.core.db import local_today
from portal.core.workflow import apply_transition, item_saved
from portal.extensions import db
from portal.meetings import agenda, attendance, decisions, minutes, services, session
from portal.meetings.models import AttendanceStatus, Decision, ItemKind, Meeting, MeetingKind
from portal.members import bodies as member_bodies
from portal.members.models import Body, BodyKind, Member
from portal.voting import services as voting

GA_DAY = date(2026, 6, 20)
GA_START, GA_END = time(18, 0), time(20, 30)
CONVENED_ON = date(2026, 6, 2)  # 18 days before; the assembly asks for 15


@dataclass(frozen=True)
class DemoMeetings:
    meetings: int
    published: int
    decisions: int


def _user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _member(user: User | None) -> Member | None:
    if user is None:
        return None
    return db.session.scalar(sa.select(Member).where(Member.user_id == user.id))


def _past_meeting(actor, data: services.MeetingData) -> Meeting:
    """`services.create_meeting` without its "not in the past" check (same checks and audit)."""
    fields = services._clean(data)
    meeting = Meeting(**fields, owner_id=actor.id)
    db.session.add(meeting)
    db.session.flush()
    meeting.security_path = f"/{meeting.object_key}/"
    db.session.flush()
    audit.record(
        actor,
        "meeting.created",
        f"{meeting.object_key} of body {meeting.body_id} planned for "
        f"{meeting.starts_at:%Y-%m-%d %H:%M} UTC",
        object_key=meeting.object_key,
        body_id=meeting.body_id,
    )
    item_saved.send(meeting)
    return meeting


def _general_assembly(chair: User, secretary: User, ga: Body) -> tuple[Meeting, int]:
    """The June assembly, held, with published minutes. Returns it and its decisions count."""
    chair_member, secretary_member = _member(chair), _member(secretary)
    meeting = _past_meeting(
        chair,
        services.MeetingData(
            body_id=ga.id,
            kind=MeetingKind.ORDINARY_GA.value,
            title="General assembly 2026",
            day=GA_DAY,
            start=GA_START,
            end=GA_END,
            place="Furniture workshop, 12 rue des Ateliers",
            description=(
                "Our yearly general assembly. We look at the accounts of 2025, hear the "
                "workers' council and choose the summer meal. Drinks after the meeting."
            ),
            chair_id=chair_member.id if chair_member else None,
            secretary_id=secretary_member.id if secretary_member else None,
        ),
    )
    items = [
        agenda.add_item(
            chair,
            meeting,
            agenda.ItemData(
                title="Accounts 2025",
                kind=ItemKind.DECISION.value,
                description="Do we approve the accounts of 2025?",
                presenter_id=chair_member.id if chair_member else None,
                planned_minutes=30,
            ),
        ),
        agenda.add_item(
            chair,
            meeting,
            agenda.ItemData(
                title="Discharge of the board for 2025",
                kind=ItemKind.DECISION.value,
                description="Do we discharge the board for its work in 2025?",
                planned_minutes=10,
            ),
        ),
        agenda.add_item(
            chair,
            meeting,
            agenda.ItemData(
                title="Report of the workers' council",
                kind=ItemKind.INFORMATION.value,
                description="The council tells what it did this year.",
                planned_minutes=20,
            ),
        ),
        agenda.add_item(
            chair,
            meeting,
            agenda.ItemData(
                title="The summer meal",
                kind=ItemKind.DISCUSSION.value,
                description="Where and when do we eat together this summer?",
                planned_minutes=15,
            ),
        ),
    ]
    accounts, discharge, council, meal = items

    # Convened 18 days before, on paper and by e-mail (no e-mail is queued by the demo).
    days_before = (GA_DAY - CONVENED_ON).days
    apply_transition(
        meeting,
        "convene",
        chair,
        "",
        days_before=days_before,
        notice_days=ga.notice_days,
    )
    meeting.convened_at = services.to_utc(CONVENED_ON, time(10, 0))
    meeting.convened_by_id = chair.id
    meeting.check_in_code = services.new_check_in_code()

    # Attendance: most of the list present, two excused, one represented.
    services.open_session(chair, meeting)
    meeting.opened_at = meeting.starts_at
    # The votes from the items freeze the people present, who must still be members today:
    # those who have left since June were absent.
    today = {voter.member_id for voter in member_bodies.electorate(ga, local_today())}
    people = [line.member for line in attendance.roll(meeting)]
    gone = [m for m in people if m.id not in today]
    people = [m for m in people if m.id in today]
    excused = people[-2:]
    represented = people[-3]
    present = people[:-3]
    for member in gone:
        attendance.set_status(secretary, meeting, member.id, AttendanceStatus.ABSENT.value)
    for member in present:
        attendance.set_status(secretary, meeting, member.id, AttendanceStatus.PRESENT.value)
    for member in excused:
        attendance.set_status(secretary, meeting, member.id, AttendanceStatus.EXCUSED.value)
    holder = next(m for m in present if m.id not in (getattr(chair_member, "id", None),))
    attendance.set_status(
        secretary, meeting, represented.id, AttendanceStatus.REPRESENTED.value, holder.id
    )
    in_room = len(present) + 1

    # The two decision items are counted by a show of hands.
    polls = []
    for item, against, abstain in ((accounts, 1, 2), (discharge, 0, 3)):
        session.set_current_item(chair, meeting, item)
        item.started_at = meeting.starts_at
        poll = session.open_item_poll(chair, meeting, item, in_room=True)
        voters = min(in_room, poll.electorate_count)
        session.record_item_count(
            chair,
            meeting,
            poll,
            {"yes": voters - against - abstain, "no": against, "abstain": abstain},
        )
        voting.close_poll(chair, poll)
        poll.opened_at = meeting.starts_at + timedelta(minutes=20 * len(polls) + 10)
        poll.closed_at = poll.opened_at + timedelta(minutes=5)
        polls.append(poll)
    for item in (council, meal):
        session.set_current_item(chair, meeting, item)
    for item in items:
        item.started_at = meeting.starts_at + timedelta(minutes=20 * item.position)
    services.close_session(chair, meeting)
    meeting.closed_at = services.to_utc(GA_DAY, time(20, 20))

    # The minutes, written by the secretary, approved by a vote of the board, published.
    record = minutes.start_minutes(secretary, meeting)
    minutes.save_notes(
        secretary,
        record,
        record.version,
        "The chair opens the assembly at 18:05 and thanks the kitchen team for the drinks.",
    )
    texts = {
        accounts.id: (
            "The treasurer shows the accounts: 412,000 euros of income, a small profit of "
            "6,300 euros, kept for the second van. Questions about the price of wood.",
            "The general assembly approves the accounts of 2025.",
        ),
        discharge.id: (
            "Nobody asks a question.",
            "The general assembly discharges the board for its work in 2025.",
        ),
        council.id: (
            "The council met eight times. It welcomed eleven new colleagues and proposed the "
            "new house rules about breaks. Several people thank the council.",
            "",
        ),
        meal.id: (
            "Most people want the lake. The kitchen team asks for help with the shopping.",
            "The summer meal is on Saturday 11 July at the lake. The kitchen team prepares "
            "it with volunteers.",
        ),
    }
    for section in minutes.sections_in_order(record):
        discussion, decision = texts[section.agenda_item_id]
        minutes.save_section(secretary, section, section.version, discussion, decision)
    minutes.submit_minutes(secretary, record)

    board = db.session.scalar(sa.select(Body).where(Body.kind == BodyKind.BOARD.value))
    approval = voting.create_poll(
        chair,
        voting.PollData(
            title="Approval of the minutes of the general assembly 2026",
            body_id=board.id,
            method="yes_no_abstain",
            question="Do we approve the minutes of the general assembly of 20 June 2026?",
            secret=False,
            in_room=True,
            subject_key=f"minutes:{record.id}",
        ),
    )
    voting.open_poll(chair, approval)
    seats = approval.electorate_count
    voting.record_room_count(chair, approval, seats, {"yes": seats, "no": 0, "abstain": 0})
    voting.close_poll(chair, approval)
    minutes.approve_minutes(chair, record, poll=approval)
    minutes.publish_minutes(chair, record, public=False)

    # Follow-up of the decisions.
    registered = db.session.scalars(
        sa.select(Decision).where(Decision.minutes_id == record.id).order_by(Decision.number)
    ).all()
    today = local_today()
    follow = {
        "Accounts 2025": ("done", chair_member, None, "Filed with the accounts office in July."),
        "The summer meal": ("done", secretary_member, None, "A good day: 34 people came."),
    }
    for decision in registered:
        status, who, due, note = follow.get(
            decision.title,
            ("in_progress", chair_member, today + timedelta(days=30), "Letter to the bank."),
        )
        decisions.update_follow_up(chair, decision, status, who, due, note)
    return meeting, len(registered)


def _board_meeting(chair: User, secretary: User, board: Body) -> Meeting:
    """The next board meeting, two weeks ahead, convened, with its agenda."""
    day = local_today() + timedelta(days=14)
    chair_member, secretary_member = _member(chair), _member(secretary)
    meeting = services.create_meeting(
        chair,
        services.MeetingData(
            body_id=board.id,
            kind=MeetingKind.BOARD.value,
            title="Board meeting",
            day=day,
            start=time(17, 30),
            end=time(19, 0),
            place="Office, meeting room",
            description="Our monthly meeting.",
            chair_id=chair_member.id if chair_member else None,
            secretary_id=secretary_member.id if secretary_member else None,
        ),
    )
    for title, kind, duration in (
        ("New members: two applications", ItemKind.DECISION.value, 20),
        ("Budget: where we are after ten months", ItemKind.INFORMATION.value, 20),
        ("A longer lunch break on Fridays", ItemKind.DISCUSSION.value, 30),
    ):
        agenda.add_item(
            chair, meeting, agenda.ItemData(title=title, kind=kind, planned_minutes=duration)
        )
    services.convene_meeting(chair, meeting)
    return meeting


def load_demo_meetings() -> DemoMeetings:
    """Load the demo meetings, once (nothing happens when there are meetings). The caller
    commits."""
    chair, secretary = _user("marta.kowalska"), _user("joao.silva")
    ga = db.session.scalar(sa.select(Body).where(Body.kind == BodyKind.GENERAL_ASSEMBLY.value))
    board = db.session.scalar(sa.select(Body).where(Body.kind == BodyKind.BOARD.value))
    if chair is None or secretary is None or ga is None or board is None:
        return DemoMeetings(0, 0, 0)
    if db.session.scalar(sa.select(sa.func.count(Meeting.id))):
        return DemoMeetings(0, 0, 0)
    _meeting, registered = _general_assembly(chair, secretary, ga)
    _board_meeting(chair, secretary, board)
    db.session.flush()
    return DemoMeetings(meetings=2, published=1, decisions=registered)
