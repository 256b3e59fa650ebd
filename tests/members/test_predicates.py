"""The membership box offers exactly the steps `change_membership` takes, and when it offers none,
says what blocks the steps the viewer could otherwise take (the workflow's own reasons, not a
rule restated in the template): per membership state x college x viewer."""

from __future__ import annotations

import re
from datetime import date

import pytest

from portal.core.db import local_today
from portal.core.errors import DomainError, NotAllowed
from portal.core.security import GlobalRole
from portal.extensions import db
from portal.members import services
from portal.members.models import Member
from portal.members.workflow import MEMBERSHIP_WORKFLOW
from tests.factories_members import make_member, membership_step, user_with
from tests.proposals.test_views import login, text

NO_COLLEGE = "Choose the member&#39;s college first (edit the member)."
VIEWERS = [str(role) for role in GlobalRole]


def _member(state: str, college: bool) -> Member:
    member = make_member(admitted_on=None if state == "applicant" else date(2025, 2, 3))
    if state in ("suspended", "ended"):
        membership_step(member, "suspend" if state == "suspended" else "end", date(2025, 6, 2))
    if not college:
        member.category_id = None
        db.session.flush()
    assert member.state == state
    return member


def _refusal(member, name, user) -> str | None:
    """None when `change_membership` takes the step `name`, else its message (tried in a
    savepoint: nothing of it is kept)."""
    savepoint = db.session.begin_nested()
    try:
        services.change_membership(user, member, name, local_today(), "Board decision.")
    except NotAllowed:
        return "not allowed"
    except DomainError as error:
        return str(error.message)
    finally:
        savepoint.rollback()
        db.session.expire_all()
    return None


@pytest.mark.parametrize("state", ["applicant", "active", "suspended", "ended"])
@pytest.mark.parametrize("college", [True, False], ids=["college", "no-college"])
def test_the_box_offers_what_the_service_takes_and_says_what_blocks_the_rest(
    app, db, state, college
):
    member = _member(state, college)
    names = [t.name for t in MEMBERSHIP_WORKFLOW.from_state(state)]
    said = {}
    for kind in VIEWERS:
        user = user_with(GlobalRole(kind), username=f"v-{kind}")
        page = text(login(app.test_client(), user).get(f"/members/{member.id}"))
        db.session.expire_all()
        member = db.session.get(Member, member.id)
        offered = set(re.findall(r'name="transition" value="(\w+)"', page))
        refusals = {name: _refusal(member, name, user) for name in names}
        assert offered == {n for n, r in refusals.items() if r is None}, kind
        # The college is what blocks a step this viewer may take: said when nothing is offered.
        blocked = any(r is not None and "college" in r for r in refusals.values())
        assert (NO_COLLEGE in page) == (blocked and not offered), kind
        said[kind] = NO_COLLEGE in page
    # Before, the template restated the rule and never said it: a former member without a
    # college cannot be readmitted, and the board now reads why.
    assert said == {k: k == "board" and state == "ended" and not college for k in VIEWERS}
