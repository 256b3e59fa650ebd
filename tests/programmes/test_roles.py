"""Who holds which role on a programme, in Python and in SQL (`allowed_clause`)."""

import sqlalchemy as sa

from portal.core.security import Permission as P
from portal.core.security import can
from portal.extensions import db
from portal.programmes.models import Programme
from portal.programmes.policies import programme_roles, visible_programmes
from tests.factories_members import (
    admin_user,
    board_user,
    counsellor_user,
    member_user,
    member_with_login,
    trainer_user,
)
from tests.factories_programmes import enrol, make_programme


def _visible(user) -> set[int]:
    return set(db.session.scalars(sa.select(Programme.id).where(visible_programmes(user))))


def test_roles_and_visibility(db):
    trainer, other_trainer = trainer_user(), trainer_user()
    programme = make_programme(trainer)
    ada, bob = member_with_login(given="Ada"), member_with_login(given="Bob")
    enrol(programme, ada)
    withdrawn = enrol(programme, bob)
    withdrawn.withdrawn_on = withdrawn.enrolled_on

    assert programme_roles(trainer, programme) == {"Programme trainer"}
    assert programme_roles(ada.user, programme) == {"Participant"}
    assert programme_roles(bob.user, programme) == set()
    assert can(trainer, P.RUN_SESSIONS, programme)
    assert not can(other_trainer, P.VIEW, programme)
    assert not can(ada.user, P.RUN_SESSIONS, programme)
    assert can(ada.user, P.ATTEND, programme)
    for reader in (board_user(), counsellor_user(), admin_user()):
        assert can(reader, P.VIEW, programme)
        assert programme.id in _visible(reader)
    assert not can(board_user(), P.RUN_SESSIONS, programme)
    assert _visible(trainer) >= {programme.id}
    assert programme.id not in _visible(other_trainer)
    assert programme.id in _visible(ada.user)
    assert programme.id not in _visible(bob.user)
    assert programme.id not in _visible(member_user())


def test_a_trainer_who_lost_the_role_runs_nothing(db):
    trainer = trainer_user()
    programme = make_programme(trainer)
    trainer.role_grants.clear()
    db.session.flush()
    assert not can(trainer, P.RUN_SESSIONS, programme)
    assert programme.id not in _visible(trainer)


def test_a_disabled_account_holds_no_role(db):
    ada = member_with_login(given="Ada")
    programme = make_programme(trainer_user())
    enrol(programme, ada)
    ada.user.active = False
    assert programme_roles(ada.user, programme) == set()
