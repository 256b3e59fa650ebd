"""Migrations: upgrade from empty, downgrade to base, upgrade again; models and migrations agree."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.core.search import is_backend_only
from portal.extensions import db
from tests.conftest import POSTGRES, drop_postgres_database, fresh_database_url


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_and_no_pending_changes(tmp_path):
    url = fresh_database_url("migrations", tmp_path)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            upgrade()
            created = _tables(db.engine)
            assert {
                "users",
                "user_roles",
                "setup_codes",
                "password_reset_tokens",
                "login_attempts",
                "outbox_messages",
            } <= created
            assert {t for t in created if not is_backend_only(t)} == set(db.metadata.tables)

            downgrade(revision="base")
            assert _tables(db.engine) == set()

            upgrade()
            assert _tables(db.engine) == created

            with db.engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "compare_type": True,
                        "render_as_batch": True,
                        "include_object": lambda obj, name, *_: not is_backend_only(name),
                    },
                )
                diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            db.session.remove()
            db.engine.dispose()
    finally:
        if POSTGRES:
            drop_postgres_database(sa.make_url(url).database)


def test_a_migration_that_copies_a_table_keeps_the_rows_that_point_at_it(tmp_path):
    """The 2026-11-25 migration rebuilds `bodies`, `polls` and `proposals` on SQLite (to add
    check constraints). With foreign keys on, dropping the old table would cascade-delete the
    colleges of each body and every ballot of each poll; migrations/env.py turns them off."""
    url = fresh_database_url("migration_rows", tmp_path)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    before, after = "d00da6c27db9", "b71d835e783d"
    try:
        with app.app_context():
            upgrade(revision=before)
            with db.engine.begin() as connection:
                run = connection.exec_driver_sql
                links = run("SELECT count(*) FROM category_bodies").scalar()
                assert links > 0  # the first migrations seed the colleges of the assembly
                run(
                    "INSERT INTO polls (id, title, question, body_id, method, secret, practice,"
                    " majority, abstentions_count, seats, proxy_cap, electorate_count,"
                    " electorate_weight, state, security_path, created_at, updated_at)"
                    " VALUES (7, 'Van', '', 1, 'yes_no_abstain', true, false, 'simple', false,"
                    " 1, 1, 1, 1, 'open', '/poll:7/', '2026-11-01', '2026-11-01')"
                )
                run(
                    "INSERT INTO ballots (key, poll_id, content, weight, receipt_fingerprint)"
                    " VALUES ('k1', 7, '{\"vote\": \"yes\"}', 1, 'f')"
                )
            upgrade(revision=after)
            with db.engine.connect() as connection:
                run = connection.exec_driver_sql
                assert run("SELECT count(*) FROM category_bodies").scalar() == links
                assert run("SELECT count(*) FROM ballots WHERE poll_id = 7").scalar() == 1
                assert run("SELECT support_percent, support_minimum FROM bodies").first() == (
                    10,
                    3,
                )
            downgrade(revision=before)
            with db.engine.connect() as connection:
                run = connection.exec_driver_sql
                assert run("SELECT count(*) FROM category_bodies").scalar() == links
                assert run("SELECT count(*) FROM ballots WHERE poll_id = 7").scalar() == 1
            db.session.remove()
            db.engine.dispose()
    finally:
        if POSTGRES:
            drop_postgres_database(sa.make_url(url).database)
