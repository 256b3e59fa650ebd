"""`flask members import FILE` and `flask members export [FILE]`: the register as CSV."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from portal.accounts.models import User
from portal.accounts.services import normalise_username
from portal.core.errors import DomainError
from portal.core.security import Permission, allowed_clause
from portal.extensions import db
from portal.members import csvio
from portal.members.models import Member

members_cli = AppGroup("members", help="Import and export the member register (CSV).")


def _actor(username: str | None):
    if not username:
        return None  # the command line itself
    user = db.session.scalar(sa.select(User).where(User.username == normalise_username(username)))
    if user is None:
        raise click.ClickException(f"There is no account named {username!r}.")
    return user


@members_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file only; import nobody.")
@click.option("--as", "username", help="Act as this account (default: the command line).")
def import_command(file: Path, dry_run: bool, username: str | None) -> None:
    """Import the people in FILE: all of them, or nobody when a line has a problem."""
    actor = _actor(username)
    with file.open("rb") as stream:
        data = stream.read(csvio.MAX_FILE_BYTES + 1)
    try:
        report = csvio.import_members(actor, data, dry_run=dry_run, file_name=file.name)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    for message in report.file_problems:
        click.echo(f"file: {message}", err=True)
    for problem in report.problems:
        where = (
            f"line {problem.line}: {problem.label}: " if problem.label else f"line {problem.line}: "
        )
        click.echo(f"{where}{problem.message}", err=True)
    if not report.ok:
        db.session.rollback()
        click.echo(
            f"Nothing imported: {len(report.file_problems) + len(report.problems)} problem(s)"
            f" on {report.bad_lines} line(s) of {report.total_rows}.",
            err=True,
        )
        raise SystemExit(1)
    if dry_run:
        db.session.rollback()
        click.echo(f"No problems: {len(report.rows)} member(s) would be imported.")
        return
    db.session.commit()
    click.echo(f"Imported {report.imported} member(s).")


@members_cli.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as", "username", help="Act as this account (default: the command line).")
@click.option(
    "--delimiter",
    type=click.Choice(["comma", "semicolon", "tab"]),
    default="comma",
    show_default=True,
)
def export_command(file: Path | None, username: str | None, delimiter: str) -> None:
    """Write every member to FILE as CSV (UTF-8 with BOM), or to standard output."""
    actor = _actor(username)
    query = sa.select(Member).order_by(Member.member_number, Member.id)
    if actor is not None:  # what this person may see
        query = query.where(allowed_clause(actor, Member, Permission.VIEW))
    members = db.session.scalars(query)
    separator = {"comma": ",", "semicolon": ";", "tab": "\t"}[delimiter]
    try:
        body = csvio.export_members(actor, members, delimiter=separator)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    if file is None:
        click.echo(body, nl=False)  # bytes: written as they are
    else:
        file.write_bytes(body)
    db.session.commit()  # the audit entry
    if file is not None:
        click.echo(f"Wrote {file}.")
