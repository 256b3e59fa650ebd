"""The roll-call: one form for the whole group of a slot; everyone present, then corrections;
minutes attended from the status and times; bad input refused clearly; two trainers saving at
once lose nothing (a merge, or 409 naming the people both changed differently); a signed row is
never changed here; a fixed number of statements whatever the number of participants."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.programmes.models import Apology, Attendance
from tests.clock import frozen_at
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_members import board_user, member_with_login, trainer_user
from tests.factories_programmes import AFTERNOON, MORNING, enrol, make_programme, make_session, mark

DAY = date(2026, 12, 7)  # a Monday; the clock is set on it, in Paris


@pytest.fixture()
def at_ten():
    with frozen_at(DAY, time(10, 0)):
        yield


@pytest.fixture()
def group(db, at_ten):
    trainer, second = trainer_user(), trainer_user()
    programme = make_programme(trainer, second)
    ada = member_with_login(given="Ada", family="Abbas")
    bob = member_with_login(given="Bob", family="Brun")
    cleo = member_with_login(given="Cléo", family="Cruz")
    for member in (ada, bob, cleo):
        enrol(programme, member)
    session = make_session(programme, day=DAY, slots=[MORNING, AFTERNOON])
    return trainer, second, programme, session, ada, bob, cleo


def path(session, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/programmes/sessions/{session.id}/roll" + (f"?{query}" if query else "")


def rows(session, half="morning") -> dict[int, Attendance]:
    slot = next(s for s in session.slots if s.half == half)
    return {
        row.member_id: row
        for row in db.session.scalars(
            sa.select(Attendance)
            .where(Attendance.slot_id == slot.id)
            .execution_options(populate_existing=True)
        )
    }


def form(client, session, changes: dict, version=None, was=None, half="morning"):
    """The form as the page sends it: every person on the page with what it showed (`was`)
    and the trainer's choices (`changes`: member -> (status, arrived, left))."""
    html = client.get(path(session, slot=half)).get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, path(session, slot=half)), "slot": half}
    data["version"] = (
        version
        if version is not None
        else re.search(r'name="version" value="(\d+)"', html).group(1)
    )
    members = re.findall(r'name="member" value="(\d+)"', html)
    data["member"] = members
    for member_id in members:
        shown = re.search(rf'name="was-{member_id}" value="([^"]*)"', html).group(1)
        data[f"was-{member_id}"] = (was or {}).get(int(member_id), shown)
        checked = re.search(rf'name="status-{member_id}" value="(\w+)"\s*checked', html)
        if checked:
            data[f"status-{member_id}"] = checked.group(1)
    for member, (status, arrived, left) in changes.items():
        data[f"status-{member.id}"] = status
        data[f"arrived-{member.id}"] = arrived
        data[f"left-{member.id}"] = left
    return data


def second_client(app, user):
    other = app.test_client()
    response = other.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(other)},
    )
    assert response.status_code == 303
    return other


def test_the_page_lists_the_group_for_its_trainers_only(group, client, login_as):
    trainer, _second, _programme, session, ada, _bob, _cleo = group
    login_as(trainer)
    html = client.get(path(session)).get_data(as_text=True)
    for name in ("Abbas Ada", "Brun Bob", "Cruz Cléo"):
        assert name in html
    assert "Everyone present" in html and 'name="q"' in html
    assert html.count('type="radio"') == 3 * 5
    assert "Afternoon" in html  # the slot switcher
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login_as(ada.user)  # a participant sees the programme, but does not take the roll-call
    assert client.get(path(session)).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(board_user())
    assert client.get(path(session)).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(trainer_user())  # another programme's trainer: it does not exist for them
    assert client.get(path(session)).status_code == 404


def test_everyone_present_then_corrections(group, client, login_as):
    trainer, _second, _programme, session, ada, bob, cleo = group
    db.session.add(Apology(session_id=session.id, member_id=cleo.id, reason="illness"))
    mark(session.slots[0], bob, "absent", minutes=0)
    login_as(trainer)
    response = client.post(
        path(session, slot="morning"),
        data={"csrf_token": csrf_token(client, path(session)), "action": "everyone"},
    )
    assert response.status_code == 303
    found = rows(session)
    assert (found[ada.id].status, found[ada.id].minutes) == ("present", 180)
    assert found[ada.id].recorded_by_id == trainer.id
    assert found[bob.id].status == "absent"  # already marked: unchanged
    assert (found[cleo.id].status, found[cleo.id].minutes) == ("excused", 0)
    assert rows(session, "afternoon") == {}  # only the slot shown

    # Corrections: Ada was late (9:20), left at 11:40.
    data = form(client, session, {ada: ("late", "9:20", "11:40")})
    assert client.post(path(session, slot="morning"), data=data).status_code == 303
    row = rows(session)[ada.id]
    assert (row.status, row.arrived_at, row.left_at, row.minutes) == (
        "late",
        time(9, 20),
        time(11, 40),
        140,
    )
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "programmes.roll_call")
    ).all()
    assert len(entries) == 2 and '"changed": 1' in entries[-1].details


