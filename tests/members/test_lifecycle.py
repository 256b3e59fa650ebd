"""Membership lifecycle and register services: who decides, dated steps, records, accounts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from portal.accounts.models import Role, SetupCode, User
from portal.core.audit import AuditEntry
from portal.core.db import local_today
from portal.core.errors import DomainError, NotAllowed
from portal.core.workflow import history_of
from portal.extensions import db
from portal.members import services
from portal.members.models import EventKind, Member, MembershipEvent
from portal.members.services import MemberData, Preferences
from tests.factories_members import (
    admin_user,
    board_user,
    category,
    counsellor_user,
    make_member,
    member_user,
    membership_step,
    trainer_user,
    user_with,
)

APPLIED = date(2025, 1, 6)
ADMITTED = date(2025, 2, 3)


def audit_actions(member: Member) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_key == member.object_key)
            .order_by(AuditEntry.id)
        )
    )


def member_in(state: str) -> Member:
    """A member (college "worker") brought to `state` by the board."""
    member = make_member(applied_on=APPLIED)
    if state in ("active", "suspended", "ended"):
        membership_step(member, "admit", ADMITTED)
    if state == "suspended":
        membership_step(member, "suspend", date(2025, 3, 3))
    if state == "ended":
        membership_step(member, "end", date(2025, 3, 3))
    assert member.state == state
    return member


def data_of(member: Member, **changes) -> MemberData:
    """The member's current register data, with `changes`."""
    fields = {
        name: getattr(member, name)
        for name in (
            "given_name",
            "family_name",
            "member_number",
            "preferred_language",
            "email",
            "phone",
            "contact_consent",
            "team",
            "category_id",
        )
    }
    return MemberData(**{**fields, **changes})


# --- Who decides -------------------------------------------------------------------------------

STEPS = [  # (state before, transition, state after)
    ("applicant", "admit", "active"),
    ("applicant", "refuse", "ended"),
    ("active", "suspend", "suspended"),
    ("suspended", "reinstate", "active"),
    ("active", "end", "ended"),
    ("suspended", "end", "ended"),
    ("ended", "readmit", "active"),
]
NOT_BOARD = {
    "member": member_user,
    "trainer": trainer_user,
    "counsellor": counsellor_user,
    "admin": admin_user,
}


@pytest.mark.parametrize(("before", "transition", "after"), STEPS)
@pytest.mark.parametrize("who", sorted(NOT_BOARD))
def test_only_the_board_decides_membership(db, before, transition, after, who):
    member = member_in(before)
    events, steps = len(services.events_of(member)), len(history_of(member))
    with pytest.raises(NotAllowed):
        services.change_membership(NOT_BOARD[who](), member, transition, date(2025, 5, 5), "Why")
    assert member.state == before
    assert len(services.events_of(member)) == events and len(history_of(member)) == steps

    services.change_membership(board_user(), member, transition, date(2025, 5, 5), "Decided")
    assert member.state == after


def test_the_member_themself_and_visitors_cannot_decide(db):
    account = member_user()
    member = make_member(user=account)
    for actor in (account, None):
        with pytest.raises(NotAllowed):
            services.change_membership(actor, member, "admit", ADMITTED, "Please")
    assert member.state == "applicant"


@pytest.mark.parametrize(
    ("state", "transition"),
    [("applicant", "suspend"), ("applicant", "readmit"), ("active", "admit"),
     ("active", "readmit"), ("suspended", "suspend"), ("ended", "end"), ("ended", "reinstate"),
     ("active", "explode"), ("active", "")],
)  # fmt: skip
def test_steps_from_the_wrong_state_are_refused(db, state, transition):
    member = member_in(state)
    with pytest.raises(DomainError) as refused:
        membership_step(member, transition, date(2025, 5, 5))
    assert not isinstance(refused.value, NotAllowed)
    assert member.state == state


# --- Reason and date ---------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "\n\t", None])
def test_a_step_needs_a_reason(db, reason):
    member = member_in("active")
    with pytest.raises(DomainError):
        membership_step(member, "suspend", date(2025, 5, 5), reason=reason)
    with pytest.raises(DomainError):
        membership_step(member, "suspend", date(2025, 5, 5), reason="x" * 1001)
    assert member.state == "active" and member.ended_on is None
    assert [e.transition for e in services.events_of(member)] == [None, "admit"]


