"""Page cost benchmark: SQL statements and server time of the main pages on a large dataset.

Not a test: it prints one summary line per page and viewer and exits 0 unless the setup fails.
See bench/README.md ("page_cost.py") for how to run it and what the figures mean. The test that
asserts the statement counts do not grow with the data is tests/test_page_cost.py.

    .venv/bin/python bench/page_cost.py                                   # SQLite
    scripts/with-postgres .venv/bin/python bench/page_cost.py             # SQLite, then PostgreSQL
    scripts/with-postgres .venv/bin/python bench/page_cost.py --only postgresql
    .venv/bin/python bench/page_cost.py --members 2000 --proposals 4000 --ballots 100000  # quick

The bulk of the data (members and their lifecycle events, accounts, mandates, proposals with
their search documents, supports, closed polls with their frozen electorate, participations and
ballots) is written with core INSERT ... executemany in chunks, in the shapes the services
write, on a fresh database built by the migrations. The people who look at the pages, and the
objects whose detail pages are read (a proposal open for support, a proposal whose vote is
closed, an open poll, a member with a history), are made through the services on top of it.
Pages are requested in-process through Flask's test client, logged in through the login form:
the time is the server's (routing, queries, templates), without a network or a WSGI server.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import math
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no migration chatter between the figures

import sqlalchemy as sa  # noqa: E402

import tests.conftest  # noqa: E402
import tests.live  # noqa: E402
from tests.live import live_database  # noqa: E402

CHUNK = 5000
START = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
# Names and words in a line of text each (a list of 30 one-word strings reads worse).
GIVEN = (  # noqa: SIM905
    "Amina Ana Bruno Chloé Dmitri Élodie Farid Grace Hugo Inès Jamal Katia Léo Mariam Nadia "
    "Omar Paula Quentin Rania Samir Tomasz Ugo Valérie Wassim Yasmine Zoé"
).split()
FAMILY = (  # noqa: SIM905
    "Martin Bernard Diallo Nguyen Moreau Kaya Petit Durand Leroy Haddad Fontaine Rossi Novak "
    "Girard Mercier Benali Traoré Lambert Faure Rousseau Costa Blanc Guerin Muller"
).split()
TEAMS = ("Kitchen", "Cleaning", "Garden", "Repair", "Shop", "")
WORDS = (  # noqa: SIM905
    "van bus kitchen garden budget team shop repair schedule training safety meal bike tools "
    "room rules holiday salary contract week morning night cleaning delivery market compost "
    "café library laptop phone uniform gloves badge parking heating water lights door"
).split()
PROPOSAL_STATES = (
    ("draft", 0.10),
    ("submitted", 0.15),
    ("support", 0.25),
    ("adopted", 0.20),
    ("rejected", 0.15),
    ("withdrawn", 0.08),
    ("archived", 0.07),
)
MEMBER_STATES = (("active", 0.90), ("applicant", 0.04), ("suspended", 0.02), ("ended", 0.04))
COLLEGES = (("worker", 0.6), ("staff", 0.1), ("volunteer", 0.2), ("supporter", 0.1))
TURNOUT = 0.8


# --- Helpers --------------------------------------------------------------------------------------


@contextlib.contextmanager
def backend(postgres: bool):
    """Point the helpers of tests/live.py at SQLite or PostgreSQL for this block."""
    saved = tests.conftest.POSTGRES, tests.live.POSTGRES
    tests.conftest.POSTGRES = tests.live.POSTGRES = postgres
    try:
        yield
    finally:
        tests.conftest.POSTGRES, tests.live.POSTGRES = saved


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def bulk(table, rows) -> int:
    """INSERT rows (an iterable of dicts) in chunks of CHUNK with executemany."""
    from portal.extensions import db

    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            db.session.execute(sa.insert(table), batch)
            count += len(batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(table), batch)
        count += len(batch)
    return count


def next_id(table) -> int:
    from portal.extensions import db

    return (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1


def words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high)))


def move_sequences(tables: list[str]) -> None:
    """PostgreSQL: the ids were given, so move the sequences past them."""
    from portal.extensions import db

    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT coalesce(max(id), 1) FROM {table}))"
            )
        )


# --- The large dataset ------------------------------------------------------------------------


@dataclass
class Seeded:
    counts: dict[str, int]
    viewers: dict[str, object]  # name -> User
    paths: dict[str, str]


def seed_people(args, rng: random.Random) -> dict[str, int]:
    """Accounts and members (with their lifecycle events) in bulk; returns row counts."""
    from portal.accounts.models import User, UserRole
    from portal.extensions import db
    from portal.members.models import Member, MemberCategory, MembershipEvent

    users, members, events = User.__table__, Member.__table__, MembershipEvent.__table__
    colleges = dict(db.session.execute(sa.select(MemberCategory.code, MemberCategory.id)).all())
    first_user, first_member = next_id(users), next_id(members)
    accounts = args.members // 3  # one member in three has a login
    when = START
    user_rows = [
        {
            "id": first_user + n,
            "username": f"bench{n:05d}",
            "display_name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
            "password_hash": None,  # they never log in here: no hash to compute
            "session_token": f"{n:043d}",
            "created_at": when,
            "updated_at": when,
        }
        for n in range(accounts)
    ]
    counts = {"users": bulk(users, user_rows)}
    bulk(
        UserRole.__table__,
        ({"user_id": row["id"], "role": "member", "granted_at": when} for row in user_rows),
    )
    college_names = [code for code, _ in COLLEGES]
    college_weights = [weight for _, weight in COLLEGES]
    state_names = [state for state, _ in MEMBER_STATES]
    state_weights = [weight for _, weight in MEMBER_STATES]
    member_rows, event_rows = [], []
    for n in range(args.members):
        member_id = first_member + n
        state = rng.choices(state_names, state_weights)[0]
        college = colleges[rng.choices(college_names, college_weights)[0]]
        applied_on = date(2023, 1, 2) + timedelta(days=rng.randint(0, 500))
        admitted_on = applied_on + timedelta(days=rng.randint(7, 60))
        member_rows.append(
            {
                "id": member_id,
                "member_number": f"{member_id:05d}",
                "given_name": rng.choice(GIVEN),
                "family_name": rng.choice(FAMILY),
                "preferred_language": rng.choice(("fr", "fr", "en")),
                "phone": "+33 6 12 34 56 78" if n % 3 else None,
                "contact_consent": bool(n % 2),
                "team": rng.choice(TEAMS),
                "category_id": college,
                "state": state,
                "security_path": f"/member:{member_id}/",
                "user_id": first_user + n if n < accounts else None,
                "applied_on": applied_on,
                "admitted_on": None if state == "applicant" else admitted_on,
                "ended_on": admitted_on + timedelta(days=200) if state == "ended" else None,
                "created_at": when,
                "updated_at": when,
            }
        )
        # What create_member and change_membership write: applied, then the steps.
        steps = [("applied", None, applied_on, "applicant")]
        if state != "applicant":
            steps.append(("transition", "admit", admitted_on, "active"))
        if state in ("suspended", "ended"):
            transition = "suspend" if state == "suspended" else "end"
            steps.append(("transition", transition, admitted_on + timedelta(days=200), state))
        for kind, transition, effective_on, step_state in steps:
            event_rows.append(
                {
                    "member_id": member_id,
                    "kind": kind,
                    "transition": transition,
                    "effective_on": effective_on,
                    "state": step_state,
                    "category_id": college,
                    "reason": "Board decision." if transition in ("suspend", "end") else "",
                    "recorded_at": when,
                }
            )
    counts["members"] = bulk(members, member_rows)
    counts["membership events"] = bulk(events, event_rows)
    move_sequences(["users", "members", "membership_events"])
    return counts


def seed_bodies(rng: random.Random) -> dict[str, int]:
    """Three committees, and mandates in every body that has them (board, committees)."""
    from portal.extensions import db
    from portal.members import bodies
    from portal.members.models import Body, Mandate, Member

    committees = [
        bodies.create_body(None, bodies.BodyData(kind="committee", name=name))
        for name in ("Garden committee", "Kitchen committee", "Safety committee")
    ]
    board = db.session.scalar(sa.select(Body).where(Body.kind == "board"))
    active = db.session.scalars(sa.select(Member.id).where(Member.state == "active")).all()
    rows = []
    for body, seats in ((board, 8), *((c, 12) for c in committees)):
        for position, member_id in enumerate(rng.sample(active, seats)):
            rows.append(
                {
                    "body_id": body.id,
                    "member_id": member_id,
                    "position": "treasurer" if position == 0 and body is board else "member",
                    "starts_on": date(2025, 6, 1),
                    "ends_on": None,  # executemany: every row names the same columns
                    "created_at": START,
                }
            )
            # An earlier mandate, ended: the body's history.
            rows.append(
                {
                    "body_id": body.id,
                    "member_id": rng.choice(active),
                    "position": "member",
                    "starts_on": date(2024, 3, 1),
                    "ends_on": date(2025, 2, 28),
                    "created_at": START,
                }
            )
    return {"bodies": 2 + len(committees), "mandates": bulk(Mandate.__table__, rows)}


def seed_polls(args, rng: random.Random, people: list[tuple[int, int | None]]) -> dict:
    """Closed secret yes/no/abstain polls of the general assembly, enough for --ballots ballots at
    80 % turnout: the frozen electorate, participations, ballots and the counted result."""
    from portal.extensions import db
    from portal.members import bodies
    from portal.members.models import Body
    from portal.voting import tally as tallying
    from portal.voting.models import Ballot, Participation, Poll, PollElector

    assembly = db.session.scalar(sa.select(Body).where(Body.kind == "general_assembly"))
    electorate = bodies.electorate(assembly, date(2026, 1, 5))
    users_of = dict(people)
    voters_per_poll = max(1, int(len(electorate) * TURNOUT))
    polls = max(1, math.ceil(args.ballots / voters_per_poll))
    first = next_id(Poll.__table__)
    counts = {"polls": 0, "electors": 0, "participations": 0, "ballots": 0}
    left = args.ballots
    poll_ids = []
    for n in range(polls):
        poll_id = first + n
        opened = START + timedelta(days=7 * n)
        closed = opened + timedelta(days=6)
        voting = rng.sample(electorate, min(voters_per_poll, left))
        left -= len(voting)
        choices = rng.choices(("yes", "no", "abstain"), (0.55, 0.35, 0.10), k=len(voting))
        totals = {key: choices.count(key) for key in ("yes", "no", "abstain")}
        rules = tallying.Rules(
            majority="simple",
            abstentions_count=False,
            quorum=0.25,
            electorate=len(electorate),
            seats=1,
        )
        result = tallying.tally(
            "yes_no_abstain",
            [],
            [tallying.ballot_from_dict({"vote": k, "weight": v}) for k, v in totals.items() if v],
            rules,
        ).as_dict()
        db.session.execute(
            sa.insert(Poll.__table__),
            {
                "id": poll_id,
                "title": f"Vote {n + 1}: {words(rng, 3, 7)}",
                "question": words(rng, 12, 30).capitalize() + "?",
                "body_id": assembly.id,
                "method": "yes_no_abstain",
                "secret": True,
                "majority": "simple",
                "quorum_percent": 25,
                "seats": 1,
                "proxy_cap": 1,
                "opened_at": opened,
                "closed_at": closed,
                "electorate_count": len(electorate),
                "electorate_weight": sum(v.weight for v in electorate),
                "result": result,
                "state": "closed",
                "security_path": f"/poll:{poll_id}/",
                "created_at": opened,
                "updated_at": closed,
            },
        )
        poll_ids.append(poll_id)
        counts["polls"] += 1
        counts["electors"] += bulk(
            PollElector.__table__,
            (
                {"poll_id": poll_id, "member_id": v.member_id, "weight": v.weight}
                for v in electorate
            ),
        )
        counts["participations"] += bulk(
            Participation.__table__,
            (
                {
                    "poll_id": poll_id,
                    "member_id": v.member_id,
                    "mode": "self",
                    "cast_by_id": users_of.get(v.member_id),
                    "created_at": opened + timedelta(minutes=i % 5000),
                }
                for i, v in enumerate(voting)
            ),
        )
        # The ballots are shuffled apart from the participations, as the secret ballot keeps them.
        counts["ballots"] += bulk(
            Ballot.__table__,
            (
                {
                    "key": f"{poll_id:08x}{i:024x}",
                    "poll_id": poll_id,
                    "content": {"vote": choice},
                    "weight": 1,
                    "receipt_fingerprint": f"{poll_id:016x}{i:048x}",
                }
                for i, choice in enumerate(choices)
            ),
        )
        if left <= 0:
            break
    move_sequences(["polls", "participations"])
    counts["poll_ids"] = poll_ids
    return counts


def seed_proposals(args, rng: random.Random, poll_ids: list[int]) -> dict[str, int]:
    """Proposals in every state, their search documents, and supports."""
    from portal.accounts.models import User
    from portal.core.search import SearchDocument
    from portal.extensions import db
    from portal.members.models import Body, Member
    from portal.proposals.models import Proposal, ProposalSupport

    dialect = db.session.get_bind().dialect.name
    bodies = db.session.scalars(sa.select(Body.id).order_by(Body.id)).all()
    owners = db.session.scalars(sa.select(User.id)).all()
    active = db.session.scalars(sa.select(Member.id).where(Member.state == "active")).all()
    first = next_id(Proposal.__table__)
    names = [state for state, _ in PROPOSAL_STATES]
    weights = [weight for _, weight in PROPOSAL_STATES]
    voted = list(poll_ids)  # each closed poll decided one adopted or rejected proposal
    proposal_rows, documents, supports = [], [], []
    fts = sa.text("INSERT INTO search_fts (rowid, title, body) VALUES (:id, :title, :body)")
    counts = {"proposals": 0, "supports": 0}

    def flush() -> None:
        if proposal_rows:
            db.session.execute(sa.insert(Proposal.__table__), proposal_rows)
            db.session.execute(sa.insert(SearchDocument.__table__), documents)
            if dialect == "sqlite":
                db.session.execute(
                    fts, [{k: d[k] for k in ("id", "title", "body")} for d in documents]
                )
            counts["proposals"] += len(proposal_rows)
            proposal_rows.clear()
            documents.clear()

    document_id = next_id(SearchDocument.__table__)
    for n in range(args.proposals):
        proposal_id = first + n
        state = rng.choices(names, weights)[0]
        when = START + timedelta(minutes=37 * n)
        title = f"{words(rng, 2, 6).capitalize()} ({n + 1})"
        summary = words(rng, 8, 25).capitalize() + "."
        what_changes = words(rng, 6, 20).capitalize() + "." if n % 4 else ""
        body = "## Why\n\n" + words(rng, 30, 120).capitalize() + ".\n\n- " + words(rng, 4, 9)
        poll_id = voted.pop() if state in ("adopted", "rejected") and voted else None
        row = {
            "id": proposal_id,
            "title": title,
            "summary": summary,
            "what_changes": what_changes,
            "body": body,
            "body_id": bodies[0] if n % 10 else rng.choice(bodies),
            "state": state,
            "security_path": f"/proposal:{proposal_id}/",
            "owner_id": rng.choice(owners),
            "support_threshold": 900 if state not in ("draft", "submitted") else None,
            "poll_id": poll_id,
            "version": 1,
            "created_at": when,
            "updated_at": when + timedelta(days=n % 30),
            # executemany: every row of a chunk names the same columns
            "follow_status": None,
            "follow_due": None,
            "follow_updated_at": None,
        }
        if state == "adopted":
            row["follow_status"] = rng.choice(("to_do", "in_progress", "done"))
            row["follow_due"] = date(2026, 1, 1) + timedelta(days=n % 600)
            row["follow_updated_at"] = when
        proposal_rows.append(row)
        documents.append(
            {
                "id": document_id + n,
                "object_key": f"proposal:{proposal_id}",
                "object_type": "proposal",
                "object_id": proposal_id,
                "title": title,
                "body": "\n".join((summary, what_changes, body.replace("## ", ""))).strip(),
                "updated_at": when,
            }
        )
        if state in ("support", "adopted", "rejected"):
            for member_id in rng.sample(active, rng.randint(0, 20)):
                supports.append(
                    {"proposal_id": proposal_id, "member_id": member_id, "created_at": when}
                )
        if len(proposal_rows) >= CHUNK:
            flush()
    flush()
    counts["supports"] = bulk(ProposalSupport.__table__, supports)
    move_sequences(["proposals", "search_documents", "proposal_supports"])
    return counts


def vote_in_bulk(poll, rng: random.Random, skip: set[int]) -> int:
    """Participations and ballots for 80 % of an open poll's electorate (not `skip`)."""
    from portal.extensions import db
    from portal.members.models import Member
    from portal.voting.models import Ballot, Participation, PollElector

    electors = db.session.execute(
        sa.select(PollElector.member_id, PollElector.weight, Member.user_id)
        .join(Member, Member.id == PollElector.member_id)
        .where(PollElector.poll_id == poll.id)
    ).all()
    electors = [e for e in electors if e.member_id not in skip]
    voting = rng.sample(electors, int(len(electors) * TURNOUT))
    now = datetime.now(UTC)
    bulk(
        Participation.__table__,
        (
            {
                "poll_id": poll.id,
                "member_id": e.member_id,
                "mode": "self",
                "cast_by_id": e.user_id,
                "created_at": now,
            }
            for e in voting
        ),
    )
    bulk(
        Ballot.__table__,
        (
            {
                "key": f"{poll.id:08x}{i:024x}",
                "poll_id": poll.id,
                "content": {"vote": rng.choice(("yes", "yes", "no", "abstain"))},
                "weight": e.weight,
                "receipt_fingerprint": f"{poll.id:016x}{i:048x}",
            }
            for i, e in enumerate(voting)
        ),
    )
    move_sequences(["participations"])
    return len(voting)


