"""Configuration of integration records: the skills referential and the exit outcomes.

Only `policies.can_configure` (administrators, counsellors) changes them. Nothing is deleted
once used: a skill with assessments, like any outcome, is deactivated instead (it stays on the
records that used it, and leaves the lists of choices). A default outcome's name may be left
empty: its translated default title is shown. Every change is audited.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.integration import policies
from portal.integration.content import FILL_IN, too_long
from portal.integration.models import DEFAULT_OUTCOMES, ExitOutcome, Pathway, Skill, SkillAssessment

MAX_AREA, MAX_SKILL, MAX_DESCRIPTION, MAX_OUTCOME = 80, 120, 300, 80
DIRECTIONS = ("up", "down")


def _allowed(actor) -> None:
    if not policies.can_configure(actor):
        raise NotAllowed(_l("You cannot change the settings."))


def _text(value, limit: int, field_name: str, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError(FILL_IN, field_name)
    text = " ".join(value.replace("\x00", "").split())  # one line: these are names
    if required and not text:
        raise DomainError(FILL_IN, field_name)
    if len(text) > limit:
        raise DomainError(too_long(limit), field_name)
    return text


def _swap(rows: list, item, direction: str) -> bool:
    """Move `item` one place up or down in `rows` (renumbering them all). False at an end."""
    if direction not in DIRECTIONS:
        raise DomainError(_l("Choose one of the answers in the list."))
    index = next(i for i, row in enumerate(rows) if row.id == item.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(rows):
        return False
    rows[index], rows[other] = rows[other], rows[index]
    for number, row in enumerate(rows):
        row.sort_order = number
    return True


# --- Skills --------------------------------------------------------------------------------------


def skills_with_use() -> list[tuple[Skill, int]]:
    """Every skill, by area and order, with its number of assessments. One statement."""
    used = (
        sa.select(SkillAssessment.skill_id, sa.func.count().label("n"))
        .group_by(SkillAssessment.skill_id)
        .subquery()
    )
    return [
        (skill, int(n or 0))
        for skill, n in db.session.execute(
            sa.select(Skill, used.c.n)
            .outerjoin(used, used.c.skill_id == Skill.id)
            .order_by(Skill.area, Skill.sort_order, Skill.name, Skill.id)
        ).all()
    ]


def active_skills() -> list[Skill]:
    return list(
        db.session.scalars(
            sa.select(Skill)
            .where(Skill.active.is_(True))
            .order_by(Skill.area, Skill.sort_order, Skill.name, Skill.id)
        )
    )


def _check_unique_skill(area: str, name: str, skill_id: int | None = None) -> None:
    query = sa.select(Skill.id).where(
        sa.func.lower(Skill.area) == area.lower(), sa.func.lower(Skill.name) == name.lower()
    )
    if skill_id is not None:
        query = query.where(Skill.id != skill_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise DomainError(_l("This area already has a skill with this name."), "name")


def add_skill(actor, area, name, description="") -> Skill:
    """A new skill at the end of its area. Raises NotAllowed, or DomainError on a missing,
    too long or repeated name."""
    _allowed(actor)
    area = _text(area, MAX_AREA, "area")
    name = _text(name, MAX_SKILL, "name", required=True)
    description = _text(description, MAX_DESCRIPTION, "description")
    _check_unique_skill(area, name)
    last = db.session.scalar(sa.select(sa.func.max(Skill.sort_order)).where(Skill.area == area))
    skill = Skill(
        area=area,
        name=name,
        description=description,
        sort_order=(last + 1) if last is not None else 0,
    )
    db.session.add(skill)
    db.session.flush()
    audit.record(
        actor, "integration.add_skill", f"Skill {skill.id} added", object_key=f"skill:{skill.id}"
    )
    return skill


def edit_skill(actor, skill: Skill, area, name, description="") -> list[str]:
    """Rename a skill or move it to another area. Returns the fields changed."""
    _allowed(actor)
    values = {
        "area": _text(area, MAX_AREA, "area"),
        "name": _text(name, MAX_SKILL, "name", required=True),
        "description": _text(description, MAX_DESCRIPTION, "description"),
    }
    changed = [key for key, value in values.items() if getattr(skill, key) != value]
    if not changed:
        raise DomainError(_l("Nothing was changed."))
    _check_unique_skill(values["area"], values["name"], skill.id)
    if "area" in changed:
        last = db.session.scalar(
            sa.select(sa.func.max(Skill.sort_order)).where(Skill.area == values["area"])
        )
        skill.sort_order = (last + 1) if last is not None else 0
    for key in changed:
        setattr(skill, key, values[key])
    db.session.flush()
    audit.record(
        actor,
        "integration.edit_skill",
        f"Skill {skill.id} changed",
        object_key=f"skill:{skill.id}",
        fields=changed,
    )
    return changed


def move_skill(actor, skill: Skill, direction: str) -> bool:
    """One place up or down within its area."""
    _allowed(actor)
    rows = list(
        db.session.scalars(
            sa.select(Skill)
            .where(Skill.area == skill.area)
            .order_by(Skill.sort_order, Skill.name, Skill.id)
        )
    )
    moved = _swap(rows, skill, direction)
    if moved:
        db.session.flush()
        audit.record(
            actor,
            "integration.move_skill",
            f"Skill {skill.id} moved {direction}",
            object_key=f"skill:{skill.id}",
        )
    return moved


def set_skill_active(actor, skill: Skill, active: bool) -> None:
    """Stop using a skill (it stays on the records assessed on it), or use it again."""
    _allowed(actor)
    if skill.active == bool(active):
        raise DomainError(_l("Nothing was changed."))
    skill.active = bool(active)
    db.session.flush()
    audit.record(
        actor,
        "integration.activate_skill" if active else "integration.deactivate_skill",
        f"Skill {skill.id} {'back in use' if active else 'no longer used'}",
        object_key=f"skill:{skill.id}",
    )


def delete_skill(actor, skill: Skill) -> None:
    """Delete a skill nobody was ever assessed on. Raises DomainError otherwise."""
    _allowed(actor)
    used = db.session.scalar(sa.select(sa.func.count()).where(SkillAssessment.skill_id == skill.id))
    if used:
        raise DomainError(
            _l("People were assessed on this skill: it cannot be deleted. Stop using it instead.")
        )
    skill_id = skill.id
    db.session.delete(skill)
    db.session.flush()
    audit.record(
        actor,
        "integration.delete_skill",
        f"Skill {skill_id} deleted",
        object_key=f"skill:{skill_id}",
    )


# --- Exit outcomes -------------------------------------------------------------------------------


def outcomes_with_use() -> list[tuple[ExitOutcome, int]]:
    """Every outcome in order, with the number of pathways that ended with it. One statement."""
    used = (
        sa.select(Pathway.outcome_id, sa.func.count().label("n"))
        .where(Pathway.outcome_id.is_not(None))
        .group_by(Pathway.outcome_id)
        .subquery()
    )
    return [
        (outcome, int(n or 0))
        for outcome, n in db.session.execute(
            sa.select(ExitOutcome, used.c.n)
            .outerjoin(used, used.c.outcome_id == ExitOutcome.id)
            .order_by(ExitOutcome.sort_order, ExitOutcome.id)
        ).all()
    ]


def _all_outcomes() -> list[ExitOutcome]:
    return list(
        db.session.scalars(sa.select(ExitOutcome).order_by(ExitOutcome.sort_order, ExitOutcome.id))
    )


def _check_unique_outcome(name: str, outcome_id: int | None = None) -> None:
    for other in _all_outcomes():
        if other.id != outcome_id and str(other.title).casefold() == name.casefold():
            raise DomainError(_l("Another outcome already has this name."), "name")


def add_outcome(actor, name, positive: bool) -> ExitOutcome:
    """A new outcome at the end of the list. Raises NotAllowed, or DomainError on a missing,
    too long or repeated name."""
    _allowed(actor)
    name = _text(name, MAX_OUTCOME, "name", required=True)
    _check_unique_outcome(name)
    existing = _all_outcomes()
    codes = {o.code for o in existing}
    number = len(existing) + 1
    while f"custom_{number}" in codes:
        number += 1
    outcome = ExitOutcome(
        code=f"custom_{number}",
        name=name,
        positive=bool(positive),
        sort_order=max((o.sort_order for o in existing), default=-1) + 1,
        active=True,
    )
    db.session.add(outcome)
    db.session.flush()
    audit.record(
        actor,
        "integration.add_outcome",
        f"Exit outcome {outcome.code} added",
        object_key=f"outcome:{outcome.id}",
        positive=outcome.positive,
    )
    return outcome


def edit_outcome(actor, outcome: ExitOutcome, name, positive: bool) -> list[str]:
    """Rename an outcome (a default one without a name shows its translated title) or say
    whether it counts as a positive exit. Returns the fields changed."""
    _allowed(actor)
    is_default = outcome.code in DEFAULT_OUTCOMES
    text = _text(name, MAX_OUTCOME, "name", required=not is_default)
    value = text or None
    if value is not None:
        _check_unique_outcome(value, outcome.id)
    changed = []
    if outcome.name != value:
        changed.append("name")
    if outcome.positive != bool(positive):
        changed.append("positive")
    if not changed:
        raise DomainError(_l("Nothing was changed."))
    outcome.name = value
    outcome.positive = bool(positive)
    db.session.flush()
    audit.record(
        actor,
        "integration.edit_outcome",
        f"Exit outcome {outcome.code} changed",
        object_key=f"outcome:{outcome.id}",
        fields=changed,
        positive=outcome.positive,
    )
    return changed


def move_outcome(actor, outcome: ExitOutcome, direction: str) -> bool:
    _allowed(actor)
    moved = _swap(_all_outcomes(), outcome, direction)
    if moved:
        db.session.flush()
        audit.record(
            actor,
            "integration.move_outcome",
            f"Exit outcome {outcome.code} moved {direction}",
            object_key=f"outcome:{outcome.id}",
        )
    return moved


def set_outcome_active(actor, outcome: ExitOutcome, active: bool) -> None:
    """Stop offering an outcome for new exits (records that have it keep it), or offer it again.
    Raises DomainError when it is the last one offered."""
    _allowed(actor)
    if outcome.active == bool(active):
        raise DomainError(_l("Nothing was changed."))
    if not active:
        others = db.session.scalar(
            sa.select(sa.func.count()).where(
                ExitOutcome.active.is_(True), ExitOutcome.id != outcome.id
            )
        )
        if not others:
            raise DomainError(_l("At least one outcome must stay in use."))
    outcome.active = bool(active)
    db.session.flush()
    audit.record(
        actor,
        "integration.activate_outcome" if active else "integration.deactivate_outcome",
        f"Exit outcome {outcome.code} {'back in use' if active else 'no longer used'}",
        object_key=f"outcome:{outcome.id}",
    )
