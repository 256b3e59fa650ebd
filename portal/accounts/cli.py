"""`flask portal create-user`: make an account from the command line."""

from __future__ import annotations

import click

from portal.accounts import services
from portal.accounts.models import Role
from portal.core.cli import portal_cli
from portal.core.errors import DomainError
from portal.extensions import db


@portal_cli.command("create-user")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    default=["member"],
    show_default=True,
    type=click.Choice([r.value for r in Role]),
    help="Global role; repeat for several.",
)
@click.option("--name", "display_name", help="The person's name (default: the username).")
@click.option("--email", help="Optional e-mail address, for password resets.")
@click.option("--locale", type=click.Choice(["en", "fr"]), help="Preferred language.")
@click.option("--password", help="Asked for when not given.")
def create_user_command(username, roles, display_name, email, locale, password) -> None:
    """Create the account USERNAME."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    data = services.AccountData(
        username=username,
        display_name=display_name or username,
        email=email,
        locale=locale,
        roles=frozenset(Role(r) for r in roles),
    )
    try:
        user = services.create_user(None, data, password=password)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(
        f"Created {user.username} with roles: {', '.join(sorted(r.value for r in user.roles))}"
    )
