"""Comment views: write, answer, change, hide and show again (htmx swaps the comments section)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from portal.core.htmx import is_htmx, render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.security import Permission
from portal.core.viewhelpers import acting_user, row_or_404
from portal.proposals import bp, comments
from portal.proposals.forms_comments import CommentForm, HideCommentForm
from portal.proposals.models import Proposal, ProposalComment
from portal.proposals.sections import page_section
from portal.proposals.views import _context, _proposal_or_404

PAGE = "proposals/view.html"
FRAGMENT = "proposals/_comments.html"
CHANGED = "proposal-comments-changed"  # HX-Trigger after a successful change


@dataclass
class CommentSection:
    """What `_comments.html` needs: the threads, the viewer's rights, the form being answered.

    At most one form is "active" (sent with errors, or being changed): it keeps what was typed
    and shows its messages. The others are shown empty.
    """

    proposal: Proposal
    viewer: object
    form: CommentForm = field(default_factory=lambda: CommentForm(formdata=None))
    answer_to: int | None = None  # the comment whose answer form is active
    hide_id: int | None = None  # the comment whose hide form is active
    editing: int | None = None  # the comment being changed
    active_form: FlaskForm | None = None  # the form of answer_to, hide_id or editing
    error: str | None = None  # a refusal that belongs to no field
    notice: str | None = None  # what just happened (after an htmx change)
    focus: int | None = None  # the comment to move the focus to

    @cached_property
    def may_comment(self) -> bool:
        return comments.can_comment(self.viewer, self.proposal)

    @cached_property
    def may_moderate(self) -> bool:
        return comments.can_moderate(self.viewer, self.proposal)

    @cached_property
    def all(self) -> list[ProposalComment]:
        return comments.comments_of(self.proposal)

    @cached_property
    def threads(self) -> list[comments.CommentNode]:
        return comments.threads(self.all)

    @property
    def count(self) -> int:
        return len(self.all)

    def is_author(self, comment: ProposalComment) -> bool:
        return comments.is_author(self.viewer, comment)

    def may_read(self, comment: ProposalComment) -> bool:
        return comments.can_read_text(self.viewer, comment, self.proposal)

    def may_edit(self, comment: ProposalComment) -> bool:
        return comments.can_edit_comment(self.viewer, comment, self.proposal)

    def may_answer(self, comment: ProposalComment) -> bool:
        return comments.can_answer(self.viewer, comment, self.proposal)

    def form_for(self, kind: str, comment: ProposalComment):
        """The active form when `comment` has it, else None (the template shows an empty one)."""
        active = {"answer": self.answer_to, "hide": self.hide_id, "edit": self.editing}[kind]
        return self.active_form if active == comment.id else None


@page_section("comments", order=10)
def _comments_section(proposal: Proposal) -> dict:
    return {"comment_section": CommentSection(proposal, acting_user())}


def _comment_or_404(proposal: Proposal, comment_id: int) -> ProposalComment:
    """A comment of this proposal; a comment of another one does not exist here (404)."""
    return row_or_404(ProposalComment, comment_id, proposal_id=proposal.id)


def _section(proposal: Proposal, status: int = 200, **state):
    """The comments section (htmx) or the whole proposal page, showing `state`."""
    section = CommentSection(proposal, acting_user(), **state)
    return render(
        PAGE, fragment=FRAGMENT, status=status, **_context(proposal, comment_section=section)
    )


def _invalid(proposal: Proposal, sent: FlaskForm, **state):
    """422 with what was typed and the messages, in the section or on the whole page."""
    error = " ".join(str(message) for message in sent.form_errors) or None
    return _section(proposal, 422, active_form=sent, error=error, **state)


def _done(proposal: Proposal, message: str, comment_id: int):
    """The section again with a notice (htmx), or back to the comment with a message."""
    if is_htmx():
        response = _section(proposal, notice=message, focus=comment_id)
        response.headers["HX-Trigger"] = CHANGED
        return response
    flash(message, "success")
    return redirect(
        url_for("proposals.view_proposal", proposal_id=proposal.id, _anchor=f"comment-{comment_id}")
    )


def _write(proposal: Proposal, parent: ProposalComment | None):
    form = CommentForm()
    if form.validate():
        comment = attempt(
            form, comments.add_comment, acting_user(), proposal, form.text.data, parent
        )
        if comment is not REFUSED:
            message = _("Your answer is published.") if parent else _("Your comment is published.")
            return _done(proposal, message, comment.id)
    if parent is None:
        return _invalid(proposal, form, form=form)
    return _invalid(proposal, form, answer_to=parent.id)


@bp.route("/<int:proposal_id>/comments", methods=["POST"])
@login_required
def add_comment(proposal_id: int):
    proposal = _proposal_or_404(proposal_id, Permission.COMMENT)
    return _write(proposal, None)


@bp.route("/<int:proposal_id>/comments/<int:comment_id>/answers", methods=["POST"])
@login_required
def answer_comment(proposal_id: int, comment_id: int):
    proposal = _proposal_or_404(proposal_id, Permission.COMMENT)
    return _write(proposal, _comment_or_404(proposal, comment_id))


@bp.route("/<int:proposal_id>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(proposal_id: int, comment_id: int):
    proposal = _proposal_or_404(proposal_id)
    comment = _comment_or_404(proposal, comment_id)
    if not comments.can_edit_comment(current_user, comment, proposal):
        abort(403)
    if request.method == "GET":
        form = CommentForm(formdata=None, data={"text": comment.text})
        return _section(proposal, editing=comment.id, active_form=form)
    form = CommentForm()
    if form.validate():
        edited = attempt(
            form, comments.edit_comment, acting_user(), comment, proposal, form.text.data
        )
        if edited is not REFUSED:
            return _done(proposal, _("Your comment is changed."), comment_id)
    return _invalid(proposal, form, editing=comment_id)


@bp.route("/<int:proposal_id>/comments/<int:comment_id>/hide", methods=["POST"])
@login_required
def hide_comment(proposal_id: int, comment_id: int):
    proposal = _proposal_or_404(proposal_id, Permission.MODERATE)
    comment = _comment_or_404(proposal, comment_id)
    form = HideCommentForm()
    if form.validate():
        hidden = attempt(
            form, comments.hide_comment, acting_user(), comment, proposal, form.reason.data
        )
        if hidden is not REFUSED:
            return _done(
                proposal, _("The comment is hidden. Its author still sees it."), comment_id
            )
    return _invalid(proposal, form, hide_id=comment_id)


@bp.route("/<int:proposal_id>/comments/<int:comment_id>/show", methods=["POST"])
@login_required
def show_comment(proposal_id: int, comment_id: int):
    proposal = _proposal_or_404(proposal_id, Permission.MODERATE)
    comment = _comment_or_404(proposal, comment_id)
    form = FlaskForm()  # only the CSRF token is posted (checked for every POST)
    if attempt(form, comments.show_comment, acting_user(), comment, proposal) is REFUSED:
        return _invalid(proposal, form)
    return _done(proposal, _("The comment is shown again to everyone."), comment_id)
