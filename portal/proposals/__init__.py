"""Proposals: plain-words summary, workflow, supports, the link to the vote, history, search."""

from flask import Blueprint

bp = Blueprint("proposals", __name__, url_prefix="/proposals")

from portal.proposals import policies  # noqa: E402

# The predicates are template globals: the page offers a step exactly when the service takes it.
for _name in ("can_start_vote", "can_settle_vote"):
    bp.add_app_template_global(getattr(policies, _name), _name)

from portal.proposals import (  # noqa: E402,F401
    views,
    views_amendments,
    views_attachments,
    views_comments,
)


def _register_search() -> None:
    from flask import url_for

    from portal.core.markdown import plain_text
    from portal.core.search import register_searchable
    from portal.proposals.models import Proposal

    register_searchable(
        Proposal,
        to_text=lambda proposal: (
            proposal.title,
            "\n".join(
                (proposal.summary, proposal.what_changes or "", plain_text(proposal.body))
            ).strip(),
        ),
        url_for=lambda proposal_id: url_for("proposals.view_proposal", proposal_id=proposal_id),
    )


_register_search()
