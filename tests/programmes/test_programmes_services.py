"""Programme services: set-up, trainers, outcomes, states, enrolment (one, team, body),
withdrawal, invitations in each member's language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.core.errors import DomainError, NotAllowed, NotFound
from portal.core.outbox import OutboxMessage
from portal.extensions import db
from portal.integration.models import Skill
from portal.programmes import services
from portal.programmes.models import Enrolment
from portal.programmes.services import ProgrammeData
from tests.factories_members import (
    board_body,
    board_user,
    counsellor_user,
    make_mandate,
    make_member,
    member_with_login,
    trainer_user,
)
from tests.factories_programmes import enrol, make_programme

START = date(2026, 12, 1)


def data(**fields) -> ProgrammeData:
    values = {
        "kind": "citizenship",
        "title": "Taking part in meetings",
        "summary": "How a meeting works, and how to vote.",
        "starts_on": START,
        "ends_on": date(2027, 3, 31),
        "planned_hours": Decimal("24"),
    }
    values.update(fields)
    return ProgrammeData(**values)


def mails() -> dict[str, OutboxMessage]:
    return {m.to_address: m for m in db.session.scalars(sa.select(OutboxMessage))}


def admitted(**kwargs):
    return make_member(admitted_on=date(2025, 2, 3), **kwargs)


# --- Set-up -----------------------------------------------------------------------------------


def test_a_trainer_who_creates_a_programme_is_named_its_trainer(db, story_day):
    trainer = trainer_user()
    programme = services.create_programme(trainer, data())
    assert programme.state == "planned"
    assert programme.trainer_ids == {trainer.id}


def test_the_board_names_trainers_and_outcomes(db, story_day):
    board, ana, ben = board_user(), trainer_user(), trainer_user()
    skill = Skill(area="Work", name="Speaks in a meeting")
    old = Skill(area="Work", name="Old skill", active=False)
    db.session.add_all([skill, old])
    db.session.flush()
    programme = services.create_programme(
        board, data(trainer_ids=[ana.id, ben.id], outcome_ids=[skill.id])
    )
    assert programme.trainer_ids == {ana.id, ben.id}
    assert [o.skill_id for o in programme.outcomes] == [skill.id]
    with pytest.raises(DomainError) as refused:
        services.create_programme(board, data(outcome_ids=[old.id]))
    assert refused.value.field == "outcome_ids"
    with pytest.raises(DomainError) as refused:
        services.create_programme(board, data(trainer_ids=[counsellor_user().id]))
    assert refused.value.field == "trainer_ids"


def test_only_those_who_name_trainers_change_them(db, story_day):
    trainer, other = trainer_user(), trainer_user()
    programme = services.create_programme(trainer, data())
    with pytest.raises(NotAllowed):
        services.update_programme(trainer, programme, data(trainer_ids=[other.id]))
    # Without trainer_ids, the trainer changes the rest.
    assert services.update_programme(trainer, programme, data(title="New title")) == ["title"]
    changed = services.update_programme(
        board_user(), programme, data(title="New title", trainer_ids=[trainer.id, other.id])
    )
    assert changed == ["trainers"]
    assert programme.trainer_ids == {trainer.id, other.id}


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"kind": "cooking"}, "kind", "kind of programme"),
        ({"title": "  "}, "title", "title"),
        ({"starts_on": None}, "starts_on", "starts"),
        ({"ends_on": date(2026, 11, 1)}, "ends_on", "after the start"),
        ({"planned_hours": Decimal("0")}, "planned_hours", "hours"),
        ({"title": "x" * 201}, "title", "too long"),
    ],
)
def test_bad_programme_input_is_refused_with_a_message(db, story_day, fields, field, words):
    with pytest.raises(DomainError) as refused:
        services.create_programme(board_user(), data(**fields))
    assert refused.value.field == field
    assert words in str(refused.value.message)


def test_a_plain_member_cannot_create_a_programme(db, story_day):
    with pytest.raises(NotAllowed):
        services.create_programme(member_with_login().user, data())


# --- States ------------------------------------------------------------------------------------


def test_states_planned_running_finished_and_cancel_needs_a_reason(db, story_day):
    trainer = trainer_user()
    programme = services.create_programme(trainer, data())
    services.transition_programme(trainer, programme, "start")
    assert programme.state == "running"
    with pytest.raises(DomainError) as refused:
        services.transition_programme(trainer, programme, "cancel", "")
    assert refused.value.field == "comment"
    services.transition_programme(trainer, programme, "finish")
    assert programme.state == "finished"
    with pytest.raises(NotAllowed):  # running it again is the board's
        services.transition_programme(trainer, programme, "reopen")
    services.transition_programme(board_user(), programme, "reopen")
    services.transition_programme(trainer, programme, "cancel", "No room any more")
    assert programme.state == "cancelled"
    assert services.cancel_reason(programme) == "No room any more"
    with pytest.raises(DomainError):
        services.transition_programme(trainer, programme, "start")


# --- Enrolment ---------------------------------------------------------------------------------


def test_enrol_one_member_twice_names_them(db, story_day):
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=START)
    ada = admitted(given="Ada", family="Martin")
    result = services.enrol_member(trainer, programme, ada.id)
    assert [m.id for m in result.added] == [ada.id]
    with pytest.raises(DomainError) as refused:
        services.enrol_member(trainer, programme, ada.id)
    assert str(refused.value.message) == "Ada Martin is already enrolled."
    assert refused.value.field == "member_id"


def test_enrol_refuses_unknown_and_inactive_members(db, story_day):
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=START)
    with pytest.raises(DomainError):
        services.enrol_member(trainer, programme, 999_999)
    applicant = make_member(given="Cleo", family="New")  # not admitted
    with pytest.raises(DomainError) as refused:
        services.enrol_member(trainer, programme, applicant.id)
    assert "Cleo New" in str(refused.value.message)


def test_enrol_a_team_skips_and_reports_those_already_enrolled(db, story_day):
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=START)
    ada = admitted(given="Ada", family="A", team="Kitchen")
    bob = admitted(given="Bob", family="B", team="Kitchen")
    admitted(given="Eve", family="E", team="Garden")
    enrol(programme, ada)
    result = services.enrol_team(trainer, programme, "Kitchen")
    assert [m.id for m in result.added] == [bob.id]
    assert [m.id for m in result.already] == [ada.id]
    with pytest.raises(DomainError) as refused:
        services.enrol_team(trainer, programme, "Nobody's team")
    assert refused.value.field == "team"


def test_enrol_a_body_takes_its_current_members(db, story_day):
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=START)
    ada = admitted(given="Ada", family="A")
    bob = admitted(given="Bob", family="B")
    admitted(given="Eve", family="E")  # not on the board
    make_mandate(ada, board_body(), starts_on=date(2026, 1, 1))
    make_mandate(bob, board_body(), starts_on=date(2026, 1, 1))
    enrol(programme, bob)
    result = services.enrol_body(trainer, programme, board_body().id)
    assert [m.id for m in result.added] == [ada.id]
    assert [m.id for m in result.already] == [bob.id]


def test_withdraw_and_enrol_again(db, story_day):
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=START)
    ada = admitted(given="Ada", family="A")
    row = services.enrol_member(trainer, programme, ada.id)
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.member_id == ada.id))
    services.withdraw(trainer, programme, enrolment.id)
    assert enrolment.withdrawn_on == story_day
    with pytest.raises(DomainError):
        services.withdraw(trainer, programme, enrolment.id)
    other = make_programme(trainer, starts_on=START)
    with pytest.raises(NotFound):
        services.withdraw(trainer, other, enrolment.id)
    again = services.enrol_member(trainer, programme, ada.id)
    assert again.added and row.added
    assert enrolment.withdrawn_on is None


def test_who_may_enrol(db, story_day):
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=START)
    ada = admitted(given="Ada", family="A")
    for outsider in (counsellor_user(), trainer_user(), member_with_login().user):
        with pytest.raises(NotAllowed):
            services.enrol_member(outsider, programme, ada.id)
    services.enrol_member(board_user(), programme, ada.id)


def test_invitations_go_to_those_with_an_address_in_their_language(db, story_day):
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=START, title="Votes", team="Kitchen")
    admitted(
        given="Ada", family="A", team="Kitchen", email="ada@example.org", preferred_language="fr"
    )
    admitted(
        given="Bob", family="B", team="Kitchen", email="bob@example.org", preferred_language="en"
    )
    paper = admitted(given="Eve", family="E", team="Kitchen")
    result = services.enrol_team(
        trainer, programme, "Kitchen", link=lambda p: f"https://portal/p/{p.id}"
    )
    assert result.emailed == 2
    assert [m.id for m in result.on_paper] == [paper.id]
    sent = mails()
    assert set(sent) == {"ada@example.org", "bob@example.org"}
    assert "Bonjour Ada" in sent["ada@example.org"].body_text
    assert sent["bob@example.org"].subject == "You are enrolled: Votes"
    assert f"https://portal/p/{programme.id}" in sent["bob@example.org"].body_text
    rows = {
        e.member_id: e
        for e in db.session.scalars(
            sa.select(Enrolment).where(Enrolment.programme_id == programme.id)
        )
    }
    assert rows[paper.id].invited_at is None
    assert sum(1 for r in rows.values() if r.invited_at) == 2


def test_a_trainer_who_lost_the_role_may_stay_named(db, story_day):
    board, ana = board_user(), trainer_user()
    programme = services.create_programme(board, data(trainer_ids=[ana.id]))
    ana.role_grants.clear()
    db.session.flush()
    assert services.update_programme(board, programme, data(trainer_ids=[ana.id])) == []
    assert services.update_programme(board, programme, data(title="Again", trainer_ids=[ana.id]))
    with pytest.raises(DomainError):  # but cannot be named on another programme
        services.create_programme(board, data(trainer_ids=[ana.id]))
