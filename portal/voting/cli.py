"""`flask polls retally FILE`: count a poll again from its exported ballots, and nothing else."""

from __future__ import annotations

import json
import sys
from typing import BinaryIO

import click
from flask.cli import AppGroup

from portal.voting.tally import TallyError, read_document, tally

polls_cli = AppGroup("polls", help="Polls: recount a poll from its exported ballots.")


@polls_cli.command("retally", with_appcontext=False)
@click.argument("file", type=click.File("rb"))
def retally(file: BinaryIO) -> None:
    """Count the ballots in FILE (JSON, see docs/retally.md; - reads standard input) and
    print the result as JSON. A file that cannot be counted: exit status 2 and the problem."""
    try:
        poll = read_document(file.read())
        result = tally(poll.method, poll.options, poll.ballots, poll.rules)
    except TallyError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))


@polls_cli.command("remind")
@click.option("--within", default=24, show_default=True, help="Hours before the announced close.")
def remind(within: int) -> None:
    """E-mail the members who have not voted yet, once, when a poll closes within WITHIN hours.

    Run it from cron (e.g. every hour), like `flask portal send-mail`.
    """
    from datetime import timedelta

    from flask import current_app

    from portal.extensions import db
    from portal.voting.notify import remind_closing_polls

    base = (current_app.config["PUBLIC_BASE_URL"] or "http://127.0.0.1:5000").rstrip("/")
    sent = remind_closing_polls(lambda poll: f"{base}/polls/{poll.id}", timedelta(hours=within))
    db.session.commit()
    click.echo(f"{sent} reminder(s) queued.")
