"""The agenda of a meeting: ordered items (information, discussion, decision), each with a
presenter, a planned duration and, when it concerns one, a proposal.

Rules:

- The agenda is changed while the meeting is planned or convened, by those with
  `Permission.EDIT` on the meeting (its owner and the board).
- Positions stay dense: 1, 2, 3… after every addition, removal or move.
- A linked proposal is one the actor can see, waiting for the board (submitted, collecting
  support or in vote); an item keeps the proposal it already had.
- An item that the minutes already speak about is not removed.
- Every change is audited (a removal keeps the item's title in the audit entry).

Services take the acting user explicitly, never commit, and raise DomainError subclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.errors import DomainError, NotAllowed
from portal.core.security import Permission, allowed_clause, can
from portal.extensions import db
from portal.meetings.models import AgendaItem, ItemKind, Meeting, MinutesSection
from portal.members.models import Member
from portal.members.services import members_active_on
from portal.proposals.models import Proposal

MAX_TITLE = 200
MAX_DESCRIPTION = 5_000
MIN_MINUTES, MAX_MINUTES = 1, 600
EDITABLE_STATES = frozenset({"planned", "convened"})
LINKABLE_PROPOSAL_STATES = ("submitted", "support", "vote")


@dataclass(frozen=True)
class ItemData:
    title: str
    kind: str = ItemKind.DISCUSSION.value
    description: str = ""
    presenter_id: int | None = None
    planned_minutes: int | None = None
    proposal_id: int | None = None


def meeting_day(meeting: Meeting):
    """The meeting's date where the enterprise is (its time zone)."""
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "Europe/Paris"
    return meeting.starts_at.astimezone(ZoneInfo(zone)).date()


def to_local(moment: datetime | None) -> datetime | None:
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "Europe/Paris"
    return moment.astimezone(ZoneInfo(zone)) if moment is not None else None


def can_edit_agenda(user, meeting: Meeting) -> bool:
    return meeting.state in EDITABLE_STATES and can(user, Permission.EDIT, meeting)


def total_minutes(meeting: Meeting) -> int:
    return sum(item.planned_minutes or 0 for item in meeting.items)


def presenter_choices(meeting: Meeting) -> list[tuple[int, str]]:
    """Members active on the meeting's day, by name."""
    active = members_active_on(meeting_day(meeting)).subquery()
    rows = db.session.execute(
        sa.select(Member.id, Member.given_name, Member.family_name)
        .join(active, active.c.member_id == Member.id)
        .order_by(sa.func.lower(Member.family_name), sa.func.lower(Member.given_name), Member.id)
    ).all()
    return [(row.id, f"{row.given_name} {row.family_name}".strip()) for row in rows]


def proposal_choices(user) -> list[tuple[int, str]]:
    """Proposals the user can see that wait for a decision, newest first."""
    rows = db.session.execute(
        sa.select(Proposal.id, Proposal.title)
        .where(
            Proposal.state.in_(LINKABLE_PROPOSAL_STATES),
            allowed_clause(user, Proposal, Permission.VIEW),
        )
        .order_by(Proposal.id.desc())
    ).all()
    return [(row.id, row.title) for row in rows]


