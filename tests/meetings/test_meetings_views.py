"""Meeting routes over HTTP: the list per viewer, the page, planning (422 keeps the input),
steps and convocation, the PDF, .ics files read back by `icalendar`, the calendar feed."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from portal.core.db import local_today
from portal.core.outbox import OutboxMessage
from portal.extensions import db
from portal.meetings import services
from portal.meetings.models import CalendarToken, Meeting
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_meetings import add_item, make_meeting
from tests.factories_members import (
    board_body,
    board_user,
    general_assembly,
    make_mandate,
    make_member,
    member_user,
    member_with_login,
)

HX = {"HX-Request": "true"}
ADMITTED = __import__("datetime").date(2025, 2, 3)


def login(client, user):
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 303
    return client


@pytest.fixture()
def visit(app, client):
    clients = {}

    def _visit(user=None):
        key = user.id if user is not None else None
        if key not in clients:
            clients[key] = login(app.test_client(), user) if user else app.test_client()
        return clients[key]

    return _visit


def post(client, url, data=None, headers=None):
    return client.post(
        url, data={"csrf_token": csrf_token(client, "/"), **(data or {})}, headers=headers or {}
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def plan_form(**changes) -> dict:
    data = {
        "title": "Spring assembly",
        "body_id": str(general_assembly().id),
        "kind": "ordinary_ga",
        "day": (local_today() + timedelta(days=40)).isoformat(),
        "start": "18:30",
        "end": "",
        "place": "The workshop",
        "online_link": "",
        "description": "",
        "chair_id": "",
        "secretary_id": "",
    }
    data.update(changes)
    return data


def titles(response) -> set[str]:
    return set(re.findall(r"<strong>([^<]+)</strong>", text(response)))


def test_the_list_shows_each_viewer_only_what_they_may_see(visit):
    make_meeting(general_assembly(), title="Draft assembly")
    make_meeting(general_assembly(), state="convened", title="Convened assembly")
    make_meeting(board_body(), state="closed", days_ahead=-30, title="Past board")
    member, board = member_user(), board_user()
    assert titles(visit(member).get("/meetings/")) >= {"Convened assembly", "Past board"}
    assert "Draft assembly" not in titles(visit(member).get("/meetings/"))
    assert {"Draft assembly", "Convened assembly"} <= titles(visit(board).get("/meetings/"))
    filtered = visit(board).get(f"/meetings/?body={board_body().id}", headers=HX)
    assert text(filtered).lstrip().startswith('<section id="meeting-results">')
    assert titles(filtered) == {"Past board"}
    page = text(visit(member).get("/meetings/"))
    assert page.index("Convened assembly") < page.index("Past board")  # upcoming first
    for bogus in ("", "nope", "1'--", "9" * 30):
        assert visit(member).get("/meetings/", query_string={"body": bogus}).status_code == 200
    assert visit().get("/meetings/").status_code == 302  # to the login page
    assert 'href="/meetings/"' in text(visit(member).get("/"))  # the main menu


def test_a_planned_meeting_is_a_404_for_members_and_its_files_too(visit):
    meeting = make_meeting(general_assembly(), title="Draft assembly")
    member = member_user()
    for path in ("", "/edit", "/meeting.ics", "/convocation.pdf"):
        assert visit(member).get(f"/meetings/{meeting.id}{path}").status_code == 404, path
    assert visit(member).get("/meetings/999999").status_code == 404
    assert visit(member).get("/meetings/99999999999").status_code == 404
    response = post(visit(member), f"/meetings/{meeting.id}/convene")
    assert response.status_code == 404
    assert visit(board_user()).get(f"/meetings/{meeting.id}").status_code == 200


def test_the_meeting_page_says_when_in_plain_words_and_shows_the_code_to_managers(visit):
    meeting = make_meeting(
        general_assembly(), state="in_session", days_ahead=0, online_link="https://x.example/m"
    )
    add_item(meeting, "Accounts 2026")
    page = text(visit(board_user()).get(f"/meetings/{meeting.id}"))
    day = services.meeting_day(meeting)
    assert f"{day.strftime('%A')} {day.day} {day.strftime('%B')} {day.year}, 18:00" in page
    assert "KM4P7Q" in page and "In session" in page
    assert 'href="https://x.example/m"' in page
    member_page = text(visit(member_user()).get(f"/meetings/{meeting.id}"))
    assert "KM4P7Q" not in member_page and "The workshop, 12 rue des Ateliers" in member_page


def test_planning_a_meeting_keeps_the_input_on_422_and_redirects_when_saved(visit):
    board = board_user()
    client = visit(board)
    assert client.get("/meetings/new").status_code == 200
    assert visit(member_user()).get("/meetings/new").status_code == 403
    bad = post(client, "/meetings/new", plan_form(kind="board", place="Hall B"))
    assert bad.status_code == 422
    assert 'value="Hall B"' in text(bad) and "does not fit" in text(bad)
    bad = post(client, "/meetings/new", plan_form(start="half past six", title="Keep me"))
    assert bad.status_code == 422 and "Write the time like this" in text(bad)
    assert 'value="Keep me"' in text(bad)
    bad = post(client, "/meetings/new", plan_form(online_link="javascript:alert(1)"))
    assert bad.status_code == 422 and "https://" in text(bad)
    assert post(client, "/meetings/new", plan_form(chair_id="abc")).status_code == 422
    assert post(client, "/meetings/new", plan_form(chair_id="99999")).status_code == 422
    saved = post(client, "/meetings/new", plan_form())
    assert saved.status_code == 302
    meeting = db.session.scalar(sa.select(Meeting).order_by(Meeting.id.desc()).limit(1))
    assert saved.headers["Location"].endswith(f"/meetings/{meeting.id}")
    assert services.local_time(meeting.starts_at).strftime("%H:%M") == "18:30"
    edit = client.get(f"/meetings/{meeting.id}/edit")
    assert 'value="18:30"' in text(edit) and 'value="Spring assembly"' in text(edit)
    changed = post(client, f"/meetings/{meeting.id}/edit", plan_form(place="The big hall"))
    assert changed.status_code == 302
    db.session.refresh(meeting)
    assert meeting.place == "The big hall"
    assert post(visit(member_user()), "/meetings/new", plan_form()).status_code == 403


def test_convene_without_then_with_the_boards_reason(visit):
    reachable = make_member(
        given="Amina", admitted_on=ADMITTED, email="amina@example.org", contact_consent=True
    )
    meeting = make_meeting(general_assembly(), days_ahead=5)
    client = visit(board_user())
    page = text(client.get(f"/meetings/{meeting.id}"))
    assert "must be convened 15 days before" in page and 'name="override_reason"' in page
    assert 'value="convene"' not in page  # not offered by the status box
    refused = post(client, f"/meetings/{meeting.id}/convene", {"override_reason": ""}, HX)
    assert refused.status_code == 422
    assert "in 5 days" in text(refused)
    assert text(refused).lstrip().startswith(f'<section id="meeting-{meeting.id}-status"')
    db.session.refresh(meeting)
    assert meeting.state == "planned"
    done = post(
        client, f"/meetings/{meeting.id}/convene", {"override_reason": "Urgent repairs vote."}
    )
    assert done.status_code == 302
    db.session.refresh(meeting)
    assert meeting.state == "convened"
    assert meeting.notice_override_reason == "Urgent repairs vote."
    to = db.session.scalars(sa.select(OutboxMessage.to_address)).all()
    assert to == [reachable.email]
    again = post(client, f"/meetings/{meeting.id}/convene", {"override_reason": "x"})
    assert again.status_code == 422 and "not possible now" in text(again)
    assert post(visit(member_user()), f"/meetings/{meeting.id}/convene").status_code == 403


def test_convene_on_time_needs_no_reason(visit):
    meeting = make_meeting(board_body(), days_ahead=10)
    client = visit(board_user())
    assert 'name="override_reason"' not in text(client.get(f"/meetings/{meeting.id}"))
    response = post(client, f"/meetings/{meeting.id}/convene", headers=HX)
    assert response.status_code == 200 and "The members are convened" in text(response)
    assert response.headers["HX-Trigger"] == "meeting-state-changed"


def test_status_box_steps_and_cancel_needs_a_reason(visit):
    meeting = make_meeting(general_assembly(), state="convened")
    client = visit(board_user())
    refused = post(
        client, f"/meetings/{meeting.id}/transition", {"transition": "cancel"}, headers=HX
    )
    assert refused.status_code == 422 and "Say why" in text(refused)
    assert post(client, f"/meetings/{meeting.id}/transition", {"transition": "convene"}, HX)
    db.session.refresh(meeting)
    assert meeting.state == "convened"
    assert (
        post(
            visit(member_user()),
            f"/meetings/{meeting.id}/transition",
            {"transition": "cancel", "comment": "no"},
        ).status_code
        == 403
    )
    done = post(
        client,
        f"/meetings/{meeting.id}/transition",
        {"transition": "cancel", "comment": "The hall is flooded."},
    )
    assert done.status_code == 302
    page = text(visit(member_user()).get(f"/meetings/{meeting.id}"))
    assert "Cancelled" in page and "The hall is flooded." in page


def test_a_plan_is_deleted_not_cancelled_and_members_never_see_it(visit):
    meeting = make_meeting(general_assembly(), title="Draft assembly")
    add_item(meeting, "Accounts 2026")
    meeting_id = meeting.id
    board, member = visit(board_user()), visit(member_user())
    page = text(board.get(f"/meetings/{meeting_id}"))
    assert "Delete this plan (nobody was told yet)" in page
    assert 'value="cancel"' not in page
    cancel = {"transition": "cancel", "comment": "Changed our minds"}
    refused = post(board, f"/meetings/{meeting_id}/transition", cancel, headers=HX)
    assert refused.status_code == 422
    assert post(member, f"/meetings/{meeting_id}/delete").status_code == 404
    bad = board.post(f"/meetings/{meeting_id}/delete", data={"csrf_token": "bad"})
    assert bad.status_code == 400
    done = post(board, f"/meetings/{meeting_id}/delete")
    assert done.status_code == 302 and done.headers["Location"].endswith("/meetings/")
    assert "The plan is deleted" in text(board.get("/meetings/"))
    db.session.expire_all()
    assert db.session.get(Meeting, meeting_id) is None
    assert member.get(f"/meetings/{meeting_id}").status_code == 404
    assert board.get(f"/meetings/{meeting_id}").status_code == 404
    assert "Draft assembly" not in text(member.get("/meetings/"))


def test_a_convened_meeting_is_not_deleted(visit):
    meeting = make_meeting(general_assembly(), state="convened", title="Convened assembly")
    board = visit(board_user())
    assert "Delete this plan" not in text(board.get(f"/meetings/{meeting.id}"))
    refused = post(board, f"/meetings/{meeting.id}/delete")
    assert refused.status_code == 302 and refused.headers["Location"].endswith(
        f"/meetings/{meeting.id}"
    )
    assert "cancel the meeting with a reason" in text(board.get(f"/meetings/{meeting.id}"))
    assert post(visit(member_user()), f"/meetings/{meeting.id}/delete").status_code == 403
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).state == "convened"


def test_moving_a_convened_meeting_keeps_the_notice_and_mails_the_members(visit):
    make_member(given="Amina", admitted_on=ADMITTED, email="amina@example.org")
    meeting = make_meeting(general_assembly(), state="convened", title="Spring assembly")
    notice = meeting.body.notice_days
    client = visit(board_user())
    url = f"/meetings/{meeting.id}/edit"
    place = meeting.place
    too_soon = (local_today() + timedelta(days=notice - 1)).isoformat()
    refused = post(client, url, plan_form(day=too_soon, place=place))
    assert refused.status_code == 422
    assert "It was convened: moving it needs" in text(refused)
    assert not db.session.scalars(sa.select(OutboxMessage)).all()
    later = (local_today() + timedelta(days=notice + 5)).isoformat()
    moved = post(client, url, plan_form(day=later, place=place))
    assert moved.status_code == 302
    sent = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [m.to_address for m in sent] == ["amina@example.org"]
    assert "Spring assembly" in sent[0].subject and "Amina" in sent[0].body_text


def test_the_convocation_pdf_is_for_managers(visit):
    make_member(given="Dario", family="Rossi", admitted_on=ADMITTED)
    meeting = make_meeting(general_assembly(), state="convened", title="Spring assembly")
    assert visit(member_user()).get(f"/meetings/{meeting.id}/convocation.pdf").status_code == 403
    response = visit(board_user()).get(f"/meetings/{meeting.id}/convocation.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1 and "Dario Rossi" in reader.pages[0].extract_text()


def test_the_meeting_ics_is_read_back_by_icalendar(visit):
    meeting = make_meeting(general_assembly(), state="convened", title="Spring assembly; GA")
    add_item(meeting, "Accounts 2026")
    response = visit(member_user()).get(f"/meetings/{meeting.id}/meeting.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert b"\r\n" in response.data
    event = next(iter(icalendar.Calendar.from_ical(response.data).walk("VEVENT")))
    assert str(event["SUMMARY"]) == "Spring assembly; GA"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == meeting.starts_at
    assert str(event["UID"]).startswith(f"meeting-{meeting.id}@")
    assert "1. Accounts 2026" in str(event["DESCRIPTION"])
    assert str(event["URL"]).endswith(f"/meetings/{meeting.id}")
    assert str(event["LOCATION"]) == "The workshop, 12 rue des Ateliers"
    assert "DTSTAMP" in event
    cancelled = make_meeting(general_assembly(), state="cancelled", title="Gone")
    data = visit(member_user()).get(f"/meetings/{cancelled.id}/meeting.ics").data
    event = next(iter(icalendar.Calendar.from_ical(data).walk("VEVENT")))
    assert str(event["STATUS"]) == "CANCELLED"


def test_my_calendar_address_is_shown_once_then_revoked(visit, app):
    ada = member_with_login(given="Ada")
    make_mandate(make_member(given="Bea", admitted_on=ADMITTED), board_body())
    make_meeting(general_assembly(), state="convened", title="Spring assembly")
    make_meeting(general_assembly(), title="Draft assembly")
    make_meeting(board_body(), state="convened", title="Board only")
    client = visit(ada.user)
    assert "You have no calendar address yet" in text(client.get("/meetings/calendar"))
    created = post(client, "/meetings/calendar/new")
    assert created.status_code == 200 and "no-store" in created.headers["Cache-Control"]
    url = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', text(created))[1]
    path = url.split("portal.test", 1)[-1]
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    stored = db.session.scalars(sa.select(CalendarToken.token_hash)).all()
    assert token not in stored and len(stored) == 1
    assert token not in text(client.get("/meetings/calendar"))  # shown once
    anonymous = app.test_client()
    feed = anonymous.get(path)
    assert feed.status_code == 200 and "no-store" in feed.headers["Cache-Control"]
    summaries = {str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(feed.data).walk("VEVENT")}
    assert summaries == {"Spring assembly"}  # not the draft, not another body's meeting
    assert anonymous.get("/meetings/calendar/nope.ics").status_code == 404
    assert post(client, "/meetings/calendar/revoke").status_code == 302
    assert anonymous.get(path).status_code == 404
    assert post(client, "/meetings/calendar/new", {"csrf_token": "bad"}).status_code == 400


def test_no_horizontal_leak_between_members_feeds(visit, app):
    ada = member_with_login(given="Ada")  # in the general assembly only
    bea = member_with_login(given="Bea")
    make_mandate(bea, board_body())
    make_meeting(board_body(), state="convened", title="Board secret agenda")
    ada_page = text(post(visit(ada.user), "/meetings/calendar/new"))
    ada_url = re.search(r'readonly value="([^"]+)"', ada_page)[1]
    bea_page = text(post(visit(bea.user), "/meetings/calendar/new"))
    bea_url = re.search(r'readonly value="([^"]+)"', bea_page)[1]
    assert ada_url != bea_url
    anonymous = app.test_client()
    ada_feed = anonymous.get(ada_url.split("portal.test", 1)[-1]).data
    bea_feed = anonymous.get(bea_url.split("portal.test", 1)[-1]).data
    assert b"Board secret agenda" not in ada_feed and b"Board secret agenda" in bea_feed
    # Bea stopping her address leaves Ada's working.
    post(visit(bea.user), "/meetings/calendar/revoke")
    assert anonymous.get(ada_url.split("portal.test", 1)[-1]).status_code == 200
    assert anonymous.get(bea_url.split("portal.test", 1)[-1]).status_code == 404


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"])
def test_a_day_out_of_range_is_a_422_on_create_and_on_edit_never_a_500(visit, day):
    """0001-01-01 at 00:05 in Paris (local mean time, +0:09:21) is before year 1 in UTC."""
    client = visit(board_user())
    created = post(client, "/meetings/new", plan_form(day=day, start="00:05", title="Keep me"))
    assert created.status_code == 422
    assert "Choose a day between the years 1900 and 2200." in text(created)
    assert 'value="Keep me"' in text(created)
    assert db.session.scalar(sa.select(Meeting).where(Meeting.title == "Keep me")) is None
    meeting = make_meeting(general_assembly(), days_ahead=40)
    url = f"/meetings/{meeting.id}/edit"
    before = meeting.starts_at
    edited = post(client, url, plan_form(day=day, start="00:05", title=meeting.title))
    assert edited.status_code == 422
    assert "Choose a day between the years 1900 and 2200." in text(edited)
    db.session.refresh(meeting)
    assert meeting.starts_at == before
    htmx = post(client, url, plan_form(day=day, start="00:05"), headers=HX)
    assert htmx.status_code == 422 and "1900" in text(htmx)
