"""Test fixtures: one app per session, a rolled-back transaction per test, clients, logins.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set (see
`make test`, which runs both). The schema is built by the migrations, never by create_all, so
every run also proves the migrations.

The fixtures (pytest-flask provides `client`, `config`, `live_server` and the `options` marker;
the rest is ours):

- `app` (session): the portal in its testing configuration, on a fresh migrated database of its
  own (one per xdist worker). Its test client class is `IsolatedClient`, so `app.test_client()`
  gives a second or third isolated client where a test needs several people side by side.
- `db`: the database inside a transaction rolled back after the test; the test holds an app
  context. Code under test may commit: its commits release savepoints inside that transaction.
- `client` (pytest-flask): an `IsolatedClient` on `app`. Each request runs in an application
  context of its own, as in production (its own `g`, database session, request lifecycle), on
  the test's connection: it sees the test's data and its commits are rolled back with the test.
  A test that asks for `client` always gets `db` too.
- `config` (pytest-flask): `app.config`. To change a setting for one test, mark the test
  `@pytest.mark.options(login_max_failures_per_ip=5)` (names are upper-cased); pytest-flask
  puts the setting back afterwards. Settings read only when the app is built (ProxyFix, the
  production checks) need an app of their own: see tests/core/test_web.py.
- `live_server` (pytest-flask): the app served by one process on 127.0.0.1 (the browser tests
  override `app` with one on a database of their own). Several gunicorn workers, for what must
  cross processes (throttling, races), come from tests/live.py.
- `login_as(user)` logs `client` in through the real form; `token(path)` and `csrf_token(client,
  path)` read a CSRF token as a browser would; `user`, `admin`: two accounts.

Tests run outside any request: pytest-flask's autouse request context is switched off below
(see `_push_request_context`).
"""

from __future__ import annotations

import contextvars
import os
import re
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient

from portal import create_app
from portal.extensions import db as _db
from tests.clock import story_day  # noqa: F401  (a fixture: the day of the fixed-date stories)
from tests.factories import PASSWORD, make_user

POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))


def pytest_configure(config):
    if os.environ.get("PORTAL_TEST_BACKEND") == "postgresql" and not POSTGRES:
        raise pytest.UsageError("PORTAL_TEST_BACKEND=postgresql but TEST_DATABASE_URL is not set")


def pytest_collection_modifyitems(config, items):
    """Tests for one database only are deselected (not skipped) on the other."""
    other = "sqlite_only" if POSTGRES else "postgres_only"
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker(other) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    backend = "PostgreSQL" if POSTGRES else "SQLite"
    terminalreporter.write_line(f"Database backend for this run: {backend}")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """Under CI, a skipped test is a failure: browser and PostgreSQL tests must really run."""
    if os.environ.get("CI", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and session.exitstatus == 0:
        if reporter:
            reporter.write_line(
                f"CI=true: {len(skipped)} test(s) were skipped; failing the run.", red=True
            )
        session.exitstatus = 1


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def admin_database_url() -> str:
    return os.environ["TEST_DATABASE_URL"]


def create_postgres_database(name: str) -> str:
    """Create (afresh) a database on the test server and return its URL."""
    admin_url = sa.make_url(admin_database_url())
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(name: str) -> None:
    engine = sa.create_engine(sa.make_url(admin_database_url()), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def fresh_database_url(label: str, directory: Path) -> str:
    """A new, empty database for this worker: a file for SQLite, a database for PostgreSQL."""
    safe = re.sub(r"[^a-z0-9_]", "_", f"{label}_{_worker()}".lower())
    if POSTGRES:
        return create_postgres_database(f"wise_{safe}")
    return f"sqlite:///{directory / (safe + '.db')}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from flask_migrate import upgrade

    url = fresh_database_url("suite", tmp_path_factory.mktemp("db"))
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": url,
        },
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    yield app


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replaces pytest-flask's fixture of this name, which pushes a test request context around
    every test that uses `app`. Services must be tested as they run outside a request (commands,
    signals): with a request context, `has_request_context()` would be true for the whole test,
    so the per-request caches on `g` (the member of an account, local roles, assignments, the
    journal's one-row-per-read) would last across the test's separate calls."""


@pytest.fixture(autouse=True)
def _client_in_test_transaction(request):
    """pytest-flask's `client` asks only for `app`; its requests must still run inside the
    test's rolled-back transaction, so a test that uses `client` also gets `db`."""
    if "client" in request.fixturenames:
        request.getfixturevalue("db")


@pytest.fixture()
def db(app):
    """The database, inside a transaction that is rolled back after the test.

    The code under test may commit: with join_transaction_mode="create_savepoint" its commits
    release savepoints inside our outer transaction.
    """
    with app.app_context():
        engines = _db._app_engines[app]
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        engines[None] = connection
        _db.session.remove()
        try:
            yield _db
        finally:
            _db.session.remove()
            engines[None] = engine
            transaction.rollback()
            connection.close()


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own application context, as in production.

    Tests hold an app context (for services and factories); without this, every request would
    share that context's `g` (cached user, CSRF token, request id) and its database session.
    The request's session still uses the test's connection, so it sees the test's data and its
    commits are rolled back with the test. Afterwards the test's objects are expired so they
    show what the request changed.

    Used in a `with` block (pytest-flask's `client` fixture does), it still keeps no request
    context after a request: the request ends as in production, and its context lived in
    another context variable space, where the test could not pop it.
    """

    def open(self, *args, **kwargs):
        if not has_app_context():  # a redirect being followed, already isolated
            return super().open(*args, **kwargs)
        _db.session.flush()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        _db.session.expire_all()
        return response

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, tb):
        return None


@pytest.fixture()
def login_as(client):
    """Log the test client in as `user` through the real login form; returns the client."""

    def _login(user, password: str = PASSWORD):
        response = client.post(
            "/login",
            data={
                "username": user.username,
                "password": password,
                "csrf_token": csrf_token(client),
            },
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return client

    return _login


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the client's current session, read from a page like a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, f"no CSRF token found on {path}"
    return match.group(1)


@pytest.fixture()
def token(client):
    """Call `token()` to get the CSRF token of the client's session (for POST data)."""
    return lambda path="/": csrf_token(client, path)


@pytest.fixture()
def user(db):
    return make_user()


@pytest.fixture()
def admin(db):
    from portal.accounts.models import Role

    return make_user(username="alice.admin", roles={Role.MEMBER, Role.ADMIN})


@pytest.fixture()
def tmpdir_path():
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)
