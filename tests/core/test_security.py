"""Roles and permissions: `can`, its SQL twin `allowed_clause`, `require`, and sharing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException

from portal.accounts.models import Role
from portal.content.models import Page
from portal.core.audit import AuditEntry
from portal.core.errors import DomainError, NotAllowed
from portal.core.security import (
    LocalRole,
    LocalRoleGrant,
    Permission,
    allowed_clause,
    can,
    forget_cached_roles,
    grant_local_role,
    grants_on,
    require,
    revoke_local_role,
    roles_of,
)
from portal.core.workflow import apply_transition
from portal.extensions import db
from tests.factories import make_user
from tests.factories_content import factory_admin, make_page

P = Permission
ANONYMOUS_USERS = [None, AnonymousUserMixin()]


def member(**kwargs):
    return make_user(roles={Role.MEMBER}, password=None, **kwargs)


def board(**kwargs):
    return make_user(roles={Role.MEMBER, Role.BOARD}, password=None, **kwargs)


def admin_user(**kwargs):
    return make_user(roles={Role.MEMBER, Role.ADMIN}, password=None, **kwargs)


def share(page, user, role: LocalRole):
    return grant_local_role(factory_admin(), page, user, role.value)


def audit_actions(action: str) -> list[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


# --- global roles ------------------------------------------------------------------------------


def test_global_roles_on_a_private_page(db):
    author, other_board, other_member, admin = board(), board(), member(), admin_user()
    page = make_page(author)
    assert page.state == "private"
    assert can(admin, P.VIEW, page) and can(admin, P.EDIT, page) and can(admin, P.REVIEW, page)
    for outsider in (other_board, other_member, *ANONYMOUS_USERS):
        for permission in (P.VIEW, P.EDIT, P.REVIEW, P.VIEW_HISTORY, P.MANAGE_SHARING):
            assert not can(outsider, permission, page), (outsider, permission)


def test_global_roles_on_a_pending_page(db):
    author, reviewer, plain = board(), board(), member()
    page = make_page(author, state="pending")
    assert can(reviewer, P.VIEW, page)
    assert can(reviewer, P.REVIEW, page)
    assert can(reviewer, P.VIEW_HISTORY, page)
    assert not can(reviewer, P.EDIT, page)  # board reviews, it does not rewrite
    assert not can(plain, P.VIEW, page)
    assert not can(None, P.VIEW, page)


def test_global_roles_on_a_published_page(db):
    author, plain, trainer = board(), member(), make_user(roles={Role.TRAINER}, password=None)
    page = make_page(author, state="published")
    for reader in (plain, trainer):
        assert can(reader, P.VIEW, page)
        assert not can(reader, P.EDIT, page)
        assert not can(reader, P.VIEW_HISTORY, page)
    for anonymous in ANONYMOUS_USERS:  # published, but not marked public
        assert not can(anonymous, P.VIEW, page)


# --- dynamic roles: Owner and Public -----------------------------------------------------------


def test_owner_role_follows_the_state(db):
    owner = member()
    page = make_page(owner)  # a member may not add pages: made by an admin, handed to the owner
    assert page.owner_id == owner.id
    assert "Owner" in roles_of(owner, page)
    assert can(owner, P.VIEW, page) and can(owner, P.EDIT, page)
    assert can(owner, P.MANAGE_SHARING, page) and can(owner, P.REQUEST_REVIEW, page)
    assert not can(owner, P.REVIEW, page)  # no self-publishing
    apply_transition(page, "submit", owner)
    assert can(owner, P.VIEW, page) and not can(owner, P.EDIT, page)  # frozen while in review
    apply_transition(page, "publish", factory_admin())
    assert not can(owner, P.EDIT, page) and can(owner, P.VIEW_HISTORY, page)
    assert "Owner" not in roles_of(member(), page)


def test_public_role_for_visitors_only_once_published(db):
    author = board()
    public_draft = make_page(author, is_public=True)
    public = make_page(author, state="published", is_public=True)
    members_only = make_page(author, state="published", is_public=False)
    for anonymous in ANONYMOUS_USERS:
        assert "Public" in roles_of(anonymous, public)
        assert can(anonymous, P.VIEW, public)
        assert not can(anonymous, P.EDIT, public)
        assert not can(anonymous, P.VIEW, members_only)
        assert not can(anonymous, P.VIEW, public_draft)
    assert not can(member(), P.VIEW, public_draft)


# --- local roles and inheritance ---------------------------------------------------------------


def test_local_roles_on_the_page(db):
    author = board()
    page = make_page(author)
    reader, editor, contributor, reviewer = member(), member(), member(), member()
    share(page, reader, LocalRole.READER)
    share(page, editor, LocalRole.EDITOR)
    share(page, contributor, LocalRole.CONTRIBUTOR)
    share(page, reviewer, LocalRole.REVIEWER)

    assert can(reader, P.VIEW, page) and not can(reader, P.EDIT, page)
    assert can(editor, P.EDIT, page) and can(editor, P.VIEW_HISTORY, page)
    assert not can(editor, P.MANAGE_SHARING, page)
    assert can(contributor, P.ADD_CONTENT, page) and not can(contributor, P.EDIT, page)
    assert not can(reviewer, P.VIEW, page)  # Reviewer means nothing on a private page
    apply_transition(page, "submit", author)
    assert can(reviewer, P.VIEW, page) and can(reviewer, P.REVIEW, page)
    assert not can(reader, P.REVIEW, page)


def test_local_roles_are_inherited_by_contained_pages_only(db):
    author = board()
    root = make_page(author, title="Root")
    section = make_page(author, title="Section", parent=root)
    sibling = make_page(author, title="Sibling", parent=root)
    leaf = make_page(author, title="Leaf", parent=section)
    assert leaf.path_keys() == [root.object_key, section.object_key, leaf.object_key]

    on_section = member()
    share(section, on_section, LocalRole.EDITOR)
    assert can(on_section, P.EDIT, section)
    assert can(on_section, P.EDIT, leaf)  # inherited downwards
    assert not can(on_section, P.VIEW, root)  # never upwards
    assert not can(on_section, P.VIEW, sibling)  # never sideways

    on_root = member()
    share(root, on_root, LocalRole.READER)
    for page in (root, section, sibling, leaf):
        assert can(on_root, P.VIEW, page)
        assert not can(on_root, P.EDIT, page)


def test_grant_on_a_page_with_a_similar_key_does_not_leak(db):
    """Keys are matched whole: a grant on page:1 says nothing about page:12 or page:21."""
    author = board()
    pages = [make_page(author, title=f"Page {n}") for n in range(12)]
    first = pages[0]
    lookalikes = [p for p in pages[1:] if str(first.id) in str(p.id)]
    person = member()
    share(first, person, LocalRole.READER)
    visible = set(
        db.session.scalars(
            sa.select(Page.id).where(
                Page.id.in_([p.id for p in pages]), allowed_clause(person, Page, P.VIEW)
            )
        )
    )
    assert visible == {first.id}
    for page in lookalikes:
        assert not can(person, P.VIEW, page)


# --- site-wide permissions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        ({Role.MEMBER}, {P.VIEW_DIRECTORY}),
        (
            {Role.MEMBER, Role.BOARD},
            {
                P.VIEW_DIRECTORY,
                P.ADD_CONTENT,
                P.MANAGE_MEMBERS,
                P.DECIDE_MEMBERSHIP,
                P.MANAGE_BODIES,
                P.PRINT_WELCOME_SHEETS,
                P.MANAGE_POLLS,
                P.MANAGE_MEETINGS,
                P.VIEW_REPORTS,
                P.MANAGE_PROGRAMMES,
                P.VIEW_PROGRAMME_REPORTS,
            },
        ),
        ({Role.TRAINER}, {P.VIEW_DIRECTORY, P.FOLLOW, P.MANAGE_PROGRAMMES}),
        (
            {Role.COUNSELLOR},
            {
                P.VIEW_DIRECTORY,
                P.ISSUE_SETUP_CODES,
                P.PRINT_WELCOME_SHEETS,
                P.OPEN_PATHWAYS,
                P.FOLLOW,
                P.VIEW_REPORTS,
                P.CONFIGURE_PATHWAYS,
                P.VIEW_PROGRAMME_REPORTS,
            },
        ),
        (
            {Role.MEMBER, Role.ADMIN},
            {
                P.VIEW_DIRECTORY,
                P.ADD_CONTENT,
                P.MANAGE_ACCOUNTS,
                P.ISSUE_SETUP_CODES,
                P.VIEW_AUDIT_LOG,
                P.MANAGE_MEMBERS,
                P.MANAGE_BODIES,
                P.PRINT_WELCOME_SHEETS,
                P.OPEN_PATHWAYS,
                P.MANAGE_TEAM,
                P.EXPORT,
                P.VIEW_REPORTS,
                P.CONFIGURE_PATHWAYS,
                P.MANAGE_PROGRAMMES,
                P.VIEW_PROGRAMME_REPORTS,
            },
        ),
    ],
)
def test_site_wide_permissions(db, roles, allowed):
    user = make_user(roles=roles, password=None)
    assert {p for p in Permission if can(user, p)} == allowed


def test_site_wide_permissions_for_visitors(db):
    for anonymous in ANONYMOUS_USERS:
        assert not any(can(anonymous, p) for p in Permission)


# --- require -----------------------------------------------------------------------------------


def test_require_gives_403_or_404(app, db):
    author, outsider = board(), member()
    page = make_page(author)
    with app.test_request_context():
        require(author, P.EDIT, page)  # allowed: no exception
        require(author, P.ADD_CONTENT)
        with pytest.raises(HTTPException) as refused:
            require(outsider, P.EDIT, page)
        assert refused.value.code == 403
        with pytest.raises(HTTPException) as hidden:
            require(outsider, P.VIEW, page, hide=True)
        assert hidden.value.code == 404
        with pytest.raises(HTTPException) as site:
            require(None, P.MANAGE_ACCOUNTS)
        assert site.value.code == 403


# --- allowed_clause is `can` in SQL ------------------------------------------------------------


@pytest.fixture()
def rolled_back(db):
    """The `db` fixture under a name Hypothesis can print (it reprs every argument)."""
    return "the db fixture"


GLOBAL_ROLE_SETS = st.sets(st.sampled_from(list(Role)), min_size=1, max_size=3)
PAGE_SPECS = st.lists(
    st.tuples(
        st.integers(min_value=-1, max_value=6),  # parent: index of an earlier page, or none
        st.sampled_from(["private", "pending", "published"]),
        st.booleans(),  # is_public
        st.integers(min_value=0, max_value=3),  # owner: index of a user
    ),
    min_size=1,
    max_size=7,
)
GRANTS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),  # user
        st.integers(min_value=0, max_value=6),  # page
        st.sampled_from(list(LocalRole)),
    ),
    max_size=6,
)
PAGE_PERMISSIONS = [
    p for p in Permission if p not in (P.MANAGE_ACCOUNTS, P.ISSUE_SETUP_CODES, P.VIEW_AUDIT_LOG)
]


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    role_sets=st.lists(GLOBAL_ROLE_SETS, min_size=4, max_size=4),
    page_specs=PAGE_SPECS,
    grants=GRANTS,
)
def test_allowed_clause_selects_exactly_what_can_allows(
    app, rolled_back, role_sets, page_specs, grants
):
    """Over random people (global roles, grants, ownership) and pages (state, nesting, public)."""
    admin = factory_admin()
    savepoint = db.session.begin_nested()
    try:
        users = [make_user(roles=roles, password=None) for roles in role_sets]
        pages: list[Page] = []
        for parent_index, state, is_public, owner_index in page_specs:
            parent = pages[parent_index] if 0 <= parent_index < len(pages) else None
            pages.append(
                make_page(
                    users[owner_index],
                    title=f"P{len(pages)}",
                    parent=parent,
                    state=state,
                    is_public=is_public,
                    by=admin,
                )
            )
        for user_index, page_index, role in grants:
            if page_index < len(pages):
                grant_local_role(admin, pages[page_index], users[user_index], role.value)
        ids = [page.id for page in pages]
        with app.test_request_context():  # as in a view: local roles cached per request
            forget_cached_roles()  # `g` belongs to the test's app context, shared by examples
            for viewer in [*users, None, AnonymousUserMixin()]:
                for permission in PAGE_PERMISSIONS:
                    in_sql = set(
                        db.session.scalars(
                            sa.select(Page.id).where(
                                Page.id.in_(ids), allowed_clause(viewer, Page, permission)
                            )
                        )
                    )
                    in_python = {page.id for page in pages if can(viewer, permission, page)}
                    assert in_sql == in_python, (viewer, permission)
    finally:
        savepoint.rollback()


# --- sharing -----------------------------------------------------------------------------------


def test_only_who_may_manage_sharing_can_grant_and_revoke(db):
    owner, other, person = board(), board(), member()
    page = make_page(owner)
    with pytest.raises(NotAllowed):
        grant_local_role(other, page, person, "Reader")
    with pytest.raises(NotAllowed):
        grant_local_role(None, page, person, "Reader")
    grant = grant_local_role(owner, page, person, "Reader")  # the owner may share
    editor = member()
    share(page, editor, LocalRole.EDITOR)
    with pytest.raises(NotAllowed):  # editing does not mean sharing
        grant_local_role(editor, page, member(), "Reader")
    with pytest.raises(NotAllowed):
        revoke_local_role(editor, page, grant)
    with pytest.raises(NotAllowed):
        revoke_local_role(person, page, grant)
    assert db.session.get(LocalRoleGrant, grant.id) is not None


@pytest.mark.parametrize("role", ["Owner", "admin", "board", "Superuser", "reader", ""])
def test_unknown_roles_are_refused(db, role):
    owner, person = board(), member()
    page = make_page(owner)
    with pytest.raises(DomainError) as refused:
        grant_local_role(owner, page, person, role)
    assert not isinstance(refused.value, NotAllowed)
    assert refused.value.field == "role"
    assert grants_on(page) == []
    assert roles_of(person, page) == roles_of(person, None)


def test_disabled_accounts_cannot_be_given_a_role(db):
    owner, disabled = board(), make_user(password=None, active=False)
    page = make_page(owner)
    with pytest.raises(DomainError):
        grant_local_role(owner, page, disabled, "Reader")


def test_granting_twice_keeps_one_grant(db):
    owner, person = board(), member()
    page = make_page(owner)
    first = grant_local_role(owner, page, person, "Editor")
    again = grant_local_role(owner, page, person, "Editor")
    assert again.id == first.id
    assert len(grants_on(page)) == 1
    assert len(audit_actions("sharing.granted")) == 1


def test_inherited_grant_is_revoked_where_it_was_given(db):
    owner, person = board(), member()
    parent = make_page(owner, title="Parent")
    child = make_page(owner, title="Child", parent=parent)
    grant = grant_local_role(owner, parent, person, "Reader")
    assert [g.id for g in grants_on(child)] == [grant.id]  # shown on the child, inherited
    with pytest.raises(DomainError):
        revoke_local_role(owner, child, grant)
    assert can(person, P.VIEW, child)
    revoke_local_role(owner, parent, grant)
    assert not can(person, P.VIEW, child) and not can(person, P.VIEW, parent)


def test_grant_and_revoke_are_audited(db):
    owner, person = board(), member()
    page = make_page(owner)
    grant = grant_local_role(owner, page, person, "Editor")
    granted = audit_actions("sharing.granted")
    assert len(granted) == 1
    assert granted[0].actor_id == owner.id and granted[0].object_key == page.object_key
    assert "Editor" in granted[0].summary and person.username in granted[0].summary
    revoke_local_role(owner, page, grant)
    revoked = audit_actions("sharing.revoked")
    assert len(revoked) == 1
    assert revoked[0].actor_id == owner.id and revoked[0].object_key == page.object_key
    assert '"role": "Editor"' in revoked[0].details
    assert db.session.get(LocalRoleGrant, grant.id) is None


def test_a_request_sees_its_own_grants_and_revokes(app, db):
    """Local roles are cached per request; granting and revoking must refresh that cache."""
    owner, person = board(), member()
    page = make_page(owner)
    with app.test_request_context():
        assert not can(person, P.EDIT, page)  # cached: no roles
        grant = grant_local_role(owner, page, person, "Editor")
        assert can(person, P.EDIT, page)
        revoke_local_role(owner, page, grant)
        assert not can(person, P.EDIT, page)
