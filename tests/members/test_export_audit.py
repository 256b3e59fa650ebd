"""The register's download (/members/export.csv) is a GET that writes one audit entry: written
after the file is ready, in a short write of its own; a refused or failed download writes none."""

from __future__ import annotations

import json

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.members import csvio
from tests.factories import make_user
from tests.factories_members import make_member, member_user


def entries() -> list[AuditEntry]:
    return list(
        db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export.members"))
    )


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def test_the_download_is_audited_once_it_is_ready(client, login_as):
    board = make_user(roles={Role.MEMBER, Role.BOARD})
    make_member(given="Ada", family="Martin")
    login_as(board)
    response = client.get("/members/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = response.data.decode("utf-8-sig").strip().splitlines()
    (entry,) = entries()
    assert entry.actor_id == board.id
    assert json.loads(entry.details)["count"] == len(rows) - 1  # the heading line
    assert entry.request_id == response.headers["X-Request-ID"]


def test_a_refused_download_writes_nothing(client, login_as):
    login_as(member_user())
    before = audit_count()
    assert client.get("/members/export.csv").status_code == 403
    assert audit_count() == before


def test_a_download_that_fails_writes_nothing(client, login_as, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the file could not be made")

    monkeypatch.setattr(csvio, "members_csv", broken)
    login_as(make_user(roles={Role.MEMBER, Role.BOARD}))
    before = audit_count()
    assert client.get("/members/export.csv").status_code == 500
    assert audit_count() == before
