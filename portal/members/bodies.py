"""Governing bodies, their rules and mandates, and the electorate of a body on a date.

The electorate is what every vote and meeting reads:
- the general assembly: every member active on the date whose college (on that date) votes
  there, with the college's vote weight;
- any other body (board, workers' council, committees): every member holding a mandate in it on
  that date and active on that date, with weight 1.
A member who is suspended, ended or still an applicant on the date is in no electorate.
College weights and the colleges' voting settings are today's: they are rules, not history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import lazyload

from portal.core import audit
from portal.core.errors import DomainError, NotAllowed
from portal.core.security import Permission, allowed_clause, can
from portal.extensions import db
from portal.members.models import (
    SINGLE_HOLDER,
    Body,
    BodyKind,
    Majority,
    Mandate,
    Member,
    MemberCategory,
    Position,
    category_bodies,
)
from portal.members.services import _check_text, mandate_on, members_active_on, state_on

MAX_NOTE = 200


@dataclass(frozen=True)
class Voter:
    member_id: int
    weight: int


def electorate_query(body: Body, day: date) -> sa.Select:
    """Select (member_id, weight) of everyone who votes in `body` on `day`."""
    active = members_active_on(day).subquery()
    if body.is_computed:
        return (
            sa.select(active.c.member_id, MemberCategory.vote_weight.label("weight"))
            .join(MemberCategory, MemberCategory.id == active.c.category_id)
            .join(
                category_bodies,
                sa.and_(
                    category_bodies.c.category_id == MemberCategory.id,
                    category_bodies.c.body_id == body.id,
                ),
            )
        )
    holders = sa.select(Mandate.member_id).where(Mandate.body_id == body.id, mandate_on(day))
    return sa.select(active.c.member_id, sa.literal(1).label("weight")).where(
        active.c.member_id.in_(holders)
    )


def electorate(body: Body, day: date) -> list[Voter]:
    """Who votes in `body` on `day`, with their weight, by member id."""
    rows = db.session.execute(electorate_query(body, day).order_by("member_id")).all()
    return [Voter(row.member_id, int(row.weight)) for row in rows]


@dataclass(frozen=True)
class ElectorateSummary:
    voters: int
    total_weight: int


def electorate_summary(body: Body, day: date) -> ElectorateSummary:
    query = electorate_query(body, day).subquery()
    voters, weight = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(query.c.weight), 0))
    ).one()
    return ElectorateSummary(int(voters), int(weight))


def electorate_summaries(bodies: list[Body], day: date) -> dict[int, ElectorateSummary]:
    """`electorate_summary` of each body, in one statement (the bodies list)."""
    if not bodies:
        return {}
    parts = []
    for body in bodies:
        query = electorate_query(body, day).subquery()
        parts.append(
            sa.select(
                sa.literal(body.id).label("body_id"),
                sa.func.count().label("voters"),
                sa.func.coalesce(sa.func.sum(query.c.weight), 0).label("weight"),
            ).select_from(query)
        )
    rows = db.session.execute(sa.union_all(*parts)).all()
    return {row.body_id: ElectorateSummary(int(row.voters), int(row.weight)) for row in rows}


def chairs_of(bodies: list[Body], day: date) -> dict[int, list[Mandate]]:
    """The chairs of each body on `day`, in one statement (the bodies list)."""
    found: dict[int, list[Mandate]] = {body.id: [] for body in bodies}
    if not bodies:
        return found
    mandates = db.session.scalars(
        sa.select(Mandate)
        .where(
            Mandate.body_id.in_(list(found)),
            Mandate.position == Position.CHAIR.value,
            mandate_on(day),
        )
        .options(lazyload(Mandate.body))
        .order_by(Mandate.starts_on.desc(), Mandate.id.desc())
    ).all()
    for mandate in mandates:
        found[mandate.body_id].append(mandate)
    return found


def electorate_members(
    body: Body, day: date, viewer, limit: int | None = None
) -> list[tuple[Member, int]]:
    """The members of the electorate that `viewer` may see (for the body's page), by name;
    the first `limit` of them when given.

    On a past day the electorate may include people who are no longer members (or are
    suspended): only those whose profile the viewer may see today are named. Their accounts
    and colleges are not loaded (the list shows names and weights).
    """
    query = electorate_query(body, day).subquery()
    statement = (
        sa.select(Member, query.c.weight)
        .join(query, query.c.member_id == Member.id)
        .where(allowed_clause(viewer, Member, Permission.VIEW_PROFILE))
        .options(lazyload(Member.user), lazyload(Member.category))
        .order_by(sa.func.lower(Member.family_name), sa.func.lower(Member.given_name), Member.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return [(row[0], int(row[1])) for row in db.session.execute(statement).all()]


def mandates_of_body(body: Body, day: date | None = None) -> list[Mandate]:
    """Mandates in `body`: held on `day`, or all of them (newest first) when `day` is None."""
    query = sa.select(Mandate).where(Mandate.body_id == body.id)
    if day is not None:
        query = query.where(mandate_on(day))
    order = sa.case({p.value: i for i, p in enumerate(Position)}, value=Mandate.position)
    return db.session.scalars(
        query.order_by(order, Mandate.starts_on.desc(), Mandate.id.desc())
    ).all()


def mandates_of_member(member: Member, day: date | None = None) -> list[Mandate]:
    query = sa.select(Mandate).where(Mandate.member_id == member.id)
    if day is not None:
        query = query.where(mandate_on(day))
    return db.session.scalars(query.order_by(Mandate.starts_on.desc(), Mandate.id.desc())).all()


def positions_by_member(member_ids: list[int], day: date) -> dict[int, list[Mandate]]:
    """Mandates held on `day` by each of these members (one query, for listings)."""
    found: dict[int, list[Mandate]] = {}
    if member_ids:
        for mandate in db.session.scalars(
            sa.select(Mandate)
            .join(Body, Body.id == Mandate.body_id)
            .where(Mandate.member_id.in_(member_ids), mandate_on(day), Body.active.is_(True))
            .order_by(Body.id, Mandate.id)
        ):
            found.setdefault(mandate.member_id, []).append(mandate)
    return found


def bodies(include_inactive: bool = False) -> list[Body]:
    query = sa.select(Body)
    if not include_inactive:
        query = query.where(Body.active.is_(True))
    order = sa.case({k.value: i for i, k in enumerate(BodyKind)}, value=Body.kind)
    return db.session.scalars(query.order_by(order, Body.id)).all()


# --- Bodies and their rules --------------------------------------------------------------------


@dataclass(frozen=True)
class BodyData:
    kind: str
    name: str
    description: str = ""
    quorum_percent: int = 50
    notice_days: int = 15
    default_majority: str = Majority.SIMPLE.value
    proxy_cap: int = 1
    active: bool = True
    # Supports a proposal needs: this share of the electorate, and never fewer than the minimum.
    support_percent: int = 10
    support_minimum: int = 3


def _check_body(data: BodyData, body: Body | None) -> BodyData:
    if data.kind not in set(BodyKind):
        raise DomainError(_l("Choose a kind of body from the list."), field="kind")
    if data.kind == BodyKind.GENERAL_ASSEMBLY:
        other = db.session.scalar(
            sa.select(Body.id).where(
                Body.kind == BodyKind.GENERAL_ASSEMBLY.value, Body.id != (body.id if body else -1)
            )
        )
        if other:
            raise DomainError(_l("There is already a general assembly."), field="kind")
    name = _check_text(data.name, "name", required=False, limit=120)
    description = (data.description or "").strip()
    if len(description) > 2000:
        raise DomainError(_l("At most %(n)d characters.", n=2000), field="description")
    for field_name, low, high in (
        ("quorum_percent", 0, 100),
        ("notice_days", 0, 365),
        ("proxy_cap", 0, 20),
        ("support_percent", 0, 100),
        ("support_minimum", 1, 10_000),
    ):
        value = getattr(data, field_name)
        if not isinstance(value, int) or not low <= value <= high:
            raise DomainError(
                _l("A whole number from %(low)d to %(high)d.", low=low, high=high),
                field=field_name,
            )
    if data.default_majority not in set(Majority):
        raise DomainError(_l("Choose a majority from the list."), field="default_majority")
    return BodyData(
        data.kind,
        name,
        description,
        data.quorum_percent,
        data.notice_days,
        data.default_majority,
        data.proxy_cap,
        bool(data.active),
        data.support_percent,
        data.support_minimum,
    )


def _require_manager(actor, message) -> None:
    """`actor` None is the command line (and the demo loader), which may do anything."""
    if actor is not None and not can(actor, Permission.MANAGE_BODIES):
        raise NotAllowed(message)


RULE_FIELDS = (
    "kind",
    "name",
    "description",
    "quorum_percent",
    "notice_days",
    "default_majority",
    "proxy_cap",
    "active",
    # Read by proposals when one opens for support (the number is then frozen on it).
    "support_percent",
    "support_minimum",
)


def create_body(actor, data: BodyData) -> Body:
    _require_manager(actor, _l("You cannot set up bodies."))
    data = _check_body(data, None)
    body = Body(**{name: getattr(data, name) for name in RULE_FIELDS})
    body.name = data.name or None
    db.session.add(body)
    db.session.flush()
    audit.record(
        actor,
        "body.created",
        f"body {body.id} ({body.kind}) created",
        object_key=f"body:{body.id}",
        **{name: getattr(body, name) for name in RULE_FIELDS if name != "description"},
    )
    return body


def update_body(actor, body: Body, data: BodyData) -> Body:
    _require_manager(actor, _l("You cannot set up bodies."))
    data = _check_body(data, body)
    if body.is_computed and data.kind != body.kind:
        raise DomainError(_l("The general assembly stays a general assembly."), field="kind")
    changes = {}
    for name in RULE_FIELDS:
        new = (data.name or None) if name == "name" else getattr(data, name)
        if name == "name" and new == body.title:
            new = body.name  # the translated default name was left as it was
        if getattr(body, name) != new:
            changes[name] = [getattr(body, name), new]
            setattr(body, name, new)
    db.session.flush()
    if changes:
        audit.record(
            actor,
            "body.updated",
            f"body {body.id}: {', '.join(sorted(changes))} changed",
            object_key=f"body:{body.id}",
            changes={k: v for k, v in changes.items() if k != "description"},
        )
    return body


# --- Mandates ----------------------------------------------------------------------------------


def _check_mandate(
    body: Body,
    member: Member,
    position: str,
    starts_on: date | None,
    ends_on: date | None,
    exclude_id: int | None = None,
) -> None:
    if position not in set(Position):
        raise DomainError(_l("Choose a position from the list."), field="position")
    if starts_on is None:
        raise DomainError(_l("Give the first day of the mandate."), field="starts_on")
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_l("The last day cannot be before the first."), field="ends_on")
    if state_on(member, starts_on) != "active":
        raise DomainError(
            _l("Only a member who is active on the first day can hold a position."),
            field="member_id",
        )
    overlap = sa.and_(
        Mandate.body_id == body.id,
        Mandate.id != (exclude_id or -1),
        sa.or_(Mandate.ends_on.is_(None), Mandate.ends_on >= starts_on),
    )
    if ends_on is not None:
        overlap = sa.and_(overlap, Mandate.starts_on <= ends_on)
    same_person = db.session.scalar(
        sa.select(Mandate.id).where(overlap, Mandate.member_id == member.id).limit(1)
    )
    if same_person:
        raise DomainError(
            _l("This person already holds a position in this body at that time."),
            field="member_id",
        )
    if position in SINGLE_HOLDER:
        holder = db.session.scalar(
            sa.select(Mandate).where(overlap, Mandate.position == position).limit(1)
        )
        if holder is not None:
            raise DomainError(
                _l(
                    "%(name)s holds this position at that time. End their mandate first.",
                    name=holder.member.full_name,
                ),
                field="position",
            )


def add_mandate(
    actor,
    body: Body,
    member: Member,
    position: str,
    starts_on: date | None,
    ends_on: date | None = None,
    note: str = "",
) -> Mandate:
    _require_manager(actor, _l("You cannot change positions."))
    _check_mandate(body, member, position, starts_on, ends_on)
    note = _check_text(note, "note", required=False, limit=MAX_NOTE)
    mandate = Mandate(
        body_id=body.id,
        member_id=member.id,
        position=position,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(mandate)
    db.session.flush()
    audit.record(
        actor,
        "mandate.added",
        f"member {member.member_number}: {position} of body {body.id} from {starts_on}"
        + (f" to {ends_on}" if ends_on else ""),
        object_key=f"body:{body.id}",
        member_id=member.id,
        position=position,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    return mandate


def end_mandate(actor, mandate: Mandate, ends_on: date | None, note: str = "") -> Mandate:
    """Set the last day of a mandate (also to shorten or correct it)."""
    _require_manager(actor, _l("You cannot change positions."))
    if ends_on is None:
        raise DomainError(_l("Give the last day of the mandate."), field="ends_on")
    _check_mandate(
        mandate.body, mandate.member, mandate.position, mandate.starts_on, ends_on, mandate.id
    )
    before = mandate.ends_on
    mandate.ends_on = ends_on
    if note:
        mandate.note = _check_text(note, "note", required=False, limit=MAX_NOTE)
    db.session.flush()
    audit.record(
        actor,
        "mandate.ended",
        f"mandate {mandate.id} ({mandate.position} of body {mandate.body_id}) ends {ends_on}",
        object_key=f"body:{mandate.body_id}",
        member_id=mandate.member_id,
        ends_on=ends_on,
        before=before,
    )
    return mandate


def remove_mandate(actor, mandate: Mandate, reason: str) -> None:
    """Delete a mandate entered by mistake (an ended mandate is history: end it instead)."""
    _require_manager(actor, _l("You cannot change positions."))
    reason = _check_text(reason, "reason", required=True, limit=MAX_NOTE)
    audit.record(
        actor,
        "mandate.removed",
        f"mandate {mandate.id} ({mandate.position} of body {mandate.body_id}) removed: {reason}",
        object_key=f"body:{mandate.body_id}",
        member_id=mandate.member_id,
        position=mandate.position,
        starts_on=mandate.starts_on,
        ends_on=mandate.ends_on,
        reason=reason,
    )
    db.session.delete(mandate)
    db.session.flush()