def seed(args) -> Seeded:
    """The whole dataset; the viewers and the objects of the detail pages through services."""
    from portal.accounts.models import Role, User
    from portal.core.db import local_today
    from portal.extensions import db
    from portal.members.models import Body, Member
    from portal.proposals import services as proposals
    from portal.proposals.models import ProposalSupport
    from portal.voting import services as voting
    from tests.factories_content import factory_admin, make_page
    from tests.factories_members import (
        factory_board,
        make_mandate,
        member_with_login,
        membership_step,
    )
    from tests.factories_proposals import make_proposal
    from tests.factories_voting import open_poll_for, vote

    rng = random.Random(args.seed)
    began = time.perf_counter()
    board_member = member_with_login(given="Bertille", family="Board", roles=(Role.BOARD,))
    reader = member_with_login(given="Rosalind", family="Reader")
    board_body = db.session.scalar(sa.select(Body).where(Body.kind == "board"))
    make_mandate(board_member, board_body, "chair", starts_on=date(2025, 3, 1))
    for n in range(args.news):
        make_page(
            factory_admin(),
            title=f"News {n + 1}: {words(rng, 2, 5)}",
            kind="news",
            state="published",
            body=words(rng, 20, 60),
        )
    db.session.commit()
    counts = seed_people(args, rng)
    counts.update(seed_bodies(rng))
    db.session.commit()
    people = db.session.execute(sa.select(Member.id, Member.user_id)).all()
    poll_counts = seed_polls(args, rng, people)
    db.session.commit()
    counts.update(seed_proposals(args, rng, poll_counts.pop("poll_ids")))
    counts.update(poll_counts)
    db.session.commit()
    bulk_seconds = time.perf_counter() - began

    # --- The objects of the detail pages, through the services --------------------------
    owner = reader.user
    supported = make_proposal(owner, "support", title="A second van for the garden team")
    active = db.session.scalars(
        sa.select(Member).where(Member.state == "active", Member.user_id.is_not(None)).limit(300)
    ).all()
    supporters = db.session.scalars(
        sa.select(Member.id)
        .where(Member.state == "active", Member.id.not_in([reader.id, board_member.id]))
        .order_by(Member.id.desc())
        .limit(600)
    ).all()
    bulk(
        ProposalSupport.__table__,
        ({"proposal_id": supported.id, "member_id": m, "created_at": START} for m in supporters),
    )
    proposals.support_proposal(reader.user, supported)
    counts["supports"] += len(supporters) + 1

    in_vote = make_proposal(owner, "vote", title="Saturday mornings at the café")
    vote(in_vote.poll, reader, {"vote": "yes"})
    vote(in_vote.poll, board_member, {"vote": "no"})
    counts["ballots"] += 2 + vote_in_bulk(in_vote.poll, rng, {reader.id, board_member.id})
    voting.close_poll(factory_board(), in_vote.poll)

    still_open = open_poll_for(title="Which colour for the new van?", quorum_percent=0)
    principal = next(m for m in active if m.id not in (reader.id, board_member.id))
    voting.give_proxy(factory_board(), still_open, principal, reader)  # a paper proxy
    counts["ballots"] += vote_in_bulk(still_open, rng, {reader.id, board_member.id, principal.id})

    profile = next(m for m in reversed(active) if m.id != principal.id)
    today = local_today()
    membership_step(profile, "suspend", on=today - timedelta(days=30))
    membership_step(profile, "reinstate", on=today - timedelta(days=20))
    db.session.commit()
    counts["seconds"] = round(bulk_seconds, 1)
    counts["services seconds"] = round(time.perf_counter() - began - bulk_seconds, 1)
    assembly = db.session.scalar(sa.select(Body).where(Body.kind == "general_assembly"))
    paths = {
        "proposals list": "/proposals/",
        "proposal open for support": f"/proposals/{supported.id}",
        "proposal with a closed vote": f"/proposals/{in_vote.id}",
        "polls list": "/polls/",
        "poll page, open": f"/polls/{still_open.id}",
        "poll page, closed": f"/polls/{in_vote.poll.id}",
        "results page": f"/polls/{in_vote.poll.id}/results",
        "members register": "/members/register",
        "members directory": "/members/",
        "member profile": f"/members/{profile.id}",
        "bodies list": "/bodies/",
        "body page, general assembly": f"/bodies/{assembly.id}",
        "body page, board": f"/bodies/{board_body.id}",
        "home": "/",
        "search": "/search?q=garden+budget",
    }
    viewers = {
        "board": db.session.get(User, board_member.user_id).username,
        "member": db.session.get(User, reader.user_id).username,
    }
    return Seeded(counts, viewers, paths)


