"""The electorate of a body on a date, and the rules for mandates.

The electorate is what every vote and meeting will read, so it is checked around every date
that matters (the day before, the day itself, the day after) and, in a property test, against
a plain-Python recomputation from random dated histories.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.core.audit import AuditEntry
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.members import bodies, services
from portal.members.bodies import BodyData, Voter, electorate, electorate_summary
from portal.members.models import SINGLE_HOLDER, Body, Mandate, Member, Position
from portal.members.services import CategoryData
from tests.factories_members import (
    admin_user,
    board_body,
    board_user,
    category,
    counsellor_user,
    factory_board,
    general_assembly,
    make_mandate,
    make_member,
    member_user,
    membership_step,
    trainer_user,
)

APPLIED, ADMITTED = date(2025, 1, 6), date(2025, 2, 3)
DAY = timedelta(days=1)


def voters(body: Body, day: date, *, summary: bool = True) -> dict[int, int]:
    """member id -> weight, checked against the summary of the same day."""
    found = {voter.member_id: voter.weight for voter in electorate(body, day)}
    if summary:
        counted = electorate_summary(body, day)
        assert (counted.voters, counted.total_weight) == (len(found), sum(found.values()))
    return found


def set_college(code: str, weight: int | None = None, votes_in: set[Body] | None = None) -> None:
    """Change a college's weight and the bodies it votes in, through the service."""
    college = category(code)
    services.update_category(
        factory_board(),
        college,
        CategoryData(
            name=college.title,
            vote_weight=college.vote_weight if weight is None else weight,
            body_ids=frozenset(
                b.id for b in (college.voting_bodies if votes_in is None else votes_in)
            ),
        ),
    )


def member(given: str, college: str = "worker", admitted_on: date | None = ADMITTED) -> Member:
    return make_member(given=given, family=given, category=college, admitted_on=admitted_on)


def committee() -> Body:
    return bodies.create_body(factory_board(), BodyData(kind="committee", name="Finance"))


# --- The general assembly ----------------------------------------------------------------------


def test_the_general_assembly_is_the_active_members_of_colleges_that_vote_there(db):
    ga = general_assembly()
    set_college("worker", weight=3)
    set_college("supporter", votes_in=set())  # supporting members do not vote
    ada, bea, cy = member("Ada"), member("Bea", "staff"), member("Cy", "volunteer")
    member("Dan", "supporter")
    member("Eve", admitted_on=None)  # an applicant
    fay, gus = member("Fay"), member("Gus", "staff")
    membership_step(fay, "end", date(2025, 3, 1))
    membership_step(gus, "suspend", date(2025, 3, 1))

    day = date(2025, 4, 1)
    assert voters(ga, day) == {ada.id: 3, bea.id: 1, cy.id: 1}
    assert electorate_summary(ga, day).total_weight == 5
    assert [(m.given_name, w) for m, w in bodies.electorate_members(ga, day, board_user())] == [
        ("Ada", 3),
        ("Bea", 1),
        ("Cy", 1),
    ]
    # A plain member is shown the names of today's members only; Fay left, Gus is suspended.
    later = date(2025, 2, 15)
    named = bodies.electorate_members(ga, later, member_user())
    assert [m.given_name for m, _w in named] == ["Ada", "Bea", "Cy"]
    assert electorate_summary(ga, later).voters == 5
    assert voters(ga, ADMITTED - DAY) == {}  # nobody admitted yet
    assert voters(ga, ADMITTED) == {ada.id: 3, bea.id: 1, cy.id: 1, fay.id: 3, gus.id: 1}

    set_college("staff", weight=2)  # weights are rules: today's apply to any date
    assert voters(ga, day) == {ada.id: 3, bea.id: 2, cy.id: 1}
    assert electorate(ga, day) == [Voter(ada.id, 3), Voter(bea.id, 2), Voter(cy.id, 1)]


