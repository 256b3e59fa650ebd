"""Signatures are personal data: kept SIGNATURE_RETENTION_YEARS (6) after the session, then
removed by the daily integration purge (a registered purge step), keeping that and when each
half-day was signed; dry runs change nothing; audited with counts only."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.registries import PURGE_STEPS
from portal.extensions import db
from portal.integration import purge as integration_purge
from portal.programmes.models import Attendance, Session, SessionMaterial
from portal.programmes.signatures import purge_signatures, retention_cutoff
from tests.factories_members import make_member, trainer_user
from tests.factories_programmes import make_programme, make_session, mark

OLD_DAY = date(2026, 12, 7)
DUE_ON = date(2032, 12, 7)  # six years later


def _session_with_signatures(day: date) -> Session:
    programme = make_programme(trainer_user(), starts_on=date(2026, 1, 5))
    session = make_session(programme, day=day)
    slot = session.slots[0]
    for given in ("Ada", "Bob"):
        mark(slot, make_member(given=given), "present", signed=True)
    paper = mark(slot, make_member(given="Cy"), "present")
    paper.signed_on_paper = True
    session.trainer_signature = b"\x89PNG\r\n\x1a\ntrainer"
    session.trainer_signed_at = session.created_at
    db.session.add(
        SessionMaterial(
            session_id=session.id,
            filename="sheet.pdf",
            content_type="application/pdf",
            size=5,
            sha256="0" * 64,
            data=b"%PDF-",
            paper_sheet=True,
        )
    )
    db.session.add(
        SessionMaterial(
            session_id=session.id,
            filename="handout.pdf",
            content_type="application/pdf",
            size=5,
            sha256="1" * 64,
            data=b"%PDF-",
        )
    )
    db.session.flush()
    return session


def _images(session: Session) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Attendance)
        .join(Attendance.slot)
        .where(sa.text("session_slots.session_id = :sid"), Attendance.signature.is_not(None))
        .params(sid=session.id)
    )


def test_signatures_are_removed_after_six_years(app, db, story_day):
    assert app.config["SIGNATURE_RETENTION_YEARS"] == 6
    assert retention_cutoff(DUE_ON) == OLD_DAY
    old = _session_with_signatures(OLD_DAY)
    recent = _session_with_signatures(date(2026, 12, 8))  # one day younger

    assert purge_signatures(date(2032, 12, 6)).signatures == 0  # the day before: kept
    dry = purge_signatures(DUE_ON, dry_run=True)
    assert (dry.signatures, dry.sheets, dry.paper_sheets) == (2, 1, 1)
    assert "would be removed" in dry.summary()
    assert _images(old) == 2  # a dry run changes nothing

    report = purge_signatures(DUE_ON)
    assert (report.signatures, report.sheets, report.paper_sheets) == (2, 1, 1)
    assert _images(old) == 0 and _images(recent) == 2
    rows = db.session.scalars(
        sa.select(Attendance).where(Attendance.slot_id == old.slots[0].id)
    ).all()
    signed = [r for r in rows if r.signed_at is not None]
    assert len(signed) == 2 and all(r.signature_removed_on == DUE_ON for r in signed)
    assert all(r.signed for r in rows)  # the fact that each one signed is kept
    db.session.refresh(old)
    db.session.refresh(recent)
    assert old.trainer_signature is None and old.trainer_signed_at is not None
    assert recent.trainer_signature is not None
    assert db.session.execute(
        sa.select(SessionMaterial.session_id, SessionMaterial.filename).order_by(SessionMaterial.id)
    ).all() == [(old.id, "handout.pdf"), (recent.id, "sheet.pdf"), (recent.id, "handout.pdf")]
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "programmes.purge_signatures")
    ).one()
    assert '"signatures": 2' in entry.details and "Ada" not in entry.details
    # Twice: nothing more.
    again = purge_signatures(DUE_ON)
    assert (again.signatures, again.sheets, again.paper_sheets) == (0, 0, 0)


def test_the_years_come_from_the_configuration(app, db, story_day):
    old = _session_with_signatures(OLD_DAY)
    app.config["SIGNATURE_RETENTION_YEARS"] = 10
    try:
        assert purge_signatures(DUE_ON).signatures == 0
        assert purge_signatures(date(2036, 12, 7)).signatures == 2
    finally:
        app.config["SIGNATURE_RETENTION_YEARS"] = 6
    assert _images(old) == 0


def test_the_integration_purge_runs_the_step(app, db, story_day):
    assert "programmes.signatures" in [step.name for step in PURGE_STEPS]
    old = _session_with_signatures(OLD_DAY)
    dry = integration_purge.purge(DUE_ON, dry_run=True)
    assert "2 signature(s)" in dry.steps["programmes.signatures"]
    assert _images(old) == 2
    runner = app.test_cli_runner()
    result = runner.invoke(args=["integration", "purge", "--dry-run", "--today", "2032-12-07"])
    assert result.exit_code == 0, result.output
    assert "0 pathway(s) would be anonymised" in result.output
    assert "2 signature(s), 1 trainer's signature(s) and 1 scanned paper sheet(s) would be" in (
        result.output
    )
    assert _images(old) == 2
    result = runner.invoke(args=["integration", "purge", "--today", "2032-12-07"])
    assert result.exit_code == 0, result.output
    assert "1 scanned paper sheet(s) were removed" in result.output
    assert _images(old) == 0


def test_purge_steps_are_named_and_ordered(app, db):
    from portal.core.registries import register_purge_step

    saved = list(PURGE_STEPS)
    try:
        calls = []
        register_purge_step("test.late", lambda today, **kw: calls.append("late") or "late", 99)
        register_purge_step("test.early", lambda today, **kw: calls.append("early") or "early", 1)
        register_purge_step("test.early", lambda today, **kw: calls.append("again") or "again", 1)
        names = [step.name for step in PURGE_STEPS]
        assert names.index("test.early") < names.index("programmes.signatures")
        assert names.index("programmes.signatures") < names.index("test.late")
        assert names.count("test.early") == 1  # the same name replaces
        with app.app_context():
            report = integration_purge.purge(DUE_ON, dry_run=True)
        assert calls == ["again", "late"] and report.steps["test.late"] == "late"
    finally:
        PURGE_STEPS[:] = saved
