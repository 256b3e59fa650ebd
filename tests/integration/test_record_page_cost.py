"""Issue 7, point 10: a record page's SQL statements do not grow with the record's size.

Every kind of row the page shows grows at once — eligibility, pauses and extensions, the team,
goals and their history, support actions, assessments of more skills, barriers, correction
requests, the read journal, and what the member did (meetings attended, polls, mandates,
proposals) — and the record page, its section fragments and the member's own pages are read
before and after, by the counsellor (who sees every section), a trainer and the member.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.extensions import db
from portal.integration import journal
from portal.integration.models import (
    Barrier,
    Eligibility,
    Goal,
    GoalEvent,
    PathwayPeriod,
    ReadKind,
    RectificationRequest,
    Skill,
    SkillAssessment,
    SupportAction,
)
from portal.meetings.models import Attendance
from tests.factories_integration import assign, make_pathway
from tests.factories_meetings import make_meeting
from tests.factories_members import (
    counsellor_user,
    general_assembly,
    make_mandate,
    member_with_login,
    trainer_user,
)
from tests.factories_proposals import make_proposal
from tests.factories_voting import open_poll_for, vote
from tests.test_query_counts import count_statements

ENTRY = date(2026, 1, 5)
BARRIERS = ["housing", "mobility", "health", "childcare", "money", "language", "digital"]


@pytest.fixture()
def record(db):
    member = member_with_login(given="Ada", admitted_on=date(2025, 2, 3))
    pathway = make_pathway(member, ENTRY, planned_end_on=date(2027, 1, 5))
    counsellor, trainer = counsellor_user(), trainer_user()
    assign(pathway, counsellor, "counsellor", personal_data=True)
    assign(pathway, trainer, "trainer")
    return member, pathway, counsellor, trainer


def grow(record, start: int, n: int) -> None:
    member, pathway, counsellor, trainer = record
    for i in range(start, start + n):
        day = ENTRY + timedelta(days=i)
        db.session.add(Eligibility(pathway_id=pathway.id, criterion="other", checked_on=day))
        db.session.add(
            PathwayPeriod(
                pathway_id=pathway.id,
                kind="suspension",
                starts_on=day,
                ends_on=day,
                reason=f"Pause {i}",
            )
        )
        assign(pathway, trainer_user(), "trainer", starts_on=ENTRY, ends_on=day)
        goal = Goal(pathway_id=pathway.id, title=f"Goal {i}")
        db.session.add(goal)
        db.session.flush()
        db.session.add(GoalEvent(goal_id=goal.id, status="planned"))
        db.session.add(GoalEvent(goal_id=goal.id, status="in_progress"))
        db.session.add(
            SupportAction(
                pathway_id=pathway.id,
                happened_on=day,
                kind="coaching",
                minutes=30,
                recorded_by_id=counsellor.id,
            )
        )
        skill = Skill(area=f"Area {i % 3}", name=f"Skill {i}")
        db.session.add(skill)
        db.session.flush()
        for level in (1, 3):
            db.session.add(
                SkillAssessment(
                    pathway_id=pathway.id,
                    skill_id=skill.id,
                    level=level,
                    assessed_on=day,
                    assessed_by_id=trainer.id,
                )
            )
        if i < len(BARRIERS):
            db.session.add(
                Barrier(pathway_id=pathway.id, kind=BARRIERS[i], noted_on=day, note=f"Note {i}")
            )
        db.session.add(RectificationRequest(pathway_id=pathway.id, text=f"Please fix {i}"))
        journal.record_read(counsellor, pathway.id, ReadKind.PAGE, "record")
        journal.record_read(trainer_user(), pathway.id, ReadKind.FRAGMENT, "goals")
        # What the member did, during the pathway.
        meeting = make_meeting(general_assembly(), state="closed", days_ahead=-(i + 1))
        db.session.add(Attendance(meeting_id=meeting.id, member_id=member.id, status="present"))
        poll = open_poll_for(member, title=f"Poll {i}")
        vote(poll, member, {"vote": "yes"})
        make_mandate(member, starts_on=day, ends_on=day)
        make_proposal(member.user, title=f"Proposal {i}", state="submitted")
    db.session.flush()
    db.session.expire_all()


@pytest.mark.parametrize("who", ["counsellor", "trainer", "member"])
def test_record_pages_cost_the_same_whatever_the_record_holds(record, client, login_as, who):
    member, pathway, counsellor, trainer = record
    login_as({"counsellor": counsellor, "trainer": trainer, "member": member.user}[who])
    base = f"/integration/{pathway.id}"
    paths = [base, f"{base}/goals", f"{base}/actions", f"{base}/skills"]
    if who != "trainer":
        paths.append(f"{base}/barriers")
    if who == "member":
        paths += ["/integration/mine", "/integration/mine/reads"]
    grow(record, 0, 2)
    for path in paths:
        client.get(path)
    small = {path: count_statements(db, client, path) for path in paths}
    grow(record, 2, 25)
    large = {path: count_statements(db, client, path) for path in paths}
    assert large == small
    page = client.get(base).get_data(as_text=True)
    assert "Goal 26" in page and "Skill 26" in page  # the page really shows the grown record
