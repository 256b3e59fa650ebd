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
