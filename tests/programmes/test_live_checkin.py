"""40 people checking in at once through a real multi-worker server all count once.

gunicorn with 4 workers on a fresh migrated database (tests/live.py), the real login, CSRF, the
view and the commit; the trainer reads the code from the code screen over HTTP like the room's
screen does. 40 members post the code at the same moment, 20 of them twice: every request is
answered 200, each member has exactly one row, present or late, checked in once (one audit
entry each), and no worker logged an error. Then one account typing wrong codes from several
workers at once is throttled by the count they share in the database.

The server keeps the real clock, so the session is today, with a slot running now.
"""

from __future__ import annotations

import re
import shlex
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.programmes import checkin
from portal.programmes.models import Attendance
from tests.factories import PASSWORD
from tests.factories_members import member_with_login, trainer_user
from tests.factories_programmes import enrol, make_programme, make_session
from tests.live import LiveServer, live_database

pytestmark = pytest.mark.live

WORKERS = 4
PEOPLE = 40
TIMEOUT = 60
ACCESS_LOG = shlex.join(
    ["--access-logfile", "-", "--access-logformat", "pid=%(p)s %(m)s %(U)s %(s)s"]
)
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
CODE_TEXT = re.compile(r"<text[^>]*>([A-Z0-9]{6})</text>")
LOG_ALARMS = ("database is locked", "Traceback", "Error", "deadlock", "WORKER TIMEOUT")


def _slot_now(zone: ZoneInfo) -> tuple:
    now = datetime.now(zone)
    if now.time() >= time(23, 50):
        pytest.skip("no slot can run from now until later today (near midnight)")
    start = (now - timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    if (now - timedelta(minutes=5)).date() != now.date():
        start = time(0, 0)
    end = min(now + timedelta(hours=2), now.replace(hour=23, minute=59)).time()
    end = end.replace(second=0, microsecond=0)
    return now.date(), ("morning" if start < time(12) else "afternoon", start, end)


def log_in(server: LiveServer, username: str, page: str) -> tuple[dict, str]:
    browser = requests.Session()
    token = CSRF_INPUT.search(browser.get(server.url + "/login", timeout=TIMEOUT).text).group(1)
    response = browser.post(
        server.url + "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 303, (username, response.status_code)
    html = browser.get(server.url + page, timeout=TIMEOUT)
    assert html.status_code == 200, (username, html.status_code)
    return browser.cookies.get_dict(), CSRF_INPUT.search(html.text).group(1)


def race(tasks: list, threads: int = 32) -> list:
    go = threading.Event()

    def run(task):
        go.wait(TIMEOUT)
        return task()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(run, task) for task in tasks]
        go.set()
        return [future.result() for future in futures]


def post_code(server, login, code) -> requests.Response:
    cookies, token = login
    return requests.post(
        server.url + "/programmes/check-in",
        data={"csrf_token": token, "code": code},
        cookies=cookies,
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def test_forty_people_checking_in_at_once_count_once(tmp_path_factory):
    directory = tmp_path_factory.mktemp("checkin_live")
    with live_database("checkin_live", directory) as (url, app):
        with app.app_context():
            zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
            day, slot = _slot_now(zone)
            trainer = trainer_user()
            programme = make_programme(trainer, starts_on=day.replace(day=1))
            people = [member_with_login(given=f"Racer{n}") for n in range(PEOPLE + 1)]
            for member in people:
                enrol(programme, member)
            session = make_session(programme, day=day, slots=[slot])
            session_id, slot_id = session.id, session.slots[0].id
            trainer_name = trainer.username
            names = [member.user.username for member in people]
            member_ids = {member.id for member in people[:PEOPLE]}
            db.session.commit()
            db.session.remove()
        server = LiveServer(
            url,
            directory / "instance",
            workers=WORKERS,
            GUNICORN_CMD_ARGS=ACCESS_LOG,
            LOGIN_MAX_FAILURES_PER_IP="100000",
        )
        try:
            logins = race(
                [lambda n=n: log_in(server, n, "/programmes/check-in") for n in names], 16
            )
            screen = log_in(server, trainer_name, f"/programmes/sessions/{session_id}/code")
            page = requests.get(
                f"{server.url}/programmes/sessions/{session_id}/code",
                cookies=screen[0],
                timeout=TIMEOUT,
            )
            code = CODE_TEXT.search(page.text).group(1)
            start = len(server.log())

            # 40 people at once, 20 of them twice.
            racers = logins[:PEOPLE]
            tasks = [lambda lg=lg: post_code(server, lg, code) for lg in racers]
            tasks += [lambda lg=lg: post_code(server, lg, code) for lg in racers[::2]]
            responses = race(tasks)
            statuses = Counter(r.status_code for r in responses)
            assert statuses == {200: len(tasks)}, statuses
            welcomed = sum("You are checked in. Welcome!" in r.text for r in responses)
            already = sum("You are already checked in" in r.text for r in responses)
            assert (welcomed, already) == (PEOPLE, PEOPLE // 2), (welcomed, already)

            # One account typing wrong codes from several workers at once: throttled.
            wrong = race([lambda: post_code(server, logins[PEOPLE], "WRONG9")] * 12)
            refused = Counter(r.status_code for r in wrong)
            assert set(refused) <= {422, 429} and refused[429] >= 12 - 2 * checkin.MAX_WRONG
            late = post_code(server, logins[PEOPLE], code)
            assert late.status_code == 429 and late.headers.get("Retry-After")

            log = server.log()[start:]
            alarms = [line for line in log.splitlines() if any(a in line for a in LOG_ALARMS)]
            assert not alarms, "\n".join(alarms[:20])
            assert not re.findall(r"^pid=\S+ \S+ \S+ 5\d\d$", log, re.MULTILINE)
            served = set(re.findall(r"^pid=<?(\d+)>? POST /programmes/check-in", log, re.M))
            assert len(served) > 1, log[-2000:]
        finally:
            server.stop()

        with app.app_context():
            rows = db.session.scalars(
                sa.select(Attendance).where(Attendance.slot_id == slot_id)
            ).all()
            assert {row.member_id for row in rows} == member_ids
            assert len(rows) == PEOPLE
            assert all(row.status in ("present", "late") and row.checked_in_at for row in rows)
            entries = db.session.scalar(
                sa.select(sa.func.count(AuditEntry.id)).where(
                    AuditEntry.action == "programmes.checked_in"
                )
            )
            assert entries == PEOPLE
            wrong_entries = db.session.scalar(
                sa.select(sa.func.count(AuditEntry.id)).where(
                    AuditEntry.action == checkin.REFUSED_ACTION
                )
            )
            assert checkin.MAX_WRONG <= wrong_entries <= 2 * checkin.MAX_WRONG
            db.session.remove()
