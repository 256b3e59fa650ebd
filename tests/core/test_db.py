"""The database kernel: engine settings, UTC datetimes, rollback isolation."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.accounts.models import User
from portal.core.db import UTCDateTime, reset_sqlite_begin, set_sqlite_read_only
from tests.conftest import POSTGRES
from tests.factories import make_user


def test_datetimes_come_back_aware_in_utc(db):
    user = make_user()
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(User, user.id)
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset().total_seconds() == 0


def test_naive_datetimes_are_refused(db):
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), db.engine.dialect)  # noqa: DTZ001


def test_each_test_starts_clean_part_one(db):
    make_user(username="isolation.check")
    db.session.commit()
    assert db.session.scalar(sa.select(User).where(User.username == "isolation.check"))


def test_each_test_starts_clean_part_two(db):
    assert db.session.scalar(sa.select(User).where(User.username == "isolation.check")) is None


@pytest.mark.sqlite_only
def test_sqlite_connection_settings(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    from portal.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert (
            connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
            == app.config["SQLITE_BUSY_TIMEOUT_MS"]
        )


@pytest.mark.sqlite_only
def test_sqlite_write_transactions_take_the_lock_at_their_start(tmp_path):
    """BEGIN IMMEDIATE: a second writer waits at BEGIN, before it has read anything."""
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'lock.db'}",
            "SQLITE_BUSY_TIMEOUT_MS": 100,
        },
    )
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        holder = engine.connect()
        holder.begin()  # BEGIN IMMEDIATE: holds the write lock
        try:
            other = engine.connect()
            started = time.monotonic()
            with pytest.raises(sa.exc.OperationalError, match="locked"):
                other.begin()
            assert time.monotonic() - started >= 0.09  # it waited for the busy timeout
            other.close()
            # A read-only transaction (GET requests) is deferred and does not wait.
            token = set_sqlite_read_only(True)
            try:
                reader = engine.connect()
                with reader.begin():
                    assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
                reader.close()
            finally:
                reset_sqlite_begin(token)
        finally:
            holder.rollback()
            holder.close()


@pytest.mark.sqlite_only
def test_sqlite_concurrent_writers_wait_instead_of_failing(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.db'}"})
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
            connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
        errors = []

        def bump():
            try:
                for _ in range(20):
                    with engine.begin() as connection:
                        n = connection.exec_driver_sql("SELECT n FROM counter").scalar()
                        connection.exec_driver_sql("UPDATE counter SET n = ?", (n + 1,))
            except Exception as error:
                errors.append(error)

        threads = [threading.Thread(target=bump) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT n FROM counter").scalar() == 80


@pytest.mark.postgres_only
def test_postgres_uses_psycopg3(app):
    from portal.extensions import db

    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        assert db.engine.dialect.driver == "psycopg"
        assert POSTGRES
