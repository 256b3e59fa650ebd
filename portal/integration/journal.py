"""The read journal and the one way a view loads a record.

`load_pathway(pathway_id, kind, what, need)` is how every record route starts: it loads the
pathway, decides whether the viewer may read it, journals the read (or the refused attempt) and
returns it — or answers 404 to everyone who may not read it, and 403 to a reader who may not do
what `need` asks. One journal row per request, whatever the number of loads: the journal's rows
equal the reads.

The journal outlives the request whatever happens to it: `keep_journal` (after every request
of the blueprint) commits the rows written — with nothing else when the answer is an error, whose
changes are rolled back first. Refused attempts are committed at once, before the 404. The
journal holds no content of the record.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import abort, g, has_request_context

from portal.core.viewhelpers import acting_user
from portal.extensions import db
from portal.integration import policies
from portal.integration.models import (
    Pathway,
    ReadKind,
    ReadOutcome,
    RecordRead,
    RecordReadReason,
)


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
    """Write one journal row (flushed; kept by `keep_journal` at the end of the request).

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
        kind=kind.value,
        what=what[:60],
        outcome=outcome.value,
    )
    if reason:
        row.reason_row = RecordReadReason(pathway_id=pathway_id, reason=reason[:500])
    db.session.add(row)
    db.session.flush()
    if has_request_context():
        g.setdefault("_journal_rows", []).append(row)
    return row


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


def keep_journal(response):
    """After each request of the blueprint: the journal rows it wrote are committed.

    When the answer is an error (4xx, 5xx), everything else the request changed is rolled back
    first and the rows not yet committed are written again on their own."""
    rows = g.pop("_journal_rows", None) if has_request_context() else None
    if not rows:
        return response
    if response.status_code >= 400:
        db.session.rollback()
        lost = [row for row in rows if sa.inspect(row).transient or sa.inspect(row).pending]
        db.session.add_all([_copy(row) for row in lost])
    db.session.commit()
    return response


def _already_journaled(pathway_id: int | None) -> bool:
    if not has_request_context():
        return False
    seen = g.setdefault("_journaled_reads", set())
    if pathway_id in seen:
        return True
    seen.add(pathway_id)
    return False


def refuse(user, pathway_id: int | None, kind: ReadKind, what: str, status: int = 404):
    """Journal a refused attempt, keep it (commit) and answer `status`."""
    db.session.rollback()  # nothing of the refused request is kept, except the journal rows
    pending = [row for row in g.pop("_journal_rows", []) if sa.inspect(row).transient]
    db.session.add_all([_copy(row) for row in pending])
    record_read(user, pathway_id, kind, what, ReadOutcome.REFUSED)
    db.session.commit()
    g.pop("_journal_rows", None)
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
