"""Vote surge benchmark: ballots per second through the real vote endpoint, next to a minimal one.

Not a test: it prints one summary line per figure and exits 0 unless the setup itself fails.
See bench/README.md ("vote_surge.py") for how to run it and what the figures mean.

    scripts/with-postgres .venv/bin/python bench/vote_surge.py             # PostgreSQL
    scripts/with-postgres .venv/bin/python bench/vote_surge.py --sqlite    # then SQLite too
    .venv/bin/python bench/vote_surge.py --sqlite                          # SQLite only

N members (--members, 2,000) of the "worker" college, each with an account, are seeded through
the portal's services in-process, with one open yes/no/abstain secret poll of the general
assembly. gunicorn serves the portal with 4 workers; a second gunicorn (4 workers) serves the
minimal Flask app of this file, whose one endpoint does one guarded INSERT (ON CONFLICT DO
NOTHING) into a scratch table of the same database, one transaction per request. Every member
logs in over HTTP beforehand (untimed). Then the same load drives both servers: 32 connections
(--connections), every request a different member, one new connection per request (gunicorn's
sync workers close it after each answer). The sides run in the order minimal, portal, portal,
minimal (half of the members each time), so that a drift of the machine's load hits both.

Top-level imports stay light: gunicorn imports this module to serve `minimal_app()`.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no migration chatter between the figures

MINIMAL_TABLE = "bench_minimal_ballots"
MINIMAL_APP_NAME = "vote_surge_minimal"  # PostgreSQL application_name of the minimal app
SAMPLER_APP_NAME = "vote_surge_sampler"
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
RECEIPT = re.compile(r'<code class="receipt-code">([A-Z0-9-]+)</code>')
CHOICES = ("yes", "no", "abstain")
TARGET_RATIO, TARGET_P99_MS, TARGET_RSS_MB = 0.5, 100.0, 150.0
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


# --- The minimal app (served by gunicorn: "vote_surge:minimal_app()") --------------------------


def minimal_app():
    """One guarded INSERT per request, in its own transaction: the floor of a ballot's cost
    (HTTP, Flask, a form, one round trip to the database, a commit)."""
    import sqlalchemy as sa
    from flask import Flask, request

    url = os.environ["DATABASE_URL"]
    if url.startswith("sqlite"):
        # As the portal does on SQLite: the writer takes the lock at BEGIN and waits for it.
        engine = sa.create_engine(url, connect_args={"timeout": 30, "isolation_level": None})

        @sa.event.listens_for(engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        engine = sa.create_engine(
            url, pool_size=2, connect_args={"application_name": MINIMAL_APP_NAME}
        )
    insert = sa.text(
        f"INSERT INTO {MINIMAL_TABLE} (member_id, vote) VALUES (:member, :vote)"
        " ON CONFLICT (member_id) DO NOTHING RETURNING member_id"
    )
    app = Flask("vote_surge_minimal")

    @app.get("/healthz")
    def healthz():
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return "ok"

    @app.post("/ballot")
    def ballot():
        member = request.form.get("member", "")
        vote = request.form.get("vote", "")
        if not member.lstrip("-").isdigit() or vote not in CHOICES:
            return "bad request", 400
        with engine.begin() as connection:
            inserted = connection.execute(insert, {"member": int(member), "vote": vote}).first()
        return ("ok", 200) if inserted else ("already", 409)

    return app


# --- Figures --------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers, for its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


@dataclass
class Side:
    """What one server did over its phases: successes, errors, latencies, CPU, waits."""

    name: str
    ok: int = 0
    errors: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    client_cpu: float = 0.0
    worker_cpu: float = 0.0
    database_cpu: float = 0.0
    waits: Counter = field(default_factory=Counter)
    timed_out: bool = False

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99) if self.latencies else float("inf")

    def line(self, label: str, database: bool, unit: str = "ballots/s") -> str:
        if self.latencies:
            detail = (
                f"p50 {ms(percentile(self.latencies, 0.5))} ms,"
                f" p99 {ms(self.p99)} ms, max {ms(max(self.latencies))} ms"
            )
        else:
            detail = "no successful request"
        errors = sum(self.errors.values())
        kinds = (
            f" ({', '.join(f'{k}: {v}' for k, v in self.errors.most_common())})" if errors else ""
        )
        handled = self.ok + errors
        cpu = ""
        if handled:
            cpu = f"; CPU per request: workers {ms(self.worker_cpu / handled)} ms"
            if database:
                cpu += f", PostgreSQL {ms(self.database_cpu / handled)} ms"
            cpu += f", load generator {ms(self.client_cpu / handled)} ms"
        stopped = " (stopped at the time limit)" if self.timed_out else ""
        return (
            f"{label}: {self.rate:.1f} {unit}, {detail}, {self.ok} ok, {errors} errors{kinds}"
            f" in {self.elapsed:.1f} s{stopped}{cpu}"
        )


# --- Servers --------------------------------------------------------------------------------------


def _warm_workers(url: str, workers: int) -> None:
    """Workers load the app one by one: give the slow ones time before anything is measured."""

    def ping(_: int) -> None:
        with contextlib.suppress(OSError, http.client.HTTPException):
            call(url, "GET", "/healthz")

    with ThreadPoolExecutor(max_workers=2 * workers) as pool:
        for _ in range(3):
            list(pool.map(ping, range(4 * workers)))
            time.sleep(0.3)


def portal_server(database_url: str, instance: Path, workers: int):
    from tests.live import LiveServer

    class PortalServer(LiveServer):
        def _wait_until_up(self, timeout: float = 60) -> None:
            super()._wait_until_up(timeout)
            _warm_workers(self.url, workers)

    # Every member logs in from 127.0.0.1: the per-address limit (R13) must not get in the way.
    return PortalServer(
        database_url, instance, workers=workers, LOG_LEVEL="WARNING",
        LOGIN_MAX_FAILURES_PER_IP="1000000",
    )  # fmt: skip


def minimal_server(database_url: str, instance: Path, workers: int):
    """gunicorn serving `minimal_app()` of this file, with the helpers of tests/live.py."""
    import subprocess

    from tests.live import LiveServer, free_port, server_env

    class MinimalServer(LiveServer):
        def __init__(self) -> None:  # same as LiveServer, another app
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            instance.mkdir(parents=True, exist_ok=True)
            self.log_path = instance / "gunicorn.log"
            self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn", "vote_surge:minimal_app()",
                    "--chdir", str(HERE), "--bind", f"127.0.0.1:{self.port}",
                    "--workers", str(workers), "--timeout", "60", "--graceful-timeout", "2",
                ],
                cwd=HERE,
                env=server_env(database_url, instance),
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
            self._wait_until_up()
            _warm_workers(self.url, workers)

    return MinimalServer()


# --- The load generator ------------------------------------------------------------------------


def call(base_url: str, method: str, path: str, body: str = "", headers=None, timeout=30):
    """One request on a new connection (http.client: a light client, so that the load generator
    takes little of the CPUs it shares with the servers). Returns (status, text)."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def run_load(
    count: int, connections: int, max_seconds: float, send: Callable[[int], str | None]
) -> tuple[int, Counter, float, list[float], bool]:
    """Run `send(i)` for i in range(count) from `connections` threads, until done or the time is
    up. `send` returns None on success, else the kind of error. Returns (ok, errors by kind,
    elapsed seconds, latencies of the successes, stopped by the time limit)."""
    lock = threading.Lock()
    next_index = iter(range(count))
    latencies: list[float] = []
    errors: Counter = Counter()
    deadline = time.monotonic() + max_seconds
    timed_out = False
    go = threading.Event()

    def worker() -> None:
        nonlocal timed_out
        go.wait()
        while True:
            if time.monotonic() > deadline:
                timed_out = True
                return
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            start = time.perf_counter()
            try:
                problem = send(index)
            except (OSError, http.client.HTTPException) as error:
                problem = type(error).__name__
            elapsed = time.perf_counter() - start
            with lock:
                if problem is None:
                    latencies.append(elapsed)
                else:
                    errors[problem] += 1

    pool = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in pool:
        thread.start()
    start = time.perf_counter()
    go.set()
    for thread in pool:
        thread.join()
    return len(latencies), errors, time.perf_counter() - start, latencies, timed_out