def test_a_suspended_member_is_in_no_electorate_until_reinstated(db):
    ga, board = general_assembly(), board_body()
    ada = member("Ada")
    make_mandate(ada, board, "treasurer", starts_on=date(2025, 3, 1))
    suspended, reinstated = date(2025, 5, 12), date(2025, 7, 7)
    membership_step(ada, "suspend", suspended)
    membership_step(ada, "reinstate", reinstated)
    for day, inside in [
        (suspended - DAY, True),
        (suspended, False),
        (suspended + DAY, False),
        (reinstated - DAY, False),
        (reinstated, True),
        (reinstated + DAY, True),
    ]:
        assert (ada.id in voters(ga, day), ada.id in voters(board, day)) == (inside, inside), day
    # The mandate itself runs on: the suspension only takes away the vote.
    assert [m.position for m in bodies.mandates_of_member(ada, suspended + DAY)] == ["treasurer"]


def test_applicants_and_former_members_are_in_no_electorate(db):
    ga, board = general_assembly(), board_body()
    eve = member("Eve", admitted_on=None)
    fay = member("Fay")
    make_mandate(fay, board, "member", starts_on=date(2025, 3, 1))
    membership_step(fay, "end", date(2025, 6, 30))
    for day in (date(2025, 6, 30), date(2025, 7, 1), date(2026, 1, 1)):
        assert voters(ga, day) == {} and voters(board, day) == {}
    assert voters(ga, date(2025, 6, 29)) == {fay.id: 1}
    assert voters(board, date(2025, 6, 29)) == {fay.id: 1}
    with pytest.raises(DomainError):
        make_mandate(eve, board, "member", starts_on=date(2025, 3, 1))

    membership_step(fay, "readmit", date(2025, 9, 1))
    assert voters(ga, date(2025, 9, 1)) == {fay.id: 1}
    assert voters(board, date(2025, 9, 1)) == {fay.id: 1}  # the mandate was never ended
    assert voters(ga, date(2025, 8, 31)) == {}


def test_a_change_of_college_moves_the_member_exactly_on_its_date(db):
    ga = general_assembly()
    set_college("worker", weight=3)
    set_college("supporter", votes_in=set())
    ada = member("Ada")
    to_staff, to_supporter = date(2025, 4, 1), date(2025, 8, 1)
    services.change_category(factory_board(), ada, category("staff"), to_staff, "Hired")
    services.change_category(factory_board(), ada, category("supporter"), to_supporter, "Left")
    expected = {
        to_staff - DAY: {ada.id: 3},
        to_staff: {ada.id: 1},
        to_staff + DAY: {ada.id: 1},
        to_supporter - DAY: {ada.id: 1},
        to_supporter: {},
        to_supporter + DAY: {},
    }
    assert {day: voters(ga, day) for day in expected} == expected
    assert services.state_on(ada, to_supporter) == "active"  # still a member, voting nowhere


def test_on_a_day_with_several_changes_the_last_one_counts(db):
    ga, board = general_assembly(), board_body()
    set_college("worker", weight=3)
    ada, bea = member("Ada"), member("Bea")
    make_mandate(ada, board, "member", starts_on=date(2025, 3, 1))
    day = date(2025, 5, 5)
    membership_step(ada, "suspend", day)
    membership_step(ada, "reinstate", day)
    membership_step(ada, "suspend", day)  # suspended at the end of the day
    services.change_category(factory_board(), bea, category("staff"), day, "Hired")
    services.change_category(factory_board(), bea, category("worker"), day, "Mistake")
    assert voters(ga, day - DAY) == {ada.id: 3, bea.id: 3}
    assert voters(ga, day) == {bea.id: 3}
    assert voters(board, day) == {}
    assert voters(ga, day + DAY) == {bea.id: 3}


def test_only_mandates_make_the_electorate_of_other_bodies(db):
    board = board_body()
    set_college("worker", votes_in={general_assembly(), board})  # ignored outside the GA
    ada, bea = member("Ada"), member("Bea")
    make_mandate(bea, board, "member", starts_on=date(2025, 3, 1))
    finance = committee()
    make_mandate(ada, finance, "chair", starts_on=date(2025, 3, 1))
    assert voters(board, date(2025, 4, 1)) == {bea.id: 1}
    assert voters(finance, date(2025, 4, 1)) == {ada.id: 1}
    assert voters(general_assembly(), date(2025, 4, 1)) == {ada.id: 1, bea.id: 1}