@pytest.mark.parametrize(
    ("status", "arrived", "left", "minutes", "stored"),
    [
        ("present", "", "", 180, (None, None)),
        ("present", "9:30", "", 150, (time(9, 30), None)),
        ("late", "10h15", "", 105, (time(10, 15), None)),
        ("late", "", "", 120, (time(10, 0), None)),  # no time given: now, the slot is running
        ("left_early", "", "11:00", 120, (None, time(11, 0))),
        ("left_early", "9:10", "11:00", 110, (time(9, 10), time(11, 0))),
        ("present", "8:50", "", 180, (time(9, 0), None)),  # a little early: the start
        ("excused", "9:30", "", 0, (None, None)),  # no times when not in the room
        ("absent", "", "", 0, (None, None)),
    ],
)
def test_minutes_attended(group, client, login_as, status, arrived, left, minutes, stored):
    trainer, _second, _programme, session, ada, bob, _cleo = group
    login_as(trainer)
    data = form(client, session, {ada: (status, arrived, left)})
    assert client.post(path(session, slot="morning"), data=data).status_code == 303
    row = rows(session)[ada.id]
    assert (row.status, row.minutes, (row.arrived_at, row.left_at)) == (status, minutes, stored)
    assert bob.id not in rows(session)  # untouched people get no row


