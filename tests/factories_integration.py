"""Readable integration-record test data.

    from tests.factories_integration import make_pathway, assign

    ada = member_with_login(given="Ada")                   # ada.user logs in as the member
    pathway = make_pathway(ada, entry_on=date(2026, 1, 5))
    counsellor = counsellor_user()
    assign(pathway, counsellor, "counsellor", personal_data=True)   # from 2026-01-05, no end
    assign(pathway, trainer_user(), "trainer", starts_on=..., ends_on=...)

- `make_pathway(member, entry_on=..., **fields)`: a Pathway row (fields: planned_end_on,
  contract_type, weekly_hours, team, referrer, exit_on, outcome (a code such as "training")).
- `assign(pathway, user, role, starts_on=None, ends_on=None, personal_data=False)`: an assignment
  row (starts on the pathway's entry by default).
- `outcome(code)`: an exit outcome the migration created.

Rows are written directly (the services are tested on their own); nothing is committed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from portal.extensions import db
from portal.integration.models import Assignment, ExitOutcome, Pathway

ENTRY_ON = date(2026, 1, 5)


def outcome(code: str) -> ExitOutcome:
    found = db.session.scalar(sa.select(ExitOutcome).where(ExitOutcome.code == code))
    if found is None:
        raise LookupError(f"no exit outcome with code {code!r}")
    return found


def make_pathway(
    member,
    entry_on: date = ENTRY_ON,
    *,
    outcome_code: str | None = None,
    weekly_hours: Decimal | int | None = 26,
    **fields,
) -> Pathway:
    if outcome_code is not None:
        fields["outcome_id"] = outcome(outcome_code).id
        fields.setdefault("exit_on", entry_on.replace(year=entry_on.year + 1))
    pathway = Pathway(
        member_id=member.id if member is not None else None,
        entry_on=entry_on,
        weekly_hours=None if weekly_hours is None else Decimal(weekly_hours),
        **fields,
    )
    db.session.add(pathway)
    db.session.flush()
    return pathway


def assign(
    pathway: Pathway,
    user,
    role: str = "counsellor",
    *,
    starts_on: date | None = None,
    ends_on: date | None = None,
    personal_data: bool = False,
) -> Assignment:
    assignment = Assignment(
        pathway_id=pathway.id,
        user_id=user.id,
        role=role,
        starts_on=starts_on or pathway.entry_on,
        ends_on=ends_on,
        personal_data=personal_data,
    )
    db.session.add(assignment)
    db.session.flush()
    from portal.integration.policies import forget_cached_assignments

    forget_cached_assignments()
    return assignment
