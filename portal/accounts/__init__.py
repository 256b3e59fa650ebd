"""Accounts: logins, sessions, passwords, setup codes and roles."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from portal.accounts import policies  # noqa: E402
from portal.accounts.passwords import configure_hasher  # noqa: E402

bp.record_once(lambda state: configure_hasher(state.app.config))

# The predicates are template globals, so pages show only what the viewer may do.
for _name in ("can_manage_accounts", "can_issue_setup_codes", "can_issue_setup_code"):
    bp.add_app_template_global(getattr(policies, _name), _name)


@bp.app_template_global()
def role_choices():
    from portal.accounts.forms import ROLE_LABELS

    return [(role.value, label) for role, label in ROLE_LABELS.items()]


@bp.app_template_global()
def role_names(roles) -> str:
    from portal.accounts.forms import ROLE_LABELS

    return ", ".join(str(label) for role, label in ROLE_LABELS.items() if role in roles)


from portal.accounts import cli, views  # noqa: E402,F401  (routes and commands register here)
