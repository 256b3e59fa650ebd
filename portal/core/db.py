"""Database kernel: declarative base, naming convention, UTC datetimes, engine settings."""

from __future__ import annotations

import contextvars
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The largest id an id column holds (INTEGER, 32 bits on PostgreSQL): an id typed in a form or a
# URL beyond it names no row (and PostgreSQL would refuse the query).
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware datetime stored in UTC on every database.

    SQLite has no time zone type, so values come back naive; this type refuses naive input and
    always returns aware UTC values, so code never compares naive and aware datetimes.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every model; constraint names are stable so migrations can refer to them."""

    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    """Creation and last-change times, set by the database session, never by hand."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


# --- SQLite -------------------------------------------------------------------------------------
#
# pysqlite opens transactions lazily and only before a write, which makes concurrent writers fail
# with "database is locked" instead of waiting. We take over: the driver starts no transaction of
# its own, and we emit BEGIN ourselves. A write transaction says BEGIN IMMEDIATE, so it takes the
# write lock at its start and waits (busy timeout) for it, instead of failing half-way. Read-only
# requests (GET, HEAD, OPTIONS) use a deferred BEGIN so readers never queue behind writers.

_sqlite_begin = contextvars.ContextVar("sqlite_begin", default="BEGIN IMMEDIATE")


def set_sqlite_read_only(read_only: bool) -> contextvars.Token:
    """Mark the transactions of the current context as read-only (deferred) or writing."""
    return _sqlite_begin.set("BEGIN" if read_only else "BEGIN IMMEDIATE")


def reset_sqlite_begin(token: contextvars.Token) -> None:
    _sqlite_begin.reset(token)


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    """Install the per-connection settings that the portal relies on."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, see above
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql(_sqlite_begin.get())


def local_today() -> date:
    """Today's date where the enterprise is (its time zone), not the server's or UTC's."""
    from flask import current_app, has_app_context

    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "Europe/Paris"
    return datetime.now(ZoneInfo(zone)).date()