@pytest.mark.parametrize(
    ("status", "arrived", "left", "message"),
    [
        ("asleep", "", "", "Abbas: this status is unknown"),
        ("present", "7:00", "", "the arrival time 07:00 is outside this part of the session"),
        ("present", "", "12:30", "the departure time 12:30 is outside this part of the session"),
        ("left_early", "11:00", "10:00", "the departure is before the arrival"),
        ("late", "soon", "", "soon is not a time"),
        ("present", "25:00", "", "25:00 is not a time"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_saved(
    group, client, login_as, status, arrived, left, message
):
    trainer, _second, _programme, session, ada, bob, _cleo = group
    login_as(trainer)
    data = form(client, session, {bob: ("present", "", ""), ada: (status, arrived, left)})
    response = client.post(path(session, slot="morning"), data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html.replace("&#39;", "'")
    assert "Ada" in html
    assert rows(session) == {}  # not even Bob's valid change


def test_late_or_left_early_afterwards_needs_the_time(group, client, login_as):
    trainer, _second, _programme, session, ada, _bob, _cleo = group
    login_as(trainer)
    with frozen_at(DAY, time(15, 0)):  # the morning is over
        data = form(client, session, {ada: ("late", "", "")})
        response = client.post(path(session, slot="morning"), data=data)
    assert response.status_code == 422
    assert "Ada Abbas is late: give the arrival time." in response.get_data(as_text=True)


def test_a_cancelled_session_takes_no_roll_call(group, client, login_as):
    trainer, _second, _programme, session, ada, _bob, _cleo = group
    login_as(trainer)
    data = form(client, session, {ada: ("present", "", "")})
    session.cancelled_at = session.created_at
    db.session.flush()
    assert "This session was cancelled." in client.get(path(session)).get_data(as_text=True)
    response = client.post(path(session, slot="morning"), data=data)
    assert response.status_code == 422
    assert "This session was cancelled." in response.get_data(as_text=True)
    everyone = {"csrf_token": data["csrf_token"], "action": "everyone"}
    assert client.post(path(session, slot="morning"), data=everyone).status_code == 422
    assert rows(session) == {}


def test_a_signed_row_is_not_changed_and_is_reported(group, client, login_as):
    trainer, _second, _programme, session, ada, bob, _cleo = group
    mark(session.slots[0], ada, "present", signed=True)
    login_as(trainer)
    html = client.get(path(session)).get_data(as_text=True)
    assert "Signed: change it on the sheet, with a reason" in html
    data = form(client, session, {ada: ("absent", "", ""), bob: ("present", "", "")})
    response = client.post(path(session, slot="morning"), data=data, follow_redirects=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Not changed, because it is signed: Ada Abbas." in text
    found = rows(session)
    assert found[ada.id].status == "present" and found[bob.id].status == "present"


def test_two_trainers_at_once_lose_nothing(app, group, client, login_as):
    trainer, second, _programme, session, ada, bob, cleo = group
    login_as(trainer)
    other = second_client(app, second)
    mine = form(client, session, {ada: ("present", "", "")})
    theirs = form(other, session, {bob: ("absent", "", "")})
    assert mine["version"] == theirs["version"] == "0"

    assert client.post(path(session, slot="morning"), data=mine).status_code == 303
    # The second saves a page shown before the first save: merged, both kept.
    response = other.post(path(session, slot="morning"), data=theirs, follow_redirects=True)
    assert response.status_code == 200
    assert "Someone else saved this list too" in response.get_data(as_text=True)
    found = rows(session)
    assert found[ada.id].status == "present" and found[bob.id].status == "absent"
    assert found[bob.id].recorded_by_id == second.id
    assert session.roll_version == 2

    # Both change Cléo on pages shown before either save: the same mark is no clash...
    mine = form(client, session, {cleo: ("late", "9:30", "")})
    theirs = form(other, session, {cleo: ("late", "9:30", "")})
    assert client.post(path(session, slot="morning"), data=mine).status_code == 303
    assert other.post(path(session, slot="morning"), data=theirs).status_code == 303
    # ...a different one is: 409 naming her, nothing of the second save kept.
    mine = form(client, session, {cleo: ("present", "", ""), bob: ("present", "", "")})
    theirs = form(other, session, {cleo: ("absent", "", ""), ada: ("late", "9:40", "")})
    assert client.post(path(session, slot="morning"), data=mine).status_code == 303
    response = other.post(path(session, slot="morning"), data=theirs)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed these people while you were marking: Cléo Cruz." in html
    assert "Someone else marked: Present" in html
    found = rows(session)
    assert found[cleo.id].status == "present" and found[ada.id].status == "present"
    assert found[bob.id].status == "present"

    # The page of the 409 keeps the second trainer's marks; saving it again applies them.
    data = {"csrf_token": theirs["csrf_token"], "slot": "morning"}
    data["version"] = re.search(r'name="version" value="(\d+)"', html).group(1)
    data["member"] = re.findall(r'name="member" value="(\d+)"', html)
    for member_id in data["member"]:
        data[f"was-{member_id}"] = re.search(
            rf'name="was-{member_id}" value="([^"]*)"', html
        ).group(1)
        checked = re.search(rf'name="status-{member_id}" value="(\w+)"\s*checked', html)
        if checked:
            data[f"status-{member_id}"] = checked.group(1)
        arrived = re.search(rf'name="arrived-{member_id}"\s+value="([^"]*)"', html)
        data[f"arrived-{member_id}"] = arrived.group(1) if arrived else ""
    assert other.post(path(session, slot="morning"), data=data).status_code == 303
    found = rows(session)
    assert found[cleo.id].status == "absent" and found[ada.id].status == "late"
    assert found[ada.id].arrived_at == time(9, 40)
    assert found[bob.id].status == "present"  # the first trainer's change stays


def test_a_check_in_meanwhile_is_kept(group, client, login_as):
    trainer, _second, _programme, session, ada, bob, _cleo = group
    login_as(trainer)
    data = form(client, session, {bob: ("present", "", "")})
    mark(session.slots[0], ada, "present", arrived_at=time(9, 5))  # checked in meanwhile
    assert client.post(path(session, slot="morning"), data=data).status_code == 303
    found = rows(session)
    assert found[ada.id].arrived_at == time(9, 5) and found[bob.id].status == "present"


def test_the_name_filter_works_with_and_without_htmx(group, client, login_as):
    trainer, _second, _programme, session, ada, _bob, cleo = group
    login_as(trainer)
    html = client.get(path(session, q="cle")).get_data(as_text=True)
    visible = re.findall(r"<li >\s*<input type=\"hidden\" name=\"member\" value=\"(\d+)\"", html)
    assert visible == [str(cleo.id)]
    assert html.count("<li hidden>") == 2  # still in the form: nothing is lost on saving
    # htmx sends the form along: the marks not saved yet are kept in the fragment.
    fragment = client.get(
        path(session, keep=1, q="bob", slot="morning", member=ada.id)
        + f"&was-{ada.id}=||&status-{ada.id}=late&arrived-{ada.id}=9:25",
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert "<html" not in fragment and 'id="rollcall"' in fragment
    assert re.search(rf'name="status-{ada.id}" value="late"\s*checked', fragment)
    assert 'value="9:25"' in fragment


def test_the_session_link_and_code_link(group, client, login_as):
    trainer, _second, _programme, session, _ada, _bob, _cleo = group
    login_as(trainer)
    html = client.get(path(session)).get_data(as_text=True)
    assert f"/programmes/sessions/{session.id}/code" in html


def count_statements(client, url) -> int:
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements)


def test_the_page_costs_the_same_statements_for_5_and_40(db, client, login_as, at_ten):
    trainer = trainer_user()
    programme = make_programme(trainer)
    session = make_session(programme, day=DAY)

    def add(number, start):
        for index in range(number):
            member = member_with_login(given=f"Person{start + index}")
            enrol(programme, member)
            if index % 3 == 0:
                mark(session.slots[0], member, ("present", "late", "absent")[index % 3])
            if index % 4 == 0:
                db.session.add(Apology(session_id=session.id, member_id=member.id, reason="work"))
        db.session.flush()

    login_as(trainer)
    add(5, 0)
    client.get(path(session))  # warm (the first request of a client loads more)
    few = count_statements(client, path(session))
    add(35, 5)
    many = count_statements(client, path(session))
    assert many == few, f"{few} statements for 5 participants, {many} for 40"
