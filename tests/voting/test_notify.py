"""Poll e-mails through the outbox: opened, closing soon (once, to those who have not voted),
results; in each member's language; never a choice; nobody without e-mail is left out of
voting (they just get no message)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from portal.core.db import utcnow
from portal.core.outbox import OutboxMessage
from portal.extensions import db
from portal.voting import notify, services
from tests.factories_members import factory_board
from tests.factories_voting import make_poll, vote, voter


def link(poll):
    return f"http://portal.test/polls/{poll.id}"


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_opening_and_results_mail_the_electorate_in_their_language(db):
    ada = voter(given="Ada", email="ada@example.org", preferred_language="fr")
    bea = voter(given="Bea", email="bea@example.org", preferred_language="en")
    voter(given="Cy")  # no e-mail: votes in the portal, gets no message
    poll = make_poll(method="single", options=("Orchard", "Lakeside"))
    services.open_poll(factory_board(), poll, link)
    opened = outbox()
    assert sorted(m.to_address for m in opened) == ["ada@example.org", "bea@example.org"]
    french = next(m for m in opened if m.to_address == "ada@example.org")
    assert "Un vote est ouvert" in french.subject and link(poll) in french.body_text
    vote(poll, ada, {"choice": "Orchard"})
    vote(poll, bea, {"choice": "Lakeside"})
    services.close_poll(factory_board(), poll, link)
    results = outbox()[len(opened) :]
    assert len(results) == 2
    english = next(m for m in results if m.to_address == "bea@example.org")
    assert english.subject.startswith("Results:") and "A tie" in english.body_text
    assert not any("Orchard" in m.body_text or "Lakeside" in m.body_text for m in results)


def test_closing_soon_reminder_goes_once_to_those_who_have_not_voted(db):
    ada = voter(given="Ada", email="ada@example.org")
    voter(given="Bea", email="bea@example.org")
    poll = make_poll(closes_at=utcnow() + timedelta(hours=5))
    services.open_poll(factory_board(), poll)  # no link: no opening mail
    vote(poll, ada, {"vote": "yes"})
    assert notify.remind_closing_polls(link, timedelta(hours=2)) == 0  # not yet
    assert notify.remind_closing_polls(link, timedelta(hours=24)) == 1
    assert [m.to_address for m in outbox()] == ["bea@example.org"]
    assert notify.remind_closing_polls(link, timedelta(hours=24)) == 0  # once
    assert poll.reminded_at is not None


def test_remind_command(app, db):
    poll = make_poll(closes_at=utcnow() + timedelta(hours=3))
    voter(given="Ada", email="ada@example.org")
    services.open_poll(factory_board(), poll)
    result = app.test_cli_runner().invoke(args=["polls", "remind", "--within", "24"])
    assert result.exit_code == 0 and "1 reminder(s) queued." in result.output
