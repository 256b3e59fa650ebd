"""Workflow: `apply_transition` is the only writer of a state; what each role may do is pinned."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.content.models import Page
from portal.core.audit import AuditEntry
from portal.core.errors import DomainError, NotAllowed
from portal.core.security import LocalRole, grant_local_role
from portal.core.workflow import (
    MAX_COMMENT,
    WorkflowHistory,
    apply_transition,
    available_transitions,
    history_of,
)
from portal.extensions import db
from tests.factories import make_user
from tests.factories_content import factory_admin, make_page

MATRIX_FILE = Path(__file__).with_name("permissions_matrix.txt")


def person(*roles: Role):
    return make_user(roles={Role.MEMBER, *roles}, password=None)


def transition_entries(page: Page) -> list[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "workflow.transition", AuditEntry.object_key == page.object_key)
        .order_by(AuditEntry.id)
    ).all()


def names(transitions) -> set[str]:
    return {t.name for t in transitions}


# --- apply_transition writes the state, the history and the audit entry ------------------------


def test_a_transition_changes_the_state_and_records_who_when_and_why(db):
    author, reviewer = person(Role.BOARD), person(Role.BOARD)
    page = make_page(author)
    submitted = apply_transition(page, "submit", author, "  please check the dates  ")
    published = apply_transition(page, "publish", reviewer, "")
    db.session.expire_all()
    page = db.session.get(Page, page.id)
    assert page.state == "published"

    steps = history_of(page)
    assert [s.id for s in steps] == [submitted.id, published.id]
    assert [(s.transition, s.from_state, s.to_state) for s in steps] == [
        ("submit", "private", "pending"),
        ("publish", "pending", "published"),
    ]
    assert [s.actor_id for s in steps] == [author.id, reviewer.id]
    assert steps[0].comment == "please check the dates"  # trimmed
    assert steps[1].comment == ""
    assert all(s.created_at is not None for s in steps)

    entries = transition_entries(page)
    assert [e.actor_id for e in entries] == [author.id, reviewer.id]
    assert "submit (private -> pending)" in entries[0].summary
    assert '"to_state": "published"' in entries[1].details


def test_a_transition_does_not_make_a_new_version(db):
    author = person(Role.BOARD)
    page = make_page(author)
    version = page.version
    apply_transition(page, "publish", factory_admin())
    db.session.expire_all()
    assert db.session.get(Page, page.id).version == version


@pytest.mark.parametrize("name", ["explode", "", "Submit", "publish "])
def test_unknown_transitions_are_refused(db, name):
    author = person(Role.BOARD)
    page = make_page(author)
    with pytest.raises(DomainError) as refused:
        apply_transition(page, name, factory_admin())
    assert not isinstance(refused.value, NotAllowed)
    assert page.state == "private" and history_of(page) == []


def test_transitions_from_the_wrong_state_are_refused(db):
    author = person(Role.BOARD)
    page = make_page(author)
    admin = factory_admin()
    for name in ("withdraw", "reject", "retract"):  # none of them starts from "private"
        with pytest.raises(DomainError):
            apply_transition(page, name, admin, "because")
    apply_transition(page, "publish", admin)
    for name in ("submit", "publish", "withdraw"):
        with pytest.raises(DomainError):
            apply_transition(page, name, admin)
    assert page.state == "published"
    assert [s.transition for s in history_of(page)] == ["publish"]


def test_transitions_need_their_permission(db):
    author, other_board, plain = person(Role.BOARD), person(Role.BOARD), person()
    page = make_page(author)
    with pytest.raises(NotAllowed):
        apply_transition(page, "publish", author)  # the author cannot publish their own draft
    with pytest.raises(NotAllowed):
        apply_transition(page, "submit", other_board)  # only owner, editors, admin
    with pytest.raises(NotAllowed):
        apply_transition(page, "submit", None)
    apply_transition(page, "submit", author)
    with pytest.raises(NotAllowed):
        apply_transition(page, "publish", plain)
    with pytest.raises(NotAllowed):
        apply_transition(page, "withdraw", other_board)
    assert page.state == "pending"
    assert [s.transition for s in history_of(page)] == ["submit"]
    assert len(transition_entries(page)) == 1


def test_rejecting_needs_a_reason(db):
    author, reviewer = person(Role.BOARD), person(Role.BOARD)
    page = make_page(author, state="pending")
    for empty in ("", "   ", "\n"):
        with pytest.raises(DomainError) as refused:
            apply_transition(page, "reject", reviewer, empty)
        assert refused.value.field == "comment"
    assert page.state == "pending"
    apply_transition(page, "reject", reviewer, "The dates are wrong.")
    assert page.state == "private"
    assert history_of(page)[-1].comment == "The dates are wrong."


def test_comments_have_a_maximum_length(db):
    author = person(Role.BOARD)
    page = make_page(author)
    with pytest.raises(DomainError) as refused:
        apply_transition(page, "submit", author, "x" * (MAX_COMMENT + 1))
    assert refused.value.field == "comment"
    assert page.state == "private" and history_of(page) == []
    apply_transition(page, "submit", author, "x" * MAX_COMMENT)
    assert len(history_of(page)[0].comment) == MAX_COMMENT


def test_the_state_column_has_no_other_writer():
    """Only core/workflow.py assigns `.state`; everything else goes through apply_transition.

    A static check of the application code: an assignment elsewhere fails here. (A model with
    a `state` that is not a workflow state should use another attribute name.)
    """
    root = Path(__file__).resolve().parents[2] / "portal"
    assignment = re.compile(r"\.state\s*=(?!=)|setattr\([^,]+,\s*[\"']state[\"']")
    # Not workflow items: an amendment's state is decided by its proposal's permissions and
    # written by one function (each step audited). Exact lines, so a new writer still fails.
    known = {("proposals/amendments.py", "amendment.state = state.value")}
    writers = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted(root.rglob("*.py"))
        if path.relative_to(root).as_posix() != "core/workflow.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if assignment.search(line.split("#")[0])
        and (path.relative_to(root).as_posix(), line.strip()) not in known
    ]
    assert writers == [], "set states with apply_transition only:\n" + "\n".join(writers)


def test_a_refused_transition_writes_nothing(db):
    author, admin = person(Role.BOARD), factory_admin()
    page = make_page(author)

    def counts():
        return [
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (WorkflowHistory, AuditEntry)
        ]

    before = counts()
    for name, actor, comment in (
        ("publish", author, ""),
        ("reject", admin, ""),
        ("submit", author, "y" * (MAX_COMMENT + 1)),
    ):
        with pytest.raises(DomainError):
            apply_transition(page, name, actor, comment)
    assert counts() == before
    assert page.state == "private"


# --- available_transitions: exactly what each role may take ------------------------------------


def test_available_transitions_per_role_and_state(db):
    author = person()  # a plain member who owns the page (see make_page)
    admin = factory_admin()
    board, plain = person(Role.BOARD), person()
    editor, reviewer = person(), person()
    page = make_page(author)
    grant_local_role(admin, page, editor, LocalRole.EDITOR.value)
    grant_local_role(admin, page, reviewer, LocalRole.REVIEWER.value)

    expected = {
        "private": {
            "author": {"submit"},
            "admin": {"submit", "publish"},
            "board": set(),
            "member": set(),
            "editor": {"submit"},
            "reviewer": set(),
            "anonymous": set(),
        },
        "pending": {
            "author": {"withdraw"},
            "admin": {"withdraw", "publish", "reject"},
            "board": {"publish", "reject"},
            "member": set(),
            "editor": {"withdraw"},
            "reviewer": {"publish", "reject"},
            "anonymous": set(),
        },
        "published": {
            "author": set(),
            "admin": {"retract"},
            "board": {"retract"},
            "member": set(),
            "editor": set(),
            "reviewer": {"retract"},
            "anonymous": set(),
        },
    }
    people = {
        "author": author,
        "admin": admin,
        "board": board,
        "member": plain,
        "editor": editor,
        "reviewer": reviewer,
        "anonymous": None,
    }
    for state, step in (("private", None), ("pending", "submit"), ("published", "publish")):
        if step:
            apply_transition(page, step, admin)
        assert page.state == state
        for label, user in people.items():
            offered = names(available_transitions(page, user))
            assert offered == expected[state][label], (state, label)


def test_what_is_offered_is_exactly_what_apply_transition_accepts(db):
    author, board, plain = person(Role.BOARD), person(Role.BOARD), person()
    admin = factory_admin()
    for state in ("private", "pending", "published"):
        page = make_page(author, title=state, state=state)
        for user in (author, board, plain, admin, None):
            for name in page.workflow.transitions:
                offered = name in names(available_transitions(page, user))
                savepoint = db.session.begin_nested()
                try:
                    apply_transition(page, name, user, "a reason")
                except DomainError:
                    accepted = False
                else:
                    accepted = True
                savepoint.rollback()  # back to `state` for the next try
                assert page.state == state
                assert offered == accepted, (state, getattr(user, "username", None), name)


# --- the permissions matrix, pinned ------------------------------------------------------------


def test_permissions_matrix_is_pinned(app):
    """Every change of rights must show up as a reviewed diff of permissions_matrix.txt."""
    result = app.test_cli_runner().invoke(args=["portal", "permissions-matrix"])
    assert result.exit_code == 0, result.output
    assert result.output == MATRIX_FILE.read_text(), (
        "The permissions changed. If this is intended, regenerate the pinned matrix and commit "
        "it with the change, so the new rights are reviewed:\n"
        "    .venv/bin/flask --app wsgi portal permissions-matrix "
        "> tests/core/permissions_matrix.txt"
    )


def test_permissions_matrix_shows_the_rules_that_matter(app):
    """The pinned matrix, read as a reviewer would.

    Besides the workflows of pages, members, meetings, minutes, polls and proposals, it shows:

    - `# account`: an account is `plain` (the member role only) or `with_rights` (any other
      role). "Manage accounts" is the administrators'; "Issue setup codes" is the
      administrators' on every account and the counsellors' on plain member accounts only (a
      code lets its holder choose the password). The site-wide rows say who opens the screens.
    - `# pathway`: an integration record, `kept` while it is a person's, `anonymised` once the
      retention time is over (then nobody may do anything with it). Its roles are dynamic, named
      in the `# dynamic roles` legend: Self (the member), Assigned (in the follow-up team today:
      from the assignment's first day to its last, inclusive, while the account keeps the role),
      Assigned counsellor / trainer (assigned as such), Assigned with personal data and
      Assigned counsellor with personal data (the flag, on the same assignment). "View" is who
      reads it, "Edit" who keeps it, "Export" who makes a copy of it for the member, and
      "Anonymise" is held by no role: the daily `flask integration purge` does it. The admin
      row is team-only: choosing the team, giving the personal-data access and "Break glass"
      (a read-only opening with a written reason), never "View".
    - `by role`: for these two types, what each role gives, state by state (a person holds
      the union of what their roles give); roles that give nothing say "nothing".
    - site-wide: who may open pathways, see the integration figures and configure them.
    """
    text = MATRIX_FILE.read_text()
    private = text.split("[private]")[1].split("[pending]")[0]
    assert "Review                 admin\n" in private  # nobody but an admin publishes a draft
    published = text.split("[published]")[1].split("transitions:")[0]
    assert "View                   Authenticated, Public\n" in published
    assert "Request review" not in published
    assert "View audit log         admin\n" in text
    member = text.split("# member")[1].split("# page")[0]
    assert member.count("Decide membership      board\n") == 4  # the statutes: the board decides
    active = member.split("[active]")[1].split("[suspended]")[0]
    assert "View profile           Authenticated\n" in active  # the directory: active only
    assert "View profile           Authenticated" not in member.split("[suspended]")[1]

    account = text.split("# account")[1].split("# meeting")[0]
    plain, with_rights = account.split("[plain]")[1].split("[with_rights]")
    assert "Issue setup codes      admin, counsellor\n" in plain
    assert "Issue setup codes      admin\n" in with_rights
    assert (
        "Manage accounts        admin\n" in plain
        and "Manage accounts        admin\n" in with_rights
    )

    pathway = text.split("# pathway")[1].split("# poll")[0]
    kept = pathway.split("[kept]")[1].split("[anonymised]")[0]
    assert "View                   Assigned, Self\n" in kept  # never a global role: no admin
    assert "Edit                   Assigned counsellor\n" in kept
    assert "View personal data     Assigned with personal data, Self\n" in kept
    assert "Export                 Assigned counsellor with personal data, Self\n" in kept
    assert "Anonymise" not in kept
    assert "nothing, for anyone" in pathway.split("[anonymised]")[1].split("transitions")[0]
    by_role = pathway.split("by role")[1]
    assert re.search(
        r"\n +admin +\[kept\] Manage the team, Give personal data, Break glass\n", by_role
    )
    for role in ("member", "board", "trainer", "counsellor"):
        assert re.search(rf"\n +{role} +nothing\n", by_role), role
    assert re.search(r"\n +no role +Anonymise: flask integration purge", by_role)
    assert "    Open pathways          admin, counsellor\n" in text
