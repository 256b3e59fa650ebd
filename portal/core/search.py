"""Full-text search behind one interface: SQLite FTS5 or PostgreSQL tsvector + GIN.

Searchable types register how to turn an item into (title, body). Documents are re-indexed on
save and on every workflow transition. A query joins each type's table and applies that type's
`allowed_clause` inside SQL, so a result the viewer may not see is never even loaded. Snippets
are built from markers that cannot occur in text, escaped, then the markers become <mark>.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, utcnow
from portal.core.paging import page_of
from portal.core.security import Permission, Securable, allowed_clause
from portal.core.workflow import item_saved, transition_applied
from portal.extensions import db

START, STOP = "\x02", "\x03"
MAX_QUERY = 200
_TERM = re.compile(r"\w+", re.UNICODE)


class SearchDocument(db.Model):
    __tablename__ = "search_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    object_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.Index("ix_search_documents_object_type_object_id", "object_type", "object_id"),
        # Never reuse an id: it is the FTS5 rowid, and SQLite 3.40 can corrupt its index when a
        # deleted rowid is inserted again in the same transaction.
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        return f"<SearchDocument {self.object_key} {self.title!r}>"


# Database objects made by the migrations for one backend only; kept out of model comparison.
BACKEND_ONLY_OBJECTS = {
    "search_fts",  # SQLite: the FTS5 table (and its search_fts_* shadow tables)
    "search_vector",  # PostgreSQL: search_documents' stored tsvector, title weighted A, body C
    "ix_search_documents_search_vector",  # PostgreSQL: its GIN index
    "ix_search_documents_tsv",  # PostgreSQL, before 87d05762807f: the expression index
}
# PostgreSQL only, so not a mapped column: referred to by name in the search statements.
SEARCH_VECTOR = sa.literal_column("search_documents.search_vector")


def is_backend_only(name: str | None) -> bool:
    return bool(name) and (name in BACKEND_ONLY_OBJECTS or name.startswith("search_fts_"))


@dataclass(frozen=True)
class SearchableType:
    model: type[Securable]
    to_text: Callable[[object], tuple[str, str]]
    url_for: Callable[[int], str]


SEARCHABLE: dict[str, SearchableType] = {}


def register_searchable(model, to_text, url_for) -> None:
    SEARCHABLE[model.content_type] = SearchableType(model, to_text, url_for)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def index(obj) -> None:
    """Add or refresh the search document of `obj`."""
    kind = SEARCHABLE.get(getattr(obj, "content_type", ""))
    if kind is None:
        return
    title, body = kind.to_text(obj)
    document = db.session.scalar(
        sa.select(SearchDocument).where(SearchDocument.object_key == obj.object_key)
    )
    if document is None:
        document = SearchDocument(
            object_key=obj.object_key, object_type=obj.content_type, object_id=obj.id
        )
        db.session.add(document)
    # The snippet markers cannot occur in indexed text (a stray \x02 would open a <mark>).
    document.title, document.body = (
        text.replace(START, "").replace(STOP, "") for text in (title[:300], body)
    )
    db.session.flush()
    if _dialect() == "sqlite":
        db.session.execute(sa.text("DELETE FROM search_fts WHERE rowid = :id"), {"id": document.id})
        db.session.execute(
            sa.text("INSERT INTO search_fts (rowid, title, body) VALUES (:id, :title, :body)"),
            {"id": document.id, "title": document.title, "body": document.body},
        )


def unindex(obj) -> None:
    document = db.session.scalar(
        sa.select(SearchDocument).where(SearchDocument.object_key == obj.object_key)
    )
    if document is not None:
        if _dialect() == "sqlite":
            db.session.execute(
                sa.text("DELETE FROM search_fts WHERE rowid = :id"), {"id": document.id}
            )
        db.session.delete(document)
        db.session.flush()


@item_saved.connect
def _on_saved(obj, **_):
    index(obj)


@transition_applied.connect
def _on_transition(obj, **_):
    index(obj)


def terms_of(query: str) -> list[str]:
    return _TERM.findall((query or "")[:MAX_QUERY].lower())[:12]


@dataclass(frozen=True)
class Hit:
    object_key: str
    object_type: str
    object_id: int
    title: str
    snippet: Markup
    url: str


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    total: int
    page: int
    pages: int


def highlight(text: str) -> Markup:
    """Escape the snippet, then turn the match markers into <mark>."""
    safe = str(escape(text))
    return Markup(safe.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S704 - escaped above


def _fts_expression(terms: list[str]) -> str:
    return " ".join(f'"{term}"*' for term in terms)


def _tsquery(terms: list[str]):
    return sa.func.to_tsquery("simple", " & ".join(f"{term}:*" for term in terms))


def _matches_sqlite(terms: list[str]):
    """The FTS5 matches with their rank, computed once and first.

    MATERIALIZED keeps SQLite from flattening the match into the joins: without statistics its
    planner would otherwise walk every document of a type and probe the index one row at a time.
    """
    fts = sa.table("search_fts", sa.column("rowid"))
    rank = sa.func.bm25(sa.literal_column("search_fts"), 5.0, 1.0)
    return (
        sa.select(fts.c.rowid.label("document_id"), rank.label("rank"))
        .where(sa.literal_column("search_fts").op("MATCH")(_fts_expression(terms)))
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )


def _matches_postgresql(terms: list[str]):
    """The matching documents with their rank, computed once and first (GIN index, then the
    stored vector of each match).

    MATERIALIZED ranks each match where it is read, so the vector (about 2 kB a page) is not
    carried through the joins and sorts above, and PostgreSQL then checks permissions match by
    match instead of reading every row of the type's table.
    """
    doc = SearchDocument
    tsquery = _tsquery(terms)
    return (
        sa.select(
            doc.id.label("document_id"),
            doc.object_key,
            doc.object_type,
            doc.object_id,
            (-sa.func.ts_rank(SEARCH_VECTOR, tsquery)).label("rank"),
        )
        .where(SEARCH_VECTOR.op("@@")(tsquery))
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )


def _snippets(dialect: str, terms: list[str], document_ids: list[int]) -> dict[int, str]:
    """Highlighted extracts for the documents shown on one page of results only."""
    if not document_ids:
        return {}
    if dialect == "sqlite":
        fts = sa.table("search_fts", sa.column("rowid"))
        snippet = sa.func.snippet(sa.literal_column("search_fts"), 1, START, STOP, "…", 16)
        rows = db.session.execute(
            sa.select(fts.c.rowid, snippet).where(
                sa.literal_column("search_fts").op("MATCH")(_fts_expression(terms)),
                fts.c.rowid.in_(document_ids),
            )
        )
    else:
        doc = SearchDocument
        options = (
            f"StartSel={START},StopSel={STOP},MaxWords=30,MinWords=12,"
            "MaxFragments=1,FragmentDelimiter=…"
        )
        rows = db.session.execute(
            sa.select(
                doc.id, sa.func.ts_headline("simple", doc.body, _tsquery(terms), options)
            ).where(doc.id.in_(document_ids))
        )
    return {row[0]: row[1] or "" for row in rows}


def search(user, query: str, page: int = 1, per_page: int = 10) -> Results:
    """Results the user may view, best first, with highlighted snippets.

    One statement finds, filters, ranks and counts: the matches the user may view, their total
    (a window count, computed before LIMIT), and the page asked for. Only a page past the end
    costs more: the count, then the last page.
    """
    terms = terms_of(query)
    if not terms or not SEARCHABLE:
        return Results([], 0, 1, 1)
    dialect = _dialect()
    doc = SearchDocument
    selects = []
    if dialect == "sqlite":
        matches = _matches_sqlite(terms)
        found = (
            sa.select(doc.id.label("document_id"), doc.object_key, matches.c.rank)
            .select_from(matches)
            .join(doc, doc.id == matches.c.document_id)
        )
        object_type, object_id = doc.object_type, doc.object_id
    else:
        matches = _matches_postgresql(terms)
        found = sa.select(matches.c.document_id, matches.c.object_key, matches.c.rank)
        object_type, object_id = matches.c.object_type, matches.c.object_id
    for kind in SEARCHABLE.values():
        model = kind.model
        selects.append(
            found.join(
                model, sa.and_(object_type == model.content_type, object_id == model.id)
            ).where(allowed_clause(user, model, Permission.VIEW))
        )
    union = sa.union_all(*selects).subquery() if len(selects) > 1 else selects[0].subquery()

    def one_page(number: int) -> list[sa.Row]:
        ranked = (
            sa.select(union, sa.func.count().over().label("total"))
            .order_by(union.c.rank, union.c.object_key)
            .limit(per_page)
            .offset(min((number - 1) * per_page, 2**62))
            .subquery()
        )
        return db.session.execute(
            sa.select(
                ranked.c.total, doc.id, doc.object_key, doc.object_type, doc.object_id, doc.title
            )
            .join(doc, doc.id == ranked.c.document_id)
            .order_by(ranked.c.rank, ranked.c.object_key)
        ).all()

    page = max(page, 1)
    rows = one_page(page)
    if rows:
        total = rows[0].total
    elif page > 1:  # past the end, or nothing at all: count, then show the last page
        total = db.session.scalar(sa.select(sa.func.count()).select_from(union)) or 0
        page = page_of(total, page, per_page).number
        rows = one_page(page) if total else []
    else:
        total = 0
    pages = page_of(total, page, per_page).pages
    snippets = _snippets(dialect, terms, [row.id for row in rows])
    hits = [
        Hit(
            row.object_key,
            row.object_type,
            row.object_id,
            row.title,
            highlight(snippets.get(row.id, "")),
            SEARCHABLE[row.object_type].url_for(row.object_id),
        )
        for row in rows
    ]
    return Results(hits, total, page, pages)
