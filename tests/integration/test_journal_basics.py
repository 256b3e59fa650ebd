"""The loader's access decisions and the journal: one row per read, refused attempts kept,
append-only in the database."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.integration import policies
from portal.integration.models import RecordRead
from tests.conftest import csrf_token
from tests.factories_integration import assign, make_pathway
from tests.factories_members import (
    admin_user,
    board_user,
    counsellor_user,
    member_with_login,
    trainer_user,
)


def test_access_rules(db):
    ada = member_with_login(given="Ada")
    pathway = make_pathway(ada)
    counsellor, trainer, stranger = counsellor_user(), trainer_user(), counsellor_user()
    assign(pathway, counsellor, "counsellor", personal_data=True)
    assign(pathway, trainer, "trainer")
    assert policies.can_read(ada.user, pathway) and policies.can_read_barriers(ada.user, pathway)
    assert not policies.can_edit(ada.user, pathway)
    assert policies.can_edit(counsellor, pathway) and policies.can_read_barriers(
        counsellor, pathway
    )
    assert policies.can_read(trainer, pathway) and not policies.can_read_barriers(trainer, pathway)
    assert policies.can_assess(trainer, pathway) and not policies.can_assess(counsellor, pathway)
    assert not policies.can_read(stranger, pathway)
    assert not policies.can_read(board_user(), pathway)
    admin = admin_user()
    assert not policies.can_read(admin, pathway) and policies.can_break_glass(admin, pathway)


def test_assignment_holds_only_while_it_runs(db):
    pathway = make_pathway(member_with_login())
    ended, future = counsellor_user(), counsellor_user()
    assign(pathway, ended, starts_on=date(2020, 1, 1), ends_on=date(2020, 12, 31))
    assign(pathway, future, starts_on=date(2099, 1, 1))
    assert not policies.can_read(ended, pathway)
    assert not policies.can_read(future, pathway)


def test_assignment_needs_the_role_it_was_given_for(db):
    pathway = make_pathway(member_with_login())
    trainer = trainer_user()
    assign(pathway, trainer, "counsellor")  # assigned as counsellor but holds only trainer
    assert not policies.can_read(trainer, pathway)


def test_journal_is_append_only(db):
    db.session.add(RecordRead(pathway_id=1, kind="page", what="record", outcome="allowed"))
    db.session.flush()
    with pytest.raises(sa.exc.DatabaseError), db.session.begin_nested():
        db.session.execute(sa.update(RecordRead).values(what="changed"))
    with pytest.raises(sa.exc.DatabaseError), db.session.begin_nested():
        db.session.execute(sa.delete(RecordRead))


def test_own_reads_name_nobody_others_are_named(db, client, login_as):
    ada = member_with_login(given="Ada")
    pathway = make_pathway(ada)
    counsellor = counsellor_user()
    assign(pathway, counsellor, "counsellor", personal_data=True)
    login_as(ada.user)
    assert client.get(f"/integration/{pathway.id}").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(counsellor)
    assert client.get(f"/integration/{pathway.id}").status_code == 200
    rows = db.session.scalars(sa.select(RecordRead).order_by(RecordRead.id)).all()
    assert [(r.user_id, r.by_member, r.outcome) for r in rows] == [
        (None, True, "allowed"),  # the member's own read: kept, naming nobody
        (counsellor.id, False, "allowed"),
    ]


def test_only_an_anonymised_records_journal_may_be_deleted(db):
    from portal.integration import journal
    from portal.integration.models import ReadKind

    living = make_pathway(member_with_login())
    gone = make_pathway(member_with_login(), outcome_code="training")
    reader = counsellor_user()
    journal.record_read(reader, living.id, ReadKind.PAGE, "record")
    journal.record_read(reader, gone.id, ReadKind.PAGE, "record")
    with pytest.raises(sa.exc.DatabaseError), db.session.begin_nested():
        db.session.execute(sa.delete(RecordRead).where(RecordRead.pathway_id == gone.id))
    gone.member_id, gone.anonymised_on = None, date(2029, 2, 1)
    db.session.flush()
    db.session.execute(sa.delete(RecordRead).where(RecordRead.pathway_id == gone.id))
    with pytest.raises(sa.exc.DatabaseError), db.session.begin_nested():
        db.session.execute(sa.delete(RecordRead).where(RecordRead.pathway_id == living.id))
    with pytest.raises(sa.exc.DatabaseError), db.session.begin_nested():
        db.session.execute(sa.update(RecordRead).values(what="changed"))
    assert db.session.scalar(sa.select(sa.func.count(RecordRead.id))) == 1


def test_attempts_on_an_anonymised_record_tie_nobody_to_it(db, client, login_as):
    ada = member_with_login(given="Ada")
    old = make_pathway(ada, outcome_code="training")
    make_pathway(ada, date(2027, 3, 1))
    old.member_id, old.anonymised_on = None, date(2029, 2, 1)
    db.session.flush()
    login_as(ada.user)
    assert client.get(f"/integration/{old.id}").status_code == 404
    assert client.get(f"/integration/mine?pathway={old.id}").status_code == 404
    rows = db.session.scalars(sa.select(RecordRead).where(RecordRead.outcome == "refused")).all()
    assert len(rows) == 2
    assert all(row.pathway_id is None for row in rows)  # the attempt, not the record


def test_nobody_follows_their_own_pathway(db):
    from portal.core.errors import DomainError
    from portal.integration import services
    from tests.factories_members import admin_user as an_admin
    from tests.factories_members import user_with

    both = user_with(Role.COUNSELLOR)
    member = member_with_login()
    member.user_id = both.id  # a counsellor who is also a worker-member
    db.session.flush()
    with pytest.raises(DomainError):
        services.open_pathway(both, member, services.PathwayData(entry_on=date(2026, 1, 5)))
    other = counsellor_user()
    pathway = services.open_pathway(other, member, services.PathwayData(entry_on=date(2026, 1, 5)))
    with pytest.raises(DomainError):
        services.assign(an_admin(), pathway, both, "counsellor", date(2026, 1, 5), None, False)