# --- Mandates on their dates -------------------------------------------------------------------


def test_a_mandate_counts_from_its_first_to_its_last_day_inclusive(db):
    board = board_body()
    ada, bea = member("Ada"), member("Bea")
    first, last = date(2025, 3, 10), date(2025, 9, 30)
    make_mandate(ada, board, "secretary", starts_on=first, ends_on=last)
    make_mandate(bea, board, "member", starts_on=first)  # open-ended
    expected = {
        first - DAY: {},
        first: {ada.id: 1, bea.id: 1},
        last: {ada.id: 1, bea.id: 1},
        last + DAY: {bea.id: 1},
        date(2026, 11, 1): {bea.id: 1},
    }
    assert {day: voters(board, day) for day in expected} == expected
    one_day = member("Cy")
    make_mandate(one_day, board, "treasurer", starts_on=first, ends_on=first)
    assert one_day.id in voters(board, first) and one_day.id not in voters(board, first + DAY)


def test_a_handover_gives_exactly_one_chair_each_day(db):
    board = board_body()
    old, new = member("Ada"), member("Bea")
    chair = make_mandate(old, board, "chair", starts_on=date(2025, 3, 1))
    bodies.end_mandate(factory_board(), chair, date(2025, 6, 30), "Handover")
    make_mandate(new, board, "chair", starts_on=date(2025, 7, 1))
    day = date(2025, 6, 20)
    while day <= date(2025, 7, 10):
        chairs = [m.member_id for m in bodies.mandates_of_body(board, day) if m.position == "chair"]
        holder = old.id if day <= date(2025, 6, 30) else new.id
        assert chairs == [holder], day
        assert voters(board, day) == {holder: 1}, day
        day += DAY


# --- Mandate rules -----------------------------------------------------------------------------


def test_only_members_active_on_the_first_day_hold_a_position(db):
    board = board_body()
    applicant = member("Eve", admitted_on=None)
    ada = member("Ada")  # admitted 3 February 2025
    membership_step(ada, "suspend", date(2025, 5, 1))
    membership_step(ada, "reinstate", date(2025, 6, 1))
    refused = [
        (applicant, date(2025, 3, 1)),
        (ada, ADMITTED - DAY),
        (ada, date(2025, 5, 1)),
        (ada, date(2025, 5, 31)),
    ]
    for person, first_day in refused:
        with pytest.raises(DomainError) as no:
            make_mandate(person, board, "member", starts_on=first_day)
        assert no.value.field == "member_id"
    make_mandate(ada, board, "member", starts_on=date(2025, 6, 1))
    fay = member("Fay")
    membership_step(fay, "end", date(2025, 6, 30))
    with pytest.raises(DomainError):
        make_mandate(fay, board, "member", starts_on=date(2025, 7, 1))
    assert [m.member_id for m in bodies.mandates_of_body(board)] == [ada.id]


@pytest.mark.parametrize("position", sorted(SINGLE_HOLDER))
def test_single_positions_have_one_holder_at_a_time(db, position):
    board = board_body()
    ada, bea, cy = member("Ada"), member("Bea"), member("Cy")
    make_mandate(ada, board, position, starts_on=date(2025, 3, 1), ends_on=date(2025, 6, 30))
    overlapping = [
        (date(2025, 6, 30), None),
        (date(2025, 2, 10), date(2025, 3, 1)),
        (date(2025, 4, 1), date(2025, 4, 2)),
        (date(2025, 2, 10), date(2025, 12, 31)),
    ]
    for first, last in overlapping:
        with pytest.raises(DomainError) as no:
            make_mandate(bea, board, position, starts_on=first, ends_on=last)
        assert no.value.field == "position" and "Ada" in str(no.value.message)
    make_mandate(bea, board, position, starts_on=date(2025, 2, 10), ends_on=date(2025, 2, 28))
    make_mandate(cy, board, position, starts_on=date(2025, 7, 1))
    make_mandate(bea, committee(), position, starts_on=date(2025, 4, 1))  # another body
    with pytest.raises(DomainError):  # Cy's mandate is open-ended
        make_mandate(bea, board, position, starts_on=date(2026, 5, 1))


