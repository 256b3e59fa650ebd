"""Attendance and quorum: statuses, proxies and their cap, arrivals and departures over time,
weights, self check-in with the code, the live quorum line and the attendance sheet (PDF)."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from portal.core.db import utcnow
from portal.core.errors import Conflict, DomainError, NotAllowed
from portal.meetings import attendance
from portal.meetings.models import Attendance
from tests.conftest import csrf_token
from tests.factories_meetings import make_meeting
from tests.factories_members import (
    board_body,
    board_user,
    category,
    factory_board,
    general_assembly,
    make_mandate,
    make_member,
    member_with_login,
)

ADMITTED = date(2025, 2, 3)
HX = {"HX-Request": "true"}


def board_of(n: int, **login) -> list:
    """`n` board members (the electorate of the board), the first ones with a login."""
    people = []
    for i in range(n):
        person = member_with_login(given=f"Board{i}") if i < login.get("logins", 0) else None
        person = person or make_member(given=f"Board{i}", admitted_on=ADMITTED)
        make_mandate(person, board_body())
        people.append(person)
    return people


def session_of(body=None):
    return make_meeting(body, state="in_session", days_ahead=0)


def post(client, url, form=None, headers=None):
    return client.post(
        url, data={"csrf_token": csrf_token(client, "/"), **(form or {})}, headers=headers or {}
    )


# --- Quorum -----------------------------------------------------------------------------------


def test_quorum_with_proxies_counted_or_not(db):
    people = board_of(4)
    meeting = session_of()
    board = factory_board()
    attendance.set_status(board, meeting, people[0].id, "present")
    attendance.set_status(board, meeting, people[1].id, "represented", people[0].id)
    attendance.set_status(board, meeting, people[2].id, "excused")
    state = attendance.quorum_state(meeting)
    assert (state.present, state.represented, state.counted, state.total) == (1, 1, 2, 4)
    assert state.reached  # 2 of 4 is 50 %
    assert state.line == "2 of 4 present or represented — quorum (50 %) reached"

    meeting.body.proxies_count_for_quorum = False
    state = attendance.quorum_state(meeting)
    assert state.counted == 1 and not state.reached
    assert state.line == "1 of 4 present — quorum (50 %) not reached"


def test_quorum_follows_arrivals_and_departures(db):
    people = board_of(4)
    meeting = session_of()
    board = factory_board()
    start = utcnow()
    rows = {}
    for person in people[:3]:
        attendance.set_status(board, meeting, person.id, "present")
        rows[person.id] = db.session.scalar(
            sa.select(Attendance).where(Attendance.member_id == person.id)
        )
    rows[people[0].id].arrived_at = start
    rows[people[1].id].arrived_at = start + timedelta(minutes=10)
    rows[people[1].id].left_at = start + timedelta(minutes=60)
    rows[people[2].id].arrived_at = start + timedelta(minutes=30)
    db.session.flush()

    def counted(minutes):
        return attendance.quorum_state(meeting, start + timedelta(minutes=minutes)).counted

    assert [counted(m) for m in (5, 15, 45, 75)] == [1, 2, 3, 2]
    assert not attendance.quorum_state(meeting, start + timedelta(minutes=5)).reached
    assert attendance.quorum_state(meeting, start + timedelta(minutes=45)).reached


def test_a_proxy_counts_only_while_its_holder_is_here(db):
    people = board_of(4)
    meeting = session_of()
    board = factory_board()
    attendance.record_arrival(board, meeting, people[0].id)
    attendance.set_status(board, meeting, people[1].id, "represented", people[0].id)
    assert attendance.quorum_state(meeting).counted == 2
    attendance.record_departure(board, meeting, people[0].id)
    assert attendance.quorum_state(meeting).counted == 0
    with pytest.raises(DomainError):
        attendance.record_departure(board, meeting, people[0].id)  # already gone


def test_weights_of_the_colleges(db):
    staff = category("staff")
    staff.vote_weight = 3
    db.session.flush()
    ga = general_assembly()
    meeting = session_of(ga)
    worker = make_member(given="Worker", category="worker", admitted_on=ADMITTED)
    boss = make_member(given="Boss", category="staff", admitted_on=ADMITTED)
    voters = attendance.weights(meeting)
    assert voters[worker.id] == 1 and voters[boss.id] == 3
    attendance.set_status(factory_board(), meeting, boss.id, "present")
    state = attendance.quorum_state(meeting)
    assert state.weighted
    assert state.counted == 3
    assert state.total == sum(voters.values())
    assert state.line.startswith(f"3 of {state.total} votes present or represented")


# --- Proxies, statuses, check-in -----------------------------------------------------------------


def test_holder_must_be_present_and_within_the_cap(db):
    people = board_of(4)
    meeting = session_of()
    board = factory_board()
    with pytest.raises(DomainError) as refused:
        attendance.set_status(board, meeting, people[1].id, "represented", people[0].id)
    assert refused.value.field == "holder_id"  # the holder is not present
    attendance.set_status(board, meeting, people[0].id, "present")
    with pytest.raises(DomainError):
        attendance.set_status(board, meeting, people[1].id, "represented", None)
    with pytest.raises(DomainError):
        attendance.set_status(board, meeting, people[0].id, "represented", people[0].id)
    attendance.set_status(board, meeting, people[1].id, "represented", people[0].id)
    with pytest.raises(DomainError) as refused:  # the board's proxy cap is 1
        attendance.set_status(board, meeting, people[2].id, "represented", people[0].id)
    assert "most allowed" in str(refused.value.message)
    meeting.body.proxy_cap = 2
    attendance.set_status(board, meeting, people[2].id, "represented", people[0].id)
    with pytest.raises(DomainError):  # a holder of proxies stays present
        attendance.set_status(board, meeting, people[0].id, "absent")
    attendance.set_status(board, meeting, people[1].id, "excused")
    row = db.session.scalar(sa.select(Attendance).where(Attendance.member_id == people[1].id))
    assert row.proxy_holder_id is None


def test_only_managers_and_only_people_on_the_list(db):
    people = board_of(2, logins=1)
    meeting = session_of()
    outsider = make_member(given="Out", admitted_on=ADMITTED)
    with pytest.raises(NotAllowed):
        attendance.set_status(people[0].user, meeting, people[1].id, "present")
    with pytest.raises(DomainError):
        attendance.set_status(factory_board(), meeting, outsider.id, "present")


def test_check_in_with_the_code(db):
    people = board_of(2, logins=1)
    me = people[0]
    meeting = session_of()
    with pytest.raises(DomainError) as refused:
        attendance.check_in(me.user, meeting, me, "WRONG1")
    assert refused.value.field == "code"
    assert attendance.check_in(me.user, meeting, me, " km4p7q ") is True
    assert attendance.check_in(me.user, meeting, me, "KM4P7Q") is False  # already in
    assert attendance.quorum_state(meeting).present == 1
    outsider = member_with_login(given="Out")
    with pytest.raises(NotAllowed):
        attendance.check_in(outsider.user, meeting, outsider, "KM4P7Q")
    convened = make_meeting(state="convened")
    with pytest.raises(NotAllowed):
        attendance.check_in(me.user, convened, me, "KM4P7Q")


# --- HTTP -------------------------------------------------------------------------------------


def test_secretary_sets_statuses_and_sees_the_quorum(db, client, login_as):
    people = board_of(2)
    meeting = session_of()
    login_as(board_user())
    url = f"/meetings/{meeting.id}/attendance/{people[0].id}/status"
    response = post(client, url, {"status": "present"}, HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "1 of 2 present or represented — quorum (50 %) reached" in html
    assert 'aria-live="polite"' in html
    quorum = client.get(f"/meetings/{meeting.id}/quorum", headers=HX)
    shown = quorum.get_data(as_text=True)
    assert "1 of 2 present or represented" in shown
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', shown).group(1)
    same = client.get(f"/meetings/{meeting.id}/quorum?seen={seen}", headers=HX)
    assert same.status_code == 204  # unchanged: the live region is not read again
    # A holder who is not present: 422, the choice kept, nothing saved.
    url = f"/meetings/{meeting.id}/attendance/{people[0].id}/status"
    response = post(client, url, {"status": "represented", "holder_id": str(people[1].id)}, HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose a person who is present." in html
    assert '<option selected value="represented">' in html
    response = post(client, url, {"status": "present", "holder_id": "abc"}, HX)
    assert response.status_code == 200  # no holder needed when present
    assert (
        post(client, f"/meetings/{meeting.id}/attendance/{people[1].id}/arrived").status_code == 302
    )
    assert attendance.quorum_state(meeting).present == 2
    changed = client.get(f"/meetings/{meeting.id}/quorum?seen={seen}", headers=HX)
    assert changed.status_code == 200
    assert "2 of 2 present or represented" in changed.get_data(as_text=True)


def test_member_checks_in_over_http(db, client, login_as):
    people = board_of(1, logins=1)
    meeting = session_of()
    login_as(people[0].user)
    url = f"/meetings/{meeting.id}/check-in"
    response = post(client, url, {"code": "nope"}, HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This is not the meeting&#39;s code." in html and 'value="nope"' in html
    response = post(client, url, {"code": "km4p7q"}, HX)
    assert response.status_code == 200
    assert "Welcome. You are checked in." in response.get_data(as_text=True)
    response = post(client, url, {"code": "KM4P7Q"}, HX)
    assert "You are already checked in." in response.get_data(as_text=True)
    # Members neither keep the attendance nor print the sheet.
    other = f"/meetings/{meeting.id}/attendance/{people[0].id}/status"
    assert post(client, other, {"status": "absent"}).status_code == 403
    assert client.get(f"/meetings/{meeting.id}/attendance.pdf").status_code == 403
    assert client.get("/meetings/999999/attendance").status_code == 404


def test_attendance_sheet_pdf(db, client, login_as):
    people = board_of(2)
    meeting = session_of()
    board = factory_board()
    attendance.record_arrival(board, meeting, people[0].id)
    attendance.set_status(board, meeting, people[1].id, "represented", people[0].id)
    login_as(board_user())
    response = client.get(f"/meetings/{meeting.id}/attendance.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Attendance sheet" in text
    assert people[0].full_name in text and people[1].full_name in text
    assert "Represented" in text and "Signature" in text
    assert "2 of 2 present or represented" in text


def test_a_holder_who_left_cannot_take_a_proxy_and_unknown_people_are_404(db, client, login_as):
    people = board_of(2)
    meeting = session_of()
    board = factory_board()
    attendance.record_arrival(board, meeting, people[0].id)
    attendance.record_departure(board, meeting, people[0].id)
    with pytest.raises(DomainError) as refused:
        attendance.set_status(board, meeting, people[1].id, "represented", people[0].id)
    assert refused.value.field == "holder_id"
    stranger = make_member(given="Stranger", admitted_on=ADMITTED)
    login_as(board_user())
    url = f"/meetings/{meeting.id}/attendance/{stranger.id}/status"
    assert post(client, url, {"status": "present"}).status_code == 404
    assert post(client, f"/meetings/{meeting.id}/attendance/0/arrived").status_code == 404


def test_arrivals_only_in_session_but_statuses_before(db):
    people = board_of(2)
    meeting = make_meeting(state="convened")
    board = factory_board()
    attendance.set_status(board, meeting, people[0].id, "excused")  # told in advance
    with pytest.raises(Conflict):
        attendance.record_arrival(board, meeting, people[1].id)
