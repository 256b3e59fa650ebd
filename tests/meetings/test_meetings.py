"""Meeting services without HTTP: planning, the notice period, the convocation (e-mails and
the printed PDF), the workflow's rights, calendar feeds and the .ics writer."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from portal.core.audit import AuditEntry
from portal.core.db import local_today
from portal.core.errors import DomainError, NotAllowed
from portal.core.outbox import OutboxMessage
from portal.core.security import Permission, can
from portal.core.workflow import history_of
from portal.extensions import db
from portal.meetings import ical, services
from portal.meetings.models import AgendaItem, Attendance, CalendarToken, Meeting
from portal.meetings.pdf import convocation_pdf
from tests.factories_meetings import add_item, make_meeting
from tests.factories_members import (
    board_body,
    board_user,
    factory_board,
    general_assembly,
    make_mandate,
    make_member,
    member_user,
    member_with_login,
)

ADMITTED = date(2025, 2, 3)
FRENCH_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def link(meeting) -> str:
    return f"http://portal.test/meetings/{meeting.id}"


def data(**changes) -> services.MeetingData:
    values = {
        "body_id": general_assembly().id,
        "kind": "ordinary_ga",
        "title": "Annual general assembly",
        "day": local_today() + timedelta(days=40),
        "start": time(18, 0),
        "end": time(20, 30),
        "place": "The workshop",
        "online_link": "https://meet.example.org/ga",
        "description": "Accounts and elections.",
    }
    values.update(changes)
    return services.MeetingData(**values)


def audits(action: str) -> list[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


def mails() -> dict[str, OutboxMessage]:
    return {m.to_address: m for m in db.session.scalars(sa.select(OutboxMessage)).all()}


# --- Planning -----------------------------------------------------------------------------------


def test_the_board_plans_a_meeting_in_local_time_stored_in_utc(db):
    board = board_user()
    meeting = services.create_meeting(board, data(day=date(2031, 1, 16), start=time(18, 0)))
    assert meeting.state == "planned" and meeting.owner_id == board.id
    assert meeting.starts_at == datetime(2031, 1, 16, 17, 0, tzinfo=UTC)  # Paris is UTC+1
    assert meeting.ends_at == datetime(2031, 1, 16, 19, 30, tzinfo=UTC)
    assert meeting.security_path == f"/meeting:{meeting.id}/"
    assert services.meeting_day(meeting) == date(2031, 1, 16)
    assert audits("meeting.created")[-1].object_key == meeting.object_key


def test_planning_refuses_bad_input_with_the_field_concerned(db):
    board = board_user()
    with pytest.raises(NotAllowed):
        services.create_meeting(member_user(), data())
    cases = [
        ({"kind": "board"}, "kind"),  # a general assembly is not a board meeting
        ({"title": "   "}, "title"),
        ({"online_link": "javascript:alert(1)"}, "online_link"),
        ({"online_link": "ftp://files.example.org"}, "online_link"),
        ({"end": time(17, 0)}, "end"),
        ({"day": local_today() - timedelta(days=1)}, "day"),
        ({"body_id": 999_999}, "body_id"),
        ({"place": "x" * 301}, "place"),
    ]
    for changes, field in cases:
        with pytest.raises(DomainError) as caught:
            services.create_meeting(board, data(**changes))
        assert caught.value.field == field, changes
    meeting = services.create_meeting(board, data(kind="extraordinary_ga", online_link=""))
    assert meeting.kind == "extraordinary_ga"


def test_update_needs_edit_and_keeps_the_body_once_convened(db):
    meeting = make_meeting(general_assembly(), state="convened")
    with pytest.raises(NotAllowed):
        services.update_meeting(member_user(), meeting, data())
    board = board_user()
    with pytest.raises(DomainError) as caught:
        services.update_meeting(board, meeting, data(body_id=board_body().id, kind="board"))
    assert caught.value.field == "body_id"
    changed = services.update_meeting(board, meeting, data(place="The big hall"))
    assert "place" in changed and meeting.place == "The big hall"
    assert services.update_meeting(board, meeting, data(place="The big hall")) == []


# --- Notice period ------------------------------------------------------------------------------


def test_notice_period_is_exact_on_the_boundary_day(db):
    board = board_user()
    assert general_assembly().notice_days == 15
    late = make_meeting(general_assembly(), days_ahead=14)
    with pytest.raises(DomainError) as caught:
        services.convene_meeting(board, late, link=link)
    assert caught.value.field == "override_reason"
    message = str(caught.value.message)
    assert "15 days before" in message and "in 14 days" in message
    assert "give the board's reason" in message
    assert late.state == "planned" and late.convened_at is None

    on_time = make_meeting(general_assembly(), days_ahead=15)
    result = services.convene_meeting(board, on_time, link=link)
    assert on_time.state == "convened" and on_time.convened_by_id == board.id
    assert on_time.notice_override_reason == ""
    assert isinstance(result, services.Convocation)
    assert not audits("meeting.notice_overridden")


def test_the_board_overrides_a_short_notice_with_a_reason_that_is_kept_and_audited(db):
    board = board_user()
    meeting = make_meeting(board_body(), days_ahead=2)  # the board: 7 days' notice
    with pytest.raises(DomainError):
        services.convene_meeting(board, meeting, override_reason="   ")
    services.convene_meeting(board, meeting, override_reason="The roof leaks: we must decide.")
    assert meeting.state == "convened"
    assert meeting.notice_override_reason == "The roof leaks: we must decide."
    entry = audits("meeting.notice_overridden")[-1]
    assert entry.object_key == meeting.object_key
    details = json.loads(entry.details)
    assert details["reason"] == "The roof leaks: we must decide."
    assert details["days_before"] == 2 and details["notice_days"] == 7
    step = history_of(meeting)[-1]
    assert step.transition == "convene" and step.comment == "The roof leaks: we must decide."
    code = meeting.check_in_code
    assert len(code) == 6 and set(code) <= set(services.RECEIPT_ALPHABET)


def test_a_meeting_whose_day_has_passed_cannot_be_convened_even_with_a_reason(db):
    meeting = make_meeting(board_body(), days_ahead=-1)
    with pytest.raises(DomainError):
        services.convene_meeting(board_user(), meeting, override_reason="We forgot.")
    assert meeting.state == "planned"


# --- Convocation --------------------------------------------------------------------------------


@pytest.fixture()
def assembly_members(db):
    """The general assembly's electorate: three reachable by e-mail (fr, en, and one who keeps
    their contacts out of the directory: a convocation is owed to them all the same), two
    without e-mail (fr, en); plus an applicant (not in the electorate)."""
    return {
        "fr": make_member(
            given="Amina",
            family="Diallo",
            admitted_on=ADMITTED,
            email="amina@example.org",
            contact_consent=True,
            preferred_language="fr",
        ),
        "en": make_member(
            given="Bob",
            family="Smith",
            admitted_on=ADMITTED,
            email="bob@example.org",
            contact_consent=True,
            preferred_language="en",
        ),
        "not_in_directory": make_member(
            given="Fatou",
            family="Sow",
            admitted_on=ADMITTED,
            email="fatou@example.org",
            contact_consent=False,
            preferred_language="fr",
        ),
        "no_email_fr": make_member(
            given="Chloé",
            family="Petit",
            admitted_on=ADMITTED,
            contact_consent=True,
            preferred_language="fr",
        ),
        "no_email": make_member(
            given="Dario",
            family="Rossi",
            admitted_on=ADMITTED,
            contact_consent=True,
            preferred_language="en",
        ),
        "applicant": make_member(
            given="Eve", family="Nouvelle", email="eve@example.org", contact_consent=True
        ),
    }


def test_convocation_emails_go_to_the_reachable_electorate_in_their_language(assembly_members):
    meeting = make_meeting(
        general_assembly(),
        days_ahead=30,
        title="Spring assembly",
        online_link="https://meet.example.org/ga",
    )
    add_item(meeting, "Accounts 2026")
    add_item(meeting, "Elect the board")
    result = services.convene_meeting(board_user(), meeting, link=link)
    assert result == services.Convocation(emailed=3, on_paper=2)
    sent = mails()
    assert set(sent) == {"amina@example.org", "bob@example.org", "fatou@example.org"}
    english, french = sent["bob@example.org"], sent["amina@example.org"]
    day = services.meeting_day(meeting)
    for message in (english, french):
        assert "Spring assembly" in message.subject
        assert "1. Accounts 2026" in message.body_text
        assert "2. Elect the board" in message.body_text
        assert "18:00" in message.body_text
        assert "The workshop, 12 rue des Ateliers" in message.body_text
        assert "https://meet.example.org/ga" in message.body_text
        assert link(meeting) in message.body_text
    # The date is written in each member's language.
    assert f"{day.day} {day.strftime('%B')} {day.year}" in english.body_text
    assert f"{day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}" in french.body_text
    assert "Hello Bob" in english.body_text
    assert audits("meeting.convocation_sent")[-1].object_key == meeting.object_key


def test_the_printed_convocation_has_a_page_per_member_without_email(assembly_members):
    meeting = make_meeting(general_assembly(), days_ahead=30, title="Spring assembly")
    add_item(meeting, "Accounts 2026")
    paper = services.paper_recipients(meeting)
    assert [m.given_name for m in paper] == ["Chloé", "Dario"]  # by family name: Petit, Rossi
    reader = PdfReader(io.BytesIO(convocation_pdf(meeting, paper, link(meeting))))
    assert len(reader.pages) == 2
    first, second = (page.extract_text() for page in reader.pages)
    assert "Chloé Petit" in first and "Dario Rossi" not in first
    assert "Dario Rossi" in second
    for page in (first, second):
        assert "Spring assembly" in page and "Accounts 2026" in page and "18:00" in page
    day = services.meeting_day(meeting)
    assert f"{day.day} {day.strftime('%B')} {day.year}" in second  # Dario reads English
    assert f"{day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}" in first  # Chloé: French
    # Nobody without e-mail: one page without a name, for the notice board.
    blank = PdfReader(io.BytesIO(convocation_pdf(meeting, [], link(meeting))))
    assert len(blank.pages) == 1 and "Spring assembly" in blank.pages[0].extract_text()


# --- Workflow -------------------------------------------------------------------------------------


def test_who_may_see_and_run_a_meeting_in_each_state(db):
    member, board = member_user(), board_user()
    meeting = make_meeting(board_body(), days_ahead=20)
    assert not can(member, Permission.VIEW, meeting)
    assert can(board, Permission.VIEW, meeting)
    with pytest.raises(NotAllowed):
        services.convene_meeting(member, meeting)
    with pytest.raises(DomainError):  # the status box cannot convene
        services.transition_meeting(board, meeting, "convene")
    with pytest.raises(DomainError):  # not convened yet
        services.open_session(board, meeting)
    services.convene_meeting(board, meeting, link=link)
    assert can(member, Permission.VIEW, meeting)
    with pytest.raises(NotAllowed):
        services.open_session(member, meeting)
    code = meeting.check_in_code
    services.transition_meeting(board, meeting, "open_session")
    assert meeting.state == "in_session" and meeting.opened_at is not None
    assert meeting.check_in_code == code
    assert can(member, Permission.CHECK_IN, meeting)
    with pytest.raises(DomainError):  # a meeting in session is not cancelled
        services.cancel_meeting(board, meeting, "Too late")
    with pytest.raises(NotAllowed):
        services.close_session(member, meeting)
    services.transition_meeting(board, meeting, "close_session")
    assert meeting.state == "closed" and meeting.closed_at is not None
    assert not can(member, Permission.CHECK_IN, meeting)


def test_cancelling_needs_a_reason_and_tells_the_convened_members(assembly_members):
    board = board_user()
    meeting = make_meeting(general_assembly(), days_ahead=30, title="Spring assembly")
    services.convene_meeting(board, meeting, link=link)
    before = len(db.session.scalars(sa.select(OutboxMessage)).all())
    with pytest.raises(DomainError) as caught:
        services.cancel_meeting(board, meeting, "  ")
    assert caught.value.field == "comment" and meeting.state == "convened"
    with pytest.raises(NotAllowed):
        services.cancel_meeting(member_user(), meeting, "I do not like it")
    services.transition_meeting(board, meeting, "cancel", "The hall is flooded.", link=link)
    assert meeting.state == "cancelled"
    assert services.cancel_reason(meeting) == "The hall is flooded."
    cancelled = db.session.scalars(sa.select(OutboxMessage).offset(before)).all()
    assert {m.to_address for m in cancelled} == {
        "amina@example.org",
        "bob@example.org",
        "fatou@example.org",
    }
    assert all("The hall is flooded." in m.body_text for m in cancelled)


def test_a_planned_meeting_is_deleted_not_cancelled(db):
    board, member = board_user(), member_user()
    ada = make_member(given="Ada", admitted_on=ADMITTED)  # in the general assembly
    meeting = make_meeting(general_assembly(), title="GA draft")
    add_item(meeting, "Accounts 2026")
    meeting_id, key = meeting.id, meeting.object_key
    with pytest.raises(DomainError):  # never announced: nothing to cancel
        services.cancel_meeting(board, meeting, "Changed our minds")
    with pytest.raises(DomainError):
        services.transition_meeting(board, meeting, "cancel", "Changed our minds")
    assert meeting.state == "planned" and not can(member, Permission.VIEW, meeting)
    with pytest.raises(NotAllowed):
        services.delete_planned_meeting(member, meeting)
    services.delete_planned_meeting(board, meeting)
    db.session.expire_all()
    assert db.session.get(Meeting, meeting_id) is None
    assert not db.session.scalars(
        sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
    ).all()
    entry = audits("meeting.deleted")[-1]
    assert entry.object_key == key and json.loads(entry.details)["title"] == "GA draft"
    assert "GA draft" not in {m.title for m in services.feed_meetings(ada)}
    assert "GA draft" not in {m.title for m in db.session.scalars(services.visible(member))}


def test_a_convened_or_referenced_meeting_is_not_deleted(db):
    board = board_user()
    convened = make_meeting(general_assembly(), state="convened")
    with pytest.raises(DomainError):
        services.delete_planned_meeting(board, convened)
    planned = make_meeting(general_assembly())
    db.session.add(Attendance(meeting_id=planned.id, member_id=make_member(given="Ada").id))
    db.session.flush()
    with pytest.raises(DomainError):  # deleting would take the attendance with it
        services.delete_planned_meeting(board, planned)
    assert db.session.get(Meeting, planned.id) is not None and not audits("meeting.deleted")


def test_moving_a_convened_meeting_respects_the_notice_and_tells_the_members(assembly_members):
    board = board_user()
    meeting = make_meeting(general_assembly(), state="convened", title="Spring assembly")
    notice = meeting.body.notice_days
    assert notice >= 1
    same = {"title": "Spring assembly", "place": meeting.place, "end": None}
    before = len(db.session.scalars(sa.select(OutboxMessage)).all())
    with pytest.raises(DomainError) as caught:
        services.update_meeting(
            board, meeting, data(day=local_today() + timedelta(days=notice - 1), **same)
        )
    assert caught.value.field == "day" and "needs" in str(caught.value.message)
    assert len(db.session.scalars(sa.select(OutboxMessage)).all()) == before
    old_start = meeting.starts_at
    new_day = local_today() + timedelta(days=notice + 5)
    changed = services.update_meeting(board, meeting, data(day=new_day, **same), link=link)
    assert "starts_at" in changed and meeting.starts_at != old_start
    sent = {m.to_address: m for m in db.session.scalars(sa.select(OutboxMessage).offset(before))}
    assert set(sent) == {"amina@example.org", "bob@example.org", "fatou@example.org"}
    english = sent["bob@example.org"]
    assert english.subject.startswith("Moved: Spring assembly")
    assert f"{new_day.day} {new_day.strftime('%B')} {new_day.year}" in english.body_text
    assert "It was planned for:" in english.body_text and link(meeting) in english.body_text
    assert json.loads(audits("meeting.moved")[-1].details)["emailed"] == 3
    # A planned meeting moves freely and silently.
    planned = make_meeting(general_assembly(), title="Draft")
    count = len(db.session.scalars(sa.select(OutboxMessage)).all())
    services.update_meeting(
        board, planned, data(day=local_today() + timedelta(days=2), title="Draft", end=None)
    )
    assert len(db.session.scalars(sa.select(OutboxMessage)).all()) == count


# --- Calendar feeds -----------------------------------------------------------------------------


def test_a_calendar_token_is_stored_hashed_replaced_and_revoked(db):
    member = member_with_login(given="Fatou")
    secret = services.create_calendar_token(member.user)
    stored = db.session.scalars(sa.select(CalendarToken)).all()
    assert len(stored) == 1 and stored[0].token_hash != secret and len(stored[0].token_hash) == 64
    assert services.member_for_token(secret).id == member.id
    newer = services.create_calendar_token(member.user)
    assert services.member_for_token(secret) is None
    assert services.member_for_token(newer).id == member.id
    assert services.revoke_calendar_token(member.user)
    assert services.member_for_token(newer) is None
    assert not services.revoke_calendar_token(member.user)
    assert services.member_for_token("") is None and services.member_for_token("x" * 500) is None
    with pytest.raises(DomainError):  # an account without a member record
        services.create_calendar_token(member_user())
    assert audits("calendar.token_created") and audits("calendar.token_revoked")


def test_the_feed_lists_the_published_meetings_of_the_members_bodies(db):
    ada = make_member(given="Ada", admitted_on=ADMITTED)  # votes in the general assembly
    make_mandate(make_member(given="Bea", admitted_on=ADMITTED), board_body())
    planned = make_meeting(general_assembly(), title="GA draft")
    convened = make_meeting(general_assembly(), state="convened", title="GA convened")
    cancelled = make_meeting(general_assembly(), state="cancelled", title="GA cancelled")
    board = make_meeting(board_body(), state="convened", title="Board meeting")
    titles = {m.title for m in services.feed_meetings(ada)}
    assert titles == {convened.title, cancelled.title}
    assert planned.title not in titles and board.title not in titles
    assert factory_board() is not None


# --- The .ics writer ------------------------------------------------------------------------------


def test_ics_lines_are_escaped_and_folded_at_75_octets(db):
    meeting = make_meeting(
        general_assembly(),
        title="Assembly; budget, \\ and more: " + "é" * 60,
        place="Hall 2, floor 1; door B",
    )
    add_item(meeting, "Accounts")
    text = ical.calendar(
        [meeting],
        url=link,
        describe=lambda m: "Line one\nLine two, with a comma; and a semicolon",
        host="portal.test",
        name="Test",
    )
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    parsed = icalendar.Calendar.from_ical(text)
    event = next(iter(parsed.walk("VEVENT")))
    assert str(event["SUMMARY"]) == meeting.title
    assert str(event["LOCATION"]) == "Hall 2, floor 1; door B"
    assert str(event["DESCRIPTION"]) == "Line one\nLine two, with a comma; and a semicolon"
    assert str(event["UID"]) == f"meeting-{meeting.id}@portal.test"
    assert event.decoded("DTSTART") == meeting.starts_at
    assert event.decoded("DTEND") == meeting.starts_at + ical.DEFAULT_LENGTH


def test_a_meeting_is_planned_at_most_ten_years_ahead(db):
    data = services.MeetingData(
        body_id=board_body().id,
        kind="board",
        title="Far away",
        day=date(9999, 12, 31),
        start=time(23, 30),
    )
    with pytest.raises(DomainError) as caught:
        services.create_meeting(board_user(), data)
    assert caught.value.field == "day"
