"""Evidence: the trainer confirms each learning outcome for each participant who came, on the
four-step scale or "not yet"; a confirmed level is a dated assessment in the pathway."""

from __future__ import annotations

from datetime import date, time

import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.integration.models import Skill, SkillAssessment
from portal.programmes.models import Evidence, ProgrammeOutcome
from tests.clock import frozen_at
from tests.conftest import csrf_token
from tests.factories_integration import assign, make_pathway
from tests.factories_members import board_user, counsellor_user, member_with_login, trainer_user
from tests.factories_programmes import enrol, make_programme, make_session, mark

DAY = date(2026, 12, 4)


def _story():
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=date(2026, 11, 2))
    speaks = Skill(area="Together", name="Speaks in a meeting")
    votes = Skill(area="Together", name="Votes")
    db.session.add_all([speaks, votes])
    db.session.flush()
    for skill in (speaks, votes):
        db.session.add(ProgrammeOutcome(programme_id=programme.id, skill_id=skill.id))
    db.session.flush()
    db.session.expire(programme, ["outcomes"])
    session = make_session(programme, day=DAY, topic="Voting")
    ada, bob, cleo = (member_with_login(given=n) for n in ("Ada", "Bob", "Cleo"))
    for person in (ada, bob, cleo):
        enrol(programme, person)
    mark(session.slots[0], ada, "present")
    mark(session.slots[0], bob, "late", minutes=120)
    mark(session.slots[0], cleo, "absent")
    pathway = make_pathway(ada, entry_on=date(2026, 1, 5))
    return trainer, programme, session, (speaks, votes), (ada, bob, cleo), pathway


def _post(client, session, answers):
    url = f"/programmes/sessions/{session.id}/evidence"
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **answers})


def test_the_screen_lists_those_who_came_and_the_scale(db, client, login_as):
    trainer, _programme, session, _skills, _people, _pathway = _story()
    with frozen_at(DAY, time(12, 30)):
        login_as(trainer)
        html = client.get(f"/programmes/sessions/{session.id}/evidence").get_data(as_text=True)
    assert "Ada" in html and "Bob" in html and "Cleo" not in html
    assert "Speaks in a meeting" in html and "Votes" in html
    for title in ("Not yet", "With help", "On my own", "Can show others", "Not yet confirmed"):
        assert title in html


def test_a_confirmed_level_goes_to_the_pathway_and_its_history_is_kept(db, client, login_as):
    trainer, _programme, session, (speaks, votes), (ada, bob, _cleo), pathway = _story()
    with frozen_at(DAY, time(12, 30)):
        login_as(trainer)
        response = _post(
            client,
            session,
            {
                f"ev-{ada.id}-{speaks.id}": "3",
                f"ev-{bob.id}-{speaks.id}": "none",
                f"ev-{bob.id}-{votes.id}": "2",
                f"ev-{ada.id}-{votes.id}": "",
            },
        )
        assert response.status_code == 303
    rows = {(e.member_id, e.skill_id): e for e in db.session.scalars(sa.select(Evidence))}
    assert rows[(ada.id, speaks.id)].level == 3
    assert rows[(bob.id, speaks.id)].level is None  # not yet: no assessment
    assert rows[(bob.id, votes.id)].level == 2  # Bob has no pathway: evidence only
    assert rows[(bob.id, votes.id)].assessment_id is None
    assert (ada.id, votes.id) not in rows  # left as it was
    (assessment,) = db.session.scalars(sa.select(SkillAssessment)).all()
    assert (assessment.pathway_id, assessment.skill_id, assessment.level) == (
        pathway.id,
        speaks.id,
        3,
    )
    assert assessment.assessed_on == DAY and assessment.assessed_by_id == trainer.id
    assert assessment.note == "From the session “Voting” on December 4, 2026"
    assert rows[(ada.id, speaks.id)].assessment_id == assessment.id
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "programmes.confirm_evidence")
    ).one()
    assert "Voting" not in str(entry.details)  # ids only

    with frozen_at(date(2026, 12, 5), time(9, 0)):
        login_as(trainer)  # the next morning: a new login
        response = _post(client, session, {f"ev-{ada.id}-{speaks.id}": "4"})
        assert response.status_code == 303
        refused = _post(client, session, {f"ev-{ada.id}-{speaks.id}": "none"})
        assert refused.status_code == 422
        assert "A level was already confirmed for Ada" in refused.get_data(as_text=True)
    levels = db.session.scalars(sa.select(SkillAssessment.level).order_by(SkillAssessment.id)).all()
    assert levels == [3, 4]  # a new assessment; the first one is kept
    db.session.expire_all()
    assert (
        db.session.scalar(
            sa.select(Evidence.level).where(
                Evidence.member_id == ada.id, Evidence.skill_id == speaks.id
            )
        )
        == 4
    )

    # The counsellor reads it in the record's skills, as any assessment.
    counsellor = counsellor_user()
    assign(pathway, counsellor)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(counsellor)
    html = client.get(f"/integration/{pathway.id}").get_data(as_text=True)
    assert "Speaks in a meeting" in html


def test_bad_answers_are_refused_and_nothing_is_kept(db, client, login_as):
    trainer, _programme, session, (speaks, _votes), (ada, _bob, cleo), _pathway = _story()
    with frozen_at(DAY, time(12, 30)):
        login_as(trainer)
        for answers in (
            {f"ev-{ada.id}-{speaks.id}": "5"},
            {f"ev-{cleo.id}-{speaks.id}": "3"},  # Cleo did not come
            {f"ev-{ada.id}-999999": "3"},
            {f"ev-{ada.id}-{speaks.id}": "2", "ev-x-y": "3"},
        ):
            response = _post(client, session, answers)
            assert response.status_code == 422, answers
            assert "Choose one of the answers in the list." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(SkillAssessment.id))) == 0


def test_not_before_the_session_and_only_its_trainers(db, client, login_as):
    trainer, _programme, session, (speaks, _votes), (ada, _bob, _cleo), _pathway = _story()
    url = f"/programmes/sessions/{session.id}/evidence"
    with frozen_at(DAY, time(8, 30)):
        login_as(trainer)
        response = _post(client, session, {f"ev-{ada.id}-{speaks.id}": "3"})
        assert response.status_code == 422
        assert "once the session has begun" in response.get_data(as_text=True)
    with frozen_at(DAY, time(12, 30)):
        for user, status in (
            (board_user(), 403),
            (ada.user, 403),
            (trainer_user(), 404),
        ):
            client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
            login_as(user)
            assert client.get(url).status_code == status
            assert _post(client, session, {f"ev-{ada.id}-{speaks.id}": "3"}).status_code == status
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id))) == 0
