"""E-mails about polls, through the outbox: the vote is open, it closes soon, the results.

Only members with an e-mail address get them (on their member record, else their account);
nobody needs e-mail to vote: the portal shows every open vote. Each message is written in the
member's language. A message never says how anyone voted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.core.db import utcnow
from portal.core.outbox import queue_mail
from portal.extensions import db
from portal.members.models import Member
from portal.voting.models import Participation, Poll, PollElector

Link = Callable[[Poll], str]

VERDICTS = {
    "adopted": _l("Adopted"),
    "rejected": _l("Not adopted"),
    "no_quorum": _l("No decision: too few people voted (no quorum)"),
    "tie": _l("A tie: no decision. The body decides what happens next."),
}


def _address(member: Member) -> str | None:
    return member.email or (member.user.email if member.user is not None else None)


def _electors(poll: Poll, *, not_voted: bool = False) -> Iterable[Member]:
    query = (
        sa.select(Member)
        .join(PollElector, PollElector.member_id == Member.id)
        .where(PollElector.poll_id == poll.id)
        .order_by(Member.id)
    )
    if not_voted:
        voted = sa.select(Participation.member_id).where(Participation.poll_id == poll.id)
        query = query.where(Member.id.not_in(voted))
    return db.session.scalars(query)


def _send(poll: Poll, members: Iterable[Member], write: Callable[[Member], tuple[str, str]]) -> int:
    sent = 0
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    for member in members:
        address = _address(member)
        if not address:
            continue
        with force_locale(member.preferred_language or default):
            subject, body = write(member)
        queue_mail(address, subject, body)
        sent += 1
    return sent


def _practice(poll: Poll) -> str:
    return _("Practice — not counted") + "\n\n" if poll.practice else ""


def poll_opened(poll: Poll, link: Link) -> int:
    """To every member of the frozen electorate: the vote is open."""

    def write(member: Member) -> tuple[str, str]:
        subject = _("A vote is open: %(title)s", title=poll.title)
        body = _practice(poll) + _(
            "Hello %(name)s,\n\nYou can vote on: %(title)s\n\n%(question)s\n\nVote here:\n%(link)s\n",
            name=member.given_name,
            title=poll.title,
            question=poll.question[:600],
            link=link(poll),
        )
        return subject, body

    return _send(poll, _electors(poll), write)


def poll_closing_soon(poll: Poll, link: Link) -> int:
    """To the members of the electorate who have not voted yet."""

    def write(member: Member) -> tuple[str, str]:
        subject = _("Last days to vote: %(title)s", title=poll.title)
        body = _practice(poll) + _(
            "Hello %(name)s,\n\nYou have not voted yet on: %(title)s\n\nVote here:\n%(link)s\n",
            name=member.given_name,
            title=poll.title,
            link=link(poll),
        )
        return subject, body

    return _send(poll, _electors(poll, not_voted=True), write)


def poll_results(poll: Poll, link: Link) -> int:
    """To every member of the electorate: the result (never who voted what)."""
    verdict = (poll.result or {}).get("verdict", "")

    def write(member: Member) -> tuple[str, str]:
        subject = _("Results: %(title)s", title=poll.title)
        winners = (poll.result or {}).get("winners") or []
        outcome = str(VERDICTS[verdict]) if verdict in VERDICTS else verdict
        if verdict == "adopted" and winners:
            if len(winners) > 1:
                outcome = _("Elected: %(list)s", list=", ".join(winners))
            else:
                outcome = _("Chosen: %(list)s", list=", ".join(winners))
        body = _practice(poll) + _(
            "Hello %(name)s,\n\nThe vote is closed: %(title)s\n\n%(outcome)s\n\nSee the results:\n%(link)s\n",
            name=member.given_name,
            title=poll.title,
            outcome=outcome,
            link=link(poll),
        )
        return subject, body

    return _send(poll, _electors(poll), write)


def remind_closing_polls(link: Link, within: timedelta, now: datetime | None = None) -> int:
    """Send the "closes soon" reminder once for every open poll closing within `within`
    (not for a poll counted in the room: people vote there, not on the portal)."""
    now = now or utcnow()
    polls = db.session.scalars(
        sa.select(Poll).where(
            Poll.state == "open",
            Poll.closes_at.is_not(None),
            Poll.closes_at <= now + within,
            Poll.closes_at > now,
            Poll.reminded_at.is_(None),
            Poll.in_room.is_(False),
        )
    ).all()
    sent = 0
    for poll in polls:
        sent += poll_closing_soon(poll, link)
        poll.reminded_at = now
    db.session.flush()
    return sent