# --- Measuring --------------------------------------------------------------------------------


def logged_in(app, username: str):
    from tests.conftest import csrf_token
    from tests.factories import PASSWORD

    client = app.test_client()
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    if response.status_code != 303:
        raise RuntimeError(f"login of {username} failed: {response.status_code}")
    return client


def show_statements(engine, client, path: str, name: str, page: str) -> None:
    """Print the statements one request of `page` runs, the same ones counted together."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split())[:240])

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    print(f"--- {name} statements of {page} (GET {path}), as the board member:")
    for statement, times in collections.Counter(seen).items():
        print(f"    {times} x {statement}")


def measure(name: str, app, seeded: Seeded, args) -> None:
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
        db.session.remove()
    statements: list[int] = [0]

    def count(*_args):
        statements[0] += 1

    for viewer, username in seeded.viewers.items():
        client = logged_in(app, username)
        for page, path in seeded.paths.items():
            if page == "members register" and viewer != "board":
                continue
            for _ in range(2):  # warm: templates compiled, caches filled
                client.get(path)
            times, counts, size, status = [], set(), 0, 0
            sa.event.listen(engine, "before_cursor_execute", count)
            try:
                for _ in range(args.requests):
                    statements[0] = 0
                    began = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - began) * 1000)
                    counts.add(statements[0])
                    size, status = len(response.get_data()), response.status_code
            finally:
                sa.event.remove(engine, "before_cursor_execute", count)
            if page in args.show and viewer == "board":
                show_statements(engine, client, path, name, page)
            shown = "/".join(str(c) for c in sorted(counts))
            print(
                f"{name} {viewer:6} {page:28} {shown:>3} statements,"
                f" median {statistics.median(times):6.1f} ms,"
                f" p95 {percentile(times, 0.95):6.1f} ms"
                f" ({len(times)} requests, {size / 1024:.0f} KB, {status}) GET {path}"
            )


def run(name: str, args, directory: Path) -> None:
    from portal.extensions import db

    with live_database(f"bench_page_cost_{name}", directory) as (_url, app):
        with app.app_context():
            seeded = seed(args)
            counts = seeded.counts
            print(
                f"{name} data: {counts['members']:,} members ({counts['users']:,} with a login,"
                f" {counts['membership events']:,} lifecycle events), {counts['bodies']} bodies,"
                f" {counts['mandates']} mandates, {counts['proposals']:,} proposals,"
                f" {counts['supports']:,} supports, {counts['polls']} closed polls,"
                f" {counts['electors']:,} electors, {counts['participations']:,} participations,"
                f" {counts['ballots']:,} ballots; bulk inserts {counts['seconds']} s,"
                f" services {counts['services seconds']} s"
            )
            if name == "postgresql":  # what autovacuum would do after a bulk load
                began = time.perf_counter()
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
                print(f"{name} ANALYZE: {time.perf_counter() - began:.1f} s")
            db.session.remove()
        measure(name, app, seeded, args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000, help="members (10000)")
    parser.add_argument("--proposals", type=int, default=20_000, help="proposals (20000)")
    parser.add_argument("--ballots", type=int, default=1_000_000, help="ballots (1000000)")
    parser.add_argument("--news", type=int, default=30, help="published news pages (30)")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page (20)")
    parser.add_argument("--seed", type=int, default=20261125, help="random seed")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    parser.add_argument(
        "--show",
        action="append",
        default=[],
        metavar="PAGE",
        help='print the statements of a page, e.g. --show "bodies list" (repeatable)',
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    each_backend(run, args, "wise-bench-page-cost-")
    return 0


def each_backend(run, args, prefix: str) -> None:
    """Print the machine's load, then `run(name, args, tmp)` on SQLite, and on PostgreSQL when
    TEST_DATABASE_URL is set (`scripts/with-postgres`), or on `args.only`; each timed."""
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    backends = [("sqlite", False)]
    if os.environ.get("TEST_DATABASE_URL"):
        backends.append(("postgresql", True))
    if args.only:
        backends = [b for b in backends if b[0] == args.only]
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        for name, postgres in backends:
            began = time.perf_counter()
            with backend(postgres):
                run(name, args, Path(tmp))
            print(
                f"{name} done in {time.perf_counter() - began:.0f} s;"
                f" load average {os.getloadavg()[0]:.1f}"
            )


if __name__ == "__main__":
    sys.exit(main())