class WaitSampler:
    """PostgreSQL only: what the servers' backends are doing, sampled from pg_stat_activity
    every `interval` seconds (running, waiting for a lock, idle in a transaction while the
    worker runs Python, …). Samples go to `into` (a Counter) while the sampler is running."""

    def __init__(self, database_url: str, interval: float = 0.02):
        import sqlalchemy as sa

        self.engine = sa.create_engine(
            database_url, poolclass=sa.pool.StaticPool,
            connect_args={"application_name": SAMPLER_APP_NAME},
        )  # fmt: skip
        self.interval = interval
        self.query = sa.text(
            "SELECT application_name = :minimal AS minimal, state, wait_event_type, wait_event"
            " FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            " AND application_name <> :sampler"
        )
        self.pids_query = sa.text(
            "SELECT pid, application_name = :minimal AS minimal FROM pg_stat_activity"
            " WHERE datname = current_database() AND backend_type = 'client backend'"
            " AND pid <> pg_backend_pid() AND application_name <> :sampler"
        )
        self.names = {"minimal": MINIMAL_APP_NAME, "sampler": SAMPLER_APP_NAME}
        self.cpu = 0.0  # CPU seconds of the sampling thread (not the load generator's)

    def backend_pids(self, minimal: bool) -> list[int]:
        with self.engine.connect() as connection:
            rows = connection.execute(self.pids_query, self.names).all()
        return [row.pid for row in rows if row.minimal == minimal]

    @contextlib.contextmanager
    def sampling(self, minimal: bool, into: Counter):
        stop = threading.Event()

        def loop() -> None:
            began = time.thread_time()
            with self.engine.connect() as connection:
                while not stop.wait(self.interval):
                    for row in connection.execute(self.query, self.names).all():
                        if row.minimal != minimal:
                            continue
                        if row.state == "active":
                            kind = (
                                f"waiting {row.wait_event_type}:{row.wait_event}"
                                if row.wait_event_type
                                else "running"
                            )
                        else:
                            kind = row.state or "?"
                        into[kind] += 1
                    connection.rollback()
            self.cpu += time.thread_time() - began

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def close(self) -> None:
        self.engine.dispose()


