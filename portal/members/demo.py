"""Demo register of Atelier Commun: members, their history, bodies and positions.

Almost every demo person with the member role is in the register, linked to their account;
six more people have no account (volunteers and supporting members). The counsellors
(Anne Moreau, Lukas Schneider) and the French-language trainer (Elena Popescu) work for
partner organisations: they have an account but are not members.

The story, from the founding assembly of 15 January 2024 to November 2026:
- most members applied and were admitted by the board at its monthly meeting;
- two people applied in autumn 2026 and wait for the board's decision;
- Goran Petrović is suspended, Kofi Mensah left for a permanent job, Samir Touré left and was
  readmitted, Hanna Virtanen moved from the volunteers to the worker-participants;
- the founding board (chair: Bernadette Roux) served until the general assembly of
  19 June 2025, which elected the current board (chair: Marta Kowalska);
- a workers' council of five, elected every October, and a health and safety committee.

Everything goes through the register and body services, acting as Marta Kowalska (board), so
the history and the audit log name a real person. The caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa

from portal.accounts.models import User
from portal.core.db import local_today
from portal.extensions import db
from portal.members import bodies, services
from portal.members.models import Body, BodyKind, Member, MemberCategory, Position

ACTOR = "marta.kowalska"  # chair of the board: records the decisions

CLEANING, KITCHEN, WORKSHOP, OFFICE = "Cleaning", "Kitchen", "Furniture workshop", "Office"
WORKER, STAFF, VOLUNTEER, SUPPORTER = "worker", "staff", "volunteer", "supporter"

FOUNDING = date(2024, 1, 15)
FOUNDED = "Founding member: admitted at the founding assembly of 15 January 2024."
APPLIED = "Application form handed in at the office."


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def board_meeting(day: date) -> str:
    return f"Board meeting of {day.day} {MONTHS[day.month - 1]} {day.year}."


# Later steps of a member's history: (date, transition or "college:<code>", reason).
Step = tuple[date, str, str]


class Person(NamedTuple):
    """One register entry. `account` is a demo username (None: no account)."""

    account: str | None
    college: str
    team: str
    applied_on: date
    admitted_on: date | None  # None: still an applicant
    steps: tuple[Step, ...] = ()
    phone: str | None = None
    consent: bool = False
    # Only for people without an account (the others take them from their account):
    name: tuple[str, str] = ("", "")
    language: str = "fr"
    email: str | None = None


def founder(account, college, team, **more) -> Person:
    return Person(account, college, team, FOUNDING, FOUNDING, **more)


def joined(account, college, team, applied_on, admitted_on, **more) -> Person:
    return Person(account, college, team, applied_on, admitted_on, **more)


REGISTER: list[Person] = [
    # The founders, 15 January 2024.
    founder("admin", STAFF, OFFICE),
    founder("marta.kowalska", STAFF, OFFICE, phone="+33 6 00 00 01 01", consent=True),
    founder("joao.silva", STAFF, WORKSHOP, phone="+33 6 00 00 01 02", consent=True),
    founder("ingrid.larsen", VOLUNTEER, OFFICE, consent=True),
    founder(
        None,
        SUPPORTER,
        "",
        name=("Bernadette", "Roux"),
        email="bernadette.roux@example.org",
        phone="+33 6 00 00 02 01",
    ),
    founder("thomas.leroy", STAFF, CLEANING, phone="+33 6 00 00 01 03", consent=True),
    founder("sofia.rossi", STAFF, KITCHEN),
    founder("marie.lambert", STAFF, OFFICE),
    founder(None, SUPPORTER, "", name=("Paul", "Girard"), phone="+33 6 00 00 02 02"),
    # Admitted at the board's monthly meetings.
    joined("pieter.devries", STAFF, WORKSHOP, date(2024, 2, 20), date(2024, 3, 12)),
    joined("karim.benali", WORKER, KITCHEN, date(2024, 2, 26), date(2024, 3, 12)),
    joined(
        "amina.diallo",
        WORKER,
        CLEANING,
        date(2024, 4, 8),
        date(2024, 5, 14),
        phone="+33 6 00 00 01 04",
        consent=True,
    ),
    joined("mehmet.yilmaz", WORKER, WORKSHOP, date(2024, 4, 15), date(2024, 5, 14)),
    joined("nadia.haddad", WORKER, KITCHEN, date(2024, 4, 22), date(2024, 5, 14)),
    joined(
        "samir.toure",
        WORKER,
        CLEANING,
        date(2024, 4, 29),
        date(2024, 5, 14),
        steps=(
            (
                date(2025, 1, 31),
                "end",
                "Moved to Lyon to look after his mother; his contract ended.",
            ),
            (
                date(2025, 11, 12),
                "readmit",
                "Back in town with a new contract in the cleaning team. "
                + board_meeting(date(2025, 11, 12)),
            ),
        ),
    ),
    joined("tomasz.nowak", WORKER, CLEANING, date(2024, 8, 19), date(2024, 9, 10)),
    joined("jose.garcia", WORKER, WORKSHOP, date(2024, 8, 26), date(2024, 9, 10)),
    joined("fatou.ndiaye", WORKER, KITCHEN, date(2024, 8, 26), date(2024, 9, 10)),
    joined(
        "kofi.mensah",
        WORKER,
        KITCHEN,
        date(2024, 8, 28),
        date(2024, 9, 10),
        steps=(
            (
                date(2026, 3, 31),
                "end",
                "Left for a permanent job as a cook in a restaurant in town. "
                "A great success: congratulations, Kofi!",
            ),
        ),
    ),
    joined(
        None,
        VOLUNTEER,
        WORKSHOP,
        date(2024, 10, 1),
        date(2024, 11, 12),
        name=("Henri", "Lefèvre"),
        phone="+33 6 00 00 02 03",
        consent=True,
    ),
    joined("lea.martin", WORKER, CLEANING, date(2024, 10, 14), date(2024, 11, 12)),
    joined("ion.rusu", WORKER, WORKSHOP, date(2024, 10, 21), date(2024, 11, 12)),
    joined(
        "hanna.virtanen",
        VOLUNTEER,
        KITCHEN,
        date(2024, 10, 28),
        date(2024, 11, 12),
        steps=(
            (
                date(2025, 4, 1),
                f"college:{WORKER}",
                "Started an integration contract in the kitchen on 1 April 2025.",
            ),
        ),
    ),
    joined("dimitris.papadopoulos", WORKER, CLEANING, date(2024, 12, 9), date(2025, 1, 14)),
    joined("youssef.amrani", WORKER, WORKSHOP, date(2024, 12, 16), date(2025, 1, 14)),
    joined(
        None,
        VOLUNTEER,
        KITCHEN,
        date(2025, 2, 3),
        date(2025, 3, 12),
        name=("Margaret", "O'Brien"),
        language="en",
        email="margaret.obrien@example.org",
        consent=True,
    ),
    joined("aoife.murphy", WORKER, KITCHEN, date(2025, 2, 10), date(2025, 3, 12)),
    joined(
        "goran.petrovic",
        WORKER,
        WORKSHOP,
        date(2025, 2, 17),
        date(2025, 3, 12),
        steps=(
            (
                date(2026, 10, 13),
                "suspend",
                "Has not come to work since 1 September and has not answered our letters "
                "or calls. The membership is paused until we can meet and talk. "
                + board_meeting(date(2026, 10, 13)),
            ),
        ),
    ),
    joined("chiara.bianchi", WORKER, CLEANING, date(2025, 2, 17), date(2025, 3, 12)),
    joined("eva.horvath", WORKER, CLEANING, date(2025, 4, 14), date(2025, 5, 13)),
    joined("lucas.bernard", WORKER, KITCHEN, date(2025, 4, 22), date(2025, 5, 13)),
    joined("agnieszka.wisniewska", WORKER, CLEANING, date(2025, 8, 25), date(2025, 9, 9)),
    joined("olga.ivanova", WORKER, WORKSHOP, date(2025, 8, 25), date(2025, 9, 9)),
    joined("bram.janssens", WORKER, WORKSHOP, date(2025, 10, 20), date(2025, 11, 12)),
    joined("aissatou.ba", WORKER, KITCHEN, date(2025, 10, 20), date(2025, 11, 12)),
    joined(
        None,
        SUPPORTER,
        "",
        date(2025, 10, 27),
        date(2025, 11, 12),
        name=("Nicole", "Faure"),
        email="nicole.faure@example.org",
        consent=True,
    ),
    joined(
        None,
        VOLUNTEER,
        OFFICE,
        date(2025, 12, 15),
        date(2026, 1, 13),
        name=("Samuel", "Okafor"),
        language="en",
        email="samuel.okafor@example.org",
    ),
    joined("miguel.fernandes", WORKER, WORKSHOP, date(2026, 2, 16), date(2026, 3, 10)),
    joined("rania.saleh", WORKER, KITCHEN, date(2026, 2, 23), date(2026, 3, 10)),
    joined("petra.novak", WORKER, CLEANING, date(2026, 4, 20), date(2026, 5, 12)),
    joined("zeynep.kaya", WORKER, CLEANING, date(2026, 8, 24), date(2026, 9, 8)),
    # Waiting for the board's decision.
    Person("andrei.muresan", WORKER, WORKSHOP, date(2026, 10, 26), None),
    Person("mariam.keita", WORKER, KITCHEN, date(2026, 11, 9), None),
]

# The two bodies every register starts with (the migration creates them): their rules.
GA_RULES = bodies.BodyData(
    kind=BodyKind.GENERAL_ASSEMBLY.value,
    name="",  # keeps the translated name
    description=(
        "All the members together. It meets at least once a year, in June: it approves the "
        "accounts, elects the board and changes the statutes. Each member has one vote and "
        "can carry the votes of two absent members."
    ),
    quorum_percent=25,
    notice_days=15,
    proxy_cap=2,
)
BOARD_RULES = bodies.BodyData(
    kind=BodyKind.BOARD.value,
    name="",
    description=(
        "Elected by the general assembly for two years. It meets every month, admits new "
        "members, follows the budget and reports to the general assembly."
    ),
    quorum_percent=50,
    notice_days=7,
    proxy_cap=1,
)
NEW_BODIES = [
    bodies.BodyData(
        kind=BodyKind.WORKERS_COUNCIL.value,
        name="Workers' Council",
        description=(
            "Five worker-participants elected by the other workers every October, for one "
            "year. It speaks for the workers to the board, proposes the house rules and "
            "helps new colleagues settle in."
        ),
        quorum_percent=60,
        notice_days=7,
        proxy_cap=1,
    ),
    bodies.BodyData(
        kind=BodyKind.COMMITTEE.value,
        name="Health and safety committee",
        description=(
            "Checks safety at the workshop, in the kitchen and on the cleaning sites, and "
            "looks at every accident. Anyone can tell it about a danger."
        ),
        quorum_percent=50,
        notice_days=7,
        proxy_cap=0,
    ),
]

GA_2025 = "Elected by the general assembly of 19 June 2025 for two years."
FOUNDING_BOARD = "Founding board, elected at the founding assembly of 15 January 2024."
COUNCIL_2024 = "Elected by the workers on 4 October 2024."
COUNCIL_2025 = "Elected by the workers on 3 October 2025."

# (body: "board" or the name of a new body, demo username or "Given Family",
#  position, first day, last day or None, note)
MANDATES: list[tuple[str, str, Position, date, date | None, str]] = [
    ("board", "Bernadette Roux", Position.CHAIR, FOUNDING, date(2025, 6, 19), FOUNDING_BOARD),
    ("board", "joao.silva", Position.SECRETARY, FOUNDING, date(2025, 6, 19), FOUNDING_BOARD),
    ("board", "ingrid.larsen", Position.TREASURER, FOUNDING, date(2025, 6, 19), FOUNDING_BOARD),
    ("board", "marta.kowalska", Position.MEMBER, FOUNDING, date(2025, 6, 19), FOUNDING_BOARD),
    ("board", "marta.kowalska", Position.CHAIR, date(2025, 6, 20), None, GA_2025),
    ("board", "joao.silva", Position.SECRETARY, date(2025, 6, 20), None, GA_2025),
    ("board", "ingrid.larsen", Position.TREASURER, date(2025, 6, 20), None, GA_2025),
    ("board", "karim.benali", Position.MEMBER, date(2025, 6, 20), None, GA_2025),
]
_C24 = (date(2024, 10, 4), date(2025, 10, 2), COUNCIL_2024)
_C25 = (date(2025, 10, 3), None, COUNCIL_2025)
MANDATES += [
    ("Workers' Council", who, position, *term)
    for who, position, term in (
        ("kofi.mensah", Position.CHAIR, _C24),
        ("amina.diallo", Position.SECRETARY, _C24),
        ("tomasz.nowak", Position.MEMBER, _C24),
        ("mehmet.yilmaz", Position.MEMBER, _C24),
        ("nadia.haddad", Position.MEMBER, _C24),
        ("amina.diallo", Position.CHAIR, _C25),
        ("nadia.haddad", Position.SECRETARY, _C25),
        ("jose.garcia", Position.MEMBER, _C25),
        ("fatou.ndiaye", Position.MEMBER, _C25),
        ("chiara.bianchi", Position.MEMBER, _C25),
    )
]
_HS = "Health and safety committee"
_HS_START = date(2025, 2, 1)
MANDATES += [
    (_HS, "thomas.leroy", Position.CHAIR, _HS_START, None, "Cleaning team leader."),
    (_HS, "pieter.devries", Position.MEMBER, _HS_START, None, "Workshop trainer."),
    (_HS, "sofia.rossi", Position.MEMBER, _HS_START, None, "Kitchen trainer."),
    (_HS, "tomasz.nowak", Position.MEMBER, _HS_START, None, "For the workers."),
    (_HS, "aissatou.ba", Position.MEMBER, date(2025, 12, 1), None, "For the workers."),
]


class DemoRegister(NamedTuple):
    members: int
    bodies: int
    mandates: int


def _split(display_name: str) -> tuple[str, str]:
    given, _, family = display_name.partition(" ")
    return given, family or given


def load_demo_register(people: Mapping[str, User] | None = None) -> DemoRegister:
    """Fill the register, once (nothing happens when it has members). The caller commits.

    `people`: the demo accounts by username (looked up when not given).
    """
    if db.session.scalar(sa.select(sa.func.count(Member.id))):
        return DemoRegister(0, 0, 0)
    if people is None:
        people = {u.username: u for u in db.session.scalars(sa.select(User))}
    actor = people[ACTOR]
    today = local_today()

    def on(day: date) -> date:
        return min(day, today)  # dates are in the past; never ahead of a slow clock

    colleges = {c.code: c for c in db.session.scalars(sa.select(MemberCategory))}
    members: dict[str, Member] = {}
    for person in REGISTER:
        user = people.get(person.account) if person.account else None
        if person.account and user is None:
            continue  # an account that was removed: leave the person out
        if user is not None:
            given, family = _split(user.display_name)
            language, email = user.locale, user.email
        else:
            (given, family), language, email = person.name, person.language, person.email
        member = services.create_member(
            actor,
            services.MemberData(
                given_name=given,
                family_name=family,
                preferred_language=language,
                email=email,
                phone=person.phone,
                contact_consent=person.consent,
                team=person.team,
                category_id=colleges[person.college].id,
            ),
            on(person.applied_on),
            reason=FOUNDED if person.applied_on == FOUNDING else APPLIED,
        )
        if user is not None:
            services.link_account(actor, member, user)
        if person.admitted_on is not None:
            reason = FOUNDED if person.admitted_on == FOUNDING else None
            services.change_membership(
                actor,
                member,
                "admit",
                on(person.admitted_on),
                reason or board_meeting(person.admitted_on),
            )
        for day, step, reason in person.steps:
            if step.startswith("college:"):
                college = colleges[step.removeprefix("college:")]
                services.change_category(actor, member, college, on(day), reason)
            else:
                services.change_membership(actor, member, step, on(day), reason)
        members[person.account or " ".join(person.name)] = member
    db.session.flush()

    assembly = db.session.get(Body, 1)
    board = db.session.get(Body, 2)
    by_name: dict[str, Body] = {}
    if assembly is not None and assembly.kind == BodyKind.GENERAL_ASSEMBLY:
        bodies.update_body(actor, assembly, GA_RULES)
    if board is not None and board.kind == BodyKind.BOARD:
        bodies.update_body(actor, board, BOARD_RULES)
        by_name["board"] = board
    for data in NEW_BODIES:
        by_name[data.name] = bodies.create_body(actor, data)

    mandates = 0
    for body_name, who, position, starts_on, ends_on, note in MANDATES:
        body, member = by_name.get(body_name), members.get(who)
        if body is None or member is None or starts_on > today:
            continue
        bodies.add_mandate(actor, body, member, position.value, starts_on, ends_on, note)
        mandates += 1
    body_count = db.session.scalar(sa.select(sa.func.count(Body.id))) or 0
    return DemoRegister(len(members), body_count, mandates)
