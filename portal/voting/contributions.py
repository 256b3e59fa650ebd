"""What voting contributes to the core's registries: the votes a member took part in (a
record's participation: counted, never a choice), voting's part of a person's data export
(votes taken part in, proxies given and held) and the reports' rate of members who voted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from portal.accounts.models import User
from portal.core.registries import (
    ExportPart,
    ExportSection,
    Fact,
    Period,
    jsonable,
    register_export_part,
    register_participation_source,
    register_report_rate,
)
from portal.extensions import db
from portal.members.models import Member
from portal.voting.models import Participation, Poll, Proxy

# --- Participation ---------------------------------------------------------------------------------


def polls_taken_part(member, period: Period) -> Fact:
    """Votes the member took part in during the period (practice and cancelled polls left out).

    Counts participation rows only: never a choice, never the ballots."""
    first, after = period.utc_bounds()
    return Fact(
        db.session.scalar(
            sa.select(sa.func.count(Participation.id))
            .join(Poll, Poll.id == Participation.poll_id)
            .where(
                Participation.member_id == member.id,
                Poll.practice.is_(False),
                Poll.state != "cancelled",
                Participation.created_at >= first,
                Participation.created_at < after,
            )
        )
    )


register_participation_source("polls", _l("Votes taken part in"), polls_taken_part, order=30)


# --- The data export ---------------------------------------------------------------------------------

# How a vote was cast (models.CastMode), in plain words.
MODE_TITLES = {
    "self": _l("By yourself"),
    "proxy": _l("By the person who had your proxy"),
    "assisted": _l("By yourself, with help"),
}


def _user_names(ids: set[int]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids)))
    return {row.id: row.display_name for row in rows}


def _polls(member: Member) -> list[dict[str, Any]]:
    # Title, date, how the vote was cast and who cast it or helped: never the choice, not even
    # for named polls.
    rows = db.session.execute(
        sa.select(
            Poll.title,
            Participation.created_at,
            Participation.mode,
            Participation.cast_by_id,
            Participation.assisted_by_id,
        )
        .join(Poll, Poll.id == Participation.poll_id)
        .where(Participation.member_id == member.id)
        .order_by(Participation.created_at, Participation.id)
    ).all()
    names = _user_names({r.cast_by_id for r in rows} | {r.assisted_by_id for r in rows})
    return [
        {
            "poll": row.title,
            "voted_at": jsonable(row.created_at),
            "mode": row.mode,
            "cast_by": names.get(row.cast_by_id) if row.cast_by_id else None,
            "assisted_by": names.get(row.assisted_by_id) if row.assisted_by_id else None,
        }
        for row in rows
    ]


def _proxies(member: Member) -> tuple[list, list]:
    other = aliased(Member)

    def listing(mine, theirs) -> list[dict[str, Any]]:
        rows = db.session.execute(
            sa.select(Proxy, Poll.title, other.given_name, other.family_name)
            .join(Poll, Poll.id == Proxy.poll_id)
            .join(other, other.id == theirs)
            .where(mine == member.id)
            .order_by(Proxy.created_at, Proxy.id)
        ).all()
        return [
            {
                "poll": title,
                "person": f"{given} {family}".strip(),
                "created_at": jsonable(proxy.created_at),
                "revoked_at": jsonable(proxy.revoked_at),
                "used_at": jsonable(proxy.used_at),
            }
            for proxy, title, given, family in rows
        ]

    return (
        listing(Proxy.principal_id, Proxy.holder_id),
        listing(Proxy.holder_id, Proxy.principal_id),
    )


def voting_export(member: Member) -> dict[str, Any]:
    given, held = _proxies(member)
    return {"polls": _polls(member), "proxies_given": given, "proxies_held": held}


register_export_part(
    ExportPart(
        "voting",
        voting_export,
        order=30,
        sections=(
            ExportSection("polls", _l("Votes you took part in"), 70),
            ExportSection("proxies_given", _l("People you asked to vote for you"), 80),
            ExportSection("proxies_held", _l("People who asked you to vote for them"), 90),
        ),
        titles={"mode": MODE_TITLES},
    )
)


# --- Report figures ----------------------------------------------------------------------------------


def voted_in_a_poll(since: datetime | None, until: datetime | None) -> sa.Select:
    """Members who took part in a poll (practice polls aside) in [since, until)."""
    voted = (
        sa.select(Participation.member_id)
        .join(Poll, Poll.id == Participation.poll_id)
        .where(Poll.practice.is_(False))
    )
    if since is not None:
        voted = voted.where(Participation.created_at >= since, Participation.created_at < until)
    return voted


register_report_rate("poll_rate", voted_in_a_poll, order=20)
