"""The record's content: goals and their history, support actions, skill assessments and
barriers — the services' rules and refusals, the routes' access, bad input and page cost."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.db import local_today
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db as _db
from portal.integration import content, journal
from portal.integration.models import (
    AnonymousAttempts,
    Barrier,
    Goal,
    GoalEvent,
    ReadKind,
    ReadOutcome,
    RecordRead,
    Skill,
    SkillAssessment,
    SupportAction,
)
from tests.factories_integration import assign, make_pathway
from tests.factories_members import (
    admin_user,
    board_user,
    counsellor_user,
    member_with_login,
    trainer_user,
)
from tests.test_query_counts import count_statements

ENTRY = date(2026, 1, 5)
HX = {"HX-Request": "true"}


@pytest.fixture()
def record(db):
    """A pathway with its member, a counsellor with access to personal data, a trainer
    without it, and a skill."""
    ada = member_with_login(given="Ada")
    pathway = make_pathway(ada, entry_on=ENTRY)
    counsellor, trainer = counsellor_user(), trainer_user()
    assign(pathway, counsellor, "counsellor", personal_data=True)
    assign(pathway, trainer, "trainer")
    skill = Skill(area="Work", name="Arrives on time")
    db.session.add(skill)
    db.session.flush()

    class Record:
        pass

    r = Record()
    r.pathway, r.member, r.counsellor, r.trainer, r.skill = (
        pathway,
        ada,
        counsellor,
        trainer,
        skill,
    )
    return r


def audits(action: str) -> list[AuditEntry]:
    return list(_db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def count(model) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- Services: goals -----------------------------------------------------------------------------


def test_add_goal_starts_its_history(record):
    goal = content.add_goal(
        record.counsellor, record.pathway, "  Get a driving licence ", "Private words", None
    )
    assert goal.title == "Get a driving licence" and goal.status == "planned"
    events = _db.session.scalars(sa.select(GoalEvent).where(GoalEvent.goal_id == goal.id)).all()
    assert [e.status for e in events] == ["planned"]
    (entry,) = audits("integration.add_goal")
    assert entry.object_key == f"pathway:{record.pathway.id}"
    assert "driving" not in entry.summary + entry.details and "Private" not in entry.details


@pytest.mark.parametrize(
    "who, allowed", [("counsellor", True), ("trainer", False), ("member", False)]
)
def test_only_an_assigned_counsellor_keeps_goals(record, who, allowed):
    actor = {"counsellor": record.counsellor, "trainer": record.trainer}.get(who) or (
        record.member.user
    )
    if allowed:
        content.add_goal(actor, record.pathway, "A goal")
    else:
        with pytest.raises(NotAllowed):
            content.add_goal(actor, record.pathway, "A goal")
        assert count(Goal) == 0


@pytest.mark.parametrize(
    "title, detail, target, field",
    [
        ("", "", None, "title"),
        ("   ", "", None, "title"),
        ("x" * 201, "", None, "title"),
        ("Fine", "x" * 2001, None, "detail"),
        ("Fine", "", ENTRY - timedelta(days=1), "target_on"),
        (42, "", None, "title"),
    ],
)
def test_add_goal_refuses_bad_input(record, title, detail, target, field):
    with pytest.raises(DomainError) as refused:
        content.add_goal(record.counsellor, record.pathway, title, detail, target)
    assert refused.value.field == field
    assert count(Goal) == 0


def test_goal_status_changes_are_its_history(record):
    goal = content.add_goal(record.counsellor, record.pathway, "Find a flat")
    content.change_goal_status(record.counsellor, goal, "in_progress", "Visited two")
    content.change_goal_status(record.counsellor, goal, "reached", "")
    with pytest.raises(DomainError) as same:
        content.change_goal_status(record.counsellor, goal, "reached", "")
    assert same.value.field == "status"
    with pytest.raises(DomainError):
        content.change_goal_status(record.counsellor, goal, "finished", "")
    with pytest.raises(DomainError):
        content.change_goal_status(record.counsellor, goal, "planned", "x" * 501)
    with pytest.raises(NotAllowed):
        content.change_goal_status(record.trainer, goal, "planned", "")
    (row,) = content.goals_of(record.pathway)
    assert [s.status for s in row.steps] == ["planned", "in_progress", "reached"]
    entry_event_ids = list(
        _db.session.scalars(
            sa.select(GoalEvent.id).where(GoalEvent.goal_id == goal.id).order_by(GoalEvent.id)
        )
    )[1:]
    assert row.steps[1].note == "Visited two"
    entries = audits("integration.change_goal_status")
    assert len(entries) == 2 and "Visited" not in entries[0].details
    for entry in entries:  # field names and ids only, not the statuses
        assert json.loads(entry.details) == {
            "goal_id": goal.id,
            "event_id": entry_event_ids.pop(0),
            "fields": ["status"],
        }


def test_edit_goal_audits_field_names_only(record):
    goal = content.add_goal(record.counsellor, record.pathway, "Old words")
    changed = content.edit_goal(record.counsellor, goal, "New words", "", date(2026, 6, 1))
    assert changed == ["title", "target_on"]
    with pytest.raises(DomainError):
        content.edit_goal(record.counsellor, goal, "New words", "", date(2026, 6, 1))
    (entry,) = audits("integration.edit_goal")
    assert json.loads(entry.details)["fields"] == ["title", "target_on"]
    assert "words" not in entry.details


# --- Services: support actions -------------------------------------------------------------------


def test_support_actions_and_their_total(record):
    today = local_today()
    content.add_support_action(record.trainer, record.pathway, today, "coaching", 90, "Notes")
    content.add_support_action(record.counsellor, record.pathway, ENTRY, "interview", 30)
    actions, total = content.actions_of(record.pathway)
    assert [a.happened_on for a in actions] == [today, ENTRY]  # newest first
    assert total == 120


@pytest.mark.parametrize(
    "day, kind, minutes, notes, field",
    [
        ("future", "coaching", 30, "", "happened_on"),
        (ENTRY - timedelta(days=1), "coaching", 30, "", "happened_on"),
        (None, "coaching", 30, "", "happened_on"),
        (ENTRY, "dancing", 30, "", "kind"),
        (ENTRY, "coaching", 0, "", "minutes"),
        (ENTRY, "coaching", 1441, "", "minutes"),
        (ENTRY, "coaching", "30", "", "minutes"),
        (ENTRY, "coaching", True, "", "minutes"),
        (ENTRY, "coaching", 30, "x" * 2001, "notes"),
    ],
)
def test_support_action_refuses_bad_input(record, day, kind, minutes, notes, field):
    if day == "future":
        day = local_today() + timedelta(days=1)
    with pytest.raises(DomainError) as refused:
        content.add_support_action(record.trainer, record.pathway, day, kind, minutes, notes)
    assert refused.value.field == field
    assert count(SupportAction) == 0


def test_support_action_needs_the_team(record):
    for outsider in (record.member.user, counsellor_user(), admin_user()):
        with pytest.raises(NotAllowed):
            content.add_support_action(outsider, record.pathway, ENTRY, "coaching", 30)
    assert count(SupportAction) == 0


def test_only_the_author_in_the_team_corrects_an_action(record):
    action = content.add_support_action(record.trainer, record.pathway, ENTRY, "coaching", 30)
    with pytest.raises(NotAllowed):
        content.correct_support_action(record.counsellor, action, ENTRY, "coaching", 45)
    changed = content.correct_support_action(
        record.trainer, action, ENTRY, "training", 45, "Private"
    )
    assert changed == ["kind", "minutes", "notes"]
    (entry,) = audits("integration.correct_support_action")
    assert json.loads(entry.details)["fields"] == changed and "Private" not in entry.details
    with pytest.raises(DomainError):  # nothing changed
        content.correct_support_action(record.trainer, action, ENTRY, "training", 45, "Private")
    # Once their assignment has ended, the author may no longer correct it.
    other = trainer_user()
    assign(record.pathway, other, "trainer", ends_on=local_today() - timedelta(days=1))
    old = SupportAction(
        pathway_id=record.pathway.id,
        happened_on=ENTRY,
        kind="coaching",
        minutes=5,
        recorded_by_id=other.id,
    )
    _db.session.add(old)
    _db.session.flush()
    with pytest.raises(NotAllowed):
        content.correct_support_action(other, old, ENTRY, "coaching", 10)


# --- Services: skills ----------------------------------------------------------------------------


def test_assessments_make_the_grid(record):
    unused = Skill(area="Work", name="Uses the machines")
    retired = Skill(area="Life", name="Old skill", active=True)
    _db.session.add_all([unused, retired])
    _db.session.flush()
    content.assess_skill(record.trainer, record.pathway, record.skill, 1, ENTRY, "")
    content.assess_skill(record.trainer, record.pathway, retired, 2, ENTRY, "")
    content.assess_skill(record.trainer, record.pathway, record.skill, 3, local_today(), "Good")
    retired.active = False
    gone = Skill(area="Life", name="Never used", active=False)
    _db.session.add(gone)
    _db.session.flush()
    grid = {row.skill.name: row for row in content.skills_grid(record.pathway)}
    assert set(grid) == {"Arrives on time", "Uses the machines", "Old skill"}
    row = grid["Arrives on time"]
    assert (row.first.level, row.latest.level, row.progress) == (1, 3, 2)
    assert row.latest.assessed_on == local_today() and row.latest.by
    assert grid["Uses the machines"].latest is None


@pytest.mark.parametrize(
    "level, day, note, field",
    [
        (0, ENTRY, "", "level"),
        (5, ENTRY, "", "level"),
        ("3", ENTRY, "", "level"),
        (3, "future", "", "assessed_on"),
        (3, ENTRY - timedelta(days=1), "", "assessed_on"),
        (3, ENTRY, "x" * 501, "note"),
    ],
)
def test_assessment_refuses_bad_input(record, level, day, note, field):
    if day == "future":
        day = local_today() + timedelta(days=1)
    with pytest.raises(DomainError) as refused:
        content.assess_skill(record.trainer, record.pathway, record.skill, level, day, note)
    assert refused.value.field == field
    assert count(SkillAssessment) == 0


def test_only_assigned_trainers_assess_active_skills(record):
    with pytest.raises(NotAllowed):
        content.assess_skill(record.counsellor, record.pathway, record.skill, 2, ENTRY, "")
    record.skill.active = False
    with pytest.raises(DomainError) as refused:
        content.assess_skill(record.trainer, record.pathway, record.skill, 2, ENTRY, "")
    assert refused.value.field == "skill"
    assert count(SkillAssessment) == 0


# --- Services: barriers --------------------------------------------------------------------------


def test_barrier_is_one_row_per_kind(record):
    content.set_barrier(record.counsellor, record.pathway, "housing", "present", "Sleeps at X")
    content.set_barrier(record.counsellor, record.pathway, "housing", "working", "Sleeps at X")
    with pytest.raises(DomainError):
        content.set_barrier(record.counsellor, record.pathway, "housing", "working", "Sleeps at X")
    rows = _db.session.scalars(sa.select(Barrier)).all()
    assert [(b.kind, b.status) for b in rows] == [("housing", "working")]
    entries = audits("integration.set_barrier")
    assert len(entries) == 2
    for entry in entries:  # special-category data: neither the kind nor the note
        assert "housing" not in entry.summary + entry.details
        assert "Sleeps" not in entry.summary + entry.details
    listed = {row.kind.value: row.barrier for row in content.barriers_of(record.pathway)}
    assert listed["housing"].status == "working" and listed["health"] is None


def test_barriers_need_the_personal_data_flag(record):
    for actor in (record.trainer, record.member.user, counsellor_user()):
        with pytest.raises(NotAllowed):
            content.set_barrier(actor, record.pathway, "health", "present", "")
    with pytest.raises(DomainError):
        content.set_barrier(record.counsellor, record.pathway, "weather", "present", "")
    with pytest.raises(DomainError):
        content.set_barrier(record.counsellor, record.pathway, "health", "gone", "")
    assert count(Barrier) == 0


# --- Views ---------------------------------------------------------------------------------------


def test_who_sees_which_section(record, client, login_as):
    content.set_barrier(record.counsellor, record.pathway, "health", "present", "Secret knee")
    content.add_goal(record.counsellor, record.pathway, "Goal words")
    url = f"/integration/{record.pathway.id}"
    member_page = login_as(record.member.user).get(url).get_data(as_text=True)
    assert "Goal words" in member_page and "Secret knee" in member_page
    assert f'id="pathway-{record.pathway.id}-barriers"' in member_page
    assert "Add a goal" not in member_page  # the member reads, never edits
    assert "Record an action" not in member_page and "Assess a skill" not in member_page


def _page_for(client, login_as, user, url):
    with client.session_transaction() as session:
        session.clear()
    return login_as(user).get(url)


def test_trainer_without_the_flag_sees_no_barrier_at_all(record, client, login_as):
    content.set_barrier(record.counsellor, record.pathway, "health", "present", "Secret knee")
    response = _page_for(client, login_as, record.trainer, f"/integration/{record.pathway.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Secret knee" not in html
    assert "-barriers" not in html and "Difficulties" not in html
    assert "Assess a skill" in html and "Record an action" in html and "Add a goal" not in html
    assert client.get(f"/integration/{record.pathway.id}/barriers").status_code == 403


def test_counsellor_with_the_flag_sees_and_keeps_barriers(record, client, login_as):
    content.set_barrier(record.counsellor, record.pathway, "health", "present", "Secret knee")
    response = _page_for(client, login_as, record.counsellor, f"/integration/{record.pathway.id}")
    html = response.get_data(as_text=True)
    assert "Secret knee" in html and "Note a difficulty or change one" in html
    assert "Add a goal" in html and "Assess a skill" not in html


ROUTES = [
    ("get", "/integration/{id}/goals", None),
    ("post", "/integration/{id}/goals", {"title": "A goal"}),
    ("post", "/integration/{id}/goals/{goal}", {"goal-{goal}-edit-title": "B"}),
    ("post", "/integration/{id}/goals/{goal}/status", {"goal-{goal}-status-status": "reached"}),
    ("get", "/integration/{id}/actions", None),
    ("post", "/integration/{id}/actions", {"kind": "coaching", "minutes": "30"}),
    ("post", "/integration/{id}/actions/{action}", {"action-{action}-minutes": "30"}),
    ("get", "/integration/{id}/skills", None),
    ("post", "/integration/{id}/skills", {"level": "2"}),
    ("get", "/integration/{id}/barriers", None),
    ("post", "/integration/{id}/barriers", {"barrier-kind": "health", "barrier-status": "present"}),
]


def _fill(record, goal, action, text):
    return (
        text.replace("{id}", str(record.pathway.id))
        .replace("{goal}", str(goal.id))
        .replace("{action}", str(action.id))
    )


@pytest.mark.parametrize("method, path, data", ROUTES)
@pytest.mark.parametrize("who", ["anonymous", "board", "stranger", "ended"])
def test_outsiders_get_404_and_a_refused_journal_row(
    record, client, login_as, token, method, path, data, who
):
    goal = content.add_goal(record.counsellor, record.pathway, "Goal")
    action = content.add_support_action(record.trainer, record.pathway, ENTRY, "coaching", 30)
    if who != "anonymous":
        user = {"board": board_user, "stranger": counsellor_user, "ended": trainer_user}[who]()
        if who == "ended":
            assign(record.pathway, user, "trainer", ends_on=local_today() - timedelta(days=1))
        login_as(user)
    url = _fill(record, goal, action, path)
    before = count(Goal), count(SupportAction), count(Barrier), count(SkillAssessment)
    if method == "get":
        response = client.get(url)
    else:
        body = {_fill(record, goal, action, k): v for k, v in data.items()}
        body["csrf_token"] = token()
        response = client.post(url, data=body)
    assert response.status_code == 404
    assert (count(Goal), count(SupportAction), count(Barrier), count(SkillAssessment)) == before
    refused = _db.session.scalars(
        sa.select(RecordRead).where(
            RecordRead.pathway_id == record.pathway.id, RecordRead.outcome == "refused"
        )
    ).all()
    if who == "anonymous":
        # Someone not logged in is counted (one counter per record and day), never journaled
        # one by one: a flood of them would push the team's attempts out of the member's view.
        assert refused == []
        counted = sa.select(AnonymousAttempts.attempts).where(
            AnonymousAttempts.pathway_id == record.pathway.id
        )
        assert _db.session.scalar(counted) == 1
    else:
        assert len(refused) == 1


@pytest.mark.parametrize(
    "who, path",
    [
        ("member", "/integration/{id}/goals"),
        ("trainer", "/integration/{id}/goals"),
        ("member", "/integration/{id}/actions"),
        ("counsellor", "/integration/{id}/skills"),
        ("trainer", "/integration/{id}/barriers"),
        ("member", "/integration/{id}/barriers"),
    ],
)
def test_readers_without_the_right_get_403(record, client, login_as, token, who, path):
    user = {
        "member": record.member.user,
        "trainer": record.trainer,
        "counsellor": record.counsellor,
    }[who]
    login_as(user)
    url = path.replace("{id}", str(record.pathway.id))
    response = client.post(url, data={"csrf_token": token(), "title": "x"})
    assert response.status_code == 403
    assert count(Goal) == 0 and count(Barrier) == 0


def test_add_goal_through_htmx_and_without(record, client, login_as, token):
    login_as(record.counsellor)
    url = f"/integration/{record.pathway.id}/goals"
    response = client.post(url, data={"csrf_token": token(), "title": "Learn French"}, headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<section") and "Learn French" in html
    response = client.post(url, data={"csrf_token": token(), "title": "Second"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/integration/{record.pathway.id}")
    assert count(Goal) == 2


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Please fill this in."),
        ({"title": "x" * 201}, "too long"),
        ({"title": "Fine", "target_on": "yesterday"}, "Give a date"),
        ({"title": "Fine", "target_on": "2020-01-01"}, "before the start"),
    ],
)
def test_bad_goal_input_gives_the_form_back(record, client, login_as, token, data, message):
    login_as(record.counsellor)
    response = client.post(
        f"/integration/{record.pathway.id}/goals",
        data={"csrf_token": token(), **data},
        headers=HX,
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Goal) == 0
    # The read is journaled all the same.
    assert _db.session.scalar(
        sa.select(sa.func.count()).where(
            RecordRead.pathway_id == record.pathway.id, RecordRead.outcome == "allowed"
        )
    )


def test_script_in_text_is_shown_as_text(record, client, login_as, token):
    login_as(record.counsellor)
    response = client.post(
        f"/integration/{record.pathway.id}/goals",
        data={"csrf_token": token(), "title": "<script>alert(1)</script>"},
        headers=HX,
    )
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_goal_of_another_pathway_is_404(record, client, login_as, token):
    other = make_pathway(member_with_login(), entry_on=ENTRY)
    assign(other, record.counsellor, "counsellor")
    foreign = content.add_goal(record.counsellor, other, "Not yours")
    login_as(record.counsellor)
    for suffix in ("", "/status"):
        response = client.post(
            f"/integration/{record.pathway.id}/goals/{foreign.id}{suffix}",
            data={
                "csrf_token": token(),
                f"goal-{foreign.id}-status-status": "reached",
                f"goal-{foreign.id}-edit-title": "Changed",
            },
        )
        assert response.status_code == 404
    _db.session.refresh(foreign)
    assert foreign.status == "planned" and foreign.title == "Not yours"


def test_goal_status_route(record, client, login_as, token):
    goal = content.add_goal(record.counsellor, record.pathway, "Goal")
    login_as(record.counsellor)
    url = f"/integration/{record.pathway.id}/goals/{goal.id}/status"
    prefix = f"goal-{goal.id}-status-"
    same = client.post(url, data={"csrf_token": token(), prefix + "status": "planned"}, headers=HX)
    assert same.status_code == 422 and "already has this status" in same.get_data(as_text=True)
    wrong = client.post(url, data={"csrf_token": token(), prefix + "status": "zzz"}, headers=HX)
    assert wrong.status_code == 422
    done = client.post(
        url,
        data={"csrf_token": token(), prefix + "status": "reached", prefix + "note": "Yes"},
        headers=HX,
    )
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert "<details>" in html and "History of this goal" in html
    assert count(GoalEvent) == 2


@pytest.mark.parametrize(
    "data, status",
    [
        ({"happened_on": "2026-02-01", "kind": "coaching", "hours": "1", "minutes": "30"}, 200),
        ({"happened_on": "2026-02-01", "kind": "coaching"}, 422),  # no time
        ({"happened_on": "2026-02-01", "kind": "coaching", "hours": "25"}, 422),
        ({"happened_on": "2026-02-01", "kind": "coaching", "minutes": "abc"}, 422),
        ({"happened_on": "2026-02-01", "kind": "coaching", "minutes": "99999999999999"}, 422),
        ({"happened_on": "2026-02-01", "kind": "coaching", "minutes": "²"}, 422),
        ({"happened_on": "2999-01-01", "kind": "coaching", "minutes": "30"}, 422),
        ({"happened_on": "2026-02-01", "kind": "<script>", "minutes": "30"}, 422),
        ({"kind": "coaching", "minutes": "30"}, 422),
    ],
)
def test_action_route_input(record, client, login_as, token, data, status):
    login_as(record.trainer)
    response = client.post(
        f"/integration/{record.pathway.id}/actions",
        data={"csrf_token": token(), **data},
        headers=HX,
    )
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert count(SupportAction) == (1 if status == 200 else 0)
    if status == 200:
        assert _db.session.scalar(sa.select(SupportAction.minutes)) == 90
        assert "1 h 30 min" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "hours, minutes, message",
    [
        ("-3", "200", "Give a number of hours from 0 to 24."),  # once saved as 20 minutes
        ("1", "-10", "Give a number of minutes from 0 to 1440."),
        ("", "-30", "Give a number of minutes from 0 to 1440."),
        ("24", "1", "The time must be between 1 minute and 24 hours."),
        ("0", "0", "The time must be between 1 minute and 24 hours."),
    ],
)
def test_action_time_out_of_range_is_refused(
    record, client, login_as, token, hours, minutes, message
):
    login_as(record.trainer)
    data = {"happened_on": "2026-02-01", "kind": "coaching", "hours": hours, "minutes": minutes}
    for url in (
        f"/integration/{record.pathway.id}/actions",
        f"/integration/{record.pathway.id}/actions/"
        f"{content.add_support_action(record.trainer, record.pathway, ENTRY, 'coaching', 30).id}",
    ):
        if url.endswith("/actions"):
            body = {"csrf_token": token(), **data}
        else:
            p = f"action-{url.rsplit('/', 1)[1]}-"
            body = {"csrf_token": token(), **{p + k: v for k, v in data.items()}}
        response = client.post(url, data=body, headers=HX)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert _db.session.scalars(sa.select(SupportAction.minutes)).all() == [30]


def test_correct_action_route(record, client, login_as, token):
    action = content.add_support_action(record.trainer, record.pathway, ENTRY, "coaching", 30)
    url = f"/integration/{record.pathway.id}/actions/{action.id}"
    p = f"action-{action.id}-"
    login_as(record.counsellor)  # in the team but not the author
    assert client.post(url, data={"csrf_token": token(), p + "minutes": "40"}).status_code == 403
    with client.session_transaction() as session:
        session.clear()
    login_as(record.trainer)
    response = client.post(
        url,
        data={
            "csrf_token": token(),
            p + "happened_on": ENTRY.isoformat(),
            p + "kind": "coaching",
            p + "minutes": "45",
        },
    )
    assert response.status_code == 303
    _db.session.refresh(action)
    assert action.minutes == 45


def test_assess_route(record, client, login_as, token):
    login_as(record.trainer)
    url = f"/integration/{record.pathway.id}/skills"
    base = {"csrf_token": token(), "level": "3", "assessed_on": "2026-02-01"}
    for skill in ("", "abc", "999999", str(2**40)):
        response = client.post(url, data={**base, "skill": skill}, headers=HX)
        assert response.status_code == 422
    assert (
        client.post(
            url, data={**base, "skill": str(record.skill.id), "level": "9"}, headers=HX
        ).status_code
        == 422
    )
    assert count(SkillAssessment) == 0
    response = client.post(url, data={**base, "skill": str(record.skill.id)}, headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "On my own" in html  # the level in words
    assert count(SkillAssessment) == 1


def test_barrier_route(record, client, login_as, token):
    login_as(record.counsellor)
    url = f"/integration/{record.pathway.id}/barriers"
    bad = client.post(
        url,
        data={"csrf_token": token(), "barrier-kind": "weather", "barrier-status": "present"},
        headers=HX,
    )
    assert bad.status_code == 422 and count(Barrier) == 0
    long = client.post(
        url,
        data={
            "csrf_token": token(),
            "barrier-kind": "money",
            "barrier-status": "present",
            "barrier-note": "x" * 2001,
        },
        headers=HX,
    )
    assert long.status_code == 422 and count(Barrier) == 0
    good = client.post(
        url,
        data={
            "csrf_token": token(),
            "barrier-kind": "money",
            "barrier-status": "present",
            "barrier-note": "Debts",
        },
        headers=HX,
    )
    assert good.status_code == 200 and "Debts" in good.get_data(as_text=True)
    assert count(Barrier) == 1


def test_break_glass_reader_sees_no_forms(record, client, login_as, token):
    admin = admin_user()
    journal.record_read(
        admin,
        record.pathway.id,
        ReadKind.PAGE,
        "break-glass",
        ReadOutcome.BREAK_GLASS,
        "Complaint to check",
    )
    login_as(admin)
    html = client.get(f"/integration/{record.pathway.id}/goals").get_data(as_text=True)
    assert "Goals" in html and "Add a goal" not in html
    response = client.post(
        f"/integration/{record.pathway.id}/goals", data={"csrf_token": token(), "title": "x"}
    )
    assert response.status_code == 403 and count(Goal) == 0


# --- Page cost -----------------------------------------------------------------------------------


def _grow(record, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        goal = content.add_goal(record.counsellor, record.pathway, f"Goal {i}")
        content.change_goal_status(record.counsellor, goal, "in_progress", "")
        content.add_support_action(record.trainer, record.pathway, ENTRY, "coaching", 30)
        skill = Skill(area=f"Area {i % 3}", name=f"Skill {i}")
        _db.session.add(skill)
        _db.session.flush()
        content.assess_skill(record.trainer, record.pathway, skill, 1 + i % 4, ENTRY, "")
        content.assess_skill(record.trainer, record.pathway, skill, 4, ENTRY, "")
    kinds = ["housing", "mobility", "health", "childcare", "money", "language", "digital"]
    for kind in kinds[start : start + n]:
        content.set_barrier(record.counsellor, record.pathway, kind, "present", "")


@pytest.mark.parametrize("who", ["counsellor", "trainer", "member"])
def test_record_page_cost_does_not_grow(record, client, login_as, who):
    from portal.integration import sections

    user = {
        "counsellor": record.counsellor,
        "trainer": record.trainer,
        "member": record.member.user,
    }[who]
    login_as(user)
    paths = [f"/integration/{record.pathway.id}/{name}" for name in ("goals", "actions", "skills")]
    if who != "trainer":
        paths.append(f"/integration/{record.pathway.id}/barriers")
    if any(s.name == "goals" for s in sections.PAGE_SECTIONS):
        paths.append(f"/integration/{record.pathway.id}")
    _grow(record, 2)
    for path in paths:
        client.get(path)
    small = {path: count_statements(_db, client, path) for path in paths}
    _grow(record, 38, start=2)
    large = {path: count_statements(_db, client, path) for path in paths}
    assert large == small


def test_skills_table_groups_areas_and_says_levels_in_words(record, client, login_as):
    life = Skill(area="Life", name="Reads a timetable")
    _db.session.add(life)
    _db.session.flush()
    content.assess_skill(record.trainer, record.pathway, record.skill, 1, ENTRY, "")
    content.assess_skill(record.trainer, record.pathway, record.skill, 3, date(2026, 2, 2), "")
    login_as(record.member.user)
    html = client.get(f"/integration/{record.pathway.id}/skills").get_data(as_text=True)
    assert html.count('scope="rowgroup"') == 2 and html.count("<tbody>") == 2
    assert "1 – Not yet" in html and "3 – On my own" in html and "Up 2 steps" in html
    assert "Not assessed yet" in html  # the Life skill