# --- Seeding and logging in ---------------------------------------------------------------------


def seed(app, count: int) -> tuple[int, list[str]]:
    """`count` admitted members of the "worker" college with accounts (sharing one password
    hash at the live servers' argon2 cost), and one open secret yes/no/abstain poll of the
    general assembly, through the services. Returns (poll id, usernames)."""
    from datetime import date

    from argon2 import PasswordHasher

    from portal.extensions import db
    from tests.factories import PASSWORD, make_user
    from tests.factories_members import factory_board, make_member
    from tests.factories_voting import open_poll_for

    encoded = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    usernames = [f"surge{n:05d}" for n in range(count)]
    with app.app_context():
        factory_board()
        for n, username in enumerate(usernames):
            account = make_user(username, password=None)
            account.password_hash = encoded
            make_member(given=f"Voter{n:05d}", family="Surge", admitted_on=date(2025, 2, 3),
                        user=account)  # fmt: skip
            if n % 500 == 499:
                db.session.commit()
        poll = open_poll_for(title="Do we open a second site?", secret=True)
        db.session.commit()
        poll_id, electorate = poll.id, poll.electorate_count
        db.session.remove()
    if electorate != count:
        raise RuntimeError(f"the poll's electorate is {electorate}, not the {count} members")
    return poll_id, usernames


