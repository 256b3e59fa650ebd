"""Who may do what with an integration record, as data: the permissions of its two states.

A record is "kept" while it is a person's, "anonymised" once the retention time is over (then it
is nobody's: only the statistics read it, and no role holds any permission on it). Nobody holds
a role on a record through the sharing screen: the roles come from what the record is
(`policies.record_roles`):

- Self: the member whose record it is;
- Assigned, Assigned counsellor, Assigned trainer: in the follow-up team today (an assignment
  holds from its first day to its last, inclusive, while the account is active and keeps the
  role it was assigned as);
- Assigned with personal data, Assigned counsellor with personal data: the same, assigned with
  access to personal data (the barriers, special-category data);
- admin: the global role, for choosing the team and the break-glass reading (a written reason
  opens the record read-only for a while; see `policies.break_glass_open`).

No state changes through `apply_transition`: the state follows from the anonymisation, which the
daily `flask integration purge` task does (no person holds "Anonymise").
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.core.security import DynamicRole, GlobalRole, Permission
from portal.core.workflow import State, Workflow

P = Permission
SELF = DynamicRole.SELF
ASSIGNED = DynamicRole.ASSIGNED
COUNSELLOR, TRAINER = DynamicRole.ASSIGNED_COUNSELLOR, DynamicRole.ASSIGNED_TRAINER
PERSONAL_DATA = DynamicRole.ASSIGNED_PERSONAL_DATA
COUNSELLOR_PERSONAL_DATA = DynamicRole.COUNSELLOR_PERSONAL_DATA
ADMIN = GlobalRole.ADMIN

KEPT, ANONYMISED = "kept", "anonymised"


def roles(*names) -> frozenset[str]:
    return frozenset(str(name) for name in names)


RECORD_WORKFLOW = Workflow(
    name="integration_record",
    initial=KEPT,
    states={
        KEPT: State(
            KEPT,
            _l("Kept"),
            {
                P.VIEW: roles(SELF, ASSIGNED),
                P.FOLLOW: roles(ASSIGNED),
                P.VIEW_PERSONAL_DATA: roles(SELF, PERSONAL_DATA),
                P.EDIT: roles(COUNSELLOR),
                P.EDIT_PERSONAL_DATA: roles(PERSONAL_DATA),
                P.RECORD_SUPPORT: roles(COUNSELLOR, TRAINER),
                P.ASSESS_SKILLS: roles(TRAINER),
                P.MANAGE_TEAM: roles(ADMIN, COUNSELLOR),
                P.GRANT_PERSONAL_DATA: roles(ADMIN, COUNSELLOR_PERSONAL_DATA),
                P.REQUEST_CORRECTION: roles(SELF),
                P.BREAK_GLASS: roles(ADMIN),
                P.EXPORT: roles(SELF, COUNSELLOR_PERSONAL_DATA),
            },
            _l("The record of a person, followed by their team."),
        ),
        ANONYMISED: State(
            ANONYMISED,
            _l("Anonymised"),
            {},
            _l("Nothing names the person any more. Only the figures use it."),
        ),
    },
)
