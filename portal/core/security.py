"""Permissions, roles and sharing: one `can(user, permission, obj)` and its SQL twin.

A user's roles on an object are the union of:
- `Anonymous` (everyone) and `Authenticated` (everyone logged in);
- their global roles (member, board, trainer, counsellor, admin);
- local roles granted on the object or on one of its containers (the sharing screen);
- dynamic roles the object computes (Owner, Self, Public, and the Assigned roles of a dated
  assignment to a person's follow-up team, with or without access to personal data).
Each workflow state maps permissions to roles (see `core.workflow`); site-wide permissions
(not tied to an item) have their own map below. `allowed_clause` applies the same rule inside a
SQL query, so listings and search never load what the viewer may not see.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
from flask import abort, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.core.workflow import Workflow

ANONYMOUS = "Anonymous"
AUTHENTICATED = "Authenticated"


class GlobalRole(StrEnum):
    """Roles a user holds everywhere. Stored in `user_roles`."""

    MEMBER = "member"
    BOARD = "board"
    TRAINER = "trainer"
    COUNSELLOR = "counsellor"
    ADMIN = "admin"


class LocalRole(StrEnum):
    """Roles granted on one item (and what it contains) through the sharing screen."""

    READER = "Reader"
    CONTRIBUTOR = "Contributor"
    EDITOR = "Editor"
    REVIEWER = "Reviewer"


class DynamicRole(StrEnum):
    """Roles an item computes for a user."""

    OWNER = "Owner"  # created the item
    SELF = "Self"  # the item is about this user (their own record)
    # A counsellor or trainer assigned to the person: from the assignment's first day to its last
    # (inclusive), while the account is active and keeps the role it was assigned as.
    ASSIGNED = "Assigned"
    ASSIGNED_COUNSELLOR = "Assigned counsellor"  # ... assigned as counsellor
    ASSIGNED_TRAINER = "Assigned trainer"  # ... assigned as trainer
    # ... assigned with access to personal data (special-category data such as barriers).
    ASSIGNED_PERSONAL_DATA = "Assigned with personal data"
    COUNSELLOR_PERSONAL_DATA = "Assigned counsellor with personal data"
    PUBLIC = "Public"  # everyone, when the item is marked public
    # A trainer named on a programme (an active account that keeps the trainer role).
    PROGRAMME_TRAINER = "Programme trainer"
    # A member enrolled in a programme (not withdrawn).
    PARTICIPANT = "Participant"


class Permission(StrEnum):
    VIEW = "View"
    EDIT = "Edit"
    ADD_CONTENT = "Add content"
    REQUEST_REVIEW = "Request review"
    REVIEW = "Review"
    MANAGE_SHARING = "Manage sharing"
    VIEW_HISTORY = "View history"
    MANAGE_ACCOUNTS = "Manage accounts"
    ISSUE_SETUP_CODES = "Issue setup codes"
    VIEW_AUDIT_LOG = "View audit log"
    VIEW_PROFILE = "View profile"
    VIEW_DIRECTORY = "View directory"
    MANAGE_MEMBERS = "Manage members"
    DECIDE_MEMBERSHIP = "Decide membership"
    EDIT_PREFERENCES = "Edit preferences"
    MANAGE_BODIES = "Manage bodies"
    PRINT_WELCOME_SHEETS = "Print welcome sheets"
    MANAGE_POLLS = "Manage polls"
    VOTE = "Vote"
    VIEW_RESULTS = "View results"
    COMMENT = "Comment"
    MODERATE = "Moderate comments"
    AMEND = "Propose amendments"
    DECIDE_AMENDMENTS = "Decide amendments"
    ANSWER = "Answer for the board"
    FOLLOW_UP = "Follow up decisions"
    MANAGE_MEETINGS = "Manage meetings"
    CHECK_IN = "Check in"
    # Integration records (a person's pathway).
    FOLLOW = "Follow"
    VIEW_PERSONAL_DATA = "View personal data"
    EDIT_PERSONAL_DATA = "Edit personal data"
    RECORD_SUPPORT = "Record support"
    ASSESS_SKILLS = "Assess skills"
    MANAGE_TEAM = "Manage the team"
    GRANT_PERSONAL_DATA = "Give personal data"
    REQUEST_CORRECTION = "Ask for corrections"
    BREAK_GLASS = "Break glass"
    EXPORT = "Export"
    PURGE = "Anonymise"
    OPEN_PATHWAYS = "Open pathways"
    VIEW_REPORTS = "View reports"
    CONFIGURE_PATHWAYS = "Configure pathways"
    # Programmes and sessions.
    MANAGE_PROGRAMMES = "Manage programmes"
    MANAGE_TRAINERS = "Name trainers"
    ENROL = "Enrol participants"
    RUN_SESSIONS = "Run sessions"
    READ_SHEETS = "Read attendance sheets"
    ATTEND = "Attend"
    CONFIRM_EVIDENCE = "Confirm evidence"
    VIEW_PROGRAMME_REPORTS = "View programme reports"


PERMISSION_DESCRIPTIONS: dict[Permission, str] = {
    Permission.VIEW: _l("See the item and what it says."),
    Permission.EDIT: _l("Change the item's text and settings."),
    Permission.ADD_CONTENT: _l("Create new items, or items inside this one."),
    Permission.REQUEST_REVIEW: _l("Ask for the item to be checked and published."),
    Permission.REVIEW: _l("Publish, send back or retract an item."),
    Permission.MANAGE_SHARING: _l("Give or take away roles on the item for other people."),
    Permission.VIEW_HISTORY: _l("See earlier versions and what changed."),
    Permission.MANAGE_ACCOUNTS: _l("Create accounts, change roles, disable accounts."),
    Permission.ISSUE_SETUP_CODES: _l("Print one-time setup codes for people."),
    Permission.VIEW_AUDIT_LOG: _l("Read the audit log."),
    Permission.VIEW_PROFILE: _l("See a member's name, team and positions."),
    Permission.VIEW_DIRECTORY: _l("See the list of members."),
    Permission.MANAGE_MEMBERS: _l("Keep the member register: add, correct, import, export."),
    Permission.DECIDE_MEMBERSHIP: _l("Admit, suspend, end or renew a membership."),
    Permission.EDIT_PREFERENCES: _l("Change a member's language and contact choices."),
    Permission.MANAGE_BODIES: _l("Set up bodies, colleges, rules and positions."),
    Permission.PRINT_WELCOME_SHEETS: _l("Print a member's welcome sheet with a setup code."),
    Permission.MANAGE_POLLS: _l("Prepare a poll, open it and close it."),
    Permission.VOTE: _l("Vote in an open poll (for members of its electorate)."),
    Permission.VIEW_RESULTS: _l("See the results and who voted, once the poll is closed."),
    Permission.COMMENT: _l("Write comments and answer other people's comments."),
    Permission.MODERATE: _l("Hide a comment that breaks the rules, with a reason."),
    Permission.AMEND: _l("Propose a change to the text of a proposal."),
    Permission.DECIDE_AMENDMENTS: _l("Accept or decline the changes other people propose."),
    Permission.ANSWER: _l("Write the board's answer to a proposal."),
    Permission.FOLLOW_UP: _l("Record how an adopted decision is carried out."),
    Permission.MANAGE_MEETINGS: _l(
        "Plan and convene meetings, keep the agenda and attendance, run the session."
    ),
    Permission.CHECK_IN: _l("Say you are here, with the meeting's code."),
    Permission.FOLLOW: _l("Have the person in your list of people you follow."),
    Permission.VIEW_PERSONAL_DATA: _l("See a person's difficulties and other private details."),
    Permission.EDIT_PERSONAL_DATA: _l("Write down a person's difficulties."),
    Permission.RECORD_SUPPORT: _l("Write down the support given to a person."),
    Permission.ASSESS_SKILLS: _l("Say how far a person has come in a skill."),
    Permission.MANAGE_TEAM: _l("Choose who follows a person, and until when."),
    Permission.GRANT_PERSONAL_DATA: _l("Let someone in the team see personal details."),
    Permission.REQUEST_CORRECTION: _l("Ask for a mistake in your record to be corrected."),
    Permission.BREAK_GLASS: _l(
        "Open a record you do not follow, read only, with a reason the person sees."
    ),
    Permission.EXPORT: _l("Make a copy of a person's data, for them."),
    Permission.PURGE: _l(
        "Remove what names the person once the record is kept long enough (done every night)."
    ),
    Permission.OPEN_PATHWAYS: _l("Start the follow-up of a person."),
    Permission.VIEW_REPORTS: _l("See the figures of the follow-up, with no names."),
    Permission.CONFIGURE_PATHWAYS: _l("Keep the list of skills and of ways a pathway ends."),
    Permission.MANAGE_PROGRAMMES: _l("Create programmes of sessions."),
    Permission.MANAGE_TRAINERS: _l("Choose the trainers of a programme."),
    Permission.ENROL: _l("Enrol people in a programme, one by one, by team or by body."),
    Permission.RUN_SESSIONS: _l(
        "Plan sessions, call the roll, show the check-in code, collect and give signatures."
    ),
    Permission.READ_SHEETS: _l("Read the signed attendance sheets, for a funder."),
    Permission.ATTEND: _l(
        "Come to the sessions: check in, sign, say you cannot come, give feedback."
    ),
    Permission.CONFIRM_EVIDENCE: _l(
        "Say how far a participant has come in what the programme teaches."
    ),
    Permission.VIEW_PROGRAMME_REPORTS: _l("See the hours and completion of the programmes."),
}

ROLE_TITLES = {
    ANONYMOUS: _l("Anyone"),
    AUTHENTICATED: _l("Anyone logged in"),
    GlobalRole.MEMBER: _l("Member"),
    GlobalRole.BOARD: _l("Board member"),
    GlobalRole.TRAINER: _l("Trainer"),
    GlobalRole.COUNSELLOR: _l("Counsellor"),
    GlobalRole.ADMIN: _l("Administrator"),
    LocalRole.READER: _l("Can read"),
    LocalRole.CONTRIBUTOR: _l("Can add"),
    LocalRole.EDITOR: _l("Can edit"),
    LocalRole.REVIEWER: _l("Can review"),
    DynamicRole.OWNER: _l("Author"),
    DynamicRole.SELF: _l("The person themself"),
    DynamicRole.ASSIGNED: _l("Assigned support"),
    DynamicRole.ASSIGNED_COUNSELLOR: _l("Assigned counsellor"),
    DynamicRole.ASSIGNED_TRAINER: _l("Assigned trainer"),
    DynamicRole.ASSIGNED_PERSONAL_DATA: _l("Assigned support who sees personal details"),
    DynamicRole.COUNSELLOR_PERSONAL_DATA: _l("Assigned counsellor who sees personal details"),
    DynamicRole.PUBLIC: _l("Everyone, when public"),
    DynamicRole.PROGRAMME_TRAINER: _l("Trainer of the programme"),
    DynamicRole.PARTICIPANT: _l("Participant"),
}

# What each dynamic role means, for the permissions matrix (plain English, not shown to users).
DYNAMIC_ROLE_MEANINGS: dict[DynamicRole, str] = {
    DynamicRole.OWNER: "created the item",
    DynamicRole.SELF: "the item is about this person (their own record)",
    DynamicRole.ASSIGNED: (
        "in the person's follow-up team today: from the assignment's first day to its last, "
        "inclusive, while the account is active and keeps the role it was assigned as"
    ),
    DynamicRole.ASSIGNED_COUNSELLOR: "Assigned, as counsellor",
    DynamicRole.ASSIGNED_TRAINER: "Assigned, as trainer",
    DynamicRole.ASSIGNED_PERSONAL_DATA: "Assigned, with access to personal data",
    DynamicRole.COUNSELLOR_PERSONAL_DATA: (
        "Assigned as counsellor, with access to personal data (in the same assignment)"
    ),
    DynamicRole.PUBLIC: "everyone, when the item is marked public",
    DynamicRole.PROGRAMME_TRAINER: (
        "a trainer named on the programme, while the account is active and keeps the trainer role"
    ),
    DynamicRole.PARTICIPANT: "a member enrolled in the programme and not withdrawn",
}

# Site-wide permissions: not tied to an item.
SITE_PERMISSIONS: dict[Permission, frozenset[str]] = {
    Permission.ADD_CONTENT: frozenset({GlobalRole.BOARD, GlobalRole.ADMIN}),
    Permission.MANAGE_ACCOUNTS: frozenset({GlobalRole.ADMIN}),
    Permission.ISSUE_SETUP_CODES: frozenset({GlobalRole.ADMIN, GlobalRole.COUNSELLOR}),
    Permission.VIEW_AUDIT_LOG: frozenset({GlobalRole.ADMIN}),
    Permission.VIEW_DIRECTORY: frozenset({AUTHENTICATED}),
    Permission.MANAGE_MEMBERS: frozenset({GlobalRole.BOARD, GlobalRole.ADMIN}),
    # Admit someone as they enter the register (the same role as on an applicant).
    Permission.DECIDE_MEMBERSHIP: frozenset({GlobalRole.BOARD}),
    Permission.MANAGE_BODIES: frozenset({GlobalRole.BOARD, GlobalRole.ADMIN}),
    Permission.PRINT_WELCOME_SHEETS: frozenset(
        {GlobalRole.BOARD, GlobalRole.ADMIN, GlobalRole.COUNSELLOR}
    ),
    Permission.MANAGE_POLLS: frozenset({GlobalRole.BOARD}),
    Permission.MANAGE_MEETINGS: frozenset({GlobalRole.BOARD}),
    Permission.OPEN_PATHWAYS: frozenset({GlobalRole.ADMIN, GlobalRole.COUNSELLOR}),
    # Integration: a list of the people one follows (the roles one can be assigned as); every
    # pathway under way with its team, to choose it; a person's data with no record (membership
    # data only, see `integration.export`).
    Permission.FOLLOW: frozenset({GlobalRole.COUNSELLOR, GlobalRole.TRAINER}),
    Permission.MANAGE_TEAM: frozenset({GlobalRole.ADMIN}),
    Permission.EXPORT: frozenset({GlobalRole.ADMIN}),
    Permission.VIEW_REPORTS: frozenset({GlobalRole.BOARD, GlobalRole.ADMIN, GlobalRole.COUNSELLOR}),
    Permission.CONFIGURE_PATHWAYS: frozenset({GlobalRole.ADMIN, GlobalRole.COUNSELLOR}),
    # Programmes: creating one (its trainers are then named on it); the figures across them.
    Permission.MANAGE_PROGRAMMES: frozenset(
        {GlobalRole.BOARD, GlobalRole.ADMIN, GlobalRole.TRAINER}
    ),
    Permission.VIEW_PROGRAMME_REPORTS: frozenset(
        {GlobalRole.BOARD, GlobalRole.ADMIN, GlobalRole.COUNSELLOR}
    ),
}


class LocalRoleGrant(db.Model):
    """A role given to one person on one item (and, by inheritance, on what it contains)."""

    __tablename__ = "local_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    object_key: Mapped[str] = mapped_column(sa.String(80), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(40))
    granted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("object_key", "user_id", "role"),)

    def __repr__(self) -> str:
        return f"<LocalRoleGrant {self.role} for user {self.user_id} on {self.object_key}>"


class Securable:
    """Mixin for items with a workflow and sharing.

    A subclass sets `content_type` and `workflow`, has a `state` column and a `security_path`
    column: the keys of its containers and itself, "/page:1/page:7/". Local roles granted on any
    key in that path apply to the item.

    A type that is never shared (`shareable = False`: who holds a role on it follows from what
    it is, e.g. a person's follow-up team) needs no `security_path`: no local role applies.
    `matrix_by_role` adds a per-role summary to its part of the permissions matrix, and
    `done_by_tasks` names the permissions no person holds (a scheduled task uses them).
    """

    content_type: ClassVar[str]
    workflow: ClassVar[Workflow]
    shareable: ClassVar[bool] = True
    matrix_by_role: ClassVar[bool] = False
    done_by_tasks: ClassVar[dict[Permission, str]] = {}

    @property
    def object_key(self) -> str:
        return f"{self.content_type}:{self.id}"  # type: ignore[attr-defined]

    def path_keys(self) -> list[str]:
        if not self.shareable:
            return [self.object_key]
        return [key for key in self.security_path.split("/") if key]  # type: ignore[attr-defined]

    def dynamic_roles(self, user) -> set[str]:
        """Roles this item gives `user` by what it is (override in subclasses)."""
        return set()

    @classmethod
    def dynamic_role_clauses(cls, user) -> dict[str, sa.ColumnElement[bool]]:
        """The same dynamic roles as SQL conditions on this model's columns."""
        return {}


CONTENT_TYPES: dict[str, type[Securable]] = {}


def register_content_type(cls):
    """Class decorator: the type appears in the permissions matrix and in R8-style checks."""
    CONTENT_TYPES[cls.content_type] = cls
    return cls


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def global_roles(user) -> set[str]:
    if not _authenticated(user):
        return {ANONYMOUS}
    return {ANONYMOUS, AUTHENTICATED, *(str(r) for r in user.roles)}


def local_roles(user, obj: Securable) -> set[str]:
    """Local roles of `user` on `obj`, granted on it or any of its containers."""
    if not _authenticated(user) or not obj.shareable:
        return set()
    keys = tuple(obj.path_keys())
    cache = g.setdefault("_local_roles", {}) if has_request_context() else {}
    cache_key = (user.id, keys)
    if cache_key not in cache:
        cache[cache_key] = set(
            db.session.scalars(
                sa.select(LocalRoleGrant.role).where(
                    LocalRoleGrant.user_id == user.id, LocalRoleGrant.object_key.in_(keys)
                )
            )
        )
    return set(cache[cache_key])


def forget_cached_roles() -> None:
    """Call after granting or revoking, so the same request sees the change."""
    if has_request_context():
        g.pop("_local_roles", None)


def roles_of(user, obj: Securable | None = None) -> set[str]:
    roles = global_roles(user)
    if obj is not None:
        roles |= local_roles(user, obj)
        roles |= obj.dynamic_roles(user)  # also for visitors: Public
    return roles


def can(user, permission: Permission, obj: Securable | None = None) -> bool:
    """May `user` use `permission` on `obj` (or site-wide when `obj` is None)?"""
    if obj is None:
        return bool(global_roles(user) & SITE_PERMISSIONS.get(permission, frozenset()))
    allowed = obj.workflow.roles_with(obj.state, permission)  # type: ignore[attr-defined]
    # The union of `roles_of`, from the cheapest part: a dynamic or local role often costs a query.
    return bool(
        allowed
        and (
            global_roles(user) & allowed
            or obj.dynamic_roles(user) & allowed
            or local_roles(user, obj) & allowed
        )
    )


def require(
    user, permission: Permission, obj: Securable | None = None, *, hide: bool = False
) -> None:
    """In a view: 403 when not allowed, or 404 when `hide` (existence itself is private)."""
    if not can(user, permission, obj):
        abort(404 if hide else 403)


def allowed_clause(user, model: type[Securable], permission: Permission) -> sa.ColumnElement[bool]:
    """SQL condition selecting the rows of `model` on which `user` has `permission`.

    The same rule as `can`, expressed per state: a row qualifies when, in its state, the
    permission goes to one of the user's global roles, to a dynamic role the row gives them, or
    to a local role they hold on the row or one of its containers.

    Checking local roles costs the same whatever the number of grants: the row's path is split
    into its keys, which are looked up in the user's granted keys, read by an uncorrelated
    subquery once per statement (an array overlap on PostgreSQL, json_each on SQLite), not by a
    subquery per row. Keys are compared whole and exactly, as `local_roles` does.
    """
    workflow = model.workflow
    state_col = model.state  # type: ignore[attr-defined]
    static = global_roles(user)
    conditions: list[sa.ColumnElement[bool]] = []

    by_static = [s for s in workflow.states if workflow.roles_with(s, permission) & static]
    if by_static:
        conditions.append(state_col.in_(by_static))
    # States where a global role already gives the permission need no other test.
    others = [s for s in workflow.states if s not in by_static]

    for role, clause in model.dynamic_role_clauses(user).items():
        states = [s for s in others if role in workflow.roles_with(s, permission)]
        if states:
            conditions.append(sa.and_(state_col.in_(states), clause))

    if _authenticated(user) and model.shareable:
        path_col = model.security_path  # type: ignore[attr-defined]
        # The states, grouped by the local roles that give the permission in them.
        by_roles: dict[tuple[str, ...], list[str]] = {}
        for state in others:
            allowed = workflow.roles_with(state, permission)
            roles = tuple(role.value for role in LocalRole if role in allowed)
            if roles:
                by_roles.setdefault(roles, []).append(state)
        dialect = db.session.get_bind().dialect.name if by_roles else ""
        for roles, states in by_roles.items():
            granted = sa.select(sa.cast(LocalRoleGrant.object_key, sa.Text)).where(
                LocalRoleGrant.user_id == user.id,
                LocalRoleGrant.role.in_(roles),
                LocalRoleGrant.object_key != "",  # `path_keys` drops empty keys
            )
            if dialect == "postgresql":
                path_keys = sa.func.string_to_array(path_col, "/")
                held = path_keys.bool_op("&&")(sa.func.array(granted.scalar_subquery()))
            else:
                # "/page:1/page:7/" -> ["page:1","page:7"], quotes and backslashes escaped.
                escaped = sa.func.replace(sa.func.replace(path_col, "\\", "\\\\"), '"', '\\"')
                as_json = (
                    sa.literal('["')
                    + sa.func.replace(sa.func.trim(escaped, "/"), "/", '","')
                    + sa.literal('"]')
                )
                path_keys = sa.func.json_each(as_json).table_valued("value")
                held = (
                    sa.select(sa.literal(1))
                    .select_from(path_keys)
                    .where(path_keys.c.value.in_(granted))
                    .exists()
                )
            conditions.append(sa.and_(state_col.in_(states), held))

    return sa.or_(*conditions) if conditions else sa.false()


# --- Sharing ------------------------------------------------------------------------------------


def grants_on(obj: Securable) -> list[LocalRoleGrant]:
    """Grants on the item itself and on its containers (inherited), nearest last."""
    keys = obj.path_keys()
    grants = db.session.scalars(
        sa.select(LocalRoleGrant)
        .where(LocalRoleGrant.object_key.in_(keys))
        .order_by(LocalRoleGrant.id)
    ).all()
    order = {key: index for index, key in enumerate(keys)}
    return sorted(grants, key=lambda grant: order[grant.object_key])


def shareable_roles(obj: Securable) -> list[LocalRole]:
    """Local roles that mean something for this item's workflow (none if it is never shared)."""
    if not obj.shareable:
        return []
    used = {
        role
        for state in obj.workflow.states.values()
        for roles in state.permissions.values()
        for role in roles
    }  # type: ignore[attr-defined]
    return [role for role in LocalRole if role in used]


def permission_matrix(types: Iterable[type[Securable]] | None = None) -> str:
    """Role x state x permission for every content type, as stable plain text."""
    lines: list[str] = []
    for cls in sorted(types or CONTENT_TYPES.values(), key=lambda c: c.content_type):
        workflow = cls.workflow
        lines.append(
            f"# {cls.content_type} (workflow: {workflow.name}, initial: {workflow.initial})"
        )
        for state_name, state in workflow.states.items():
            lines.append(f"  [{state_name}]")
            for permission in Permission:
                roles = state.permissions.get(permission)
                if roles:
                    lines.append(
                        f"    {permission.value:<22} {', '.join(sorted(str(r) for r in roles))}"
                    )
            if not any(state.permissions.values()):
                lines.append("    nothing, for anyone")
        lines.append("  transitions:" if workflow.transitions else "  transitions: none")
        for transition in workflow.transitions.values():
            sources = ", ".join(sorted(transition.sources))
            lines.append(
                f"    {transition.name:<22} {sources} -> {transition.target} (needs {transition.permission.value})"
            )
        if cls.matrix_by_role:
            lines.extend(_by_role(cls))
    lines.append("# site-wide")
    for permission, roles in SITE_PERMISSIONS.items():
        lines.append(f"    {permission.value:<22} {', '.join(sorted(str(r) for r in roles))}")
    lines.append("# dynamic roles (computed by each item for each person)")
    width = max(len(role.value) for role in DYNAMIC_ROLE_MEANINGS)
    for role, meaning in DYNAMIC_ROLE_MEANINGS.items():
        lines.append(f"    {role.value:<{width}} {meaning}")
    return "\n".join(lines) + "\n"


def _by_role(cls: type[Securable]) -> list[str]:
    """What each role gives on `cls`, state by state (a person holds the union of their roles)."""
    workflow = cls.workflow
    used = {
        role for state in workflow.states.values() for r in state.permissions.values() for role in r
    }
    roles: list[str] = [ANONYMOUS, AUTHENTICATED, *(r.value for r in GlobalRole)]
    roles += [r.value for r in (*DynamicRole, *LocalRole) if r.value in used]
    width = max(22, *(len(role) for role in roles))
    lines = ["  by role (a person holds what each of their roles gives):"]
    for role in roles:
        parts = []
        for state_name in workflow.states:
            held = [p.value for p in Permission if role in workflow.roles_with(state_name, p)]
            if held:
                parts.append(f"[{state_name}] {', '.join(held)}")
        lines.append(f"    {role:<{width}} {'; '.join(parts) or 'nothing'}")
    for permission, task in cls.done_by_tasks.items():
        lines.append(f"    {'no role':<{width}} {permission.value}: {task}")
    return lines


def grant_local_role(actor, obj: Securable, user, role: str) -> LocalRoleGrant:
    """Give `user` the local role `role` on `obj` (and what it contains). Audited.

    Raises NotAllowed without the Manage sharing permission, DomainError for an unknown role.
    """
    from portal.core import audit
    from portal.core.errors import DomainError, NotAllowed

    if not can(actor, Permission.MANAGE_SHARING, obj):
        raise NotAllowed(_l("You cannot change who has access to this item."))
    if role not in {r.value for r in shareable_roles(obj)}:
        raise DomainError(_l("Choose one of the roles in the list."), field="role")
    if not getattr(user, "active", False):
        raise DomainError(_l("This account is disabled."), field="user_id")
    existing = db.session.scalar(
        sa.select(LocalRoleGrant).where(
            LocalRoleGrant.object_key == obj.object_key,
            LocalRoleGrant.user_id == user.id,
            LocalRoleGrant.role == role,
        )
    )
    if existing is not None:
        return existing
    grant = LocalRoleGrant(
        object_key=obj.object_key, user_id=user.id, role=role, granted_by_id=actor.id
    )
    db.session.add(grant)
    db.session.flush()
    forget_cached_roles()
    audit.record(
        actor,
        "sharing.granted",
        f"{role} given to {user.username} on {obj.object_key}",
        object_key=obj.object_key,
        user_id=user.id,
        role=role,
    )
    return grant


def revoke_local_role(actor, obj: Securable, grant: LocalRoleGrant) -> None:
    """Take back a local role granted on `obj` itself (inherited ones are revoked where given)."""
    from portal.core import audit
    from portal.core.errors import DomainError, NotAllowed

    if not can(actor, Permission.MANAGE_SHARING, obj):
        raise NotAllowed(_l("You cannot change who has access to this item."))
    if grant.object_key != obj.object_key:
        raise DomainError(_l("This role is given on a page above. Change it there."))
    db.session.delete(grant)
    db.session.flush()
    forget_cached_roles()
    audit.record(
        actor,
        "sharing.revoked",
        f"{grant.role} taken from user {grant.user_id} on {obj.object_key}",
        object_key=obj.object_key,
        user_id=grant.user_id,
        role=grant.role,
    )
