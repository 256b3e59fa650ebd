"""`flask --app wsgi programmes …`: the programmes' commands.

Each helper's command has its own section below; the group is shared.
"""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

programmes_cli = AppGroup("programmes", help="Programmes and sessions: checks and figures.")


def _day(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter("use the form YYYY-MM-DD") from error


# --- Absences: tell counsellors about sessions missed in a row (H4) ----------------------------


@programmes_cli.command("absences")
@click.option("--today", callback=_day, help="Act as if today were this day (YYYY-MM-DD).")
def absences_command(today: date | None) -> None:
    """Tell the counsellors when a worker missed several sessions in a row (once per run).

    Checks the finished sessions of the running programmes; the number of sessions is
    PROGRAMME_ABSENCE_ALERT_AFTER (default 3). Run it daily from cron."""
    from portal.extensions import db
    from portal.programmes.alerts import check_all, threshold

    alerts = check_all(today)
    db.session.commit()
    click.echo(f"{alerts} absence alert(s) sent (after {threshold()} missed sessions in a row).")


# --- Hours: hours per person and per kind for a year (H5) ----------------------------------------


@programmes_cli.command("hours")
@click.option("--year", required=True, type=click.IntRange(2000, 2100), help="The year (YYYY).")
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "csv"]),
    default="text",
    show_default=True,
    help="A table to read, or CSV for a spreadsheet (to standard output).",
)
def hours_command(year: int, output: str) -> None:
    """Hours attended per person and per kind of programme in YEAR (cancelled sessions do not
    count). It names people: keep the output as you keep the attendance sheets."""
    import csv
    import io

    from portal.programmes.reports import KINDS, Filters, hours_per_person

    people = hours_per_person(Filters(year))
    header = ("member_number", "name", "team", *KINDS, "total")
    rows = [
        (
            p.member_number,
            p.name,
            p.team,
            *(f"{p.hours(k):.1f}" for k in KINDS),
            f"{p.hours():.1f}",
        )
        for p in people
    ]
    totals = {k: sum(p.minutes_by_kind.get(k, 0) for p in people) for k in KINDS}
    total_row = ("", "total", "", *(f"{totals[k] / 60:.1f}" for k in KINDS))
    total_row += (f"{sum(totals.values()) / 60:.1f}",)
    if output == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:  # a name starting with = + - @ is not run as a formula
            writer.writerow(
                [f"'{v}" if str(v).startswith(("=", "+", "-", "@")) else v for v in row]
            )
        writer.writerow(total_row)
        click.echo(out.getvalue(), nl=False)
        return
    table = [header, *rows, total_row]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for n, row in enumerate(table):
        cells = [
            str(v).ljust(w) if i < 3 else str(v).rjust(w)
            for i, (v, w) in enumerate(zip(row, widths, strict=True))
        ]
        click.echo("  ".join(cells).rstrip())
        if n == 0 or n == len(table) - 2:
            click.echo("  ".join("-" * w for w in widths))
    click.echo(f"{len(people)} person(s), {sum(totals.values()) / 60:.1f} hours in {year}.")
