"""Integration reports benchmark: the time of `reports.report()` and of the reports page on 5,000
pathways.

Not a test: it prints one summary line per figure and exits 0 unless the setup fails. The target
is under 500 ms for the report over 5,000 records. See bench/README.md ("integration_reports.py").

    .venv/bin/python bench/integration_reports.py                               # SQLite
    scripts/with-postgres .venv/bin/python bench/integration_reports.py         # and PostgreSQL
    .venv/bin/python bench/integration_reports.py --pathways 20000 --runs 10

The data is written with core INSERT ... executemany on a fresh database built by the
migrations: members, pathways over 5 teams and 5 years (about 70 % closed with an exit outcome,
1 in 10 anonymised), about 10 support actions and 6 skill assessments per pathway, meetings with
attendances and polls with participations. The board member who reads the page is made through
the factories. `report()` is timed in-process (median of --runs calls, after one warm-up call);
the page through Flask's test client, logged in through the login form.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LOG_LEVEL", "WARNING")

import sqlalchemy as sa  # noqa: E402

from bench.page_cost import backend, bulk, logged_in, move_sequences, next_id  # noqa: E402
from portal.core.db import local_today  # noqa: E402
from tests.live import live_database  # noqa: E402

TEAMS = ("Kitchen", "Cleaning", "Garden", "Repair", "Shop")
STAMP = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ACTION_KINDS = ("interview", "coaching", "training", "paperwork", "job_search", "workshop")


def seed(args, rng: random.Random) -> dict[str, int]:
    from portal.extensions import db
    from portal.integration.models import (
        ExitOutcome,
        Pathway,
        Skill,
        SkillAssessment,
        SupportAction,
    )
    from portal.meetings.models import Attendance
    from portal.members.models import Member, MemberCategory
    from portal.voting.models import Participation
    from tests.factories_meetings import make_meeting
    from tests.factories_voting import make_poll

    this_year = local_today().year
    first_year = this_year - 4
    worker = db.session.scalar(sa.select(MemberCategory.id).where(MemberCategory.code == "worker"))
    linked = args.pathways - args.pathways // 10
    first_member = next_id(Member.__table__)
    counts = {
        "members": bulk(
            Member.__table__,
            (
                {
                    "id": first_member + n,
                    "member_number": f"I{first_member + n:06d}",
                    "given_name": f"Bench{n}",
                    "family_name": "Worker",
                    "category_id": worker,
                    "state": "active",
                    "security_path": f"/member:{first_member + n}/",
                    "applied_on": date(first_year, 1, 2),
                    "admitted_on": date(first_year, 1, 9),
                    "created_at": STAMP,
                    "updated_at": STAMP,
                }
                for n in range(linked)
            ),
        )
    }
    outcomes = db.session.execute(sa.select(ExitOutcome.id)).scalars().all()
    skills = []
    for n in range(3):
        skill = Skill(area="Work", name=f"Skill {n + 1}")
        db.session.add(skill)
        skills.append(skill)
    db.session.flush()
    first_pathway = next_id(Pathway.__table__)
    pathway_rows, spans = [], []
    for n in range(args.pathways):
        entry = date(first_year, 1, 1) + timedelta(days=rng.randint(0, 5 * 365 - 30))
        closed = rng.random() < 0.7 and entry < date(this_year, 10, 1)
        exit_on = min(entry + timedelta(days=rng.randint(60, 720)), date(this_year, 11, 1))
        exit_on = exit_on if closed and exit_on > entry else None
        anonymous = n >= linked
        pathway_rows.append(
            {
                "id": first_pathway + n,
                "member_id": None if anonymous else first_member + n,
                "entry_on": entry,
                "planned_end_on": None,
                "contract_type": "integration",
                "weekly_hours": 26,
                "team": TEAMS[n % len(TEAMS)],
                "referrer": "",
                "exit_on": exit_on,
                "outcome_id": rng.choice(outcomes) if exit_on else None,
                "exit_note": "",
                "anonymised_on": date(this_year, 1, 1) if anonymous else None,
                "created_at": STAMP,
                "updated_at": STAMP,
            }
        )
        spans.append((first_pathway + n, entry, exit_on or date(this_year, 11, 1)))
    counts["pathways"] = bulk(Pathway.__table__, pathway_rows)

    def on(entry: date, end: date) -> date:
        return entry + timedelta(days=rng.randint(0, max(0, (end - entry).days)))

    counts["support actions"] = bulk(
        SupportAction.__table__,
        (
            {
                "pathway_id": pid,
                "happened_on": on(entry, end),
                "kind": rng.choice(ACTION_KINDS),
                "minutes": rng.choice((30, 45, 60, 90, 120)),
                "notes": "",
                "recorded_by_id": None,
                "recorded_at": STAMP,
            }
            for pid, entry, end in spans
            for _ in range(rng.randint(8, 12))
        ),
    )
    counts["skill assessments"] = bulk(
        SkillAssessment.__table__,
        (
            {
                "pathway_id": pid,
                "skill_id": skill.id,
                "level": rng.randint(1, 4),
                "assessed_on": on(entry, end),
                "note": "",
                "assessed_by_id": None,
                "created_at": STAMP,
            }
            for pid, entry, end in spans
            for skill in skills
            for _ in range(2)
        ),
    )
    member_ids = list(range(first_member, first_member + linked))
    attendances = participations = 0
    for year in range(first_year, this_year + 1):
        for month in (3, 6, 10):
            meeting = make_meeting(starts_at=datetime(year, month, 12, 16, 0, tzinfo=UTC))
            attendances += bulk(
                Attendance.__table__,
                (
                    {
                        "meeting_id": meeting.id,
                        "member_id": member_id,
                        "status": "present",
                        "self_checked_in": False,
                        "updated_at": STAMP,
                    }
                    for member_id in rng.sample(member_ids, len(member_ids) // 5)
                ),
            )
        poll = make_poll(title=f"Vote of {year}")
        participations += bulk(
            Participation.__table__,
            (
                {
                    "poll_id": poll.id,
                    "member_id": member_id,
                    "mode": "self",
                    "created_at": datetime(year, 5, 4, 10, 0, tzinfo=UTC),
                }
                for member_id in rng.sample(member_ids, len(member_ids) // 3)
            ),
        )
    counts["attendances"], counts["participations"] = attendances, participations
    move_sequences(["members", "pathways", "support_actions", "skill_assessments"])
    db.session.commit()
    return counts


def timed(function, runs: int) -> tuple[float, float, float]:
    function()  # warm
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        function()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), min(times), max(times)


def statements_of(engine, function) -> int:
    seen = [0]

    def count(*_args):
        seen[0] += 1

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        function()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return seen[0]


def run(name: str, args, directory: Path) -> None:
    from portal.extensions import db
    from portal.integration import reports
    from tests.factories_members import board_user

    rng = random.Random(args.seed)
    with live_database(f"bench_integration_reports_{name}", directory) as (_url, app):
        with app.app_context():
            began = time.perf_counter()
            counts = seed(args, rng)
            reader = board_user(username="bench.board")
            db.session.commit()
            username = reader.username
            print(
                f"{name} data: {counts['pathways']:,} pathways ({counts['members']:,} members),"
                f" {counts['support actions']:,} support actions,"
                f" {counts['skill assessments']:,} skill assessments,"
                f" {counts['attendances']:,} attendances, {counts['participations']:,}"
                f" participations; seeded in {time.perf_counter() - began:.1f} s"
            )
            if name == "postgresql":
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
            year = local_today().year - 1
            cases = {
                "report(all years, all teams)": lambda: reports.report(None, None),
                f"report({year}, all teams)": lambda: reports.report(year, None),
                f"report({year}, team Garden)": lambda: reports.report(year, "Garden"),
                "report(all years, team Garden)": lambda: reports.report(None, "Garden"),
            }
            for label, function in cases.items():
                median, low, high = timed(function, args.runs)
                statements = statements_of(db.engine, function)
                verdict = "ok" if median < 500 else "OVER 500 ms"
                print(
                    f"{name} {label:32} {statements:3} statements, median {median:6.1f} ms"
                    f" (min {low:.1f}, max {high:.1f}; {args.runs} runs) {verdict}"
                )
            db.session.remove()
        client = logged_in(app, username)
        for path in (f"/integration/reports?year={year}", "/integration/reports?year=all"):
            response = client.get(path)
            median, low, high = timed(lambda p=path: client.get(p), args.runs)
            print(
                f"{name} GET {path:38} median {median:6.1f} ms (min {low:.1f}, max {high:.1f};"
                f" {args.runs} requests, {len(response.get_data()) / 1024:.0f} KB,"
                f" {response.status_code})"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pathways", type=int, default=5000, help="pathways (5000)")
    parser.add_argument("--runs", type=int, default=20, help="timed calls per figure (20)")
    parser.add_argument("--seed", type=int, default=20261125, help="random seed")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    backends = [("sqlite", False)]
    if os.environ.get("BENCH_DATABASE_URL") and not os.environ.get("TEST_DATABASE_URL"):
        os.environ["TEST_DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    if os.environ.get("TEST_DATABASE_URL"):
        backends.append(("postgresql", True))
    if args.only:
        backends = [b for b in backends if b[0] == args.only]
    with tempfile.TemporaryDirectory(prefix="wise-bench-integration-reports-") as tmp:
        for name, postgres in backends:
            began = time.perf_counter()
            with backend(postgres):
                run(name, args, Path(tmp))
            print(f"{name} done in {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
