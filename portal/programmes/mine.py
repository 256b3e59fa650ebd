"""The member's own side of a session: "I can't come" (an apology, with a reason from a short
list) and taking it back.

Services take the acting user, flush, never commit. They raise `NotAllowed` (403) when the
person does not take part in the session, and `DomainError` (422, shown on the form) for a
session that has started or is cancelled, or a reason that is not in the list.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from portal.core.db import utcnow
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.programmes.common import is_participant_on, slot_bounds
from portal.programmes.models import Apology, ApologyReason, Session
from portal.programmes.policies import can_attend, member_id_of

NOT_TAKING_PART = _l("You do not take part in this session.")
CHOOSE_A_REASON = _l("Choose the reason in the list.")
ALREADY_STARTED = _l("The session has already started. Please tell your trainer.")
CANCELLED = _l("This session is cancelled: you do not need to come.")


def _participant(actor, session: Session) -> int:
    """The actor's member id, if they take part in the session (else NotAllowed)."""
    member_id = member_id_of(actor)
    if (
        member_id is None
        or not can_attend(actor, session.programme)
        or not is_participant_on(session, member_id)
    ):
        raise NotAllowed(NOT_TAKING_PART)
    return member_id


def _before_start(session: Session) -> None:
    if session.cancelled:
        raise DomainError(CANCELLED)
    if not session.slots or utcnow() >= slot_bounds(session, session.slots[0])[0]:
        raise DomainError(ALREADY_STARTED)


def apologise(actor, session: Session, reason) -> Apology:
    """Say "I can't come" to a session, before it starts; saying it again changes the reason.

    Raises NotAllowed unless the actor is a participant enrolled on the session's day;
    DomainError for a cancelled or started session or a reason not in the list."""
    member_id = _participant(actor, session)
    _before_start(session)
    if reason not in {r.value for r in ApologyReason}:
        raise DomainError(CHOOSE_A_REASON, "reason")
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Apology).values(
        session_id=session.id, member_id=member_id, reason=reason, created_at=utcnow()
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["session_id", "member_id"],
            set_={"reason": reason, "created_at": utcnow()},
        )
    )
    return db.session.scalars(
        sa.select(Apology)
        .where(Apology.session_id == session.id, Apology.member_id == member_id)
        .execution_options(populate_existing=True)
    ).one()


def withdraw_apology(actor, session: Session) -> bool:
    """ "I can come after all": the apology is taken back, before the session starts. True if
    there was one. Raises as `apologise`."""
    member_id = _participant(actor, session)
    _before_start(session)
    result = db.session.execute(
        sa.delete(Apology).where(Apology.session_id == session.id, Apology.member_id == member_id)
    )
    return bool(result.rowcount)


def apology_of(session: Session, member_id: int | None) -> Apology | None:
    if member_id is None:
        return None
    return db.session.scalar(
        sa.select(Apology).where(Apology.session_id == session.id, Apology.member_id == member_id)
    )
