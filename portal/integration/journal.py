"""The read journal and the one way a view loads a record.

`load_pathway(pathway_id, kind, what, need)` is how every record route starts: it loads the
pathway, decides whether the viewer may read it, journals the read (or the refused attempt) and
returns it — or answers 404 to everyone who may not read it, and 403 to a reader who may not do
what `need` asks. One journal row per request, whatever the number of loads: the journal's rows
equal the reads.

The journal outlives the request whatever happens to it, through the request lifecycle
(`core.lifecycle.keep_even_if_refused`): a read (GET) writes nothing while it reads and renders,
and its journal rows are written at the end, in a short write of their own; a change (POST)
writes them with its change, and again on their own when the change is refused (its
transaction rolled back). The journal holds no content of the record.

Attempts by someone not logged in are not journaled one by one (anyone can send them, and a
flood of them would push the team's real attempts out of the member's view): they are counted,
per record and day, in `AnonymousAttempts`. That is their throttle too: beyond
`ANONYMOUS_COUNTED` on one record in a day nothing more is written (the count stays there), so
a flood costs at most that many short writes per record and day, and answers 404 as before.

The one exception to "the lifecycle commits": `write_first` commits the journal rows (and the
audit entry) of an export a member downloads before the export is built, because the file holds
the journal of the record, its own rows included.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import sqlalchemy as sa
from flask import abort, g, has_request_context

from portal.core.db import local_today, reset_sqlite_begin, set_sqlite_read_only, utcnow
from portal.core.lifecycle import keep_even_if_refused
from portal.core.viewhelpers import acting_user
from portal.extensions import db
from portal.integration import policies
from portal.integration.models import (
    AnonymousAttempts,
    Pathway,
    ReadKind,
    ReadOutcome,
    RecordRead,
    RecordReadReason,
)

# Attempts by someone not logged in counted per record and day; beyond, nothing is written.
ANONYMOUS_COUNTED = 100


def _is_the_member(user, pathway_id: int | None) -> bool:
    if user is None or pathway_id is None:
        return False
    pathway = db.session.get(Pathway, pathway_id)  # already loaded by the caller, as a rule
    return pathway is not None and policies.is_self(user, pathway)


def record_read(
    user,
    pathway_id: int | None,
    kind: ReadKind,
    what: str,
    outcome: ReadOutcome = ReadOutcome.ALLOWED,
    reason: str = "",
) -> RecordRead:
    """One journal row, kept whatever the request's answer (see the module).

    Written at once (flushed) when the transaction may write: outside a request, in a change
    (POST), in `write_first`. In a read it is written at the end of the request.
    The member's own reads name nobody (`by_member`): see the model."""
    by_member = _is_the_member(user, pathway_id)
    if pathway_id is not None and not by_member:
        pathway = db.session.get(Pathway, pathway_id)
        if pathway is not None and pathway.anonymised:
            # Nobody's record: an attempt on it must not tie a person to it again.
            pathway_id = None
    row = RecordRead(
        pathway_id=pathway_id,
        user_id=None if by_member else getattr(user, "id", None),
        by_member=by_member,
        read_at=utcnow(),
        kind=kind.value,
        what=what[:60],
        outcome=outcome.value,
    )
    if reason:
        row.reason_row = RecordReadReason(pathway_id=pathway_id, reason=reason[:500])
    if not has_request_context():
        db.session.add(row)
        db.session.flush()
        return row
    rows = g.setdefault("_journal_rows", [])
    if not rows:
        keep_even_if_refused(_keep_journal)
    rows.append(row)
    if _may_write_now():
        db.session.add(row)
        db.session.flush()
    return row


def _may_write_now() -> bool:
    """A change writes as it goes; a read (GET) writes nothing until it has answered."""
    return not g.get("read_only_request") or bool(g.get("_journal_writing"))


def pending_reads() -> list[RecordRead]:
    """This request's journal rows not written yet (a read writes them once it has answered)."""
    if not has_request_context():
        return []
    return [row for row in g.get("_journal_rows", []) if sa.inspect(row).transient]


def _copy(row: RecordRead) -> RecordRead:
    copy = RecordRead(
        pathway_id=row.pathway_id,
        user_id=row.user_id,
        by_member=row.by_member,
        read_at=row.read_at,
        kind=row.kind,
        what=row.what,
        outcome=row.outcome,
    )
    if row.reason_row is not None:
        copy.reason_row = RecordReadReason(
            pathway_id=row.reason_row.pathway_id, reason=row.reason_row.reason
        )
    return copy


def _keep_journal() -> None:
    """At the end of the request (`keep_even_if_refused`): the journal rows not yet in the
    database — a read's, or those a refused change's rollback took away — are written."""
    rows = g.pop("_journal_rows", [])
    db.session.add_all([_copy(row) for row in rows if sa.inspect(row).transient])


