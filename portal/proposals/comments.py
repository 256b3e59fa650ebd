"""Comments on proposals: threads of answers, the author's edits, hiding by the moderators.

Rules:

- Who comments: `Permission.COMMENT` (a draft: its authors and the people it is shared with;
  once sent to the board, until the decision: every logged-in member).
- Text: plain text (never Markdown), line breaks kept, trimmed, at most MAX_TEXT characters.
- Threads are at most MAX_DEPTH levels deep. A comment on the proposal is level 1; an answer is
  one level below the comment it answers. An answer to a comment at the last level joins that
  comment's own thread, at the same level, just after it: the conversation stays readable on a
  phone instead of drifting to the right.
- A hidden comment cannot be answered; answers already written stay where they are.
- Its author may change a comment while they may still comment and it is not hidden. Edits
  are audited with the text before the change, since nothing said in a decision is lost.
- Moderators (`Permission.MODERATE`: the board and administrators once a proposal is sent)
  hide a comment with a reason, and may show it again. Both are audited. Comments are never
  deleted. Others see the reason instead of the text; the author and the moderators still see
  the text, marked hidden.

Services take the acting user explicitly, never commit, and raise DomainError subclasses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from portal.accounts.models import User
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import DomainError, NotAllowed
from portal.core.security import Permission, can
from portal.extensions import db
from portal.proposals.models import Proposal, ProposalComment

MAX_TEXT = 5_000
MAX_REASON = 500  # the column's length
MAX_DEPTH = 3

# Control characters other than tab and line feed: PostgreSQL refuses NUL in text, and the
# others only hide what a comment says.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


# --- Who may do what ------------------------------------------------------------------------------


def can_comment(user, proposal: Proposal) -> bool:
    return can(user, Permission.COMMENT, proposal)


def can_moderate(user, proposal: Proposal) -> bool:
    return can(user, Permission.MODERATE, proposal)


def is_author(user, comment: ProposalComment) -> bool:
    user_id = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    return user_id is not None and comment.author_id == user_id


def can_edit_comment(user, comment: ProposalComment, proposal: Proposal) -> bool:
    """Its author, while they may comment and the comment is not hidden."""
    return comment.hidden_at is None and is_author(user, comment) and can_comment(user, proposal)


def can_answer(user, comment: ProposalComment, proposal: Proposal) -> bool:
    return comment.hidden_at is None and can_comment(user, proposal)


def can_read_text(user, comment: ProposalComment, proposal: Proposal) -> bool:
    """Everyone reads a shown comment; a hidden one, only its author and the moderators."""
    return comment.hidden_at is None or is_author(user, comment) or can_moderate(user, proposal)


# --- Cleaning input -------------------------------------------------------------------------------


def clean_text(text: str | None) -> str:
    """Line breaks as "\\n", no control characters, no blank lines beyond one, trimmed."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text).strip()