def test_anyone_may_sit_as_member_alongside_others_but_once(db):
    board = board_body()
    ada, bea = member("Ada"), member("Bea")
    plain = make_mandate(ada, board, "member", starts_on=date(2025, 3, 1))
    make_mandate(bea, board, "member", starts_on=date(2025, 3, 1))
    with pytest.raises(DomainError) as no:  # the same person twice at once in one body
        make_mandate(ada, board, "chair", starts_on=date(2025, 5, 1))
    assert no.value.field == "member_id"
    with pytest.raises(DomainError):
        make_mandate(ada, board, "member", starts_on=date(2025, 2, 10), ends_on=date(2025, 3, 1))
    bodies.end_mandate(factory_board(), plain, date(2025, 4, 30))
    make_mandate(ada, board, "chair", starts_on=date(2025, 5, 1))  # Ada moves up
    assert voters(board, date(2025, 4, 30)) == {ada.id: 1, bea.id: 1}
    assert voters(board, date(2025, 5, 1)) == {ada.id: 1, bea.id: 1}


def test_dates_and_positions_of_a_mandate_are_checked(db):
    board, actor = board_body(), factory_board()
    ada = member("Ada")
    for position, first, last, field_name in [
        ("member", date(2025, 5, 1), date(2025, 4, 30), "ends_on"),
        ("member", None, None, "starts_on"),
        ("president", date(2025, 5, 1), None, "position"),
        ("", date(2025, 5, 1), None, "position"),
    ]:
        with pytest.raises(DomainError) as no:
            bodies.add_mandate(actor, board, ada, position, first, last)
        assert no.value.field == field_name
    with pytest.raises(DomainError) as no:
        bodies.add_mandate(actor, board, ada, "member", date(2025, 5, 1), note="=HYPERLINK(1)")
    assert no.value.field == "note"
    mandate = make_mandate(ada, board, "member", starts_on=date(2025, 5, 1))
    for last in (date(2025, 4, 30), None):
        with pytest.raises(DomainError) as no:
            bodies.end_mandate(actor, mandate, last)
        assert no.value.field == "ends_on"
    bodies.end_mandate(actor, mandate, date(2025, 5, 1))  # one day is fine
    assert mandate.ends_on == date(2025, 5, 1)
    assert db.session.scalar(sa.select(sa.func.count(Mandate.id))) == 1


def test_ending_a_mandate_cannot_run_into_the_successors(db):
    board, actor = board_body(), factory_board()
    old, new = member("Ada"), member("Bea")
    chair = make_mandate(old, board, "chair", starts_on=date(2025, 3, 1), ends_on=date(2025, 6, 30))
    make_mandate(new, board, "chair", starts_on=date(2025, 7, 1))
    with pytest.raises(DomainError):
        bodies.end_mandate(actor, chair, date(2025, 7, 15))
    db.session.expire_all()
    assert db.session.get(Mandate, chair.id).ends_on == date(2025, 6, 30)
    bodies.end_mandate(actor, chair, date(2025, 5, 31), "Stepped down early")
    assert (chair.ends_on, chair.note) == (date(2025, 5, 31), "Stepped down early")


@pytest.mark.parametrize("who", ["member", "trainer", "counsellor"])
def test_only_the_board_and_admins_manage_positions(db, who):
    actor = {
        "member": member_user,
        "trainer": trainer_user,
        "counsellor": counsellor_user,
    }[who]()
    board = board_body()
    ada, bea = member("Ada"), member("Bea")
    mandate = make_mandate(ada, board, "chair", starts_on=date(2025, 3, 1))
    with pytest.raises(NotAllowed):
        bodies.add_mandate(actor, board, bea, "member", date(2025, 3, 1))
    with pytest.raises(NotAllowed):
        bodies.end_mandate(actor, mandate, date(2025, 6, 30))
    with pytest.raises(NotAllowed):
        bodies.remove_mandate(actor, mandate, "Entered by mistake")
    db.session.expire_all()
    assert [(m.member_id, m.ends_on) for m in bodies.mandates_of_body(board)] == [(ada.id, None)]
    for allowed in (board_user(), admin_user(), None):  # None: the command line
        bodies.add_mandate(allowed, board, bea, "member", date(2025, 3, 1), date(2025, 3, 31))
        bea_mandate = bodies.mandates_of_member(bea)[0]
        bodies.end_mandate(allowed, bea_mandate, date(2025, 3, 2))
        bodies.remove_mandate(allowed, bea_mandate, "Entered by mistake")
    assert bodies.mandates_of_member(bea) == []


