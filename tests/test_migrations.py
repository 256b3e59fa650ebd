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
