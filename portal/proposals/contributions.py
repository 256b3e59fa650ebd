"""What proposals contributes to the core's registries: the proposals a member wrote (a
record's participation) and the proposals' part of a person's data export (proposals written,
supports, comments and proposed changes)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.core.registries import (
    ExportPart,
    ExportSection,
    Fact,
    Period,
    jsonable,
    register_export_part,
    register_participation_source,
)
from portal.extensions import db
from portal.proposals.models import Proposal, ProposalAmendment, ProposalComment, ProposalSupport

# --- Participation ---------------------------------------------------------------------------------


def proposals_authored(member, period: Period) -> Fact:
    """Proposals the member's account wrote in the period and sent on (drafts left out)."""
    if member.user_id is None:
        return Fact(0)
    first, after = period.utc_bounds()
    return Fact(
        db.session.scalar(
            sa.select(sa.func.count(Proposal.id)).where(
                Proposal.owner_id == member.user_id,
                Proposal.state != "draft",
                Proposal.created_at >= first,
                Proposal.created_at < after,
            )
        )
    )


register_participation_source("proposals", _l("Proposals written"), proposals_authored, order=50)


# --- The data export ---------------------------------------------------------------------------------


def proposals_export(member) -> dict[str, list]:
    supports = [
        {"proposal": title, "created_at": jsonable(at)}
        for title, at in db.session.execute(
            sa.select(Proposal.title, ProposalSupport.created_at)
            .join(Proposal, Proposal.id == ProposalSupport.proposal_id)
            .where(ProposalSupport.member_id == member.id)
            .order_by(ProposalSupport.created_at)
        )
    ]
    if member.user_id is None:
        return {"proposals": [], "supports": supports, "comments": [], "amendments": []}
    owned = [
        {
            "title": p.title,
            "summary": p.summary,
            "state": p.state,
            "created_at": jsonable(p.created_at),
        }
        for p in db.session.scalars(
            sa.select(Proposal).where(Proposal.owner_id == member.user_id).order_by(Proposal.id)
        )
    ]
    comments: list[dict[str, Any]] = [
        {
            "proposal": title,
            "text": c.text,
            "created_at": jsonable(c.created_at),
            "edited_at": jsonable(c.edited_at),
            "hidden_at": jsonable(c.hidden_at),
            "hidden_reason": c.hidden_reason,
        }
        for c, title in db.session.execute(
            sa.select(ProposalComment, Proposal.title)
            .join(Proposal, Proposal.id == ProposalComment.proposal_id)
            .where(ProposalComment.author_id == member.user_id)
            .order_by(ProposalComment.id)
        )
    ]
    amendments = [
        {
            "proposal": title,
            "field": a.field,
            "text": a.text,
            "reason": a.reason,
            "state": a.state,
            "created_at": jsonable(a.created_at),
            "decided_at": jsonable(a.decided_at),
            "decision_comment": a.decision_comment,
        }
        for a, title in db.session.execute(
            sa.select(ProposalAmendment, Proposal.title)
            .join(Proposal, Proposal.id == ProposalAmendment.proposal_id)
            .where(ProposalAmendment.author_id == member.user_id)
            .order_by(ProposalAmendment.id)
        )
    ]
    return {
        "proposals": owned,
        "supports": supports,
        "comments": comments,
        "amendments": amendments,
    }


register_export_part(
    ExportPart(
        "proposals",
        proposals_export,
        order=40,
        sections=(
            ExportSection("proposals", _l("Your proposals"), 100),
            ExportSection("supports", _l("Proposals you supported"), 110),
            ExportSection("comments", _l("Your comments"), 120),
            ExportSection("amendments", _l("Changes you proposed"), 130),
        ),
    )
)
