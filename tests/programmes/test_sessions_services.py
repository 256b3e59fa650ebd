"""Session services: half-day slots, trainers (default and overlap), cancelled programmes,
cancelling with a reason, what was covered, materials."""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa

from portal.core.errors import DomainError, NotAllowed, NotFound
from portal.core.outbox import OutboxMessage
from portal.programmes import services
from portal.programmes.services import SessionData, SlotData
from tests.clock import frozen_at
from tests.factories_members import board_user, make_member, member_with_login, trainer_user
from tests.factories_programmes import MORNING, enrol, make_programme, make_session, mark

START = date(2026, 12, 1)
DAY = date(2026, 12, 10)
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def morning(start=time(9), end=time(12)) -> SlotData:
    return SlotData("morning", start, end)


def afternoon(start=time(13, 30), end=time(16, 30)) -> SlotData:
    return SlotData("afternoon", start, end)


def data(day=DAY, slots=None, **fields) -> SessionData:
    return SessionData(
        day=day,
        slots=slots if slots is not None else [morning()],
        place=fields.pop("place", "Room 2"),
        topic=fields.pop("topic", "How a vote works"),
        **fields,
    )


def refusal(service, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as refused:
        service(*args, **kwargs)
    return refused.value


def test_a_new_session_has_a_secret_slots_and_the_programme_trainers(db, story_day):
    ana, ben = trainer_user(), trainer_user()
    programme = make_programme(ana, ben, starts_on=START)
    session = services.create_session(ana, programme, data(slots=[afternoon(), morning()]))
    assert len(session.code_secret) == 32
    assert [s.half for s in session.slots] == ["morning", "afternoon"]
    assert session.trainer_ids == {ana.id, ben.id}
    other = services.create_session(
        ana, programme, data(day=date(2026, 12, 11), trainer_ids=[ben.id])
    )
    assert other.trainer_ids == {ben.id}
    error = refusal(
        services.create_session,
        ana,
        programme,
        data(day=date(2026, 12, 12), trainer_ids=[trainer_user().id]),
    )
    assert error.field == "trainer_ids"


@pytest.mark.parametrize(
    ("slots", "field", "words"),
    [
        ([morning(time(12), time(9))], "morning_end", "ends before it starts"),
        ([afternoon(time(15), time(15))], "afternoon_end", "ends before it starts"),
        ([], "morning", "morning, the afternoon"),
        ([morning(time(9), time(14)), afternoon(time(13), time(16))], "afternoon_start", "end"),
        ([morning(None, time(12))], "morning_start", "starts"),
    ],
)
def test_bad_slots_are_refused(db, story_day, slots, field, words):
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=START)
    error = refusal(services.create_session, trainer, programme, data(slots=slots))
    assert error.field == field
    assert words in str(error.message)


def test_a_day_outside_the_programme_and_no_topic_are_refused(db, story_day):
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=START, ends_on=date(2026, 12, 31))
    assert (
        refusal(services.create_session, trainer, programme, data(day=date(2027, 1, 5))).field
        == "day"
    )
    assert refusal(services.create_session, trainer, programme, data(topic=" ")).field == "topic"


def test_overlapping_slots_for_the_same_trainer_are_refused(db, story_day):
    ana, ben = trainer_user(display_name="Ana Trainer"), trainer_user()
    first = make_programme(ana, starts_on=START, title="Votes")
    second = make_programme(ana, ben, starts_on=START)
    make_session(first, day=DAY, topic="Budgets", slots=[MORNING])
    error = refusal(
        services.create_session, ana, second, data(slots=[morning(time(11), time(12, 30))])
    )
    assert error.field == "trainer_ids"
    assert "Ana Trainer" in str(error.message) and "Budgets" in str(error.message)
    assert "Votes" in str(error.message)
    # Another trainer alone, the afternoon, another day: fine.
    services.create_session(ana, second, data(trainer_ids=[ben.id]))
    services.create_session(ana, second, data(slots=[afternoon()]))
    services.create_session(ana, second, data(day=date(2026, 12, 11)))
    # A slot that ends when the other starts does not overlap.
    services.create_session(
        ana, second, data(day=date(2026, 12, 14), slots=[morning(time(8), time(9))])
    )


def test_a_cancelled_session_does_not_block_the_trainer(db, story_day):
    ana = trainer_user()
    programme = make_programme(ana, starts_on=START)
    old = make_session(programme, day=DAY)
    services.cancel_session(ana, old, "The room is closed")
    services.create_session(ana, programme, data())