@dataclass(frozen=True)
class Login:
    cookie: str  # the Cookie header of the member's session
    token: str  # the CSRF token of that session


def log_in(base_url: str, username: str) -> Login:
    """As a browser: the login page (CSRF token), the login, then a page of the new session for
    its CSRF token (the session is renewed at login)."""
    import requests

    from tests.factories import PASSWORD

    browser = requests.Session()
    page = browser.get(base_url + "/login", timeout=60)
    token = CSRF_INPUT.search(page.text).group(1)
    response = browser.post(
        base_url + "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=60,
    )
    if response.status_code != 303:
        raise RuntimeError(f"login of {username}: {response.status_code}")
    page = browser.get(base_url + "/polls/", timeout=60)
    match = CSRF_INPUT.search(page.text)
    if page.status_code != 200 or not match:
        raise RuntimeError(f"no CSRF token for {username} ({page.status_code})")
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.get_dict().items())
    return Login(cookie, match.group(1))


# --- One database ---------------------------------------------------------------------------------


def run(name: str, args: argparse.Namespace, directory: Path) -> None:
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.voting.models import Ballot, Participation
    from tests.live import live_database

    postgres = name == "postgresql"
    with live_database(f"bench_vote_surge_{name}", directory) as (url, app):
        began = time.perf_counter()
        poll_id, usernames = seed(app, args.members)
        with app.app_context():
            db.session.execute(
                sa.text(
                    f"CREATE TABLE {MINIMAL_TABLE} (member_id INTEGER PRIMARY KEY,"
                    " vote VARCHAR(10) NOT NULL)"
                )
            )
            db.session.commit()
            db.session.remove()
            db.engine.dispose()  # from here on, only the servers' connections
        seeded = time.perf_counter() - began

        servers = []
        sampler = None
        try:
            portal = portal_server(url, directory / name / "portal", args.workers)
            servers.append(portal)
            minimal = minimal_server(url, directory / name / "minimal", args.workers)
            servers.append(minimal)

            began = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.login_threads) as pool:
                logins = list(pool.map(lambda u: log_in(portal.url, u), usernames))
            logged_in = time.perf_counter() - began
            print(
                f"{name} setup: {args.members} members with accounts in the electorate of one"
                f" open secret yes/no/abstain poll, seeded in {seeded:.1f} s; all logged in over"
                f" HTTP in {logged_in:.1f} s (untimed); {args.workers} gunicorn workers per"
                f" server, {args.connections} connections"
            )

            vote_path = f"/polls/{poll_id}/vote"

            def portal_send(i: int) -> str | None:
                login = logins[i]
                status, text = call(
                    portal.url,
                    "POST",
                    vote_path,
                    urlencode({"csrf_token": login.token, "vote": CHOICES[i % 3]}),
                    {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Cookie": login.cookie,
                        "HX-Request": "true",  # as the vote form sends it (htmx)
                    },
                )
                if status != 200:
                    return f"HTTP {status}"
                return None if RECEIPT.search(text) else "200 without a receipt"

            def minimal_send(i: int) -> str | None:
                status, _text = call(
                    minimal.url,
                    "POST",
                    "/ballot",
                    urlencode({"member": i, "vote": CHOICES[i % 3]}),
                    {"Content-Type": "application/x-www-form-urlencoded"},
                )
                return None if status == 200 else f"HTTP {status}"

            # The floor of a logged-in request on the portal, for reference: the same members
            # read the poll's turnout fragment (session, user and roles, the poll, a count).
            turnout_path = f"/polls/{poll_id}/turnout"

            def read_send(i: int) -> str | None:
                status, _text = call(
                    portal.url,
                    "GET",
                    turnout_path,
                    headers={"Cookie": logins[i].cookie, "HX-Request": "true"},
                )
                return None if status == 200 else f"HTTP {status}"

            # Warm the vote path of every worker without casting a ballot: a vote with no
            # answer goes through the view, the locks and the fragment, and is refused (422).
            def portal_warm(i: int) -> str | None:
                status, _text = call(
                    portal.url,
                    "POST",
                    vote_path,
                    urlencode({"csrf_token": logins[i].token}),
                    {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Cookie": logins[i].cookie,
                        "HX-Request": "true",
                    },
                )
                return None if status == 422 else f"HTTP {status}"

            def minimal_warm(i: int) -> str | None:  # negative ids: not counted below
                status, _text = call(
                    minimal.url, "POST", "/ballot", urlencode({"member": -1 - i, "vote": "yes"}),
                    {"Content-Type": "application/x-www-form-urlencoded"},
                )  # fmt: skip
                return None if status == 200 else f"HTTP {status}"

            warm = 4 * args.workers
            for label, warmer in (("portal", portal_warm), ("minimal", minimal_warm)):
                ok, problems, *_ = run_load(warm, args.workers, 60, warmer)
                if problems:
                    raise RuntimeError(f"warm-up of the {label} server: {dict(problems)}")

            if postgres:
                sampler = WaitSampler(url)
            sides = {name: Side(name) for name in ("minimal", "portal", "read")}
            servers_of = {"minimal": minimal, "portal": portal, "read": portal}
            senders = {"minimal": minimal_send, "portal": portal_send, "read": read_send}
            half = args.members // 2
            parts = [(0, half), (half, args.members), (0, args.members)]
            # Minimal, portal, (the read, for reference), portal, minimal: half of the members
            # each time, so that a drift of the machine's load weighs on both sides alike.
            plan = [("minimal", 0), ("portal", 0), ("read", 2), ("portal", 1), ("minimal", 1)]
            for side_name, part in plan:
                side, server, send = sides[side_name], servers_of[side_name], senders[side_name]
                first, end = parts[part]
                workers = children(server.process.pid)
                backends = sampler.backend_pids(side_name == "minimal") if sampler else []
                worker_cpu = sum(process_cpu(p) for p in workers)
                database_cpu = sum(process_cpu(p) for p in backends)
                # The load generator's CPU: this process, less the sampling thread.
                sampled = sampler.cpu if sampler else 0.0
                client_cpu = time.process_time() - sampled
                with (
                    sampler.sampling(side_name == "minimal", side.waits)
                    if sampler
                    else contextlib.nullcontext()
                ):
                    ok, problems, elapsed, latencies, timed_out = run_load(
                        end - first,
                        args.connections,
                        args.max_seconds,
                        lambda i, first=first, send=send: send(first + i),
                    )
                sampled = sampler.cpu if sampler else 0.0
                side.client_cpu += time.process_time() - sampled - client_cpu
                side.worker_cpu += sum(process_cpu(p) for p in workers) - worker_cpu
                side.database_cpu += sum(process_cpu(p) for p in backends) - database_cpu
                side.ok += ok
                side.errors.update(problems)
                side.elapsed += elapsed
                side.latencies.extend(latencies)
                side.timed_out |= timed_out

            settings = f"{args.workers} workers, {args.connections} connections"
            print(sides["minimal"].line(f"{name} minimal INSERT ({settings})", postgres))
            print(
                sides["portal"].line(f"{name} portal POST /polls/<id>/vote ({settings})", postgres)
            )
            minimal_side, portal_side = sides["minimal"], sides["portal"]
            read_side = sides["read"]
            print(
                read_side.line(
                    f"{name} portal GET /polls/<id>/turnout ({settings})", postgres, "requests/s"
                )
                + f"; {read_side.rate / minimal_side.rate if minimal_side.rate else 0:.2f}x the"
                " minimal (the floor of a logged-in request, for reference)"
            )
            ratio = portal_side.rate / minimal_side.rate if minimal_side.rate else 0.0
            portal_errors = sum(portal_side.errors.values())
            print(
                f"{name} portal vs minimal: {ratio:.2f}x the ballots/s"
                f" ({verdict(ratio >= TARGET_RATIO)} the {TARGET_RATIO:.2f} target);"
                f" portal p99 {ms(portal_side.p99)} ms"
                f" ({verdict(portal_side.p99 * 1000 < TARGET_P99_MS)} the"
                f" {TARGET_P99_MS:.0f} ms target; minimal p99 {ms(minimal_side.p99)} ms);"
                f" portal errors {portal_errors} ({verdict(portal_errors == 0)} the target 0)"
            )

            with app.app_context():
                ballots = db.session.scalar(
                    sa.select(sa.func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)
                )
                participations = db.session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Participation)
                    .where(Participation.poll_id == poll_id)
                )
                rows = db.session.scalar(
                    sa.text(f"SELECT count(*) FROM {MINIMAL_TABLE} WHERE member_id >= 0")
                )
                db.session.remove()
                db.engine.dispose()
            consistent = ballots == portal_side.ok and participations == ballots
            print(
                f"{name} database: {ballots} ballots for {portal_side.ok} successful votes,"
                f" {participations} participations;"
                f" {'consistent' if consistent else 'INCONSISTENT'};"
                f" minimal table {rows} rows for {minimal_side.ok} successful requests"
            )

            for side in (portal_side, minimal_side):
                if side.waits:
                    total = sum(side.waits.values())
                    shares = ", ".join(
                        f"{kind} {100 * n / total:.0f} %" for kind, n in side.waits.most_common(6)
                    )
                    print(
                        f"{name} {side.name} backends (pg_stat_activity every"
                        f" {sampler.interval * 1000:.0f} ms, {total} samples): {shares}"
                    )

            for side_name, server in (("portal", portal), ("minimal", minimal)):
                sizes = [rss_mb(p) for p in children(server.process.pid)]
                biggest = max(sizes, default=0.0)
                target = (
                    f" ({verdict(biggest < TARGET_RSS_MB)} the {TARGET_RSS_MB:.0f} MB target)"
                    if side_name == "portal"
                    else " (for reference)"
                )
                print(
                    f"{name} memory after the load, {side_name} workers: largest VmRSS"
                    f" {biggest:.1f} MB{target};"
                    f" all {', '.join(f'{s:.1f}' for s in sizes)} MB;"
                    f" master {rss_mb(server.process.pid):.1f} MB"
                )
        finally:
            if sampler is not None:
                sampler.close()
            for server in servers:
                server.stop()


