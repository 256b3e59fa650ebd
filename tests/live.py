"""Real servers for tests that need several processes: gunicorn with several workers on a fresh
database.

Used by the tests that must cross process boundaries (throttling across workers, races between
workers). Each server gets its own database (a SQLite file or a PostgreSQL database on the test
cluster), built by the migrations. Where one server process is enough (the browser tests),
pytest-flask's `live_server` serves the app instead; `live_database` gives both their database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from portal import create_app
from tests.conftest import POSTGRES, drop_postgres_database, fresh_database_url

ROOT = Path(__file__).resolve().parent.parent
SECRET = "live-test-secret-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PORTAL_ENV="development",
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET,
        PORTAL_INSTANCE_PATH=str(instance),
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="1024",
        ARGON2_PARALLELISM="1",
        LOG_LEVEL="WARNING",
    )
    env.pop("TEST_DATABASE_URL", None)
    env.update(extra)
    return env


@contextmanager
def live_database(label: str, directory: Path):
    """A migrated, empty database; yields (url, app) where `app` writes to it in-process."""
    from flask_migrate import upgrade

    from portal.extensions import db

    url = fresh_database_url(label, directory)
    app = create_app(
        "development",
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_KIB": 1024,
            "ARGON2_PARALLELISM": 1,
        },
    )
    with app.app_context():
        upgrade()
        db.session.remove()
        # No pooled connection left: a server forked from this process (pytest-flask's
        # live_server) must not share one with it.
        db.engine.dispose()
    try:
        yield url, app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if POSTGRES:
            drop_postgres_database(sa_database_name(url))


def sa_database_name(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).database


class LiveServer:
    """gunicorn serving `wsgi:app` on 127.0.0.1 with `workers` processes."""

    def __init__(self, database_url: str, instance: Path, workers: int = 2, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = instance / "gunicorn.log"
        instance.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "wsgi:app",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "60",
                "--graceful-timeout",
                "2",
            ],
            cwd=ROOT,
            env=server_env(database_url, instance, **env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_up()

    def _wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + self.log())
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or a worker still importing
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start:\n" + self.log())

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