def test_mandate_changes_are_audited(db):
    board, actor = board_body(), board_user()
    ada = member("Ada")
    mandate = bodies.add_mandate(actor, board, ada, "secretary", date(2025, 3, 1))
    bodies.end_mandate(actor, mandate, date(2025, 6, 30))
    with pytest.raises(DomainError) as no:
        bodies.remove_mandate(actor, mandate, "  ")
    assert no.value.field == "reason"
    bodies.remove_mandate(actor, mandate, "Entered by mistake")
    assert db.session.get(Mandate, mandate.id) is None
    assert voters(board, date(2025, 4, 1)) == {}
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_key == f"body:{board.id}")
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["mandate.added", "mandate.ended", "mandate.removed"]
    assert {e.actor_id for e in entries} == {actor.id}
    assert all(f'"member_id": {ada.id}' in e.details for e in entries)
    assert "2025-03-01" in entries[0].summary and "2025-06-30" in entries[1].details
    assert "Entered by mistake" in entries[2].summary


# --- Property: the SQL electorate is what the dated history says -------------------------------

BASE = date(2025, 1, 1)
CODES = ("worker", "staff", "volunteer", "supporter")
TRANSITIONS = {  # state -> (transition, state after)
    "applicant": (("admit", "active"), ("refuse", "ended")),
    "active": (("suspend", "suspended"), ("end", "ended")),
    "suspended": (("reinstate", "active"), ("end", "ended")),
    "ended": (("readmit", "active"),),
}
GAPS = st.sampled_from([0, 0, 1, 2, 5, 14, 30, 45])  # 0: several changes on one day
HISTORIES = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=60),  # applied: days after BASE
        st.sampled_from(CODES),  # college on entry
        st.lists(st.tuples(GAPS, st.integers(0, 9)), max_size=7),  # steps: gap, choice
    ),
    min_size=1,
    max_size=5,
)
MANDATES = st.lists(
    st.tuples(
        st.integers(0, 4),  # member index (modulo the number of members)
        st.booleans(),  # in the board (True) or in a committee
        st.sampled_from(list(Position)),
        st.integers(0, 420),  # first day: days after BASE
        st.none() | st.integers(-5, 150),  # length in days (None: open-ended)
        st.none() | st.integers(-5, 60),  # later ended after this many days (None: not)
    ),
    max_size=8,
)
COLLEGES = st.tuples(
    st.lists(st.integers(1, 3), min_size=4, max_size=4),  # weights
    st.lists(st.booleans(), min_size=4, max_size=4),  # votes in the general assembly
    st.lists(st.booleans(), min_size=4, max_size=4),  # lists the board as a voting body
)


@dataclass
class Told:
    """One member's history as the test told it: (date, state, college) in recorded order."""

    member: Member
    events: list[tuple[date, str, str]] = field(default_factory=list)

    def on(self, day: date) -> tuple[str, str] | None:
        found = None
        for when, state, code in self.events:  # the last one on or before `day` wins
            if when <= day:
                found = (state, code)
        return found


@dataclass
class Held:
    body: Body
    told: Told
    position: str
    first: date
    last: date | None
    mandate: Mandate

    def on(self, day: date) -> bool:
        return self.first <= day and (self.last is None or day <= self.last)


