"""Hostile review: integrity of the signed sheet. No path signs a half-day before it starts."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from portal.core.errors import DomainError
from portal.extensions import db
from portal.programmes import services, signatures
from portal.programmes.models import Attendance, Enrolment
from tests.clock import frozen_at
from tests.conftest import csrf_token
from tests.factories_members import member_with_login, trainer_user
from tests.factories_programmes import AFTERNOON, MORNING, enrol, make_programme, make_session

DAY = date(2026, 12, 7)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture()
def story(db):
    with frozen_at(DAY, time(9, 30)) as traveller:
        trainer = trainer_user()
        programme = make_programme(trainer, starts_on=date(2026, 12, 1))
        ada = member_with_login(given="Ada", family="Lovelace")
        enrol(programme, ada)
        session = make_session(programme, day=DAY, slots=[MORNING, AFTERNOON])
        yield type(
            "Story",
            (),
            {
                "trainer": trainer,
                "ada": ada,
                "session": session,
                "morning": session.slots[0],
                "afternoon": session.slots[1],
                "clock": traveller,
            },
        )


def test_a_correction_cannot_record_signed_on_paper_before_the_half_day(story):
    """At 09:30 the afternoon has not started: 'signed on paper' is refused through the
    correction as through the paper button (the sheet must be signed at the time)."""
    with pytest.raises(signatures.SignatureRefused):
        signatures.sign_on_paper(story.trainer, story.session, story.ada.id, story.afternoon)
    with pytest.raises(DomainError) as refused:
        signatures.correct_cell(
            story.trainer,
            story.session,
            story.ada.id,
            story.afternoon,
            signatures.CellChange(status="present", signed_on_paper=True),
        )
    assert refused.value.field == "signed_on_paper"
    row = db.session.scalar(sa.select(Attendance).where(Attendance.slot_id == story.afternoon.id))
    assert row is None or not row.signed_on_paper
    # The morning has started: the same correction is taken.
    done = signatures.correct_cell(
        story.trainer,
        story.session,
        story.ada.id,
        story.morning,
        signatures.CellChange(status="present", signed_on_paper=True),
    )
    assert done.signed_on_paper


def test_the_sheet_form_refuses_signed_on_paper_before_the_half_day(story, client, login_as):
    login_as(story.trainer)
    url = f"/programmes/sessions/{story.session.id}/sheet"
    token = csrf_token(client, url)
    response = client.post(
        f"{url}/correct/{story.ada.id}",
        data={
            "csrf_token": token,
            "slot": story.afternoon.id,
            "status": "present",
            "signed_on_paper": "y",
        },
    )
    assert response.status_code == 422
    assert "has not started yet" in response.get_data(as_text=True)
    assert not db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Attendance)
        .where(Attendance.signed_on_paper.is_(True))
    )


@pytest.fixture()
def statements():
    """The SQL statements run meanwhile."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)


def _locked_rows(seen: list[str], table: str) -> bool:
    return any("FOR UPDATE" in s and f"FROM {table}" in s for s in seen)


# SQLite serialises every POST (BEGIN IMMEDIATE); PostgreSQL needs the row locks. Deselected
# on SQLite (a skipped test fails the run in CI).
@pytest.mark.postgres_only
def test_signing_paper_and_corrections_lock_the_row_they_check(story, statements):
    """Check then write: without a row lock two requests at once (the participant's phone and
    the trainer's; a correction while someone signs) both see an unsigned slot, and the second
    overwrites the first signature, or changes a signed slot without a reason."""
    from tests.programmes.test_sign import png_data_url

    signatures.sign_slot(story.ada.user, story.session, story.ada.id, story.morning, png_data_url())
    assert _locked_rows(statements, "session_attendance"), "sign_slot"
    statements.clear()
    story.clock.move_to(datetime.combine(DAY, time(14), PARIS))
    signatures.sign_on_paper(story.trainer, story.session, story.ada.id, story.afternoon)
    assert _locked_rows(statements, "session_attendance"), "sign_on_paper"
    statements.clear()
    signatures.correct_cell(
        story.trainer,
        story.session,
        story.ada.id,
        story.afternoon,
        signatures.CellChange(status="late", arrived_at=time(14), reason="Came at two o'clock."),
    )
    assert _locked_rows(statements, "session_attendance"), "correct_cell"
    statements.clear()
    signatures.sign_sheet(story.trainer, story.session, png_data_url())
    assert _locked_rows(statements, "programme_sessions"), "sign_sheet"


def test_a_signed_session_keeps_its_day_and_times(story):
    """Editing the session is no path around a correction: once a half-day is signed (finger or
    paper) or the trainer signed the sheet, its day and times stay as signed; the place and the
    topic may still change."""
    from tests.programmes.test_sign import png_data_url

    signatures.sign_slot(story.ada.user, story.session, story.ada.id, story.morning, png_data_url())
    same = services.SlotData("morning", time(9), time(12))
    afternoon = services.SlotData("afternoon", time(13, 30), time(16, 30))
    for change in (
        services.SessionData(
            DAY, [services.SlotData("morning", time(9), time(10)), afternoon], topic="T"
        ),
        services.SessionData(date(2026, 12, 8), [same, afternoon], topic="T"),
    ):
        with pytest.raises(DomainError) as refused:
            services.update_session(story.trainer, story.session, change)
        assert "signed" in str(refused.value.message)
    db.session.refresh(story.morning)
    assert (story.morning.starts_at, story.morning.ends_at) == (time(9), time(12))
    assert story.session.day == DAY
    done = services.update_session(
        story.trainer, story.session, services.SessionData(DAY, [same, afternoon], topic="New")
    )
    assert done.topic == "New"


