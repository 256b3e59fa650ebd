"""Readable member-register test data, built on the real services.

    from tests.factories_members import board_user, make_member, membership_step, make_mandate

    ada = make_member(given="Ada", family="Martin", category="worker",
                      applied_on=date(2025, 1, 6), admitted_on=date(2025, 2, 3))
    membership_step(ada, "suspend", on=date(2025, 6, 1))       # by the factory's board member
    chair = make_mandate(ada, board_body(), "chair", starts_on=date(2025, 3, 1))
    bob = member_with_login(given="Bob")                         # bob.user logs in with PASSWORD

People (accounts; each call makes a new one, password `tests.factories.PASSWORD`):
- `board_user()`, `admin_user()` (admin, not board), `counsellor_user()`, `trainer_user()`,
  `member_user()` (a plain member login), `user_with(*roles)` for any other mix. Every one also
  holds the member role, as real accounts do.
- `factory_board()`: the board member the factories act as when no `actor`/`by` is given
  (created once per test, username "factory.board").

What the migration puts in every test database:
- `category(code)`: the colleges "worker", "staff", "volunteer", "supporter" (ids 1-4, weight 1,
  all voting in the general assembly);
- `general_assembly()` (body id 1) and `board_body()` (body id 2).

Members:
- `make_member(actor=None, given=..., family=..., category="worker", applied_on=..., admitted_on=None,
  **fields)`: `portal.members.services.create_member`. Without `admitted_on` the person is an
  applicant; with it they are a member admitted on that date (only the board, or `actor` None —
  the command line — may do that). `category=None` leaves the college empty. `fields` are the
  other `MemberData` fields (member_number, preferred_language, email, phone, contact_consent,
  team). `user=` links an existing account.
- `member_with_login(**kwargs)`: `make_member` (admitted by default) with a new plain member
  account linked to it (`member.user`), so a test can log in as that member.
- `membership_step(member, transition, on=..., by=None, reason=...)`: one lifecycle step through
  `services.change_membership` (admit, refuse, suspend, reinstate, end, readmit).
- `make_mandate(member, body=None, position="member", starts_on=..., ends_on=None, by=None)`:
  `portal.members.bodies.add_mandate`; the body defaults to the board.

Nothing is committed: the `db` fixture rolls everything back after the test.
"""

from __future__ import annotations

import itertools
from datetime import date

import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.extensions import db
from portal.members import bodies, services
from portal.members.models import Body, BodyKind, Mandate, Member, MemberCategory
from tests.factories import make_user

FACTORY_BOARD = "factory.board"
APPLIED_ON = date(2025, 1, 6)  # a Monday, well before "today" in the tests

_names = itertools.count(1)


# --- People ------------------------------------------------------------------------------------


def user_with(*roles: Role, **kwargs) -> User:
    """A login holding the member role and `roles` (keyword arguments go to `make_user`)."""
    return make_user(roles={Role.MEMBER, *roles}, **kwargs)


def board_user(**kwargs) -> User:
    return user_with(Role.BOARD, **kwargs)


def admin_user(**kwargs) -> User:
    """An administrator who is not on the board."""
    return user_with(Role.ADMIN, **kwargs)


def counsellor_user(**kwargs) -> User:
    return user_with(Role.COUNSELLOR, **kwargs)


def trainer_user(**kwargs) -> User:
    return user_with(Role.TRAINER, **kwargs)


def member_user(**kwargs) -> User:
    """A plain member login (no other role)."""
    return user_with(**kwargs)


def factory_board() -> User:
    """The board member the factories act as by default (created once per test)."""
    found = db.session.scalar(sa.select(User).where(User.username == FACTORY_BOARD))
    return found or board_user(username=FACTORY_BOARD, display_name="Factory Board")


# --- What the migration creates -----------------------------------------------------------------


def category(code: str) -> MemberCategory:
    """A college by code: "worker", "staff", "volunteer", "supporter" (or one a test made)."""
    return _category(code)


def _category(code: str) -> MemberCategory:  # `make_member` has a parameter named `category`
    found = db.session.scalar(sa.select(MemberCategory).where(MemberCategory.code == code))
    if found is None:
        raise LookupError(f"no college with code {code!r}")
    return found


def _body(kind: BodyKind) -> Body:
    found = db.session.scalar(
        sa.select(Body).where(Body.kind == kind.value).order_by(Body.id).limit(1)
    )
    if found is None:
        raise LookupError(f"no body of kind {kind.value!r}")
    return found


def general_assembly() -> Body:
    """The general assembly (body id 1): its electorate comes from the colleges."""
    return _body(BodyKind.GENERAL_ASSEMBLY)


def board_body() -> Body:
    """The board (body id 2): its electorate comes from mandates."""
    return _body(BodyKind.BOARD)


# --- Members ------------------------------------------------------------------------------------


def make_member(
    actor: User | None = None,
    given: str | None = None,
    family: str = "Martin",
    category: str | None = "worker",
    applied_on: date = APPLIED_ON,
    admitted_on: date | None = None,
    *,
    user: User | None = None,
    reason: str = "",
    **fields,
) -> Member:
    """A person in the register (see the module docstring)."""
    category_id = None if category is None else _category(category).id
    member = services.create_member(
        actor,
        services.MemberData(
            given_name=given or f"Person{next(_names)}",
            family_name=family,
            category_id=category_id,
            **fields,
        ),
        applied_on,
        admitted_on=admitted_on,
        reason=reason,
    )
    if user is not None:
        services.link_account(actor if actor is not None else factory_board(), member, user)
    return member


def member_with_login(admitted_on: date | None = date(2025, 2, 3), *, roles=(), **kwargs) -> Member:
    """A member (admitted by default) with a new linked account: log in as `member.user`."""
    account = user_with(*roles)
    member = make_member(admitted_on=admitted_on, user=account, **kwargs)
    db.session.expire(member, ["user"])
    return member


def membership_step(
    member: Member,
    transition: str,
    on: date,
    by: User | None = None,
    reason: str = "Board decision of the day.",
):
    """One lifecycle step (admit, refuse, suspend, reinstate, end, readmit) from `on`."""
    return services.change_membership(by or factory_board(), member, transition, on, reason)


def make_mandate(
    member: Member,
    body: Body | None = None,
    position: str = "member",
    starts_on: date = date(2025, 3, 1),
    ends_on: date | None = None,
    by: User | None = None,
    note: str = "",
) -> Mandate:
    """A position in a body (the board by default); the member must be active on `starts_on`."""
    return bodies.add_mandate(
        by or factory_board(),
        body or board_body(),
        member,
        position,
        starts_on,
        ends_on,
        note,
    )