def may_hold(held: list[Held], body, told, position, first, last, exclude=None) -> bool:
    """The mandate rules, from their description: dates in order, active on the first day, no
    overlap with the same person or with another holder of a single position."""
    if last is not None and last < first:
        return False
    if (told.on(first) or ("", ""))[0] != "active":
        return False
    for other in held:
        if other is exclude or other.body is not body:
            continue
        overlaps = (other.last is None or other.last >= first) and (
            last is None or other.first <= last
        )
        if overlaps and (
            other.told is told or (position in SINGLE_HOLDER and other.position == position)
        ):
            return False
    return True


@pytest.fixture()
def rolled_back(db):
    """The `db` fixture under a name Hypothesis can print (it reprs every argument)."""
    return "the db fixture"


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(histories=HISTORIES, mandates=MANDATES, colleges=COLLEGES)
def test_the_electorate_is_what_the_dated_history_says(rolled_back, histories, mandates, colleges):
    savepoint = db.session.begin_nested()
    try:
        actor = factory_board()
        ga, board = general_assembly(), board_body()
        finance = committee()
        weights, in_ga, lists_board = colleges
        for code, weight, votes, listed in zip(CODES, weights, in_ga, lists_board, strict=True):
            set_college(code, weight, {b for b, on in ((ga, votes), (board, listed)) if on})
        weight_of = dict(zip(CODES, weights, strict=True))
        voting = {code for code, votes in zip(CODES, in_ga, strict=True) if votes}

        # Members and their dated steps
        told: list[Told] = []
        dates: set[date] = {BASE - DAY}
        for applied, code, steps in histories:
            day = BASE + timedelta(days=applied)
            person = Told(make_member(actor, applied_on=day, category=code))
            state = "applicant"
            person.events.append((day, state, code))
            for gap, choice in steps:
                day += timedelta(days=gap)
                options = [*TRANSITIONS[state], *(("move", c) for c in CODES if c != code)]
                step, after = options[choice % len(options)]
                if step == "move":
                    services.change_category(actor, person.member, category(after), day, "Moved")
                    code = after
                else:
                    services.change_membership(actor, person.member, step, day, "Decided")
                    state = after
                person.events.append((day, state, code))
            told.append(person)
            dates |= {d for when, _s, _c in person.events for d in (when - DAY, when)}

        # Mandates: the service accepts exactly those the rules allow
        held: list[Held] = []
        for index, in_board, position, start, length, ended_after in mandates:
            body = board if in_board else finance
            holder = told[index % len(told)]
            first = BASE + timedelta(days=start)
            last = None if length is None else first + timedelta(days=length)
            allowed = may_hold(held, body, holder, position, first, last)
            try:
                mandate = bodies.add_mandate(actor, body, holder.member, position, first, last)
            except DomainError:
                mandate = None
            assert (mandate is not None) == allowed, (holder.events, position, first, last)
            if mandate is None:
                continue
            held.append(Held(body, holder, position, first, last, mandate))
            if ended_after is not None:
                end = first + timedelta(days=ended_after)
                allowed = may_hold(held, body, holder, position, first, end, exclude=held[-1])
                try:
                    bodies.end_mandate(actor, mandate, end)
                    ended = True
                except DomainError:
                    ended = False
                assert ended == allowed, (first, last, end)
                if ended:
                    held[-1].last = end
        for item in held:
            dates |= {item.first - DAY, item.first}
            if item.last is not None:
                dates |= {item.last, item.last + DAY}

        # The electorate on every date that matters, in SQL and in plain Python
        for day in sorted(dates):
            on = {person.member.id: person.on(day) for person in told}
            assert {p.member.id: services.state_on(p.member, day) for p in told} == {
                member_id: found and found[0] for member_id, found in on.items()
            }
            active = {m: found[1] for m, found in on.items() if found and found[0] == "active"}
            expected_ga = {m: weight_of[c] for m, c in active.items() if c in voting}
            assert voters(ga, day) == expected_ga, day
            for body in (board, finance):
                holding = {h.told.member.id for h in held if h.body is body and h.on(day)}
                expected = {m: 1 for m in holding if m in active}
                assert voters(body, day, summary=False) == expected, (body, day)
    finally:
        savepoint.rollback()