def test_a_participant_withdrawn_after_signing_stays_on_that_days_sheet(story, client, login_as):
    """Withdrawn at 14:00 after signing the morning: the sheet of the day (and its PDF for the
    funder) still shows the signed morning, as the hours reports count it."""
    from portal.programmes.sheet import build_sheet
    from tests.programmes.test_sign import png_data_url

    signatures.sign_slot(story.ada.user, story.session, story.ada.id, story.morning, png_data_url())
    story.clock.move_to(datetime.combine(DAY, time(14), PARIS))
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.member_id == story.ada.id))
    services.withdraw(story.trainer, story.session.programme, enrolment.id)
    sheet = build_sheet(story.session, with_signatures=True)
    lines = {line.member.id: line for line in sheet.lines}
    assert story.ada.id in lines, "the signed line vanished from the sheet"
    assert lines[story.ada.id].cells[0].signature is not None
    assert sheet.present[story.morning.id] == 1 and sheet.minutes == 180


def _sheet_signed_meanwhile(session) -> None:
    """The trainer's signature written by another request since `session` was loaded (the
    loaded object keeps its stale trainer_signed_at, as in a concurrent request)."""
    from portal.core.db import utcnow
    from portal.programmes.models import Session

    db.session.execute(
        sa.update(Session)
        .where(Session.id == session.id)
        .values(trainer_signed_at=utcnow(), trainer_signed_by_id=None)
        .execution_options(synchronize_session=False)
    )
    assert session.trainer_signed_at is None  # stale, as another request's object would be


def test_a_sheet_signed_meanwhile_is_not_signed_or_rolled_again(story):
    """The checks read the trainer's signature as stored when they run, not as loaded at the
    start of the request: a participant signing, or a roll-call saved, while the trainer signs
    the sheet is refused / reported locked."""
    from portal.programmes import rollcall
    from tests.programmes.test_sign import png_data_url

    story.clock.move_to(datetime.combine(DAY, time(14), PARIS))
    _sheet_signed_meanwhile(story.session)
    with pytest.raises(signatures.SignatureRefused):
        signatures.sign_slot(
            story.ada.user, story.session, story.ada.id, story.morning, png_data_url()
        )
    entry = rollcall.Entry(story.ada.id, rollcall.Marks(None, None, None), "present")
    saved = rollcall.save(
        story.trainer, story.session, story.morning, [entry], story.session.roll_version
    )
    assert saved.changed == 0 and saved.locked
    with pytest.raises(DomainError):
        rollcall.everyone_present(story.trainer, story.session, story.afternoon)
    assert not db.session.scalar(
        sa.select(sa.func.count()).select_from(Attendance).where(Attendance.status.is_not(None))
    )


def test_a_signed_session_cannot_be_cancelled(story, client, login_as):
    """Cancelling a session that took place and was signed wiped its signed hours out of the
    reports, My sessions, the pathways and the attestation: refused, the sheet is corrected."""
    story.clock.move_to(datetime.combine(DAY, time(14), PARIS))
    signatures.sign_on_paper(story.trainer, story.session, story.ada.id, story.morning)
    with pytest.raises(DomainError) as refused:
        services.cancel_session(story.trainer, story.session, "We did not meet after all")
    assert refused.value.field == "reason"
    assert story.session.cancelled_at is None
    login_as(story.trainer)
    path = f"/programmes/sessions/{story.session.id}"
    response = client.post(
        f"{path}/cancel", data={"csrf_token": csrf_token(client, path), "reason": "No room"}
    )
    assert response.status_code == 422
    assert "cannot be cancelled" in response.get_data(as_text=True)


def test_a_marked_half_day_keeps_its_times(story):
    """The roll-call stored 180 minutes for the morning; shortening the morning to an hour left
    those 180 minutes in a 60-minute half-day (counted in every report), and moving the day
    dated the attendance on a day nobody came."""
    from portal.programmes import rollcall

    entry = rollcall.Entry(story.ada.id, rollcall.Marks(None, None, None), "present")
    rollcall.save(story.trainer, story.session, story.morning, [entry], story.session.roll_version)
    afternoon = services.SlotData("afternoon", time(13, 30), time(16, 30))
    for change in (
        services.SessionData(
            DAY, [services.SlotData("morning", time(9), time(10)), afternoon], topic="T"
        ),
        services.SessionData(
            date(2026, 12, 9),
            [services.SlotData("morning", time(9), time(12)), afternoon],
            topic="T",
        ),
    ):
        with pytest.raises(DomainError):
            services.update_session(story.trainer, story.session, change)
    db.session.refresh(story.morning)
    assert story.morning.ends_at == time(12) and story.session.day == DAY
    # The afternoon, where nobody is marked yet, still moves.
    later = services.SlotData("afternoon", time(14), time(17))
    services.update_session(
        story.trainer,
        story.session,
        services.SessionData(
            DAY, [services.SlotData("morning", time(9), time(12)), later], topic="T"
        ),
    )


def test_a_correction_while_the_trainer_signs_needs_a_reason(story):
    story.clock.move_to(datetime.combine(DAY, time(14), PARIS))
    _sheet_signed_meanwhile(story.session)
    with pytest.raises(DomainError) as refused:
        signatures.correct_cell(
            story.trainer,
            story.session,
            story.ada.id,
            story.morning,
            signatures.CellChange(status="present"),
        )
    assert refused.value.field == "reason"
