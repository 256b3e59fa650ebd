"""`flask portal demo` fills the membership register: members, history, bodies, positions."""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.models import User
from portal.core.db import local_today
from portal.members import bodies, services
from portal.members.demo import REGISTER
from portal.members.models import Body, BodyKind, Member, MembershipEvent, Position


def run_demo(app):
    result = app.test_cli_runner().invoke(args=["portal", "demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    return result


def member_of(db, username):
    return db.session.scalar(sa.select(Member).join(User).where(User.username == username))


def test_demo_fills_the_register(app, db):
    result = run_demo(app)
    assert "Register: " in result.output
    members = db.session.scalars(sa.select(Member)).all()
    assert len(members) == len(REGISTER) >= 40
    linked = [m for m in members if m.user_id is not None]
    assert len(linked) >= 35
    assert 4 <= len(members) - len(linked) <= 6  # volunteers and supporters without an account
    for member in linked:
        assert member.preferred_language == member.user.locale
        assert member.full_name == member.user.display_name
    assert member_of(db, "anne.moreau") is None  # external counsellor: an account, no member
    assert {m.team for m in members} >= {"Cleaning", "Kitchen", "Furniture workshop", "Office"}
    assert {m.category.code for m in members} == {"worker", "staff", "volunteer", "supporter"}
    assert 1 <= sum(m.contact_consent for m in members) < len(members) // 2

    today = local_today()
    assembly = db.session.get(Body, 1)
    summary = bodies.electorate_summary(assembly, today)
    assert summary.voters > 20
    assert summary.total_weight >= summary.voters
    assert (assembly.quorum_percent, assembly.notice_days, assembly.proxy_cap) == (25, 15, 2)

    states = {m.state for m in members}
    assert states == {"applicant", "active", "suspended", "ended"}
    applicants = [m for m in members if m.state == "applicant"]
    assert len(applicants) == 2 and all(m.category_id for m in applicants)  # can be admitted
    kofi = member_of(db, "kofi.mensah")
    assert kofi.state == "ended" and "job" in services.events_of(kofi)[-1].reason
    samir = member_of(db, "samir.toure")
    assert [e.transition for e in services.events_of(samir)][-2:] == ["end", "readmit"]
    hanna = member_of(db, "hanna.virtanen")
    assert hanna.category.code == "worker"
    assert services.events_of(hanna)[0].category.code == "volunteer"

    # Every event is dated in the past, in order, and recorded by a board member.
    events = db.session.scalars(
        sa.select(MembershipEvent).order_by(MembershipEvent.member_id, MembershipEvent.id)
    ).all()
    assert all(e.effective_on <= today and e.effective_on.year >= 2024 for e in events)
    assert {e.recorded_by.username for e in events} == {"marta.kowalska"}
    by_member: dict[int, list] = {}
    for event in events:
        by_member.setdefault(event.member_id, []).append(event.effective_on)
    assert all(days == sorted(days) for days in by_member.values())


def test_demo_bodies_and_positions(app, db):
    run_demo(app)
    today = local_today()
    board = db.session.get(Body, 2)
    chairs = [m for m in bodies.mandates_of_body(board, today) if m.position == Position.CHAIR]
    assert [m.member.user.username for m in chairs] == ["marta.kowalska"]
    past = [m for m in bodies.mandates_of_body(board) if m.ends_on and m.ends_on < today]
    assert any(m.position == Position.CHAIR and m.member.user_id is None for m in past)
    assert bodies.electorate_summary(board, today).voters == 4
    kinds = {b.kind: b for b in bodies.bodies()}
    assert set(kinds) == set(BodyKind)
    council = kinds[BodyKind.WORKERS_COUNCIL]
    marta = db.session.scalar(sa.select(User).where(User.username == "marta.kowalska"))
    seated = bodies.electorate_members(council, today, marta)
    assert len(seated) == 5 and all(m.category.code == "worker" for m, _w in seated)
    committee = kinds[BodyKind.COMMITTEE]
    assert committee.title == "Health and safety committee"
    assert bodies.electorate_summary(committee, today).voters >= 3


def test_demo_votes_and_proposals(app, db):
    from portal.proposals.models import Proposal
    from portal.voting.models import Ballot, Poll

    result = run_demo(app)
    assert "Votes: 6 polls" in result.output
    polls = {p.title: p for p in db.session.scalars(sa.select(Poll))}
    meal = polls["Where do we hold the summer meal?"]
    assert meal.state == "closed" and meal.result["participation"] == 24
    van = polls["A second van for the cleaning team"]
    assert van.state == "open" and van.subject_key.startswith("proposal:")
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Ballot).where(Ballot.poll_id == van.id)
        )
        == 13
    )
    states = {p.title: p.state for p in db.session.scalars(sa.select(Proposal))}
    assert states["A bike shelter at the workshop"] == "support"
    assert states["A longer lunch break on Fridays"] == "submitted"
    clothes = db.session.scalar(sa.select(Proposal).where(Proposal.title.like("Work clothes%")))
    assert clothes.state == "adopted" and clothes.follow_status == "in_progress"
    assert clothes.board_answer and clothes.follow_responsible is not None
    hands = polls["Do we close the workshop between Christmas and New Year?"]
    assert hands.in_room and hands.result["verdict"] == "adopted"
    assert hands.result["participation"] == 30
    election = polls["Delegates to the workers' council"]
    assert election.state == "closed" and len(election.result["winners"]) == 2