@contextlib.contextmanager
def backend(postgres: bool):
    """Point the helpers of tests/live.py at SQLite or PostgreSQL for this block."""
    import tests.conftest
    import tests.live

    saved = tests.conftest.POSTGRES, tests.live.POSTGRES
    tests.conftest.POSTGRES = tests.live.POSTGRES = postgres
    try:
        yield
    finally:
        tests.conftest.POSTGRES, tests.live.POSTGRES = saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000, help="members, each votes once (2000)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (32)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per server (4)")
    parser.add_argument(
        "--max-seconds", type=float, default=120, help="time limit of each of the 4 phases (120)"
    )
    parser.add_argument("--login-threads", type=int, default=8, help="threads logging in (8)")
    parser.add_argument("--sqlite", action="store_true", help="also SQLite, for reference")
    args = parser.parse_args()
    if not 2 <= args.members <= 20_000:
        parser.error("--members: from 2 to 20000")
    sys.stdout.reconfigure(line_buffering=True)

    backends = []
    if os.environ.get("TEST_DATABASE_URL"):
        backends.append(("postgresql", True))
    elif not args.sqlite:
        print(
            "vote_surge: TEST_DATABASE_URL is not set. The figure is measured on PostgreSQL:\n"
            "    scripts/with-postgres .venv/bin/python bench/vote_surge.py\n"
            "(or add --sqlite to measure SQLite alone, for reference).",
            file=sys.stderr,
        )
        return 2
    if args.sqlite:
        backends.append(("sqlite", False))

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="wise-bench-surge-") as tmp:
        for name, postgres in backends:
            with backend(postgres):
                run(name, args, Path(tmp))
    print(f"machine: load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
