"""The poll downloads (results.csv, ballots.json) are GETs that write one audit entry: written
after the file is ready, in a short write of its own; a refused or failed download writes none."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.voting import services
from tests.factories_members import factory_board, member_user
from tests.factories_voting import open_poll_for, vote, voter

DOWNLOADS = {
    "results.csv": "export.poll_results",
    "ballots.json": "export.poll_ballots",
}


def entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


@pytest.fixture()
def closed_poll(db):
    ada, bob = voter(given="Ada"), voter(given="Bob")
    poll = open_poll_for(ada, bob)
    vote(poll, ada, {"vote": "yes"})
    vote(poll, bob, {"vote": "no"})
    services.close_poll(factory_board(), poll)
    return poll


@pytest.mark.parametrize(("file", "action"), DOWNLOADS.items())
def test_a_download_is_audited_once_it_is_ready(client, login_as, closed_poll, file, action):
    reader = member_user()
    login_as(reader)
    before = len(entries(action))
    response = client.get(f"/polls/{closed_poll.id}/{file}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    found = entries(action)
    assert len(found) == before + 1
    entry = found[-1]
    assert entry.actor_id == reader.id and entry.object_key == closed_poll.object_key
    assert entry.summary.startswith(f"poll {closed_poll.id} ")
    assert entry.request_id == response.headers["X-Request-ID"]


@pytest.mark.parametrize("file", DOWNLOADS)
def test_a_refused_download_writes_nothing(client, login_as, file):
    poll = open_poll_for(voter(given="Ada"))  # open: no results yet
    login_as(member_user())
    before = audit_count()
    assert client.get(f"/polls/{poll.id}/{file}").status_code == 403
    assert client.get(f"/polls/{2**31 - 2}/{file}").status_code == 404
    assert audit_count() == before


@pytest.mark.parametrize("file", DOWNLOADS)
def test_a_download_that_fails_writes_nothing(client, login_as, closed_poll, file, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the file could not be made")

    monkeypatch.setattr(services, "ballots_document", broken)
    monkeypatch.setattr("portal.voting.views._rows", broken)
    login_as(member_user())
    before = audit_count()
    assert client.get(f"/polls/{closed_poll.id}/{file}").status_code == 500
    assert audit_count() == before
