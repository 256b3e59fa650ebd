"""The record's services: opening, details, eligibility, pauses, extensions, team, exit,
break-glass — each rule and each refusal, without HTTP."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.core.audit import AuditEntry
from portal.core.db import local_today
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.integration import policies, services
from portal.integration.models import (
    Assignment,
    Eligibility,
    Pathway,
    PathwayPeriod,
    ReadOutcome,
    RecordRead,
)
from tests.factories_integration import assign, make_pathway, outcome
from tests.factories_members import (
    admin_user,
    board_user,
    counsellor_user,
    member_with_login,
    trainer_user,
    user_with,
)

TODAY = local_today()


def data(**fields) -> services.PathwayData:
    fields.setdefault("entry_on", date(2026, 1, 5))
    return services.PathwayData(**fields)


def refused(field: str | None, call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.field == field, caught.value.message
    return caught.value


def audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture()
def kept(db):
    """A pathway followed by a counsellor (with personal data) and a trainer."""
    ada = member_with_login(given="Ada")
    pathway = make_pathway(ada, planned_end_on=date(2026, 12, 31))
    counsellor, trainer = counsellor_user(), trainer_user()
    assign(pathway, counsellor, "counsellor", personal_data=True)
    assign(pathway, trainer, "trainer")
    return pathway, counsellor, trainer


# --- Opening -------------------------------------------------------------------------------------


def test_a_counsellor_opens_and_follows(db):
    ada = member_with_login()
    counsellor = counsellor_user()
    pathway = services.open_pathway(
        counsellor, ada, data(team="Green", referrer="Job centre", weekly_hours=Decimal(26))
    )
    assert pathway.member_id == ada.id and pathway.team == "Green"
    (row,) = db.session.scalars(sa.select(Assignment).where(Assignment.pathway_id == pathway.id))
    assert (row.user_id, row.role, row.personal_data) == (counsellor.id, "counsellor", True)
    assert row.starts_on == pathway.entry_on and row.ends_on is None
    assert policies.can_edit(counsellor, pathway)
    (entry,) = audits("integration.open")
    assert "Job centre" not in entry.details and "Green" not in entry.details
    # The hash-chained audit log cannot be cleaned at purge: no link to the person.
    assert "member" not in entry.details and str(ada.id) not in entry.summary
    assert json.loads(entry.details) == {"counsellor_id": counsellor.id}


def test_an_admin_names_the_first_counsellor(db):
    ada, admin, counsellor = member_with_login(), admin_user(), counsellor_user()
    refused("counsellor", services.open_pathway, admin, ada, data())
    refused("counsellor", services.open_pathway, admin, ada, data(counsellor=trainer_user()))
    pathway = services.open_pathway(admin, ada, data(counsellor=counsellor))
    assert policies.can_edit(counsellor, pathway)
    assert not policies.can_read(admin, pathway)


def test_only_counsellors_and_admins_open(db):
    ada = member_with_login()
    for user in (board_user(), trainer_user(), ada.user, None):
        with pytest.raises(NotAllowed):
            services.open_pathway(user, ada, data())


def test_one_open_pathway_per_member(db):
    ada, counsellor = member_with_login(), counsellor_user()
    services.open_pathway(counsellor, ada, data())
    refused("member", services.open_pathway, counsellor, ada, data())
    refused("member", services.open_pathway, counsellor, None, data())


def test_a_new_pathway_once_the_last_one_ended(db):
    ada, counsellor = member_with_login(), counsellor_user()
    make_pathway(ada, outcome_code="training")
    assert services.open_pathway(counsellor, ada, data(entry_on=date(2027, 3, 1))).id


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"entry_on": None}, "entry_on"),
        ({"entry_on": date(1990, 1, 1)}, "entry_on"),
        ({"planned_end_on": date(2025, 12, 31)}, "planned_end_on"),
        ({"contract_type": "slavery"}, "contract_type"),
        ({"weekly_hours": Decimal(49)}, "weekly_hours"),
        ({"weekly_hours": Decimal(0)}, "weekly_hours"),
        ({"team": "x" * 81}, "team"),
        ({"referrer": "x" * 201}, "referrer"),
    ],
)
def test_bad_details_are_refused_and_nothing_saved(db, fields, field):
    ada, counsellor = member_with_login(), counsellor_user()
    refused(field, services.open_pathway, counsellor, ada, data(**fields))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Pathway)) == 0


# --- Details -------------------------------------------------------------------------------------


def test_update_details_names_changed_fields_only(kept):
    pathway, counsellor, trainer = kept
    changed = services.update_details(
        counsellor,
        pathway,
        data(
            planned_end_on=date(2026, 12, 31),
            weekly_hours=Decimal(30),
            referrer="Secret referrer",
        ),
    )
    assert sorted(changed) == ["referrer", "weekly_hours"]
    assert pathway.weekly_hours == Decimal(30)
    (entry,) = audits("integration.update")
    assert json.loads(entry.details)["fields"] == ["weekly_hours", "referrer"]
    assert "Secret" not in entry.details + entry.summary
    with pytest.raises(NotAllowed):
        services.update_details(trainer, pathway, data())


# --- Eligibility ---------------------------------------------------------------------------------


def test_eligibility_add_remove_and_expiry(kept):
    pathway, counsellor, trainer = kept
    soon = services.add_eligibility(
        counsellor, pathway, "minimum_income", "File 42", TODAY, TODAY + timedelta(days=10)
    )
    services.add_eligibility(counsellor, pathway, "over_50", "", TODAY, TODAY + timedelta(days=200))
    services.add_eligibility(counsellor, pathway, "disability", "", TODAY, None)
    assert services.expiring_eligibility(pathway) == [soon]
    assert "File 42" not in audits("integration.add_eligibility")[0].details
    refused("criterion", services.add_eligibility, counsellor, pathway, "rich", "", TODAY, None)
    refused(
        "expires_on",
        services.add_eligibility,
        counsellor,
        pathway,
        "over_50",
        "",
        TODAY,
        TODAY - timedelta(days=1),
    )
    refused("checked_on", services.add_eligibility, counsellor, pathway, "over_50", "", None, None)
    refused(
        "detail", services.add_eligibility, counsellor, pathway, "over_50", "x" * 301, TODAY, None
    )
    with pytest.raises(NotAllowed):
        services.add_eligibility(trainer, pathway, "over_50", "", TODAY, None)
    other = make_pathway(member_with_login())
    foreign = Eligibility(pathway_id=other.id, criterion="other", checked_on=TODAY)
    db.session.add(foreign)
    db.session.flush()
    refused(None, services.remove_eligibility, counsellor, pathway, foreign)
    services.remove_eligibility(counsellor, pathway, soon)
    assert services.expiring_eligibility(pathway) == []


# --- Pauses and extensions -----------------------------------------------------------------------


def test_eligibility_needs_access_to_personal_data(kept):
    pathway, counsellor, _ = kept
    plain = counsellor_user()
    assign(pathway, plain, "counsellor")  # keeps the record, without personal data
    with pytest.raises(NotAllowed):
        services.add_eligibility(plain, pathway, "disability", "", TODAY, None)
    row = services.add_eligibility(counsellor, pathway, "disability", "", TODAY, None)
    with pytest.raises(NotAllowed):
        services.remove_eligibility(plain, pathway, row)
    assert db.session.get(Eligibility, row.id) is not None


def test_suspend_and_end_it(kept):
    pathway, counsellor, _ = kept
    assert services.pathway_status(pathway) == "active"
    period = services.suspend(counsellor, pathway, TODAY - timedelta(days=2), None, "Hospital")
    assert services.pathway_status(pathway) == "suspended"
    refused("starts_on", services.suspend, counsellor, pathway, TODAY, None, "Again")
    refused("ends_on", services.end_suspension, counsellor, pathway, period, TODAY - timedelta(3))
    services.end_suspension(counsellor, pathway, period, TODAY - timedelta(days=1))
    assert services.pathway_status(pathway) == "active"
    refused(None, services.end_suspension, counsellor, pathway, period, TODAY)
    assert "Hospital" not in json.dumps([e.details for e in audits("integration.suspend")])


def test_suspend_rules(kept):
    pathway, counsellor, trainer = kept
    refused("reason", services.suspend, counsellor, pathway, TODAY, None, "  ")
    refused("starts_on", services.suspend, counsellor, pathway, date(2025, 1, 1), None, "Why")
    refused("ends_on", services.suspend, counsellor, pathway, TODAY, TODAY - timedelta(1), "Why")
    refused("reason", services.suspend, counsellor, pathway, TODAY, None, "x" * 2001)
    with pytest.raises(NotAllowed):
        services.suspend(trainer, pathway, TODAY, None, "Why")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PathwayPeriod)) == 0


def test_extend_moves_the_planned_end(kept):
    pathway, counsellor, _ = kept
    refused("new_end", services.extend, counsellor, pathway, date(2026, 12, 31), "Same day")
    refused("reason", services.extend, counsellor, pathway, date(2027, 6, 30), "")
    period = services.extend(counsellor, pathway, date(2027, 6, 30), "More training")
    assert pathway.planned_end_on == date(2027, 6, 30)
    assert (period.previous_end_on, period.ends_on) == (date(2026, 12, 31), date(2027, 6, 30))
    assert period.kind == "extension"


# --- Team ----------------------------------------------------------------------------------------


def test_assign_and_end(kept):
    pathway, counsellor, _ = kept
    helper = trainer_user()
    row = services.assign(counsellor, pathway, helper, "trainer", TODAY, None, False)
    assert policies.can_assess(helper, pathway) and not policies.can_read_barriers(helper, pathway)
    refused("user", services.assign, counsellor, pathway, helper, "trainer", TODAY, None, False)
    refused("user", services.assign, counsellor, pathway, helper, "counsellor", TODAY, None, False)
    refused("role", services.assign, counsellor, pathway, helper, "boss", TODAY, None, False)
    refused(
        "ends_on",
        services.assign,
        counsellor,
        pathway,
        trainer_user(),
        "trainer",
        TODAY,
        TODAY - timedelta(1),
        False,
    )
    services.end_assignment(counsellor, pathway, row, TODAY + timedelta(days=5))
    services.end_assignment(counsellor, pathway, row, TODAY)  # earlier: allowed
    assert row.ends_on == TODAY
    refused("ends_on", services.end_assignment, counsellor, pathway, row, TODAY + timedelta(5))


def test_ending_keeps_the_history_and_stops_access(kept):
    pathway, counsellor, trainer = kept
    (row,) = [
        a for a in db.session.scalars(sa.select(Assignment).where(Assignment.user_id == trainer.id))
    ]
    services.end_assignment(counsellor, pathway, row, date(2026, 1, 31))
    policies.forget_cached_assignments()
    assert not policies.can_read(trainer, pathway)
    assert db.session.get(Assignment, row.id).ends_on == date(2026, 1, 31)
    refused("ends_on", services.end_assignment, counsellor, pathway, row, date(2026, 2, 28))
    refused("ends_on", services.end_assignment, counsellor, pathway, row, date(2025, 1, 1))
    # The same person can come back on later days (no overlap).
    services.assign(counsellor, pathway, trainer, "trainer", date(2026, 3, 1), None, False)


def test_admin_manages_the_team_without_reading(kept):
    pathway, _, trainer = kept
    admin = admin_user()
    services.assign(admin, pathway, counsellor_user(), "counsellor", TODAY, None, True)
    with pytest.raises(NotAllowed):
        services.assign(trainer, pathway, trainer_user(), "trainer", TODAY, None, False)
    with pytest.raises(NotAllowed):
        services.assign(board_user(), pathway, trainer_user(), "trainer", TODAY, None, False)


def test_nobody_assigns_themself(kept):
    pathway, counsellor, _ = kept
    both = user_with(Role.ADMIN, Role.COUNSELLOR)
    # An administrator holding the counsellor role cannot take the record with personal data
    # (that would skip break-glass), nor without it.
    refused("user", services.assign, both, pathway, both, "counsellor", TODAY, None, True)
    refused("user", services.assign, both, pathway, both, "counsellor", TODAY, None, False)
    assert not policies.can_read(both, pathway)
    # A counsellor may end their own assignment, but not come back by themself.
    (own,) = db.session.scalars(sa.select(Assignment).where(Assignment.user_id == counsellor.id))
    services.end_assignment(counsellor, pathway, own, TODAY)
    refused(
        "user",
        services.assign,
        counsellor,
        pathway,
        counsellor,
        "counsellor",
        TODAY + timedelta(1),
        None,
        True,
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Assignment)
            .where(Assignment.user_id.in_([counsellor.id, both.id]))
        )
        == 1
    )


def test_personal_data_access_is_given_only_by_who_may(kept):
    pathway, counsellor, _ = kept
    plain = counsellor_user()
    assign(pathway, plain, "counsellor")  # keeps the record, without personal data
    flagged_trainer = trainer_user()
    assign(pathway, flagged_trainer, "trainer", personal_data=True)
    newcomer = counsellor_user()
    refused(
        "personal_data", services.assign, plain, pathway, newcomer, "counsellor", TODAY, None, True
    )
    assert not policies.can_read_barriers(newcomer, pathway)
    # Without the flag, the same counsellor may still add people.
    services.assign(plain, pathway, trainer_user(), "trainer", TODAY, None, False)
    # A counsellor holding the flag today may give it; an administrator may too.
    services.assign(counsellor, pathway, newcomer, "counsellor", TODAY, None, True)
    services.assign(admin_user(), pathway, counsellor_user(), "counsellor", TODAY, None, True)
    # A flag held as a trainer does not make a team manager.
    with pytest.raises(NotAllowed):
        services.assign(flagged_trainer, pathway, trainer_user(), "trainer", TODAY, None, True)
    (entry, *_) = audits("integration.assign")
    assert "personal_data" in entry.details


def test_foreign_assignment_refused(kept):
    pathway, counsellor, _ = kept
    other = make_pathway(member_with_login())
    foreign = assign(other, counsellor_user())
    refused(None, services.end_assignment, counsellor, pathway, foreign, TODAY)


# --- Exit ----------------------------------------------------------------------------------------


def test_exit_and_reopen(kept):
    pathway, counsellor, _ = kept
    training = outcome("training")
    refused("outcome", services.record_exit, counsellor, pathway, TODAY, None, "")
    refused("exit_on", services.record_exit, counsellor, pathway, date(2025, 1, 1), training, "")
    refused(
        "exit_on", services.record_exit, counsellor, pathway, TODAY + timedelta(1), training, ""
    )
    refused("note", services.record_exit, counsellor, pathway, TODAY, training, "x" * 2001)
    training.active = False
    refused("outcome", services.record_exit, counsellor, pathway, TODAY, training, "")
    training.active = True
    pathway.purge_warned_on = TODAY - timedelta(days=400)  # a warning before this exit
    services.record_exit(counsellor, pathway, TODAY, training, "Went to school")
    assert pathway.purge_warned_on is None
    assert pathway.closed and pathway.outcome_id == training.id
    assert services.pathway_status(pathway) == "ended"
    refused(None, services.record_exit, counsellor, pathway, TODAY, training, "")
    refused(None, services.suspend, counsellor, pathway, TODAY, None, "Why")
    refused("reason", services.reopen, counsellor, pathway, "")
    pathway.purge_warned_on = TODAY  # warned for this exit: the warning must not stand
    services.reopen(counsellor, pathway, "  Saved by mistake ")
    assert not pathway.closed and pathway.exit_note == ""
    assert db.session.get(Pathway, pathway.id).purge_warned_on is None
    kept_reason = db.session.scalars(
        sa.select(PathwayPeriod).where(PathwayPeriod.pathway_id == pathway.id)
    ).all()
    assert [(p.kind, p.starts_on, p.reason) for p in kept_reason] == [
        ("reopening", TODAY, "Saved by mistake")
    ]
    refused(None, services.reopen, counsellor, pathway, "Again")
    text = json.dumps([e.summary + e.details for e in audits("integration.exit")])
    assert "school" not in text
    assert "mistake" not in json.dumps([e.details for e in audits("integration.reopen")])


def test_reopen_refused_when_another_pathway_runs(db):
    ada, counsellor = member_with_login(), counsellor_user()
    old = make_pathway(ada, outcome_code="training")
    assign(old, counsellor)
    services.open_pathway(counsellor, ada, data(entry_on=date(2027, 2, 1)))
    refused(None, services.reopen, counsellor, old, "Mistake")


# --- Break-glass ---------------------------------------------------------------------------------


def test_break_glass(kept):
    pathway, counsellor, _ = kept
    admin = admin_user()
    refused("reason", services.break_glass, admin, pathway, "short")
    refused("reason", services.break_glass, admin, pathway, "x" * 501)
    assert policies.break_glass_open(admin, pathway) is None
    row = services.break_glass(admin, pathway, "The member asked for help by phone")
    assert row.outcome == ReadOutcome.BREAK_GLASS.value and row.what == "break-glass"
    assert policies.break_glass_open(admin, pathway).id == row.id
    (entry,) = audits("integration.break_glass")
    assert "phone" not in entry.summary + entry.details
    for user in (counsellor, board_user(), counsellor_user(), None):
        with pytest.raises(NotAllowed):
            services.break_glass(user, pathway, "The member asked for help by phone")
    reads = db.session.scalar(sa.select(sa.func.count()).select_from(RecordRead))
    assert reads == 1