def test_demo_meetings_minutes_and_decisions(app, db):
    from portal.core.db import local_today
    from portal.meetings import minutes as minutes_services
    from portal.meetings.models import Decision, Meeting, Minutes

    result = run_demo(app)
    assert "Meetings: 2 meetings (minutes of 1 published), 3 decisions." in result.output
    meetings = {m.kind: m for m in db.session.scalars(sa.select(Meeting))}
    assembly = meetings["ordinary_ga"]
    assert assembly.state == "closed" and assembly.starts_at < assembly.closed_at
    assert minutes_services.meeting_day(assembly).isoformat() == "2026-06-20"
    assert (minutes_services.meeting_day(assembly) - assembly.convened_at.date()).days >= 15
    assert [i.kind for i in assembly.items] == ["decision", "decision", "information", "discussion"]

    record = db.session.scalar(sa.select(Minutes).where(Minutes.meeting_id == assembly.id))
    assert record.state == "published" and not record.is_public
    assert record.approval_poll_id is not None and record.approved_at is not None
    sections = minutes_services.sections_in_order(record)
    assert len(sections) == 4 and all(s.discussion for s in sections)
    report = minutes_services.report(record)
    assert report.attendance.excused == 2 and report.attendance.represented == 1
    assert report.attendance.present > report.attendance.absent and report.quorum.reached
    assert all(p.result["verdict"] == "adopted" for ps in report.polls.values() for p in ps)
    assert len(report.polls) == 2

    decided = db.session.scalars(
        sa.select(Decision).where(Decision.minutes_id == record.id).order_by(Decision.number)
    ).all()
    assert [d.title for d in decided] == [
        "Accounts 2025",
        "Discharge of the board for 2025",
        "The summer meal",
    ]
    numbers = [d.number for d in decided]
    assert numbers == list(range(numbers[0], numbers[0] + 3))
    assert all(d.reference == f"GA-2026-{d.number:02d}" for d in decided)
    all_ga = db.session.scalars(
        sa.select(Decision.reference).where(Decision.body_id == assembly.body_id)
    ).all()
    assert "GA-2026-01" in all_ga and len(all_ga) == len(set(all_ga))
    assert {d.decided_on.isoformat() for d in decided} == {"2026-06-20"}
    assert {d.follow_status for d in decided} == {"done", "in_progress"}

    board = meetings["board"]
    assert board.state == "convened" and len(board.items) == 3
    assert 10 <= minutes_services.meeting_day(board).toordinal() - local_today().toordinal() <= 20
