"""Settings of integration records: the skills referential and the exit outcomes."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db as _db
from portal.integration import content, settings
from portal.integration.models import ExitOutcome, Skill
from tests.factories_integration import assign, make_pathway, outcome
from tests.factories_members import (
    admin_user,
    board_user,
    counsellor_user,
    member_with_login,
    trainer_user,
)


def audits(prefix: str) -> list[AuditEntry]:
    return list(
        _db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like(prefix + "%")))
    )


def skills() -> list[Skill]:
    return list(_db.session.scalars(sa.select(Skill).order_by(Skill.area, Skill.sort_order)))


# --- Skills: services ----------------------------------------------------------------------------


def test_add_rename_and_order_skills(db):
    admin = admin_user()
    first = settings.add_skill(admin, " Work ", "Arrives  on time", "")
    second = settings.add_skill(admin, "Work", "Uses the machines", "")
    other = settings.add_skill(counsellor_user(), "Life", "Reads a timetable", "")
    assert first.name == "Arrives on time" and first.area == "Work"
    assert (first.sort_order, second.sort_order, other.sort_order) == (0, 1, 0)
    assert settings.move_skill(admin, second, "up")
    assert [s.name for s in skills() if s.area == "Work"] == [
        "Uses the machines",
        "Arrives on time",
    ]
    assert not settings.move_skill(admin, second, "up")  # already first
    assert settings.edit_skill(admin, first, "Life", "Arrives on time", "At 8") == [
        "area",
        "description",
    ]
    assert [s.name for s in skills() if s.area == "Life"] == [
        "Reads a timetable",
        "Arrives on time",
    ]
    assert len(audits("integration.add_skill")) == 3
    assert json.loads(audits("integration.edit_skill")[0].details)["fields"] == [
        "area",
        "description",
    ]


@pytest.mark.parametrize(
    "area, name, description, field",
    [
        ("", "", "", "name"),
        ("", "   ", "", "name"),
        ("x" * 81, "Fine", "", "area"),
        ("", "x" * 121, "", "name"),
        ("", "Fine", "x" * 301, "description"),
        ("work", "ARRIVES ON TIME", "", "name"),  # the same, whatever the case
    ],
)
def test_add_skill_refuses_bad_input(db, area, name, description, field):
    admin = admin_user()
    settings.add_skill(admin, "Work", "Arrives on time")
    with pytest.raises(DomainError) as refused:
        settings.add_skill(admin, area, name, description)
    assert refused.value.field == field
    assert len(skills()) == 1


@pytest.mark.parametrize("maker", [trainer_user, board_user, member_with_login])
def test_only_admins_and_counsellors_configure(db, maker):
    made = maker()
    user = getattr(made, "user", made)
    with pytest.raises(NotAllowed):
        settings.add_skill(user, "", "Skill")
    with pytest.raises(NotAllowed):
        settings.add_outcome(user, "New", True)
    assert skills() == []


def test_a_used_skill_is_deactivated_never_deleted(db):
    admin = admin_user()
    used = settings.add_skill(admin, "", "Used")
    unused = settings.add_skill(admin, "", "Unused")
    pathway = make_pathway(member_with_login(), entry_on=date(2026, 1, 5))
    trainer = trainer_user()
    assign(pathway, trainer, "trainer")
    content.assess_skill(trainer, pathway, used, 2, date(2026, 1, 6), "")
    with pytest.raises(DomainError):
        settings.delete_skill(admin, used)
    settings.set_skill_active(admin, used, False)
    with pytest.raises(DomainError):
        settings.set_skill_active(admin, used, False)
    settings.delete_skill(admin, unused)
    assert [s.name for s in skills()] == ["Used"] and not skills()[0].active
    # It stays on the record assessed on it, and leaves the choices.
    grid = content.skills_grid(pathway)
    assert [row.skill.name for row in grid] == ["Used"]
    assert settings.active_skills() == []
    assert {e.action for e in audits("integration.")} >= {
        "integration.deactivate_skill",
        "integration.delete_skill",
    }


# --- Outcomes: services --------------------------------------------------------------------------


def test_default_outcomes_show_their_translated_title(db):
    rows = settings.outcomes_with_use()
    assert [o.code for o, _ in rows][:2] == ["long_term_job", "short_term_job"]
    assert rows[0][0].title == "Long-term job"


def test_rename_a_default_outcome_and_back(db):
    admin = admin_user()
    job = outcome("long_term_job")
    assert settings.edit_outcome(admin, job, "Permanent job", True) == ["name"]
    assert job.title == "Permanent job"
    assert settings.edit_outcome(admin, job, "  ", False) == ["name", "positive"]
    assert job.name is None and job.title == "Long-term job" and not job.positive
    with pytest.raises(DomainError):
        settings.edit_outcome(admin, job, "", False)  # nothing changed
    with pytest.raises(DomainError) as taken:
        settings.edit_outcome(admin, job, "training", False)  # another's title
    assert taken.value.field == "name"


def test_add_move_and_deactivate_outcomes(db):
    admin = admin_user()
    new = settings.add_outcome(admin, "Started a business", True)
    assert new.code.startswith("custom_") and new.positive and new.active
    codes = [o.code for o, _ in settings.outcomes_with_use()]
    assert codes[-1] == new.code
    assert settings.move_outcome(admin, new, "up")
    codes = [o.code for o, _ in settings.outcomes_with_use()]
    assert codes[-2] == new.code
    with pytest.raises(DomainError):
        settings.add_outcome(admin, "", False)
    with pytest.raises(DomainError):
        settings.add_outcome(admin, "x" * 81, False)
    with pytest.raises(DomainError):
        settings.add_outcome(admin, "started a BUSINESS", False)
    with pytest.raises(DomainError):  # a custom outcome needs its name
        settings.edit_outcome(admin, new, "", True)
    settings.set_outcome_active(admin, new, False)
    assert not new.active
    entry = audits("integration.add_outcome")[0]
    assert entry.object_key == f"outcome:{new.id}"


def test_the_last_outcome_offered_stays(db):
    admin = admin_user()
    everything = _db.session.scalars(sa.select(ExitOutcome)).all()
    for item in everything[1:]:
        settings.set_outcome_active(admin, item, False)
    with pytest.raises(DomainError):
        settings.set_outcome_active(admin, everything[0], False)
    assert everything[0].active


# --- Views ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/integration/settings/skills", "/integration/settings/outcomes"])
@pytest.mark.parametrize("who", ["anonymous", "trainer", "board", "member"])
def test_settings_do_not_exist_for_others(client, login_as, token, path, who):
    if who != "anonymous":
        made = {"trainer": trainer_user, "board": board_user, "member": member_with_login}[who]()
        login_as(getattr(made, "user", made))
    assert client.get(path).status_code == 404
    response = client.post(path, data={"csrf_token": token(), "name": "New"})
    assert response.status_code == 404
    assert skills() == []
    assert (
        _db.session.scalar(sa.select(sa.func.count()).where(ExitOutcome.code.like("custom_%"))) == 0
    )


def test_skill_pages(client, login_as, token):
    login_as(counsellor_user())
    page = client.get("/integration/settings/skills")
    assert page.status_code == 200 and "Add a skill" in page.get_data(as_text=True)
    added = client.post(
        "/integration/settings/skills",
        data={"csrf_token": token(), "area": "Work", "name": "Arrives on time"},
    )
    assert added.status_code == 303
    (skill,) = skills()
    empty = client.post("/integration/settings/skills", data={"csrf_token": token(), "name": ""})
    assert empty.status_code == 422 and "Please fill this in." in empty.get_data(as_text=True)
    twice = client.post(
        "/integration/settings/skills",
        data={"csrf_token": token(), "area": "Work", "name": "arrives on time"},
    )
    assert twice.status_code == 422 and len(skills()) == 1
    script = client.post(
        f"/integration/settings/skills/{skill.id}",
        data={"csrf_token": token(), f"skill-{skill.id}-name": "<script>x</script>"},
    )
    assert script.status_code == 303
    html = client.get("/integration/settings/skills").get_data(as_text=True)
    assert "<script>x" not in html and "&lt;script&gt;x" in html
    assert (
        client.post(
            f"/integration/settings/skills/{skill.id}/move",
            data={"csrf_token": token(), "direction": "sideways"},
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/integration/settings/skills/{skill.id}/use",
            data={"csrf_token": token(), "active": "0"},
        ).status_code
        == 303
    )
    _db.session.refresh(skill)
    assert not skill.active
    assert (
        client.post(
            "/integration/settings/skills/999999/use", data={"csrf_token": token(), "active": "1"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/integration/settings/skills/{skill.id}/delete", data={"csrf_token": token()}
        ).status_code
        == 303
    )
    assert skills() == []


def test_outcome_pages(client, login_as, token):
    login_as(admin_user())
    page = client.get("/integration/settings/outcomes")
    assert page.status_code == 200 and "Long-term job" in page.get_data(as_text=True)
    job = outcome("long_term_job")
    renamed = client.post(
        f"/integration/settings/outcomes/{job.id}",
        data={"csrf_token": token(), f"outcome-{job.id}-name": "Permanent job"},
    )  # the box unticked: no longer positive
    assert renamed.status_code == 303
    _db.session.refresh(job)
    assert job.name == "Permanent job" and not job.positive
    too_long = client.post(
        f"/integration/settings/outcomes/{job.id}",
        data={"csrf_token": token(), f"outcome-{job.id}-name": "x" * 81},
    )
    assert too_long.status_code == 422
    added = client.post(
        "/integration/settings/outcomes",
        data={"csrf_token": token(), "name": "Started a business", "positive": "y"},
    )
    assert added.status_code == 303
    new = _db.session.scalar(sa.select(ExitOutcome).where(ExitOutcome.name == "Started a business"))
    assert new is not None and new.positive
    assert (
        client.post(
            f"/integration/settings/outcomes/{new.id}/use",
            data={"csrf_token": token(), "active": "maybe"},
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/integration/settings/outcomes/{new.id}/move",
            data={"csrf_token": token(), "direction": "up"},
        ).status_code
        == 303
    )
