"""The audit log: append-only and hash-chained, so that any change to it can be detected.

Each entry stores the hash of the previous entry and a hash of its own content (including its
sequence number and the previous hash). `verify_chain` re-walks the log and names the first
entry that was altered, removed or moved. Entries are written in the caller's transaction: an
action that is rolled back leaves no entry. A one-row head table, locked while appending, keeps
the chain linear when several workers write at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, utcnow
from portal.extensions import db

GENESIS = "0" * 64


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)  # no foreign key: never rewritten
    actor_name: Mapped[str] = mapped_column(sa.String(120))
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_key: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    summary: Mapped[str] = mapped_column(sa.String(500))
    details: Mapped[str] = mapped_column(sa.Text, default="{}")
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    entry_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} by {self.actor_name!r}>"

    def content_hash(self) -> str:
        return compute_hash(self)


class AuditHead(db.Model):
    """The last entry's number and hash. Locked while appending (one chain, no forks)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)

    def __repr__(self) -> str:
        return f"<AuditHead last={self.last_id}>"


def compute_hash(entry: AuditEntry) -> str:
    payload = json.dumps(
        [
            entry.id,
            entry.created_at.replace(microsecond=0).isoformat(),
            entry.actor_id,
            entry.actor_name,
            entry.action,
            entry.object_key,
            entry.summary,
            entry.details,
            entry.ip_address,
            entry.request_id,
            entry.prev_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(
    actor, action: str, summary: str, object_key: str | None = None, **details
) -> AuditEntry:
    """Append an entry. `actor` is a user, or None for the system or an anonymous visitor.

    `summary` is a short English sentence for administrators; `details` are JSON values.
    Never pass secrets or a secret ballot's choice.
    """
    head = db.session.scalar(sa.select(AuditHead).where(AuditHead.id == 1).with_for_update())
    if head is None:
        head = AuditHead(id=1, last_id=0, last_hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    entry = AuditEntry(
        id=head.last_id + 1,
        created_at=utcnow().replace(microsecond=0),
        actor_id=getattr(actor, "id", None),
        actor_name=(getattr(actor, "username", None) or "-")[:120],
        action=action,
        object_key=object_key,
        summary=summary[:500],
        details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str),
        ip_address=(request.remote_addr or None) if has_request_context() else None,
        request_id=g.get("request_id") if has_request_context() else None,
        prev_hash=head.last_hash,
    )
    entry.entry_hash = compute_hash(entry)
    db.session.add(entry)
    head.last_id = entry.id
    head.last_hash = entry.entry_hash
    db.session.flush()
    return entry


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    reason: str

    def __str__(self) -> str:
        return f"audit entry {self.entry_id}: {self.reason}"


def verify_chain(batch_size: int = 5000) -> ChainProblem | None:
    """Walk the whole log; return the first problem found, or None when the chain is intact."""
    expected_id, previous = 1, GENESIS
    last_seen = 0
    while True:
        entries = db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.id > last_seen)
            .order_by(AuditEntry.id)
            .limit(batch_size)
        ).all()
        if not entries:
            break
        for entry in entries:
            if entry.id != expected_id:
                return ChainProblem(expected_id, f"is missing (the next entry is {entry.id})")
            if entry.prev_hash != previous:
                return ChainProblem(
                    entry.id, "does not follow the entry before it (removed or moved)"
                )
            if compute_hash(entry) != entry.entry_hash:
                return ChainProblem(entry.id, "was altered (its content does not match its hash)")
            previous, expected_id, last_seen = entry.entry_hash, entry.id + 1, entry.id
        db.session.expunge_all()
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.last_id != expected_id - 1 or head.last_hash != previous):
        return ChainProblem(expected_id, "is missing: the log was cut at its end")
    return None
