"""Roll-call benchmark: the time of the roll-call page for a group of 40 people.

Not a test: it prints one summary line per figure and exits 0 unless the setup fails. The target
is a median under 100 ms for 40 participants. The test that asserts the page's statements do
not grow with the group is tests/programmes/test_rollcall.py (5 and 40 participants).

    .venv/bin/python bench/rollcall.py                              # SQLite
    scripts/with-postgres .venv/bin/python bench/rollcall.py        # SQLite, then PostgreSQL
    .venv/bin/python bench/rollcall.py --people 120 --requests 50   # a bigger group

On a fresh database built by the migrations, through the factories: a trainer, a running
programme with `--people` members enrolled (each with an account), a session today with a
morning and an afternoon; in the morning a third of them checked in by themselves, a third
marked by the trainer (present, late with an arrival time, absent), the rest not marked; five
said "I can't come". The page (GET /programmes/sessions/<id>/roll, the morning) is requested
through Flask's test client in-process, logged in as the trainer through the login form: the
time is the server's (routing, queries, templates), without a network or a WSGI server. Then
the save of the whole form (every person changed) and "Everyone present" are timed too, each
on a database put back between runs (for reference: no target).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LOG_LEVEL", "WARNING")

import sqlalchemy as sa  # noqa: E402

from bench.page_cost import each_backend, logged_in  # noqa: E402
from tests.live import live_database  # noqa: E402

TARGET_MS = 100.0


def seed(people: int) -> tuple[str, int]:
    from portal.core.db import local_today, utcnow
    from portal.extensions import db
    from portal.programmes.models import Apology
    from tests.factories_members import member_with_login, trainer_user
    from tests.factories_programmes import (
        AFTERNOON,
        MORNING,
        enrol,
        make_programme,
        make_session,
        mark,
    )

    trainer = trainer_user(username="bench.trainer")
    programme = make_programme(trainer, title="Bench programme")
    session = make_session(programme, day=local_today(), slots=[MORNING, AFTERNOON])
    morning = session.slots[0]
    for index in range(people):
        member = member_with_login(given=f"Person{index:03d}", family=f"Family{index % 17}")
        enrol(programme, member)
        if index % 3 == 0:
            row = mark(morning, member, "present", arrived_at=clock(9, 2))
            row.checked_in_at = utcnow()
        elif index % 3 == 1:
            status = ("present", "late", "absent")[index % 9 // 3]
            mark(morning, member, status, arrived_at=clock(9, 25) if status == "late" else None)
        if index < 5:
            db.session.add(Apology(session_id=session.id, member_id=member.id, reason="work"))
    db.session.commit()
    return trainer.username, session.id


def timed(function, runs: int) -> list[float]:
    function()  # warm
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        function()
        times.append((time.perf_counter() - began) * 1000)
    return times


def line(name: str, label: str, times: list[float], extra: str = "") -> str:
    median = statistics.median(times)
    p95 = sorted(times)[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return (
        f"{name} {label}: median {median:.1f} ms (p95 {p95:.1f}, min {min(times):.1f},"
        f" max {max(times):.1f}; {len(times)} requests){extra}"
    )


def form_of(html: str, token: str) -> dict:
    """The roll-call form as a browser sends it, every person changed to 'late at 9:30'."""
    data = {"csrf_token": token, "slot": "morning"}
    data["version"] = re.search(r'name="version" value="(\d+)"', html).group(1)
    members = re.findall(r'name="member" value="(\d+)"', html)
    data["member"] = members
    for member_id in members:
        was = re.search(rf'name="was-{member_id}" value="([^"]*)"', html).group(1)
        data[f"was-{member_id}"] = was
        data[f"status-{member_id}"] = "late"
        data[f"arrived-{member_id}"] = "9:30"
    return data


def run(name: str, args, directory: Path) -> None:
    from portal.extensions import db
    from tests.conftest import csrf_token

    with live_database(f"bench_rollcall_{name}", directory) as (_url, app):
        with app.app_context():
            began = time.perf_counter()
            username, session_id = seed(args.people)
            print(
                f"{name} setup: {args.people} participants, seeded in {time.perf_counter() - began:.1f} s"
            )
            if name == "postgresql":
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
            db.session.remove()
        client = logged_in(app, username)
        path = f"/programmes/sessions/{session_id}/roll?slot=morning"
        statements = [0]

        def count(*_args):
            statements[0] += 1

        with app.app_context():
            engine = db.engine
        response = client.get(path)
        sa.event.listen(engine, "before_cursor_execute", count)
        client.get(path)
        sa.event.remove(engine, "before_cursor_execute", count)
        if response.status_code != 200:
            raise RuntimeError(f"the roll-call page answered {response.status_code}")
        html = response.get_data(as_text=True)
        rows = len(re.findall(r'name="member" value="', html))
        times = timed(lambda: client.get(path), args.requests)
        verdict = "meets" if statistics.median(times) < TARGET_MS else "MISSES"
        print(
            line(
                name,
                f"GET roll-call page ({rows} people)",
                times,
                f", {statements[0]} statements, {len(response.get_data()) / 1024:.0f} KB;"
                f" target < {TARGET_MS:.0f} ms: {verdict}",
            )
        )
        token = csrf_token(client, path)
        saves = []
        for _ in range(args.saves):
            html = client.get(path).get_data(as_text=True)
            data = form_of(html, token)
            began = time.perf_counter()
            answer = client.post(path, data=data)
            saves.append((time.perf_counter() - began) * 1000)
            if answer.status_code != 303:
                raise RuntimeError(f"the save answered {answer.status_code}")
            # Put the rows back to unmarked, so that the next save changes everyone again.
            with app.app_context():
                from portal.programmes.models import Attendance, Slot

                slot_ids = sa.select(Slot.id).where(Slot.session_id == session_id)
                db.session.execute(
                    sa.update(Attendance)
                    .where(Attendance.slot_id.in_(slot_ids))
                    .values(status=None, arrived_at=None, left_at=None, minutes=0)
                )
                db.session.commit()
                db.session.remove()
        print(line(name, f"POST save, all {rows} changed", saves))
        everyone = []
        for _ in range(args.saves):
            began = time.perf_counter()
            answer = client.post(path, data={"csrf_token": token, "action": "everyone"})
            everyone.append((time.perf_counter() - began) * 1000)
            if answer.status_code != 303:
                raise RuntimeError(f"everyone present answered {answer.status_code}")
            with app.app_context():
                from portal.programmes.models import Attendance, Slot

                slot_ids = sa.select(Slot.id).where(Slot.session_id == session_id)
                db.session.execute(
                    sa.update(Attendance)
                    .where(Attendance.slot_id.in_(slot_ids))
                    .values(status=None, minutes=0)
                )
                db.session.commit()
                db.session.remove()
        print(line(name, "POST everyone present", everyone))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=40, help="participants (40)")
    parser.add_argument("--requests", type=int, default=30, help="timed page requests (30)")
    parser.add_argument("--saves", type=int, default=10, help="timed saves (10)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    each_backend(run, args, "wise-bench-rollcall-")
    return 0


if __name__ == "__main__":
    sys.exit(main())