def test_editing_a_session_checks_overlap_against_others_only(db, story_day):
    ana = trainer_user()
    programme = make_programme(ana, starts_on=START)
    session = services.create_session(ana, programme, data())
    services.update_session(ana, session, data(slots=[morning(time(9, 30), time(12))]))
    assert session.slots[0].starts_at == time(9, 30)
    make_session(programme, day=DAY, slots=[("afternoon", time(14), time(17))])
    error = refusal(services.update_session, ana, session, data(slots=[morning(), afternoon()]))
    assert error.field == "trainer_ids"


def test_a_marked_slot_cannot_be_removed(db, story_day):
    ana = trainer_user()
    programme = make_programme(ana, starts_on=START)
    session = services.create_session(ana, programme, data(slots=[morning(), afternoon()]))
    ada = make_member(given="Ada", admitted_on=date(2025, 2, 3))
    enrol(programme, ada)
    mark(session.slots[1], ada, "present")
    error = refusal(services.update_session, ana, session, data(slots=[morning()]))
    assert "afternoon" in str(error.message)


def test_no_session_on_a_cancelled_or_finished_programme(db, story_day):
    ana = trainer_user()
    cancelled = make_programme(ana, starts_on=START, state="cancelled")
    error = refusal(services.create_session, ana, cancelled, data())
    assert "cancelled" in str(error.message)
    assert error.status_code == 422
    finished = make_programme(ana, starts_on=START, state="finished")
    assert "finished" in str(refusal(services.create_session, ana, finished, data()).message)


def test_only_the_programme_trainers_run_sessions(db, story_day):
    ana = trainer_user()
    programme = make_programme(ana, starts_on=START)
    for other in (board_user(), trainer_user(), member_with_login().user):
        with pytest.raises(NotAllowed):
            services.create_session(other, programme, data())


def test_cancel_needs_a_reason_and_tells_the_participants(db, story_day):
    ana = trainer_user()
    programme = make_programme(ana, starts_on=START, title="Votes")
    session = make_session(programme, day=DAY)
    ada = make_member(
        given="Ada", admitted_on=date(2025, 2, 3), email="ada@example.org", preferred_language="fr"
    )
    enrol(programme, ada)
    enrol(programme, make_member(given="Bob", admitted_on=date(2025, 2, 3)))
    assert refusal(services.cancel_session, ana, session, "  ").field == "reason"
    services.cancel_session(ana, session, "The room is closed")
    assert session.cancelled and session.cancel_reason == "The room is closed"
    sent = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [m.to_address for m in sent] == ["ada@example.org"]
    assert "The room is closed" in sent[0].body_text
    assert "already cancelled" in str(refusal(services.cancel_session, ana, session, "x").message)
    with pytest.raises(DomainError):
        services.update_session(ana, session, data())


def test_what_was_covered_is_written_once_the_session_started(db):
    ana = trainer_user()
    programme = make_programme(ana, starts_on=START)
    session = make_session(programme, day=DAY)
    with frozen_at(DAY, time(8, 30)):
        error = refusal(services.record_covered, ana, session, "Voting by show of hands")
        assert error.field == "covered"
    with frozen_at(DAY, time(9, 5)):
        services.record_covered(ana, session, "Voting by show of hands")
    assert session.covered == "Voting by show of hands"
    with frozen_at(DAY, time(10)), pytest.raises(NotAllowed):
        services.record_covered(board_user(), session, "No")


def test_materials_limits_and_downloads(db, story_day):
    ana = trainer_user()
    programme = make_programme(ana, starts_on=START)
    session = make_session(programme, day=DAY)
    handout = services.add_material(ana, session, "handout.pdf", PDF)
    assert handout.content_type == "application/pdf"
    assert refusal(services.add_material, ana, session, "again.pdf", PDF).field == "material"
    error = refusal(services.add_material, ana, session, "page.html", b"<html><script>")
    assert "cannot be attached" in str(error.message)
    error = refusal(
        services.add_material, ana, session, "big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)
    )
    assert "too big" in str(error.message)
    assert "empty" in str(refusal(services.add_material, ana, session, "x.pdf", b"").message)
    sheet = services.add_material(ana, session, "sheet.pdf", PDF + b"2", paper_sheet=True)
    ada = member_with_login(given="Ada")
    enrol(programme, ada)
    assert services.material_for_download(ada.user, session, handout.id).data == PDF
    with pytest.raises(NotAllowed):
        services.material_for_download(ada.user, session, sheet.id)
    assert services.material_for_download(ana, session, sheet.id).paper_sheet
    other = make_session(programme, day=date(2026, 12, 11))
    with pytest.raises(NotFound):
        services.material_for_download(ana, other, handout.id)
    services.remove_material(ana, session, handout.id)
    assert [m.id for m in services.materials_of(session)] == [sheet.id]