def _check(actor, meeting: Meeting, data: ItemData, item: AgendaItem | None = None) -> ItemData:
    if not can(actor, Permission.EDIT, meeting):
        raise NotAllowed(_l("Only the board prepares the agenda."))
    if meeting.state not in EDITABLE_STATES:
        raise DomainError(_l("The agenda cannot change once the meeting has started."))
    title = " ".join((data.title or "").split())
    if not title:
        raise DomainError(_l("Give the item a title."), field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(_l("At most %(n)d characters.", n=MAX_TITLE), field="title")
    description = (data.description or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(_l("At most %(n)d characters.", n=MAX_DESCRIPTION), field="description")
    if data.kind not in set(ItemKind):
        raise DomainError(_l("Choose a kind of item from the list."), field="kind")
    minutes = data.planned_minutes
    if minutes is not None and not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise DomainError(
            _l("A whole number from %(low)d to %(high)d.", low=MIN_MINUTES, high=MAX_MINUTES),
            field="planned_minutes",
        )
    same_presenter = item is not None and item.presenter_id == data.presenter_id
    if (
        data.presenter_id is not None
        and not same_presenter
        and data.presenter_id not in dict(presenter_choices(meeting))
    ):
        raise DomainError(_l("Choose a member from the list."), field="presenter_id")
    kept = item is not None and item.proposal_id == data.proposal_id
    if (
        data.proposal_id is not None
        and not kept
        and data.proposal_id not in dict(proposal_choices(actor))
    ):
        raise DomainError(_l("Choose a proposal from the list."), field="proposal_id")
    return ItemData(
        title=title,
        kind=data.kind,
        description=description,
        presenter_id=data.presenter_id,
        planned_minutes=minutes,
        proposal_id=data.proposal_id,
    )


def _apply(item: AgendaItem, data: ItemData) -> None:
    item.title = data.title
    item.kind = data.kind
    item.description = data.description
    item.presenter_id = data.presenter_id
    item.planned_minutes = data.planned_minutes
    item.proposal_id = data.proposal_id


def _renumber(meeting: Meeting, order: list[AgendaItem]) -> None:
    for position, item in enumerate(order, start=1):
        item.position = position
    db.session.flush()


def _items(meeting: Meeting) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def add_item(actor, meeting: Meeting, data: ItemData) -> AgendaItem:
    """Add an item at the end. Raises NotAllowed, DomainError (field named)."""
    data = _check(actor, meeting, data)
    items = _items(meeting)
    item = AgendaItem(meeting_id=meeting.id, position=len(items) + 1, title=data.title)
    _apply(item, data)
    db.session.add(item)
    db.session.flush()
    _renumber(meeting, [*items, item])
    audit.record(
        actor,
        "meeting.item_added",
        f"agenda item {item.id} added to meeting {meeting.id}",
        object_key=meeting.object_key,
        item_id=item.id,
        title=item.title,
    )
    db.session.expire(meeting, ["items"])
    return item


def edit_item(actor, item: AgendaItem, data: ItemData) -> AgendaItem:
    """Change an item. Raises NotAllowed, DomainError (field named)."""
    meeting = item.meeting
    data = _check(actor, meeting, data, item)
    before = {"title": item.title, "kind": item.kind, "minutes": item.planned_minutes}
    _apply(item, data)
    db.session.flush()
    audit.record(
        actor,
        "meeting.item_changed",
        f"agenda item {item.id} of meeting {meeting.id} changed",
        object_key=meeting.object_key,
        item_id=item.id,
        before=before,
    )
    return item


def remove_item(actor, item: AgendaItem) -> None:
    """Remove an item (the others move up). Raises NotAllowed, DomainError."""
    meeting = item.meeting
    if not can(actor, Permission.EDIT, meeting):
        raise NotAllowed(_l("Only the board prepares the agenda."))
    if meeting.state not in EDITABLE_STATES:
        raise DomainError(_l("The agenda cannot change once the meeting has started."))
    in_minutes = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(MinutesSection)
        .where(MinutesSection.agenda_item_id == item.id)
    )
    if in_minutes:
        raise DomainError(_l("The minutes speak about this item: it stays on the agenda."))
    audit.record(
        actor,
        "meeting.item_removed",
        f"agenda item {item.id} removed from meeting {meeting.id}",
        object_key=meeting.object_key,
        item_id=item.id,
        title=item.title,
        kind=item.kind,
    )
    if meeting.current_item_id == item.id:
        meeting.current_item_id = None
    db.session.delete(item)
    db.session.flush()
    _renumber(meeting, _items(meeting))
    db.session.expire(meeting, ["items"])


def move_item(actor, item: AgendaItem, step: int) -> AgendaItem:
    """Move an item one place up (`step` -1) or down (+1); at either end it stays.
    Raises NotAllowed, DomainError."""
    meeting = item.meeting
    if not can(actor, Permission.EDIT, meeting):
        raise NotAllowed(_l("Only the board prepares the agenda."))
    if meeting.state not in EDITABLE_STATES:
        raise DomainError(_l("The agenda cannot change once the meeting has started."))
    items = _items(meeting)
    index = next(i for i, other in enumerate(items) if other.id == item.id)
    target = index + (1 if step > 0 else -1)
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
        _renumber(meeting, items)
        audit.record(
            actor,
            "meeting.item_moved",
            f"agenda item {item.id} of meeting {meeting.id} moved to {item.position}",
            object_key=meeting.object_key,
            item_id=item.id,
            position=item.position,
        )
    else:
        _renumber(meeting, items)
    db.session.expire(meeting, ["items"])
    return item