def test_the_date_is_not_in_the_future_nor_missing(db):
    member = member_in("applicant")
    tomorrow = local_today() + timedelta(days=1)
    for day in (tomorrow, None, date(1850, 1, 1)):
        with pytest.raises(DomainError) as refused:
            membership_step(member, "admit", day)
        assert refused.value.field == "effective_on"
    assert member.state == "applicant"
    membership_step(member, "admit", local_today())  # today is fine
    assert member.admitted_on == local_today()


def test_the_date_is_not_before_the_previous_change(db):
    member = member_in("active")  # admitted 3 February 2025
    for day in (ADMITTED - timedelta(days=1), APPLIED - timedelta(days=1)):
        with pytest.raises(DomainError) as refused:
            membership_step(member, "suspend", day)
        assert refused.value.field == "effective_on"
        assert ADMITTED.isoformat() in str(refused.value.message)
    membership_step(member, "suspend", ADMITTED)  # the same day as the previous change is fine
    services.change_category(board_user(), member, category("staff"), date(2025, 4, 1), "Hired")
    with pytest.raises(DomainError):  # a change of college counts as a change too
        membership_step(member, "reinstate", date(2025, 3, 31))
    assert member.state == "suspended"


def test_admitting_needs_a_college(db):
    member = make_member(category=None)
    with pytest.raises(DomainError) as refused:
        membership_step(member, "admit", ADMITTED)
    assert "college" in str(refused.value.message)
    assert member.state == "applicant" and member.admitted_on is None
    assert len(services.events_of(member)) == 1 and history_of(member) == []
    membership_step(member, "refuse", ADMITTED)  # refusing needs none
    assert member.state == "ended"


# --- What a step records -----------------------------------------------------------------------


def test_every_step_writes_an_event_a_history_row_and_an_audit_entry(db):
    board = board_user()
    member = make_member(applied_on=APPLIED)
    steps = [
        ("admit", ADMITTED, "active"),
        ("suspend", date(2025, 4, 7), "suspended"),
        ("reinstate", date(2025, 5, 5), "active"),
        ("end", date(2025, 9, 30), "ended"),
        ("readmit", date(2026, 1, 12), "active"),
    ]
    for transition, day, _state in steps:
        event = services.change_membership(board, member, transition, day, f"  {transition} it ")
        assert event.id is not None
    db.session.expire_all()
    member = db.session.get(Member, member.id)

    events = services.events_of(member)
    assert [(e.kind, e.transition, e.effective_on, e.state) for e in events] == [
        (EventKind.APPLIED, None, APPLIED, "applicant"),
        *[(EventKind.TRANSITION, t, d, s) for t, d, s in steps],
    ]
    assert all(e.category_id == category("worker").id for e in events)
    assert [e.reason for e in events[1:]] == [f"{t} it" for t, _d, _s in steps]  # trimmed
    assert {e.recorded_by_id for e in events[1:]} == {board.id}

    history = history_of(member)
    assert [(h.transition, h.from_state, h.to_state) for h in history] == [
        ("admit", "applicant", "active"),
        ("suspend", "active", "suspended"),
        ("reinstate", "suspended", "active"),
        ("end", "active", "ended"),
        ("readmit", "ended", "active"),
    ]
    assert {h.actor_id for h in history} == {board.id}
    assert history[1].comment == "suspend it"
    assert audit_actions(member) == ["member.created"] + ["workflow.transition"] * 5

    # Readmission: a member again, from the readmission date
    assert member.state == "active"
    assert member.admitted_on == date(2026, 1, 12) and member.ended_on is None


