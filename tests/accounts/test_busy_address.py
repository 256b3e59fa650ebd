"""Issue 13: one typo-prone room must not lock everyone out (logins over HTTP, one address)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import LoginAttempt
from portal.core.audit import AuditEntry
from tests.accounts.test_views import post_login
from tests.factories import PASSWORD, make_user


def _failures_from_the_room(db) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(
            LoginAttempt.ip_address == "127.0.0.1", LoginAttempt.succeeded.is_(False)
        )
    )


def _a_moment_passes(db, seconds: int = 5) -> None:
    """Move the room's attempts `seconds` into the past (as if the person waited)."""
    for row in db.session.scalars(sa.select(LoginAttempt)):
        row.created_at -= timedelta(seconds=seconds)
    db.session.flush()


@pytest.mark.options(login_slowdown_seconds=2)
def test_a_room_full_of_typos_does_not_lock_out_the_right_password(app, client, db):
    """Fifty-odd failures from the workplace's one address, on many accounts and unknown names:
    a colleague who types her right password still logs in (before: 429 for everyone for 15
    minutes). Past the limit, passwords from the address are checked a few seconds apart; a try
    that comes sooner is answered at once (no worker sleeps) and says why, in plain words."""
    room = [make_user(username=f"worker{n:02d}") for n in range(12)]
    limit = app.config["LOGIN_MAX_FAILURES_PER_IP"]
    names = [person.username for person in room] + ["wrokre01", "marta.k", "nobody"]
    for number in range(limit):
        response = post_login(client, names[number % len(names)], "a typo in it")
        assert response.status_code == 422, number
    assert _failures_from_the_room(db) == limit

    # The address is busy and a password was checked a moment ago: the next try waits.
    soon = post_login(client, "worker03", "another typo")
    assert soon.status_code == 429
    assert soon.headers["Retry-After"] == "2"
    page = soon.get_data(as_text=True)
    assert "Wait 2 seconds, then try again." in page
    assert "checked a few seconds apart" in page and "you can still log in" in page
    assert 'name="password"' in page  # the form is there to try again
    assert _failures_from_the_room(db) == limit  # a try that was not checked is not counted

    _a_moment_passes(db)
    typo = post_login(client, "worker03", "another typo")
    assert typo.status_code == 422
    assert "Wrong username or password" in typo.get_data(as_text=True)
    assert "checked a few seconds apart" in typo.get_data(as_text=True)

    _a_moment_passes(db)
    colleague = make_user(username="amina.colleague")
    response = post_login(client, colleague.username, PASSWORD)
    assert response.status_code == 303
    assert colleague.last_login_at is not None


@pytest.mark.options(login_slowdown_seconds=2)
def test_htmx_gets_the_wait_in_the_form(app, client, db):
    for number in range(app.config["LOGIN_MAX_FAILURES_PER_IP"]):
        post_login(client, f"stranger{number}", "a typo in it")
    response = post_login(client, "stranger1", "a typo in it", headers={"HX-Request": "true"})
    assert response.status_code == 422  # the status htmx swaps in
    assert response.headers["Retry-After"] == "2"
    assert "Wait 2 seconds, then try again." in response.get_data(as_text=True)


def test_the_per_account_limit_still_refuses_from_a_busy_address(app, client, db):
    person = make_user(username="often.mistyped")
    for n in range(app.config["LOGIN_MAX_FAILURES_PER_IP"]):
        post_login(client, f"stranger{n}", "a typo in it")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert post_login(client, person.username, "a typo in it").status_code == 422
    response = post_login(client, person.username, PASSWORD)
    assert response.status_code == 429
    assert "Too many tries" in response.get_data(as_text=True)


def test_refused_logins_keep_their_attempt_and_audit_entry(app, client, db):
    """The lifecycle rolls a 422 or 429 back; the attempt (counted for the throttle) and the
    audit entry of the refusal are kept all the same."""
    person = make_user(username="kept.records")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert post_login(client, person.username, "a typo in it").status_code == 422
    assert post_login(client, person.username, PASSWORD).status_code == 429
    rows = db.session.scalars(
        sa.select(LoginAttempt).where(LoginAttempt.username == person.username)
    ).all()
    assert len(rows) == app.config["LOGIN_MAX_FAILURES"] + 1
    assert not any(row.succeeded for row in rows)
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(
            AuditEntry.action.in_(("auth.login_failed", "auth.throttled"))
        )
    ).all()
    assert actions.count("auth.login_failed") == app.config["LOGIN_MAX_FAILURES"]
    assert actions.count("auth.throttled") == 1


def test_a_successful_login_is_stored_by_the_lifecycle(client, db):
    person = make_user(username="logs.in")
    assert post_login(client, person.username, PASSWORD).status_code == 303
    row = db.session.scalar(sa.select(LoginAttempt).where(LoginAttempt.username == "logs.in"))
    assert row.succeeded is True
    assert person.last_login_at is not None
    assert db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "auth.login")
    )
