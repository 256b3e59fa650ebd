"""Who may do what with an integration record: each named predicate for each kind of person.

The predicates are thin calls to `core.security.can` over the record's workflow
(`integration/workflow.py`) and the roles the record gives (`policies.record_roles`); their SQL
twin (`policies.pathways_clause`, `allowed_clause`) must select exactly the same records.
Dates are counted from `local_today()`, the one "today" the rules use.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from portal.accounts.models import Role, UserRole
from portal.core.db import local_today
from portal.core.security import Permission, can
from portal.extensions import db
from portal.integration import policies, services
from portal.integration.models import Pathway
from portal.integration.workflow import RECORD_WORKFLOW
from tests.factories_integration import assign, make_pathway
from tests.factories_members import member_with_login, user_with

PREDICATES = {
    "read": policies.can_read,
    "read_barriers": policies.can_read_barriers,
    "edit": policies.can_edit,
    "record_action": policies.can_record_action,
    "assess": policies.can_assess,
    "edit_barriers": policies.can_edit_barriers,
    "manage_team": policies.can_manage_team,
    "grant_personal_data": policies.can_grant_personal_data,
    "request_rectification": policies.can_request_rectification,
    "export": policies.can_export,
    "purge": policies.can_purge,
    "break_glass": policies.can_break_glass,
}

NOTHING: set[str] = set()
COUNSELLOR = {"read", "edit", "record_action", "manage_team"}
COUNSELLOR_WITH_FLAG = COUNSELLOR | {
    "read_barriers",
    "edit_barriers",
    "grant_personal_data",
    "export",
}
TRAINER = {"read", "record_action", "assess"}
TRAINER_WITH_FLAG = TRAINER | {"read_barriers", "edit_barriers"}

EXPECTED = {
    "the member themself": {"read", "read_barriers", "request_rectification", "export"},
    "counsellor, with the flag": COUNSELLOR_WITH_FLAG,
    "counsellor, without the flag": COUNSELLOR,
    "trainer, with the flag": TRAINER_WITH_FLAG,
    "trainer, without the flag": TRAINER,
    # Two assignments at once: the flag on the trainer one gives no counsellor's right to it.
    "counsellor and trainer, flag as trainer only": COUNSELLOR | TRAINER_WITH_FLAG,
    "assignment ended yesterday": NOTHING,
    "assignment starting tomorrow": NOTHING,
    "assignment ending today": COUNSELLOR_WITH_FLAG,
    "assignment starting today": COUNSELLOR_WITH_FLAG,
    "counsellor role removed from the account": NOTHING,
    "disabled account": NOTHING,
    # Team-only: chooses the team, reads nothing without breaking the glass.
    "administrator": {"manage_team", "grant_personal_data", "break_glass"},
    "disabled administrator": NOTHING,
    # An administrator in the team reads as the team does (no break-glass needed).
    "administrator assigned as counsellor": COUNSELLOR | {"grant_personal_data"},
    "counsellor not assigned": NOTHING,
    "trainer not assigned": NOTHING,
    "board member": NOTHING,
    "a stranger": NOTHING,
    "nobody logged in": NOTHING,
    "an anonymous visitor": NOTHING,
}


def person(*roles: Role, active: bool = True):
    return user_with(*roles, password=None, active=active)


def counsellor_user(**kwargs):
    return person(Role.COUNSELLOR, **kwargs)


def trainer_user():
    return person(Role.TRAINER)


def admin_user(**kwargs):
    return person(Role.ADMIN, **kwargs)


@pytest.fixture()
def today():
    return local_today()


@pytest.fixture()
def record(db, today):
    """A running pathway and one person for each case of `EXPECTED`."""
    day = timedelta(days=1)
    ada = member_with_login(given="Ada")
    pathway = make_pathway(ada, entry_on=today - 200 * day)
    people = {"the member themself": ada.user}

    def team(name, user, role="counsellor", **kwargs):
        assign(pathway, user, role, **kwargs)
        people[name] = user
        return user

    team("counsellor, with the flag", counsellor_user(), personal_data=True)
    team("counsellor, without the flag", counsellor_user())
    team("trainer, with the flag", trainer_user(), "trainer", personal_data=True)
    team("trainer, without the flag", trainer_user(), "trainer")
    both = team(
        "counsellor and trainer, flag as trainer only", person(Role.COUNSELLOR, Role.TRAINER)
    )
    assign(pathway, both, "trainer", personal_data=True)
    team("assignment ended yesterday", counsellor_user(), personal_data=True, ends_on=today - day)
    team(
        "assignment starting tomorrow", counsellor_user(), personal_data=True, starts_on=today + day
    )
    team("assignment ending today", counsellor_user(), personal_data=True, ends_on=today)
    team("assignment starting today", counsellor_user(), personal_data=True, starts_on=today)
    removed = team(
        "counsellor role removed from the account", counsellor_user(), personal_data=True
    )
    removed.role_grants = [g for g in removed.role_grants if g.role != Role.COUNSELLOR.value]
    team("disabled account", counsellor_user(active=False), personal_data=True)
    people["administrator"] = admin_user()
    people["disabled administrator"] = admin_user(active=False)
    team("administrator assigned as counsellor", person(Role.ADMIN, Role.COUNSELLOR))
    people["counsellor not assigned"] = counsellor_user()
    people["trainer not assigned"] = trainer_user()
    people["board member"] = person(Role.BOARD)
    people["a stranger"] = person()
    people["nobody logged in"] = None
    people["an anonymous visitor"] = AnonymousUserMixin()
    db.session.flush()
    assert set(people) == set(EXPECTED)
    return pathway, people


def allowed(user, pathway) -> set[str]:
    return {name for name, predicate in PREDICATES.items() if predicate(user, pathway)}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_predicate_for_each_person(record, who):
    pathway, people = record
    assert allowed(people[who], pathway) == EXPECTED[who]


def test_the_role_removed_from_the_account_was_what_gave_access(record):
    pathway, people = record
    removed = people["counsellor role removed from the account"]
    removed.role_grants.append(UserRole(role=Role.COUNSELLOR.value))
    db.session.flush()
    assert allowed(removed, pathway) == COUNSELLOR_WITH_FLAG


def test_nobody_may_do_anything_with_an_anonymised_record(record, today):
    pathway, people = record
    pathway.anonymised_on = today
    pathway.member_id = None
    db.session.flush()
    db.session.refresh(pathway)
    assert pathway.state == "anonymised"
    for who, user in people.items():
        assert allowed(user, pathway) == NOTHING, who


def test_services_may_grant_personal_data_is_the_predicate(record):
    pathway, people = record
    for who, user in people.items():
        assert services.may_grant_personal_data(user, pathway) == (
            "grant_personal_data" in EXPECTED[who]
        ), who


def test_break_glass_opens_the_record_read_only_for_the_administrator_only(record):
    pathway, people = record
    admin = people["administrator"]
    assert policies.break_glass_open(admin, pathway) is None
    row = services.break_glass(admin, pathway, "The member asked me to check her record.")
    assert policies.break_glass_open(admin, pathway).id == row.id
    # The opening is not a right to read or change: the loader lets the page through read-only.
    assert allowed(admin, pathway) == EXPECTED["administrator"]
    for who in ("counsellor, with the flag", "the member themself", "disabled administrator"):
        assert policies.break_glass_open(people[who], pathway) is None, who


def test_site_wide_predicates(record):
    _pathway, people = record
    cases = {
        "administrator": (True, True, True),
        "counsellor not assigned": (True, True, True),
        "board member": (False, True, False),
        "trainer not assigned": (False, False, False),
        "a stranger": (False, False, False),
        "disabled administrator": (False, False, False),
        "nobody logged in": (False, False, False),
    }
    for who, expected in cases.items():
        user = people[who]
        found = (
            policies.can_open_pathway(user),
            policies.can_view_reports(user),
            policies.can_configure(user),
        )
        assert found == expected, who


def test_the_sql_twin_selects_exactly_the_records_the_predicates_allow(record, today):
    pathway, people = record
    other = make_pathway(member_with_login(given="Bea"), entry_on=today - timedelta(days=30))
    assign(other, people["trainer, without the flag"], "trainer", personal_data=True)
    assign(other, people["the member themself"], "counsellor")  # not a counsellor: no effect
    gone = make_pathway(None, entry_on=today - timedelta(days=900), anonymised_on=today)
    ids = [pathway.id, other.id, gone.id]
    used = {p for state in RECORD_WORKFLOW.states.values() for p in state.permissions}
    permissions = [*sorted(used), Permission.PURGE]
    for who, user in people.items():
        for permission in permissions:
            in_sql = set(
                db.session.scalars(
                    sa.select(Pathway.id).where(
                        Pathway.id.in_(ids), policies.pathways_clause(user, permission)
                    )
                )
            )
            in_python = {
                p.id
                for p in (pathway, other, gone)
                if policies._logged_in(user) and can(user, permission, p)
            }
            assert in_sql == in_python, (who, permission)


def test_the_list_of_people_followed_is_the_team_s(record, today):
    pathway, people = record
    listed = {
        who
        for who, user in people.items()
        if db.session.scalar(
            sa.select(Pathway.id).where(
                Pathway.id == pathway.id, policies.assigned_pathways_clause(user)
            )
        )
    }
    assert listed == {who for who, rights in EXPECTED.items() if "record_action" in rights}