def test_the_audit_entry_of_a_step_names_its_effective_date(db):
    member = member_in("active")
    membership_step(member, "suspend", date(2025, 4, 7))
    entry = db.session.scalar(
        sa.select(AuditEntry)
        .where(AuditEntry.object_key == member.object_key)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    assert "2025-04-07" in entry.summary + entry.details


def test_ending_and_refusing_set_the_end_date(db):
    member = member_in("active")
    membership_step(member, "end", date(2025, 6, 30))
    assert (member.state, member.ended_on, member.admitted_on) == (
        "ended",
        date(2025, 6, 30),
        ADMITTED,
    )
    refused = member_in("applicant")
    membership_step(refused, "refuse", date(2025, 2, 1))
    assert (refused.state, refused.ended_on, refused.admitted_on) == (
        "ended",
        date(2025, 2, 1),
        None,
    )


def test_reinstating_keeps_the_admission_date(db):
    member = member_in("suspended")
    membership_step(member, "reinstate", date(2025, 5, 5))
    assert member.admitted_on == ADMITTED


def test_state_on_a_date_follows_the_events(db):
    member = member_in("applicant")
    membership_step(member, "admit", ADMITTED)
    membership_step(member, "suspend", date(2025, 4, 7))
    membership_step(member, "reinstate", date(2025, 5, 5))
    membership_step(member, "end", date(2025, 9, 30))
    membership_step(member, "readmit", date(2026, 1, 12))
    expected = {
        date(2025, 1, 5): None,  # not yet in the register
        APPLIED: "applicant",
        date(2025, 2, 2): "applicant",
        ADMITTED: "active",
        date(2025, 4, 6): "active",
        date(2025, 4, 7): "suspended",
        date(2025, 5, 4): "suspended",
        date(2025, 5, 5): "active",
        date(2025, 9, 29): "active",
        date(2025, 9, 30): "ended",
        date(2026, 1, 11): "ended",
        date(2026, 1, 12): "active",
        local_today(): "active",
    }
    assert {day: services.state_on(member, day) for day in expected} == expected


def test_on_a_day_with_two_steps_the_later_one_counts(db):
    member = member_in("applicant")
    membership_step(member, "admit", ADMITTED)
    membership_step(member, "suspend", ADMITTED)
    assert services.state_on(member, ADMITTED) == "suspended"
    assert services.state_on(member, ADMITTED - timedelta(days=1)) == "applicant"
    assert services.latest_event(member).transition == "suspend"


# --- Entering people in the register -----------------------------------------------------------


def test_the_board_enters_a_member_admitted_on_a_date(db):
    board = board_user()
    member = make_member(board, applied_on=APPLIED, admitted_on=ADMITTED, reason="From paper")
    assert (member.state, member.applied_on, member.admitted_on) == ("active", APPLIED, ADMITTED)
    assert [
        (e.kind, e.transition, e.effective_on, e.state) for e in services.events_of(member)
    ] == [
        (EventKind.APPLIED, None, APPLIED, "applicant"),
        (EventKind.TRANSITION, "admit", ADMITTED, "active"),
    ]
    assert services.state_on(member, ADMITTED - timedelta(days=1)) == "applicant"
    entry = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.object_key == member.object_key, AuditEntry.action == "member.created"
        )
    )
    assert entry.actor_id == board.id and "active" in entry.summary


@pytest.mark.parametrize("who", ["admin", "counsellor", "trainer", "member"])
def test_only_the_board_enters_someone_as_admitted(db, who):
    actor = {
        "admin": admin_user,
        "counsellor": counsellor_user,
        "trainer": trainer_user,
        "member": member_user,
    }[who]()
    with pytest.raises(NotAllowed):
        make_member(actor, given="Zoé", admitted_on=ADMITTED)
    if who == "admin":  # the admin keeps the register: applicants only
        assert make_member(actor, given="Zoé").state == "applicant"
    else:
        with pytest.raises(NotAllowed):
            make_member(actor, given="Zoé")
    assert db.session.scalar(
        sa.select(sa.func.count(Member.id)).where(Member.given_name == "Zoé")
    ) == (1 if who == "admin" else 0)


