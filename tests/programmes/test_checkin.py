"""Self check-in: a code per slot that changes every minute (the current and the previous one
work; a code of another slot, session or an older minute never does), shown on the trainer's
screen with its QR code; the member checks in logged in as themselves; a trainer's mark is never
downgraded; a second check-in changes nothing; wrong codes are throttled per account."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.extensions import db
from portal.programmes import checkin
from portal.programmes.models import Attendance
from tests.clock import frozen_at
from tests.conftest import csrf_token
from tests.factories_members import board_user, member_with_login, trainer_user
from tests.factories_programmes import AFTERNOON, MORNING, enrol, make_programme, make_session, mark

DAY = date(2026, 12, 7)  # a Monday
URL = "/programmes/check-in"


@pytest.fixture()
def room(db):
    with frozen_at(DAY, time(9, 5)):
        trainer = trainer_user()
        programme = make_programme(trainer)
        ada = member_with_login(given="Ada", family="Abbas")
        bob = member_with_login(given="Bob", family="Brun")
        enrol(programme, ada)
        enrol(programme, bob)
        session = make_session(programme, day=DAY, slots=[MORNING, AFTERNOON])
        yield trainer, programme, session, ada, bob


def row(session, member, half="morning"):
    slot = next(s for s in session.slots if s.half == half)
    return db.session.scalars(
        sa.select(Attendance)
        .where(Attendance.slot_id == slot.id, Attendance.member_id == member.id)
        .execution_options(populate_existing=True)
    ).one_or_none()


def code_now(session, half="morning", shift=0):
    slot = next(s for s in session.slots if s.half == half)
    return checkin.code_for(session, slot, checkin.window_of(utcnow()) + shift)


def post(client, code):
    return client.post(URL, data={"code": code, "csrf_token": csrf_token(client, URL)})


def test_codes_are_short_unambiguous_and_bound_to_slot_and_minute(room):
    _trainer, programme, session, _ada, _bob = room
    other = make_session(programme, day=DAY)
    morning, afternoon = session.slots
    window = checkin.window_of(utcnow())
    code = checkin.code_for(session, morning, window)
    assert len(code) == 6 and set(code) <= set(checkin.ALPHABET)
    assert not set("0O1IL") & set(checkin.ALPHABET)
    assert code == checkin.code_for(session, morning, window)  # stable within its minute
    assert code != checkin.code_for(session, morning, window + 1)
    assert code != checkin.code_for(session, afternoon, window)
    assert code != checkin.code_for(other, other.slots[0], window)


def test_checking_in_needs_a_login_and_comes_back_with_the_code(room, client):
    _trainer, _programme, _session, _ada, _bob = room
    response = client.get(URL + "?code=abc123")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert "check-in" in response.headers["Location"] and "abc123" in response.headers["Location"]


def test_a_member_checks_in_once(room, client, login_as):
    _trainer, _programme, session, ada, _bob = room
    with frozen_at(DAY, time(9, 5)):
        login_as(ada.user)
        page = client.get(URL + "?code=" + code_now(session).lower()).get_data(as_text=True)
        assert f'value="{code_now(session)}"' in page  # prefilled from the QR code, in capitals
        response = post(client, code_now(session).lower())
        assert response.status_code == 200
        assert "You are checked in. Welcome!" in response.get_data(as_text=True)
        found = row(session, ada)
        assert (found.status, found.arrived_at, found.minutes) == ("present", time(9, 5), 175)
        assert found.checked_in_at is not None and found.recorded_by_id == ada.user.id
        first = found.checked_in_at

        response = post(client, code_now(session))
        assert response.status_code == 200
        assert "You are already checked in" in response.get_data(as_text=True)
        found = row(session, ada)
        assert (found.status, found.checked_in_at) == ("present", first)
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "programmes.checked_in")
    ).all()
    assert len(entries) == 1


def test_late_after_ten_minutes_and_early_counts_from_the_start(room, client, login_as):
    _trainer, _programme, session, ada, bob = room
    with frozen_at(DAY, time(9, 25)):
        login_as(ada.user)
        assert post(client, code_now(session)).status_code == 200
    found = row(session, ada)
    assert (found.status, found.arrived_at, found.minutes) == ("late", time(9, 25), 155)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    with frozen_at(DAY, time(13, 5)):  # the afternoon opens 30 minutes before 13:30
        login_as(bob.user)
        assert post(client, code_now(session, "afternoon")).status_code == 200
    found = row(session, bob, "afternoon")
    assert (found.status, found.arrived_at, found.minutes) == ("present", time(13, 30), 180)


def test_the_previous_minute_works_older_codes_and_other_slots_do_not(room, client, login_as):
    _trainer, _programme, session, ada, bob = room
    with frozen_at(DAY, time(9, 5)):
        login_as(ada.user)
        for code in (code_now(session, shift=-2), code_now(session, shift=1)):
            response = post(client, code)
            assert response.status_code == 422
            assert "This code is not right, or it has changed." in response.get_data(as_text=True)
        assert row(session, ada) is None
        assert post(client, code_now(session, shift=-1)).status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    with frozen_at(DAY, time(12, 40)):  # the morning is over; the afternoon not open yet
        login_as(bob.user)
        response = post(client, code_now(session, "morning"))
        assert response.status_code == 422
        assert "it has changed" in response.get_data(as_text=True)
    with frozen_at(DAY, time(14, 0)):  # a morning code in the afternoon
        response = post(client, code_now(session, "morning"))
        assert response.status_code == 422
    assert row(session, bob) is None and row(session, bob, "afternoon") is None


def test_a_code_before_the_check_in_opens_does_not_work(room, client, login_as):
    _trainer, _programme, session, ada, _bob = room
    with frozen_at(DAY, time(8, 20)):  # opens at 8:30, 30 minutes before the start
        login_as(ada.user)
        assert post(client, code_now(session, "morning")).status_code == 422
    assert row(session, ada) is None


def test_refusals_are_clear(room, client, login_as):
    _trainer, _programme, session, ada, _bob = room
    stranger = member_with_login(given="Stan")
    with frozen_at(DAY, time(9, 5)):
        login_as(stranger.user)
        response = post(client, code_now(session))
        assert response.status_code == 422
        assert "You are not on the list of this session. Ask the trainer." in response.get_data(
            as_text=True
        )
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        login_as(ada.user)
        response = post(client, "")
        assert response.status_code == 422
        assert "Type the code shown in the room." in response.get_data(as_text=True)
        session.cancelled_at = utcnow()
        db.session.flush()
        response = post(client, code_now(session))
        assert response.status_code == 422
        assert "This session was cancelled." in response.get_data(as_text=True)
    assert row(session, ada) is None and row(session, stranger) is None


def test_a_trainers_mark_is_never_downgraded(room, client, login_as):
    _trainer, _programme, session, ada, bob = room
    mark(session.slots[0], ada, "present")
    mark(session.slots[0], bob, "absent", minutes=0)
    with frozen_at(DAY, time(9, 40)):
        login_as(ada.user)
        response = post(client, code_now(session))
        assert "You are already checked in" in response.get_data(as_text=True)
        found = row(session, ada)
        assert (found.status, found.minutes, found.arrived_at) == ("present", 180, None)
        assert found.checked_in_at is not None  # the roll-call shows it
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        login_as(bob.user)  # marked absent, but here after all
        assert post(client, code_now(session)).status_code == 200
    found = row(session, bob)
    assert (found.status, found.arrived_at, found.minutes) == ("late", time(9, 40), 140)


def test_a_signed_sheet_takes_no_check_in(room, client, login_as):
    _trainer, _programme, session, ada, _bob = room
    session.trainer_signed_at = utcnow()
    with frozen_at(DAY, time(9, 5)):
        login_as(ada.user)
        response = post(client, code_now(session))
    assert response.status_code == 422
    assert "already signed" in response.get_data(as_text=True)


def test_wrong_codes_are_throttled_per_account(room, client, login_as):
    _trainer, _programme, session, ada, bob = room
    with frozen_at(DAY, time(9, 5)):
        login_as(ada.user)
        for _ in range(checkin.MAX_WRONG):
            assert post(client, "WRONG9").status_code == 422
        response = post(client, code_now(session))  # even the right code waits
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) > 500
        assert "Too many wrong codes." in response.get_data(as_text=True)
        assert row(session, ada) is None
        refused = db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.action == checkin.REFUSED_ACTION, AuditEntry.actor_id == ada.user.id
            )
        )
        assert refused == checkin.MAX_WRONG
        checkin.check_throttle(bob.user)  # another account is not held up
    with frozen_at(DAY, time(9, 16)):  # ten minutes later
        assert post(client, code_now(session)).status_code == 200
    assert row(session, ada).status == "late"


def test_the_throttle_counts_the_window_only(room):
    _trainer, _programme, _session, ada, _bob = room
    with frozen_at(DAY, time(9, 5)):
        for _ in range(checkin.MAX_WRONG - 1):
            checkin.record_wrong_code(ada.user, "WRONG9")
        checkin.check_throttle(ada.user)  # 4: still allowed
        checkin.record_wrong_code(ada.user, "WRONG9")
        with pytest.raises(checkin.TooManyAttempts):
            checkin.check_throttle(ada.user)
        later = utcnow() + timedelta(seconds=checkin.THROTTLE_SECONDS + 1)
        checkin.check_throttle(ada.user, later)


def test_the_code_screen(room, client, login_as):
    trainer, _programme, session, ada, _bob = room
    with frozen_at(DAY, time(9, 5)):
        login_as(trainer)
        response = client.get(f"/programmes/sessions/{session.id}/code")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert code_now(session) in html
        assert session.programme.title in html and session.topic in html
        assert "<svg" in html and 'class="segno"' in html
        assert 'hx-trigger="every' in html and 'http-equiv="refresh"' in html
        fragment = client.get(
            f"/programmes/sessions/{session.id}/code", headers={"HX-Request": "true"}
        ).get_data(as_text=True)
        assert "<html" not in fragment and code_now(session) in fragment
    with frozen_at(DAY, time(12, 30)):
        html = client.get(f"/programmes/sessions/{session.id}/code").get_data(as_text=True)
        assert "No check-in now." in html
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    with frozen_at(DAY, time(9, 5)):
        login_as(ada.user)
        assert client.get(f"/programmes/sessions/{session.id}/code").status_code == 403
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        login_as(board_user())
        assert client.get(f"/programmes/sessions/{session.id}/code").status_code == 403


def test_the_qr_code_holds_only_the_check_in_link(room, client, login_as, monkeypatch):
    trainer, _programme, session, _ada, _bob = room
    from portal.programmes import views_room

    made = []
    real = views_room.segno.make
    monkeypatch.setattr(
        views_room.segno, "make", lambda text, **kw: made.append(text) or real(text, **kw)
    )
    with frozen_at(DAY, time(9, 5)):
        login_as(trainer)
        assert client.get(f"/programmes/sessions/{session.id}/code").status_code == 200
        assert len(made) == 1
        assert made[0].endswith(f"/programmes/check-in?code={code_now(session)}")
