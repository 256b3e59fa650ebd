"""A service that wrote part of its change and then refused leaves nothing behind, whatever the
view answers: the form again (422), an htmx fragment (422), or a redirect with a message (a
3xx, which the request lifecycle commits)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.errors import DomainError
from portal.core.workflow import WorkflowHistory
from portal.extensions import db
from portal.proposals import comments
from portal.proposals import services as proposal_services
from portal.proposals.models import Proposal, ProposalComment
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_proposals import make_proposal
from tests.factories_voting import voter

HX = {"HX-Request": "true"}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def audited(action: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def half_done(monkeypatch, module, name: str, field: str | None = None) -> None:
    """`module.name` does its whole work (adds, flushes, audits), then refuses."""
    real = getattr(module, name)

    def service(*args, **kwargs):
        real(*args, **kwargs)
        db.session.flush()
        raise DomainError("Refused after writing.", field=field)

    monkeypatch.setattr(module, name, service)


@pytest.fixture()
def author(db):
    return voter(given="Alma").user


@pytest.fixture()
def client_of(app, client):
    def _login(user):
        browser = app.test_client()
        response = browser.post(
            "/login",
            data={
                "username": user.username,
                "password": PASSWORD,
                "csrf_token": csrf_token(browser, "/login"),
            },
        )
        assert response.status_code == 303
        return browser

    return _login


def post(browser, url: str, data: dict, headers=None):
    return browser.post(
        url, data={"csrf_token": csrf_token(browser, "/"), **data}, headers=headers or {}
    )


@pytest.mark.parametrize("headers", [{}, HX])
def test_a_form_refused_after_the_service_wrote_keeps_nothing(
    client_of, author, monkeypatch, headers
):
    half_done(monkeypatch, proposal_services, "create_proposal", field="title")
    before, audits = count(Proposal), audited("proposal.created")
    response = post(
        client_of(author),
        "/proposals/new",
        {
            "title": "Longer lunch",
            "summary": "Lunch lasts one hour.",
            "what_changes": "Fifteen more minutes.",
            "body": "People eat too fast.",
            "body_id": "1",
        },
        headers,
    )
    assert response.status_code == 422
    assert "Refused after writing." in response.get_data(as_text=True)
    assert count(Proposal) == before and audited("proposal.created") == audits


@pytest.mark.parametrize("headers", [{}, HX])
def test_an_htmx_section_refused_after_the_service_wrote_keeps_nothing(
    client_of, author, monkeypatch, headers
):
    proposal = make_proposal(author, state="submitted")
    half_done(monkeypatch, comments, "add_comment", field="text")
    response = post(
        client_of(author), f"/proposals/{proposal.id}/comments", {"text": "First!"}, headers
    )
    assert response.status_code == 422
    assert "Refused after writing." in response.get_data(as_text=True)
    assert count(ProposalComment) == 0 and audited("proposal.commented") == 0


def test_a_step_refused_after_the_service_wrote_keeps_nothing_even_on_a_redirect(
    client_of, author, monkeypatch
):
    proposal = make_proposal(author)
    history = count(WorkflowHistory)
    half_done(monkeypatch, proposal_services, "transition_proposal")
    browser = client_of(author)
    response = post(browser, f"/proposals/{proposal.id}/transition", {"transition": "submit"})
    assert response.status_code == 302  # committed by the lifecycle: nothing of the step in it
    db.session.refresh(proposal)
    assert proposal.state == "draft" and count(WorkflowHistory) == history
    assert "Refused after writing." in browser.get(f"/proposals/{proposal.id}").get_data(
        as_text=True
    )
    htmx = post(browser, f"/proposals/{proposal.id}/transition", {"transition": "submit"}, HX)
    assert htmx.status_code == 422
    db.session.refresh(proposal)
    assert proposal.state == "draft" and count(WorkflowHistory) == history