def test_entering_an_admitted_member_checks_the_dates_and_the_college(db):
    board = board_user()
    future = local_today() + timedelta(days=1)
    bad = [
        {"applied_on": ADMITTED, "admitted_on": APPLIED},  # admitted before applying
        {"admitted_on": future},
        {"applied_on": future},
        {"admitted_on": ADMITTED, "category": None},
    ]
    for arguments in bad:
        with pytest.raises(DomainError) as refused:
            make_member(board, **arguments)
        assert not isinstance(refused.value, NotAllowed), arguments
    assert db.session.scalar(sa.select(sa.func.count(Member.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(MembershipEvent.id))) == 0


def test_member_numbers_follow_on_and_are_unique(db):
    board = board_user()
    numbers = [make_member(board).member_number for _ in range(3)]
    assert numbers == ["0001", "0002", "0003"]
    make_member(board, member_number="0041")
    make_member(board, member_number="A-7")  # not a plain number: does not count
    assert make_member(board).member_number == "0042"
    for taken in ("0041", "A-7", " 0002 "):
        with pytest.raises(DomainError) as refused:
            make_member(board, member_number=taken)
        assert refused.value.field == "member_number"
    for bad in ("a b", "x" * 21, "=1+1", "-5", "0001;DROP"):
        with pytest.raises(DomainError) as refused:
            make_member(board, member_number=bad)
        assert refused.value.field == "member_number"
    assert db.session.scalar(sa.select(sa.func.count(Member.id))) == 6


def test_the_next_number_never_outgrows_the_number_column(db):
    board = board_user()
    make_member(board, member_number="9" * 20)  # a valid number, the longest there can be
    try:
        number = make_member(board).member_number
    except DomainError:
        return  # refusing with a clear message is fine too
    assert services.NUMBER_PATTERN.match(number) and len(number) <= 20


def test_a_number_cannot_be_changed_to_another_members(db):
    board = board_user()
    first, second = make_member(board), make_member(board)
    with pytest.raises(DomainError) as refused:
        services.update_member(board, second, data_of(second, member_number=first.member_number))
    assert refused.value.field == "member_number"
    assert second.member_number == "0002"
    services.update_member(board, second, data_of(second))  # keeping one's own number is fine
    services.update_member(board, second, data_of(second, member_number="B-12"))
    assert second.member_number == "B-12"


# --- Correcting the register -------------------------------------------------------------------


@pytest.mark.parametrize("field", ["given_name", "family_name", "team"])
@pytest.mark.parametrize("value", ["=SUM(A1:A9)", "+33", "-2", "@cmd", "  =1+1"])
def test_text_that_a_spreadsheet_would_run_is_refused(db, field, value):
    board = board_user()
    member = make_member(board, given="Ada", team="Garden")
    with pytest.raises(DomainError) as refused:
        services.update_member(board, member, data_of(member, **{field: value}))
    assert refused.value.field == field
    db.session.expire_all()
    member = db.session.get(Member, member.id)
    assert (member.given_name, member.team) == ("Ada", "Garden")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"given_name": ""}, "given_name"),
        ({"family_name": "  "}, "family_name"),
        ({"given_name": "x" * 81}, "given_name"),
        ({"team": "t" * 81}, "team"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"email": "a b@example.org"}, "email"),
        ({"email": "a@" + "b" * 250 + ".org"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"phone": "06 12 34 56 78 ext. 5"}, "phone"),
        ({"preferred_language": "de"}, "preferred_language"),
        ({"preferred_language": "<script>"}, "preferred_language"),
        ({"category_id": 999_999}, "category_id"),
    ],
)
def test_register_data_is_checked(db, changes, field):
    board = board_user()
    member = make_member(board, given="Ada", email="ada@example.org")
    with pytest.raises(DomainError) as refused:
        services.update_member(board, member, data_of(member, **changes))
    assert refused.value.field == field
    db.session.expire_all()
    member = db.session.get(Member, member.id)
    assert (member.given_name, member.email) == ("Ada", "ada@example.org")


def test_good_register_data_is_cleaned_and_audited(db):
    board = board_user()
    member = make_member(board, given="Ada", family="Martin")
    services.update_member(
        board,
        member,
        data_of(
            member,
            given_name="  Ada   Marie ",
            email=" ada@example.org ",
            phone="+33 6 12 34 56 78",
            preferred_language=" FR ",
            team="Kitchen",
        ),
    )
    assert (member.given_name, member.email, member.phone) == (
        "Ada Marie",
        "ada@example.org",
        "+33 6 12 34 56 78",
    )
    assert (member.preferred_language, member.team) == ("fr", "Kitchen")
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "member.updated").order_by(AuditEntry.id)
    )
    assert entry.object_key == member.object_key and entry.actor_id == board.id
    assert "given_name" in entry.details and "team" in entry.details
    services.update_member(board, member, data_of(member, preferred_language=""))
    assert member.preferred_language == "en"  # empty: the portal's default language


@pytest.mark.parametrize("who", ["member", "counsellor", "trainer", "self"])
def test_only_board_and_admin_correct_the_register(db, who):
    account = member_user()
    member = make_member(given="Ada", user=account)
    actor = {
        "member": member_user,
        "counsellor": counsellor_user,
        "trainer": trainer_user,
        "self": lambda: account,
    }[who]()
    with pytest.raises(NotAllowed):
        services.update_member(actor, member, data_of(member, given_name="Eve"))
    with pytest.raises(NotAllowed):
        services.change_category(actor, member, category("staff"), ADMITTED, "Hired")
    assert (member.given_name, member.category.code) == ("Ada", "worker")
    services.update_member(admin_user(), member, data_of(member, given_name="Eve"))
    assert member.given_name == "Eve"


