"""Search on PostgreSQL: a stored, weighted tsvector column with its own GIN index.

The expression index on to_tsvector(title || ' ' || body) found the matches, but ranking them
parsed every matching document again (ts_rank needs the vector, not the index). The vector is
now stored once per document, in the row itself (no TOAST lookup per match), title weighted A
and body C (the 5:1 that bm25 gives the title on SQLite), and the GIN index is built on it. SQLite keeps its FTS5 table: nothing
changes there. Both objects are PostgreSQL only and left out of model comparison
(BACKEND_ONLY_OBJECTS in portal/core/search.py).

Revision ID: 87d05762807f
Revises: 8a17491660ed
Create Date: 2026-11-24 23:00:00.000000+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '87d05762807f'
down_revision = '8a17491660ed'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand.
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX IF EXISTS ix_search_documents_tsv")
    # STORAGE MAIN keeps the vector in the row (compressed only when the row is too long), so
    # ranking a match reads no TOAST table; the body, read only for snippets, goes out instead.
    # One statement: the table is rewritten once, with the vectors already stored that way.
    op.execute(
        "ALTER TABLE search_documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple'::regconfig, title), 'A') || "
        "setweight(to_tsvector('simple'::regconfig, body), 'C')) STORED, "
        "ALTER COLUMN search_vector SET STORAGE MAIN"
    )
    op.execute(
        "CREATE INDEX ix_search_documents_search_vector ON search_documents "
        "USING gin (search_vector)"
    )


def downgrade():
    # Reviewed by hand.
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX IF EXISTS ix_search_documents_search_vector")
    op.execute("ALTER TABLE search_documents DROP COLUMN IF EXISTS search_vector")
    op.execute(
        "CREATE INDEX ix_search_documents_tsv ON search_documents "
        "USING gin (to_tsvector('simple', title || ' ' || body))"
    )
