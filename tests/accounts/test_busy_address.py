"""Issue 13: one typo-prone room must not lock everyone out (logins over HTTP, one address)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.accounts import services
from portal.accounts.models import LoginAttempt
from portal.core.audit import AuditEntry
from tests.accounts.test_views import post_login
from tests.factories import PASSWORD, make_user


@pytest.fixture()
def waits(monkeypatch):
    """The slow-down's pauses, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(services, "sleep", recorded.append)
    return recorded


@pytest.mark.options(login_slowdown_seconds=2)
def test_a_room_full_of_typos_does_not_lock_out_the_right_password(app, client, db, waits):
    """Fifty-odd failures from the workplace's one address, on many accounts and unknown names:
    a colleague who types her right password still logs in (before: 429 for everyone)."""
    room = [make_user(username=f"worker{n:02d}") for n in range(12)]
    limit = app.config["LOGIN_MAX_FAILURES_PER_IP"]
    names = [person.username for person in room] + ["wrokre01", "marta.k", "nobody"]
    for number in range(limit + 5):
        response = post_login(client, names[number % len(names)], "a typo in it")
        assert response.status_code == 422, number
    assert (
        db.session.scalar(
            sa.select(sa.func.count(LoginAttempt.id)).where(
                LoginAttempt.ip_address == "127.0.0.1", LoginAttempt.succeeded.is_(False)
            )
        )
        == limit + 5
    )
    # Past the limit, each try waited and the page said why, in plain words.
    assert waits == [2] * 5
    page = post_login(client, "worker03", "another typo").get_data(as_text=True)
    assert "Wrong username or password" in page
    assert "each try now takes a few more seconds" in page
    assert "you can still log in" in page

    colleague = make_user(username="amina.colleague")
    response = post_login(client, colleague.username, PASSWORD)
    assert response.status_code == 303
    assert colleague.last_login_at is not None


def test_the_per_account_limit_still_refuses_from_a_busy_address(app, client, db, waits):
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