def _checked_text(text: str | None) -> str:
    text = clean_text(text)
    if not text:
        raise DomainError(_l("Write your comment first."), field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(
            _l("Your comment is too long (at most %(n)d characters).", n=MAX_TEXT), field="text"
        )
    return text


def _checked_reason(reason: str | None) -> str:
    reason = " ".join(_CONTROL.sub(" ", reason or "").split())
    if not reason:
        raise DomainError(_l("Say why you hide this comment."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(
            _l("The reason is too long (at most %(n)d characters).", n=MAX_REASON), field="reason"
        )
    return reason


def _summary(proposal: Proposal, comment: ProposalComment, what: str) -> str:
    return f"{proposal.object_key}: comment {comment.id} {what}"


# --- Writing --------------------------------------------------------------------------------------


def depth_of(comment: ProposalComment) -> int:
    """1 for a comment on the proposal, 2 for an answer to it, and so on."""
    depth, parent_id = 1, comment.parent_id
    while parent_id is not None and depth <= MAX_DEPTH:
        parent = db.session.get(ProposalComment, parent_id)
        if parent is None:
            break
        depth, parent_id = depth + 1, parent.parent_id
    return depth


def add_comment(
    actor, proposal: Proposal, text: str, parent: ProposalComment | None = None
) -> ProposalComment:
    """A comment on the proposal, or an answer to `parent` (see MAX_DEPTH for where it goes).

    Raises NotAllowed without Comment; DomainError for an empty or too long text, a parent on
    another proposal, or a hidden parent.
    """
    if not can_comment(actor, proposal):
        raise NotAllowed(_l("You cannot comment on this proposal."))
    parent_id = None
    if parent is not None:
        if parent.proposal_id != proposal.id:
            raise DomainError(_l("This comment is not part of this proposal."))
        if parent.hidden_at is not None:
            raise DomainError(
                _l("This comment was hidden by the moderators. You cannot answer it.")
            )
        parent_id = parent.id if depth_of(parent) < MAX_DEPTH else parent.parent_id
    comment = ProposalComment(
        proposal_id=proposal.id,
        parent_id=parent_id,
        author_id=actor.id,
        text=_checked_text(text),
        created_at=utcnow(),
    )
    db.session.add(comment)
    db.session.flush()
    audit.record(
        actor,
        "proposal.commented",
        _summary(proposal, comment, "added" if parent_id is None else f"answers {parent_id}"),
        object_key=proposal.object_key,
        comment_id=comment.id,
        parent_id=parent_id,
    )
    return comment


def edit_comment(actor, comment: ProposalComment, proposal: Proposal, text: str) -> bool:
    """The author changes their comment. Returns False when the text is the same.

    Raises NotAllowed unless `can_edit_comment`; DomainError for an empty or too long text.
    """
    if comment.proposal_id != proposal.id:
        raise DomainError(_l("This comment is not part of this proposal."))
    if not can_edit_comment(actor, comment, proposal):
        raise NotAllowed(_l("You cannot change this comment."))
    text = _checked_text(text)
    if text == comment.text:
        return False
    audit.record(
        actor,
        "proposal.comment_edited",
        _summary(proposal, comment, "edited by its author"),
        object_key=proposal.object_key,
        comment_id=comment.id,
        previous_text=comment.text,
    )
    comment.text, comment.edited_at = text, utcnow()
    db.session.flush()
    return True


def hide_comment(actor, comment: ProposalComment, proposal: Proposal, reason: str) -> None:
    """A moderator hides a comment; the reason is shown in its place.

    Raises NotAllowed without Moderate comments; DomainError without a reason, or when the
    comment is already hidden.
    """
    if comment.proposal_id != proposal.id:
        raise DomainError(_l("This comment is not part of this proposal."))
    if not can_moderate(actor, proposal):
        raise NotAllowed(_l("Only the moderators can hide a comment."))
    if comment.hidden_at is not None:
        raise DomainError(_l("This comment is already hidden."))
    reason = _checked_reason(reason)
    comment.hidden_at, comment.hidden_by_id, comment.hidden_reason = utcnow(), actor.id, reason
    db.session.flush()
    audit.record(
        actor,
        "proposal.comment_hidden",
        _summary(proposal, comment, f"hidden: {reason}"),
        object_key=proposal.object_key,
        comment_id=comment.id,
        reason=reason,
    )


def show_comment(actor, comment: ProposalComment, proposal: Proposal) -> None:
    """A moderator shows a hidden comment again (the audit log keeps why it was hidden).

    Raises NotAllowed without Moderate comments; DomainError when it is not hidden.
    """
    if comment.proposal_id != proposal.id:
        raise DomainError(_l("This comment is not part of this proposal."))
    if not can_moderate(actor, proposal):
        raise NotAllowed(_l("Only the moderators can show a hidden comment again."))
    if comment.hidden_at is None:
        raise DomainError(_l("This comment is not hidden."))
    reason = comment.hidden_reason
    comment.hidden_at, comment.hidden_by_id, comment.hidden_reason = None, None, ""
    db.session.flush()
    audit.record(
        actor,
        "proposal.comment_shown",
        _summary(proposal, comment, "shown again"),
        object_key=proposal.object_key,
        comment_id=comment.id,
        hidden_reason=reason,
    )


# --- Reading --------------------------------------------------------------------------------------


@dataclass
class CommentNode:
    """One comment and the answers under it, for the page."""

    comment: ProposalComment
    depth: int
    answers: list[CommentNode] = field(default_factory=list)


def comments_of(proposal: Proposal) -> list[ProposalComment]:
    """Every comment of the proposal, oldest first, with its author: one statement."""
    return list(
        db.session.scalars(
            sa.select(ProposalComment)
            .where(ProposalComment.proposal_id == proposal.id)
            .options(
                joinedload(ProposalComment.author).lazyload(User.role_grants),
                joinedload(ProposalComment.hidden_by).lazyload(User.role_grants),
            )
            .order_by(ProposalComment.created_at, ProposalComment.id)
        ).unique()
    )


def threads(comments: list[ProposalComment]) -> list[CommentNode]:
    """The comments as threads (each list oldest first), from `comments_of`."""
    nodes = {comment.id: CommentNode(comment, 1) for comment in comments}
    roots = []
    for comment in comments:  # oldest first: a parent is placed before its answers
        node = nodes[comment.id]
        parent = nodes.get(comment.parent_id) if comment.parent_id is not None else None
        if parent is None:
            roots.append(node)
        else:
            node.depth = parent.depth + 1
            parent.answers.append(node)
    return roots
