"""`flask integration purge`: after the retention time nothing personal is left anywhere in the
database (canaries searched in every column of every table), only year-month figures; a warning
once, 30 days before; nothing before the date; dry runs change nothing; audited."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.outbox import OutboxMessage
from portal.extensions import db
from portal.integration import export
from portal.integration import purge as purging
from portal.integration.cli import integration_cli
from portal.integration.models import (
    Assignment,
    Barrier,
    Eligibility,
    Goal,
    GoalEvent,
    Pathway,
    PathwayPeriod,
    RecordRead,
    RecordReadReason,
    RectificationRequest,
    SkillAssessment,
    SupportAction,
)
from tests.factories_integration import assign, make_pathway, outcome
from tests.factories_members import admin_user, counsellor_user, member_with_login
from tests.integration.test_export import fill_record

EXIT_ON = date(2027, 3, 19)  # the first pathway of `fill_record`
DUE_ON = date(2029, 3, 19)  # 24 months later


def canary_hits(marker: str = "CANARY") -> list[str]:
    """Every (table.column) of the whole database whose value holds `marker`."""
    hits = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)).mappings():
            for column, value in row.items():
                if value is not None and marker in str(value):
                    hits.append(f"{table.name}.{column}")
    return hits


def _row_count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _points_to(entry: AuditEntry, kind: str, value: int) -> bool:
    """Does the audit entry name this member / pathway (object key, details or summary)?"""
    if entry.object_key == f"{kind}:{value}":
        return True
    for key, found in json.loads(entry.details or "{}").items():
        if kind in key and (found == value or (isinstance(found, list) and value in found)):
            return True
    return re.search(rf"\b{kind}\s*#?{value}\b", entry.summary, re.IGNORECASE) is not None


def assert_nothing_links_the_member_to(member, pathway_ids: list[int]) -> None:
    """After the purge: no journal row names the member's account (their own reads are
    by_member) and no audit entry names the member together with one of the records."""
    if member.user_id is not None:
        named = db.session.scalars(
            sa.select(RecordRead).where(RecordRead.user_id == member.user_id)
        ).all()
        assert named == [], [(r.pathway_id, r.kind, r.what) for r in named]
    for entry in db.session.scalars(sa.select(AuditEntry)):
        if _points_to(entry, "member", member.id):
            linked = [pid for pid in pathway_ids if _points_to(entry, "pathway", pid)]
            assert linked == [], (entry.action, entry.summary, entry.details)


def test_nothing_personal_is_left_after_the_purge(db):
    ada = member_with_login(given="Ada")
    made = fill_record(ada)
    first, second = made["pathways"]
    first.purge_warned_on = date(2029, 2, 17)
    # The member downloaded their data (journaled by_member, audited with their id).
    export.export_member_data(ada.user, ada, "json")
    reasons_of_second = _reasons_of(second.id)
    assert _reasons_of(first.id) and reasons_of_second  # control: break-glass reasons exist
    kept_minutes = sum(
        db.session.scalars(
            sa.select(SupportAction.minutes).where(SupportAction.pathway_id == first.id)
        )
    )
    reads_before = _row_count(RecordRead)
    assert len(set(canary_hits())) >= 12  # control: the canaries are there to be found

    report = purging.purge(DUE_ON)
    assert report.anonymised == [first.id]
    db.session.expire_all()

    # The ended pathway holds no canary any more; the running one (second) still does.
    left = canary_hits()
    second_rows = canary_hits_of_pathway(second.id)
    assert sorted(left) == sorted(second_rows), set(left) - set(second_rows)

    # Rows that describe the person are gone; the figures are kept by month.
    for model in (Eligibility, PathwayPeriod, Assignment, Goal, Barrier, RectificationRequest):
        assert not db.session.scalars(sa.select(model).where(model.pathway_id == first.id)).all(), (
            model
        )
    assert not db.session.scalars(
        sa.select(GoalEvent).join(Goal).where(Goal.pathway_id == first.id)
    ).all()
    pathway = db.session.get(Pathway, first.id)
    # The day of the anonymisation would tell the exit day: only its month is kept.
    assert pathway.member_id is None and pathway.anonymised_on == date(2029, 3, 1)
    assert pathway.purge_warned_on is None
    # The break-glass reasons of the anonymised record are gone; the running one's are kept.
    assert _reasons_of(first.id) == []
    assert _reasons_of(second.id) == reasons_of_second
    assert (pathway.entry_on, pathway.exit_on, pathway.planned_end_on) == (
        date(2026, 1, 1),
        date(2027, 3, 1),
        date(2027, 1, 1),
    )
    assert pathway.referrer == "" and pathway.exit_note == "" and pathway.created_by_id is None
    assert pathway.outcome.code == "training" and pathway.team == "Garden workshop A"
    assert pathway.weekly_hours == Decimal("31.5") and pathway.contract_type == "integration"
    actions = db.session.scalars(
        sa.select(SupportAction).where(SupportAction.pathway_id == first.id)
    ).all()
    assert sum(a.minutes for a in actions) == kept_minutes == 135
    assert {(a.kind, a.happened_on) for a in actions} == {
        ("interview", date(2026, 2, 1)),
        ("coaching", date(2026, 3, 1)),
    }
    assert all(a.notes == "" and a.recorded_by_id is None for a in actions)
    assert all(a.recorded_at.day == 1 for a in actions)
    (assessment,) = db.session.scalars(
        sa.select(SkillAssessment).where(SkillAssessment.pathway_id == first.id)
    ).all()
    assert (assessment.level, assessment.assessed_on) == (3, date(2026, 5, 1))
    assert assessment.note == "" and assessment.assessed_by_id is None
    # The record's journal went with it (the other record's stays).
    assert _row_count(RecordRead) < reads_before
    assert not db.session.scalar(
        sa.select(sa.func.count(RecordRead.id)).where(RecordRead.pathway_id == first.id)
    )
    # Audited, with ids and dates only.
    (entry,) = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "integration.anonymise")
    ).all()
    assert entry.object_key == f"pathway:{first.id}"
    assert "2027-03" in entry.details and "Ada" not in entry.details + entry.summary

    assert "anonymised_on" not in entry.details and "2029-03-19" not in entry.details
    assert_nothing_links_the_member_to(ada, [first.id])

    # And the member still has the running pathway, no longer the anonymised one.
    assert db.session.get(Pathway, second.id).member_id == ada.id


def _reasons_of(pathway_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(RecordReadReason.reason)
            .join(RecordRead, RecordRead.id == RecordReadReason.read_id)
            .where(RecordRead.pathway_id == pathway_id)
            .order_by(RecordReadReason.read_id)
        )
    )


def canary_hits_of_pathway(pathway_id: int) -> list[str]:
    """The canary hits that belong to the still-running pathway (every row under it)."""
    hits = []
    goal_ids = sa.select(Goal.id).where(Goal.pathway_id == pathway_id)
    for model in (
        Pathway,
        Eligibility,
        PathwayPeriod,
        Assignment,
        Goal,
        GoalEvent,
        SupportAction,
        SkillAssessment,
        Barrier,
        RectificationRequest,
        RecordReadReason,
    ):
        if model is Pathway:
            where = Pathway.id == pathway_id
        elif model is GoalEvent:
            where = GoalEvent.goal_id.in_(goal_ids)
        else:
            where = model.pathway_id == pathway_id
        table = model.__table__
        for row in db.session.execute(sa.select(table).where(where)).mappings():
            for column, value in row.items():
                if value is not None and "CANARY" in str(value):
                    hits.append(f"{table.name}.{column}")
    return hits


def test_both_pathways_purged_leave_no_canary_at_all(db):
    ada = member_with_login(given="Ada")
    made = fill_record(ada)
    second = made["pathways"][1]
    second.exit_on, second.outcome_id = date(2027, 9, 30), outcome("long_term_job").id
    db.session.flush()
    export.export_member_data(ada.user, ada, "pdf")
    export.export_member_data(made["counsellor"], ada, "json", "Asked at our last meeting")
    assert any("reasons" in hit for hit in canary_hits())  # control: reasons hold canaries
    report = purging.purge(date(2030, 1, 1))
    assert sorted(report.anonymised) == sorted(p.id for p in made["pathways"])
    db.session.expire_all()
    # Canaries everywhere, break-glass reasons included: none is left in the whole database.
    assert canary_hits() == []
    assert _row_count(RecordReadReason) == 0
    assert_nothing_links_the_member_to(ada, [p.id for p in made["pathways"]])
    assert not db.session.scalars(sa.select(Pathway).where(Pathway.member_id == ada.id)).all()


def test_nothing_is_purged_before_the_date_and_it_is_idempotent(db):
    ada = member_with_login(given="Ada")
    made = fill_record(ada)
    first = made["pathways"][0]
    assert purging.purge_date(first) == DUE_ON
    report = purging.purge(date(2029, 3, 18))
    assert report.anonymised == []
    db.session.expire_all()
    assert db.session.get(Pathway, first.id).member_id == ada.id
    assert purging.purge(DUE_ON).anonymised == [first.id]
    audits = _row_count(AuditEntry)
    again = purging.purge(DUE_ON)
    assert again.anonymised == [] and again.warned == []
    assert _row_count(AuditEntry) == audits


@pytest.mark.options(integration_retention_months=6)
def test_the_retention_time_is_configurable(app, db):
    pathway = make_pathway(member_with_login(), outcome_code="training")  # exit 2027-01-05
    assert purging.purge_date(pathway) == date(2027, 7, 5)
    assert purging.purge(date(2027, 7, 4)).anonymised == []
    assert purging.purge(date(2027, 7, 5)).anonymised == [pathway.id]


def test_end_of_month_exits(db):
    pathway = make_pathway(
        member_with_login(), date(2026, 1, 5), exit_on=date(2026, 8, 31), outcome_id=1
    )
    # 31 August + 6 months is the last day of February.
    assert purging.purge_date(pathway, 6) == date(2027, 2, 28)
    assert purging.purge(date(2027, 2, 27), months=6).anonymised == []
    assert purging.purge(date(2027, 2, 28), months=6).anonymised == [pathway.id]


def test_a_warning_once_thirty_days_before(db):
    ada = member_with_login(given="Ada")
    pathway = make_pathway(ada, outcome_code="training")  # exit 2027-01-05, due 2029-01-05
    counsellor = counsellor_user(email="counsellor@example.org")
    assign(pathway, counsellor, "counsellor", personal_data=True)
    assign(pathway, counsellor_user(), "counsellor")  # no e-mail address
    admin_user(email="admin@example.org")
    before = _row_count(OutboxMessage)

    assert purging.purge(date(2028, 12, 5)).warned == []  # 31 days before
    report = purging.purge(date(2028, 12, 6))  # 30 days before
    assert report.warned == [pathway.id] and report.anonymised == []
    db.session.expire_all()
    assert db.session.get(Pathway, pathway.id).purge_warned_on == date(2028, 12, 6)
    messages = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.id > 0).order_by(OutboxMessage.id)
    ).all()[before:]
    assert {m.to_address for m in messages} == {"counsellor@example.org", "admin@example.org"}
    assert all(f"#{pathway.id}" in m.body_text and "2029-01-05" in m.body_text for m in messages)
    assert all("Ada" not in m.body_text + m.subject for m in messages)
    (entry,) = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "integration.purge_warning")
    ).all()
    assert entry.object_key == f"pathway:{pathway.id}"

    assert purging.purge(date(2028, 12, 20)).warned == []  # not twice
    assert _row_count(OutboxMessage) == before + 2
    assert purging.purge(date(2029, 1, 5)).anonymised == [pathway.id]
    db.session.expire_all()
    anonymised = db.session.get(Pathway, pathway.id)
    assert anonymised.purge_warned_on is None  # the warning's day went with the record
    assert anonymised.anonymised_on == date(2029, 1, 1)


def test_a_running_pathway_is_never_purged_nor_warned(db):
    pathway = make_pathway(member_with_login(), date(2020, 1, 6))
    report = purging.purge(date(2040, 1, 1))
    assert report.anonymised == [] and report.warned == []
    assert purging.purge_date(pathway) is None


def test_a_dry_run_changes_nothing(db):
    ada = member_with_login(given="Ada")
    made = fill_record(ada)
    soon = make_pathway(member_with_login(), outcome_code="training")  # due 2029-01-05
    counts = {m: _row_count(m) for m in (AuditEntry, OutboxMessage, Goal, Barrier)}
    report = purging.purge(date(2029, 3, 19), dry_run=True)
    assert sorted(report.anonymised) == sorted([made["pathways"][0].id, soon.id])
    db.session.expire_all()
    assert {m: _row_count(m) for m in counts} == counts
    assert db.session.get(Pathway, made["pathways"][0].id).member_id == ada.id
    assert "would be anonymised" in report.summary()


def _cli(app, *args):
    if "integration" not in app.cli.commands:
        app.cli.add_command(integration_cli)
    return app.test_cli_runner().invoke(args=["integration", "purge", *args])


def test_the_command(app, db):
    ada = member_with_login(given="Ada")
    made = fill_record(ada)
    first = made["pathways"][0]
    db.session.commit()  # the command shares the test's session (a savepoint is released)

    dry = _cli(app, "--dry-run", "--today", "2029-03-19")
    assert dry.exit_code == 0, dry.output
    assert f"would anonymise pathway #{first.id}" in dry.output
    assert "1 pathway(s) would be anonymised, 0 warning(s) would be sent" in dry.output
    db.session.expire_all()
    assert db.session.get(Pathway, first.id).member_id == ada.id

    result = _cli(app, "--today", "2029-03-19")
    assert result.exit_code == 0, result.output
    assert "1 pathway(s) were anonymised, 0 warning(s) were sent" in result.output
    db.session.expire_all()
    assert db.session.get(Pathway, first.id).anonymised_on == date(2029, 3, 1)

    again = _cli(app, "--today", "2029-03-19")
    assert again.exit_code == 0 and "0 pathway(s) were anonymised" in again.output

    bad = _cli(app, "--today", "19/03/2029")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


@pytest.mark.options(integration_purge_warning_days=60)
def test_the_command_warns_as_configured(app, db):
    pathway = make_pathway(member_with_login(), outcome_code="training")  # due 2029-01-05
    db.session.commit()
    result = _cli(app, "--dry-run", "--today", "2028-11-10")  # 56 days before
    assert result.exit_code == 0, result.output
    assert "1 warning(s) would be sent" in result.output
    assert purging.purge_date(pathway) == date(2029, 1, 5)


def test_the_command_does_not_warn_56_days_before_by_default(app, db):
    make_pathway(member_with_login(), outcome_code="training")  # due 2029-01-05
    db.session.commit()
    default = _cli(app, "--dry-run", "--today", "2028-11-10")
    assert "0 warning(s) would be sent" in default.output
