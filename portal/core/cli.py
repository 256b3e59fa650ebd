"""The `flask portal …` command group; domains add their commands to it."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.core import outbox

portal_cli = AppGroup("portal", help="Run WISE Portal tasks.")


@portal_cli.command("send-mail")
@click.option("--limit", default=500, show_default=True, help="Most messages to send now.")
def send_mail(limit: int) -> None:
    """Send the e-mails waiting in the outbox."""
    sent, failed = outbox.send_pending(current_app.config, limit=limit)
    click.echo(f"Sent {sent} message(s); {failed} could not be sent and stay queued.")
    if failed:
        raise SystemExit(1)


@portal_cli.command("audit-verify")
def audit_verify() -> None:
    """Check that the audit log is complete and unaltered (exit status 1 when it is not)."""
    from portal.core.audit import AuditEntry, verify_chain
    from portal.extensions import db

    problem = verify_chain()
    count = db.session.scalar(db.select(db.func.count(AuditEntry.id)))
    if problem is not None:
        click.echo(f"Audit log BROKEN at {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"Audit log intact: {count} entries.")


@portal_cli.command("permissions-matrix")
def permissions_matrix() -> None:
    """Print role x state x permission for every content type, what each role gives on the types
    that ask for it (accounts, integration records), the site-wide permissions and the meaning
    of the dynamic roles."""
    from portal.core.security import permission_matrix

    click.echo(permission_matrix(), nl=False)
