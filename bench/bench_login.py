"""Login benchmark: argon2id cost, and logins per second through gunicorn.

Not a test: it prints one summary line per figure and exits 0 unless the setup itself fails.
See bench/README.md for how to run it and what the figures mean.

    .venv/bin/python bench/bench_login.py
    scripts/with-postgres .venv/bin/python bench/bench_login.py     # SQLite, then PostgreSQL
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no migration chatter between the figures

import requests  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402

import tests.conftest  # noqa: E402
import tests.live  # noqa: E402
from tests.factories import PASSWORD  # noqa: E402
from tests.live import LiveServer, live_database  # noqa: E402

# The production cost: the defaults of config.Config (RFC 9106 low-memory profile).
PRODUCTION_ARGON2 = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
PRODUCTION_ENV = {
    "ARGON2_TIME_COST": str(PRODUCTION_ARGON2["time_cost"]),
    "ARGON2_MEMORY_KIB": str(PRODUCTION_ARGON2["memory_cost"]),
    "ARGON2_PARALLELISM": str(PRODUCTION_ARGON2["parallelism"]),
}
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def argon2_figure(rounds: int) -> None:
    hasher = PasswordHasher(**PRODUCTION_ARGON2)
    hasher.hash(PASSWORD)  # warm up
    hash_times, verify_times = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        encoded = hasher.hash(PASSWORD)
        hash_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        hasher.verify(encoded, PASSWORD)
        verify_times.append(time.perf_counter() - start)
    params = "t={time_cost} m={memory_cost}KiB p={parallelism}".format(**PRODUCTION_ARGON2)
    for name, times in (("hash", hash_times), ("verify", verify_times)):
        print(
            f"argon2id {name} ({params}): median {ms(statistics.median(times))} ms"
            f" (min {ms(min(times))}, max {ms(max(times))}, n={rounds}, one call at a time)"
        )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Server(LiveServer):
    """LiveServer that warms every worker up before anything is measured."""

    def __init__(self, database_url: str, instance: Path, workers: int, **env: str):
        self.workers = workers
        super().__init__(database_url, instance, workers=workers, **env)

    def _wait_until_up(self, timeout: float = 60) -> None:
        super()._wait_until_up(timeout)
        # Workers load the app one by one: give the slow ones time before measuring.
        with ThreadPoolExecutor(max_workers=2 * self.workers) as pool:
            for _ in range(3):
                list(pool.map(lambda _: self._ping(), range(4 * self.workers)))
                time.sleep(0.5)

    def _ping(self) -> None:
        with contextlib.suppress(requests.RequestException):
            requests.get(self.url + "/login", timeout=30)


def run_load(
    requests_count: int, threads: int, max_seconds: float, call: Callable[[int], bool]
) -> tuple[int, int, float, list[float]]:
    """Run `call(i)` for i in range(requests_count) from `threads` threads, until done or the
    time is up. Returns (ok, errors, elapsed seconds, latencies of the ok calls)."""
    lock = threading.Lock()
    next_index = iter(range(requests_count))
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            start = time.perf_counter()
            try:
                ok = call(index)
            except requests.RequestException:
                ok = False
            elapsed = time.perf_counter() - start
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors += 1

    start = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return len(latencies), errors, time.perf_counter() - start, latencies


def report(
    label: str, ok: int, errors: int, elapsed: float, latencies: list[float]
) -> tuple[float, float]:
    """Print one summary line; return (requests per second, p50 latency in seconds)."""
    rate = ok / elapsed if elapsed else 0.0
    p50 = percentile(latencies, 0.5) if latencies else 0.0
    if latencies:
        detail = f"p50 {ms(p50)} ms, p99 {ms(percentile(latencies, 0.99))} ms"
    else:
        detail = "no successful request"
    print(f"{label}: {rate:.1f}/s, {detail}, {ok} ok, {errors} errors in {elapsed:.1f} s")
    return rate, p50


@contextlib.contextmanager
def backend(postgres: bool):
    """Point the helpers of tests/live.py at SQLite or PostgreSQL for this block."""
    saved = tests.conftest.POSTGRES, tests.live.POSTGRES
    tests.conftest.POSTGRES = tests.live.POSTGRES = postgres
    try:
        yield
    finally:
        tests.conftest.POSTGRES, tests.live.POSTGRES = saved


def seed_users(app, count: int) -> list[str]:
    """`count` members sharing one production-cost hash (seeding stays fast; each login still
    verifies a full-cost hash, and the server finds nothing to rehash)."""
    from portal.extensions import db
    from tests.factories import make_user

    encoded = PasswordHasher(**PRODUCTION_ARGON2).hash(PASSWORD)
    usernames = [f"bench{n:04d}" for n in range(count)]
    with app.app_context():
        for username in usernames:
            make_user(username, password=None).password_hash = encoded
        db.session.commit()
        db.session.remove()
    return usernames


def login_figures(name: str, args: argparse.Namespace, directory: Path) -> None:
    with live_database(f"bench_{name}", directory) as (url, app):
        usernames = seed_users(app, args.logins)
        server = Server(url, directory / name, args.workers, LOG_LEVEL="WARNING", **PRODUCTION_ENV)
        try:
            # Each login needs its own visitor: a session cookie and its CSRF token (untimed).
            def visitor(_: int) -> tuple[dict[str, str], str]:
                session = requests.Session()
                page = session.get(server.url + "/login", timeout=30)
                return session.cookies.get_dict(), CSRF_INPUT.search(page.text).group(1)

            with ThreadPoolExecutor(max_workers=args.threads) as pool:
                visitors = list(pool.map(visitor, range(args.logins)))

            def login(i: int) -> bool:
                cookies, token = visitors[i]
                response = requests.post(
                    server.url + "/login",
                    data={"username": usernames[i], "password": PASSWORD, "csrf_token": token},
                    cookies=cookies,
                    allow_redirects=False,
                    timeout=30,
                )
                return response.status_code == 303

            def healthz(_: int) -> bool:
                return requests.get(server.url + "/healthz", timeout=30).status_code == 200

            settings = f"{args.workers} workers, {args.threads} client threads"
            base_rate, base_p50 = report(
                f"{name} GET /healthz baseline ({settings})",
                *run_load(args.logins, args.threads, args.max_seconds, healthz),
            )
            rate, p50 = report(
                f"{name} login POST /login ({settings})",
                *run_load(args.logins, args.threads, args.max_seconds, login),
            )
            if rate and base_rate:
                print(
                    f"{name} login vs /healthz: {rate / base_rate:.3f}x the throughput"
                    f" ({base_rate / rate:.0f}x fewer per second),"
                    f" p50 latency {p50 / base_p50:.0f}x longer"
                )
            else:
                print(f"{name} login vs /healthz: no ratio, a load had no successful request")
        finally:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=200, help="logins per database (200)")
    parser.add_argument("--max-seconds", type=float, default=60, help="time limit per load (60)")
    parser.add_argument("--threads", type=int, default=8, help="client threads (8)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--hash-rounds", type=int, default=20, help="argon2id rounds (20)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    argon2_figure(args.hash_rounds)
    backends = [("sqlite", False)]
    if os.environ.get("TEST_DATABASE_URL"):
        backends.append(("postgresql", True))
    with tempfile.TemporaryDirectory(prefix="wise-bench-") as tmp:
        for name, postgres in backends:
            with backend(postgres):
                login_figures(name, args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
