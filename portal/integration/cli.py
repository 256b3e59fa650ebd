"""`flask integration purge`: anonymise integration records after the retention time.

Run it daily from cron. It anonymises the pathways whose exit is INTEGRATION_RETENTION_MONTHS
old (default 24), warns once 30 days before, audits each step and prints one summary line.
"""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

integration_cli = AppGroup(
    "integration", help="Integration records: anonymise them after the retention time."
)


def _day(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter("use the form YYYY-MM-DD") from error


@integration_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would change; change nothing.")
@click.option("--today", callback=_day, help="Act as if today were this day (YYYY-MM-DD).")
@click.option(
    "--warn-days",
    default=None,
    type=click.IntRange(0, 365),
    help="Warn this many days before a record is anonymised "
    "(default: INTEGRATION_PURGE_WARNING_DAYS, 30).",
)
def purge_command(dry_run: bool, today: date | None, warn_days: int | None) -> None:
    """Anonymise the records whose retention time is over; warn about those close to it."""
    from flask import current_app

    from portal.core.db import local_today
    from portal.extensions import db
    from portal.integration.purge import DEFAULT_WARN_DAYS, purge

    if warn_days is None:
        warn_days = int(current_app.config.get("INTEGRATION_PURGE_WARNING_DAYS", DEFAULT_WARN_DAYS))

    report = purge(today or local_today(), warn_days=warn_days, dry_run=dry_run)
    if dry_run:  # nothing was changed
        for pathway_id in report.anonymised:
            click.echo(f"would anonymise pathway #{pathway_id}")
        for pathway_id in report.warned:
            click.echo(f"would warn about pathway #{pathway_id}")
    else:
        db.session.commit()
    click.echo(report.summary())
    for line in report.steps.values():
        click.echo(line)