def test_update_member_sets_a_missing_college_but_does_not_move_a_member(db):
    board = board_user()
    member = make_member(board, category=None)
    services.update_member(board, member, data_of(member, category_id=category("staff").id))
    assert member.category.code == "staff"
    event = services.latest_event(member)
    assert (event.kind, event.effective_on, event.category_id) == (
        EventKind.CATEGORY,
        local_today(),
        category("staff").id,
    )
    services.update_member(board, member, data_of(member, category_id=category("worker").id))
    assert member.category.code == "staff"  # a move goes through change_category (dated)


def test_a_change_of_college_is_dated_and_audited(db):
    board = board_user()
    member = member_in("active")
    with pytest.raises(DomainError):  # already there
        services.change_category(board, member, category("worker"), date(2025, 4, 1), "Again")
    with pytest.raises(DomainError):  # a reason is needed
        services.change_category(board, member, category("staff"), date(2025, 4, 1), " ")
    for day in (ADMITTED - timedelta(days=1), local_today() + timedelta(days=1), None):
        with pytest.raises(DomainError):
            services.change_category(board, member, category("staff"), day, "Hired")
    assert member.category.code == "worker"

    event = services.change_category(board, member, category("staff"), date(2025, 4, 1), "Hired")
    assert member.category.code == "staff" and member.state == "active"
    assert (event.kind, event.effective_on, event.reason, event.state) == (
        EventKind.CATEGORY,
        date(2025, 4, 1),
        "Hired",
        "active",
    )
    assert services.state_on(member, date(2025, 4, 1)) == "active"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "member.category"))
    assert entry.object_key == member.object_key
    assert "worker -> staff" in entry.summary and "2025-04-01" in entry.details


# --- The member's own choices ------------------------------------------------------------------


def test_members_change_their_own_preferences_and_their_account_follows(db):
    account = member_user(locale="en")
    member = make_member(given="Ada", admitted_on=ADMITTED, user=account)
    services.update_preferences(
        account, member, Preferences("fr", "ada@example.org", "+33 6 12 34 56 78", True)
    )
    assert (member.preferred_language, member.email, member.contact_consent) == (
        "fr",
        "ada@example.org",
        True,
    )
    db.session.expire_all()
    assert db.session.get(User, account.id).locale == "fr"
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "member.preferences")
    )
    assert entry.actor_id == account.id and "preferred_language" in entry.details

    member = db.session.get(Member, member.id)
    with pytest.raises(DomainError) as refused:
        services.update_preferences(account, member, Preferences("fr", "nope", None, True))
    assert refused.value.field == "email"
    assert member.email == "ada@example.org"


def test_a_member_cannot_change_someone_elses_preferences(db):
    ada = make_member(given="Ada", admitted_on=ADMITTED, user=member_user())
    eve_account = member_user()
    make_member(given="Eve", admitted_on=ADMITTED, user=eve_account)
    for actor in (eve_account, counsellor_user(), trainer_user(), None):
        with pytest.raises(NotAllowed):
            services.update_preferences(
                actor, ada, Preferences("fr", "eve@example.org", None, True)
            )
    assert (ada.email, ada.contact_consent) == (None, False)
    services.update_preferences(board_user(), ada, Preferences("fr", None, None, False))
    assert ada.preferred_language == "fr"


def test_a_former_member_no_longer_edits_their_preferences(db):
    account = member_user()
    member = make_member(admitted_on=ADMITTED, user=account)
    membership_step(member, "end", date(2025, 6, 30))
    with pytest.raises(NotAllowed):
        services.update_preferences(account, member, Preferences("fr", None, None, True))


# --- Accounts ----------------------------------------------------------------------------------