def write_first(fn: Callable, /, *args, **kwargs):
    """Call `fn` now and commit what it writes (journal rows, an audit entry) before the
    request goes on; then the request reads on in a fresh transaction.

    For the member's export on a GET: the file holds the record's journal, its own rows
    included, so they must be written before it is built. The write is short: on SQLite the read
    transaction is ended first and the write waits for the lock (BEGIN IMMEDIATE); the file is
    built afterwards, holding no lock. In a change (POST) `fn` simply runs in its transaction."""
    if not has_request_context() or not g.get("read_only_request"):
        return fn(*args, **kwargs)
    db.session.rollback()  # ends the read transaction: nothing of a read is written
    token = set_sqlite_read_only(False)
    g._journal_writing = True
    try:
        result = fn(*args, **kwargs)
        db.session.commit()  # the documented exception: see the module
    except BaseException:
        db.session.rollback()
        raise
    finally:
        g._journal_writing = False
        with contextlib.suppress(ValueError):
            reset_sqlite_begin(token)
    return result


def _already_journaled(pathway_id: int | None) -> bool:
    if not has_request_context():
        return False
    seen = g.setdefault("_journaled_reads", set())
    if pathway_id in seen:
        return True
    seen.add(pathway_id)
    return False


# --- Attempts by someone not logged in ------------------------------------------------------------


def count_anonymous_attempt(pathway_id: int | None) -> None:
    """Count an attempt by someone not logged in on this record (no journal row).

    Only records that exist and are someone's are counted (an attempt on another number is
    about nobody); at most `ANONYMOUS_COUNTED` a day, so a flood writes almost nothing."""
    pathway = db.session.get(Pathway, pathway_id) if pathway_id else None
    if pathway is None or pathway.anonymised:
        return
    day = local_today()
    counted = db.session.scalar(
        sa.select(AnonymousAttempts.attempts).where(
            AnonymousAttempts.pathway_id == pathway.id, AnonymousAttempts.counted_on == day
        )
    )
    if (counted or 0) >= ANONYMOUS_COUNTED:
        return
    pathway_id = pathway.id
    if has_request_context():
        keep_even_if_refused(lambda: _add_anonymous_attempt(pathway_id, day))
    else:
        _add_anonymous_attempt(pathway_id, day)


def _add_anonymous_attempt(pathway_id: int, day) -> None:
    """One more attempt on the day's counter (created on the first), in one statement."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(AnonymousAttempts).values(pathway_id=pathway_id, counted_on=day, attempts=1)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["pathway_id", "counted_on"],
            set_={"attempts": AnonymousAttempts.attempts + 1},
        )
    )


def anonymous_attempts(pathways: list[Pathway]) -> int:
    """How many times someone not logged in tried to open these records (since each existed):
    the day counters, and the rows journaled one by one before they were counted."""
    if not pathways:
        return 0
    counted = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(AnonymousAttempts.attempts), 0)).where(
            AnonymousAttempts.pathway_id.in_([p.id for p in pathways])
        )
    )
    journaled = db.session.scalar(
        sa.select(sa.func.count(RecordRead.id)).where(
            sa.or_(
                *(
                    sa.and_(RecordRead.pathway_id == p.id, RecordRead.read_at >= p.created_at)
                    for p in pathways
                )
            ),
            RecordRead.outcome == ReadOutcome.REFUSED.value,
            RecordRead.user_id.is_(None),
            RecordRead.by_member == sa.false(),
        )
    )
    return counted + journaled


def refuse(user, pathway_id: int | None, kind: ReadKind, what: str, status: int = 404):
    """Journal a refused attempt (kept, see the module) and answer `status`. Someone not
    logged in is counted, not journaled."""
    if user is None:
        count_anonymous_attempt(pathway_id)
    else:
        record_read(user, pathway_id, kind, what, ReadOutcome.REFUSED)
    abort(status)


def load_pathway(
    pathway_id: int,
    kind: ReadKind = ReadKind.PAGE,
    what: str = "record",
    need: Callable | None = None,
) -> Pathway:
    """The pathway, if the viewer may read it (and do `need(user, pathway)`); journaled."""
    user = acting_user()
    pathway = db.session.get(Pathway, pathway_id)
    if pathway is None:
        refuse(user, pathway_id, kind, what)
    glass = None
    allowed = policies.can_read(user, pathway)
    if not allowed:
        glass = policies.break_glass_open(user, pathway)
        if glass is None:
            refuse(user, pathway_id, kind, what)
    if need is not None and (glass is not None or not need(user, pathway)):
        # A reader who may not do this (a break-glass reading never changes anything).
        refuse(user, pathway_id, kind, what, status=403)
    if not _already_journaled(pathway.id):
        if glass is not None:
            record_read(user, pathway.id, kind, what, ReadOutcome.BREAK_GLASS, glass.reason)
        else:
            record_read(user, pathway.id, kind, what)
    if has_request_context():
        g.break_glass = glass is not None
    return pathway


def reads_of(pathway_ids: list[int], limit: int = 200) -> list[RecordRead]:
    """Who read these records (not counting refused attempts), newest first."""
    if not pathway_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(RecordRead)
            .where(
                RecordRead.pathway_id.in_(pathway_ids),
                RecordRead.outcome != ReadOutcome.REFUSED.value,
            )
            .order_by(RecordRead.id.desc())
            .limit(limit)
        )
    )
