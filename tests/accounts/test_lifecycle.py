"""Account views on the request lifecycle: a refused service keeps nothing, even when the view
answers with a redirect (which commits)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.accounts import services
from portal.accounts.models import SetupCode
from portal.core.errors import DomainError
from tests.conftest import csrf_token
from tests.factories import make_user


def _half_then_refuse(name: str):
    """A service that changes something, then refuses."""

    def service(actor, user, *args, **kwargs):
        user.display_name = name
        raise DomainError("Refused half-way.")

    return service


def test_a_refused_enable_or_disable_keeps_nothing(client, login_as, admin, monkeypatch):
    person = make_user(username="half.way", display_name="Before")
    login_as(admin)
    monkeypatch.setattr(services, "set_user_active", _half_then_refuse("Half-saved"))
    response = client.post(
        f"/accounts/{person.id}/disable",
        data={"csrf_token": csrf_token(client, "/")},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Refused half-way." in response.get_data(as_text=True)
    assert person.display_name == "Before"


def test_a_refused_setup_code_keeps_nothing(client, login_as, admin, monkeypatch, db):
    person = make_user(username="no.code", display_name="Before")

    def half(actor, user, config):
        db.session.add(SetupCode(user_id=user.id, code_hash="x" * 64, issued_by_id=actor.id))
        user.display_name = "Half-saved"
        raise DomainError("Refused half-way.")

    login_as(admin)
    monkeypatch.setattr(services, "issue_setup_code", half)
    response = client.post(
        f"/accounts/{person.id}/setup-code", data={"csrf_token": csrf_token(client, "/")}
    )
    assert response.status_code == 302
    assert person.display_name == "Before"
    assert not db.session.scalar(sa.select(SetupCode.id).where(SetupCode.user_id == person.id))


@pytest.mark.options(propagate_exceptions=False)  # the 500 page, not a raise in the test
def test_a_failed_setup_sheet_keeps_no_code(client, login_as, admin, monkeypatch, db):
    import portal.accounts.views as views

    person = make_user(username="no.sheet")

    def broken(*args, **kwargs):
        raise RuntimeError("the PDF could not be made")

    login_as(admin)
    monkeypatch.setattr(views, "setup_sheet_pdf", broken)
    response = client.post(
        f"/accounts/{person.id}/setup-code", data={"csrf_token": csrf_token(client, "/")}
    )
    assert response.status_code == 500
    assert not db.session.scalar(sa.select(SetupCode.id).where(SetupCode.user_id == person.id))


def test_a_refused_preference_keeps_nothing(client, login_as, user, monkeypatch):
    def half(actor, locale, email):
        actor.locale = "fr"
        raise DomainError("This e-mail address is not valid.", field="email")

    login_as(user)
    monkeypatch.setattr(services, "update_preferences", half)
    response = client.post(
        "/account",
        data={"locale": "fr", "email": "x@y.org", "csrf_token": csrf_token(client, "/account")},
    )
    assert response.status_code == 422
    assert user.locale != "fr"