def test_linking_an_account_is_audited_and_one_account_serves_one_member(db):
    board, account = board_user(), member_user()
    ada, eve = make_member(board, given="Ada"), make_member(board, given="Eve")
    services.link_account(board, ada, account)
    assert ada.user_id == account.id and ada.user.username == account.username
    with pytest.raises(DomainError) as refused:
        services.link_account(board, eve, account)
    assert refused.value.field == "user_id" and ada.member_number in str(refused.value.message)
    with pytest.raises(DomainError):  # Ada already has one
        services.link_account(board, ada, member_user())
    with pytest.raises(NotAllowed):
        services.link_account(account, eve, member_user())
    with pytest.raises(NotAllowed):
        services.unlink_account(account, ada)
    assert eve.user_id is None

    services.unlink_account(board, ada)
    assert ada.user_id is None and ada.user is None
    with pytest.raises(DomainError):
        services.unlink_account(board, ada)
    services.link_account(board, eve, account)  # free again
    assert eve.user_id == account.id
    assert audit_actions(ada) == [
        "member.created",
        "member.account_linked",
        "member.account_unlinked",
    ]
    assert audit_actions(eve)[-1] == "member.account_linked"


def _welcome_sheet_for_a_new_account(actor):
    member = make_member(board_user(), given="Éloïse", family="D'Arc", email="eloise@example.org")
    code, plain = services.issue_welcome_code(actor, member, current_app.config)
    account = member.user
    assert account is not None and account.username == "eloise.d-arc"
    assert account.roles == {Role.MEMBER} and not account.has_password
    assert (account.email, account.locale) == ("eloise@example.org", member.preferred_language)
    assert code.user_id == account.id and code.issued_by_id == actor.id and len(plain) == 12
    actions = audit_actions(member)
    assert actions[-1] == "member.account_linked"
    assert db.session.scalar(
        sa.select(AuditEntry.id).where(
            AuditEntry.action == "export.setup_code", AuditEntry.object_key == f"user:{account.id}"
        )
    )


def test_an_admin_prints_a_welcome_sheet_with_a_new_account(db):
    _welcome_sheet_for_a_new_account(admin_user())


@pytest.mark.parametrize("who", ["board", "counsellor"])
def test_the_board_and_counsellors_print_a_welcome_sheet_with_a_new_account(db, who):
    _welcome_sheet_for_a_new_account({"board": board_user, "counsellor": counsellor_user}[who]())


@pytest.mark.parametrize("who", ["board", "counsellor", "admin"])
def test_a_welcome_code_for_an_existing_member_account(db, who):
    actor = {"board": board_user, "counsellor": counsellor_user, "admin": admin_user}[who]()
    account = member_user(password=None)
    member = make_member(admitted_on=ADMITTED, user=account)
    first, _plain = services.issue_welcome_code(actor, member, current_app.config)
    second, _plain = services.issue_welcome_code(actor, member, current_app.config)
    db.session.expire_all()
    assert db.session.get(SetupCode, first.id).revoked_at is not None  # the earlier one stops
    assert db.session.get(SetupCode, second.id).revoked_at is None


def test_a_plain_member_prints_no_welcome_sheet(db):
    plain = member_user()
    member = make_member(given="Ada")
    users = db.session.scalar(sa.select(sa.func.count(User.id)))
    with pytest.raises(NotAllowed):
        services.create_account_for(plain, member)
    with pytest.raises(NotAllowed):
        services.issue_welcome_code(plain, member, current_app.config)
    assert member.user_id is None
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == users
    assert db.session.scalar(sa.select(sa.func.count(SetupCode.id))) == 0


def test_no_welcome_sheet_for_suspended_or_former_members(db):
    admin = admin_user()
    for state in ("suspended", "ended"):
        member = member_in(state)
        with pytest.raises(NotAllowed):
            services.create_account_for(admin, member)
        with pytest.raises(NotAllowed):
            services.issue_welcome_code(admin, member, current_app.config)
        assert member.user_id is None


def test_a_member_has_one_account_and_stronger_accounts_need_an_admin(db):
    admin = admin_user()
    member = make_member(given="Ada", admitted_on=ADMITTED, user=member_user())
    with pytest.raises(DomainError):
        services.create_account_for(admin, member)
    strong = make_member(given="Bea", admitted_on=ADMITTED, user=user_with(Role.BOARD))
    for actor in (board_user(), counsellor_user()):
        with pytest.raises(NotAllowed):
            services.issue_welcome_code(actor, strong, current_app.config)
    _code, plain = services.issue_welcome_code(admin, strong, current_app.config)
    assert plain
    assert (
        db.session.scalar(
            sa.select(sa.func.count(SetupCode.id)).where(SetupCode.user_id == strong.user_id)
        )
        == 1
    )
