"""Proposal views: list, read, write, steps, supports, the vote, answer, follow-up, history."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from portal.accounts import people
from portal.core import history, itemviews
from portal.core.db import local_today
from portal.core.errors import DomainError
from portal.core.forms import TransitionForm
from portal.core.htmx import is_htmx, render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.paging import paginate
from portal.core.security import Permission, can
from portal.core.urls import public_url
from portal.core.viewhelpers import acting_user, int_arg, item_or_404
from portal.core.workflow import available_transitions
from portal.members import bodies as body_services
from portal.members.lookup import member_of
from portal.proposals import bp, services
from portal.proposals.forms import (
    AnswerForm,
    EditProposalForm,
    FollowUpForm,
    ProposalForm,
    StartVoteForm,
)
from portal.proposals.models import FOLLOW_STATUS_TITLES, FollowStatus, Proposal
from portal.proposals.sections import sections_context
from portal.proposals.workflow import PROPOSAL_WORKFLOW, SERVICE_STEPS

PAGE_SIZE = 20
FIELD_TITLES = {
    "title": _l("Title"),
    "summary": _l("In plain words"),
    "what_changes": _l("What changes for me"),
    "body": _l("Full text"),
}
SCREENS = itemviews.ItemScreens(
    kind="proposal",
    id_arg="proposal_id",
    endpoints=itemviews.ItemEndpoints(
        view="proposals.view_proposal",
        history="proposals.proposal_history",
        revert="proposals.revert_proposal",
        sharing="proposals.share_proposal",
        grant="proposals.grant_role",
        revoke="proposals.revoke_role",
    ),
    texts=itemviews.ItemTexts(
        back=_l("Back to the proposal"),
        no_steps=_l("No step yet: the proposal is still a draft."),
        sharing_title=_l("Co-authors: %(title)s"),
        sharing_intro=_l(
            "Co-authors (Can edit) write the proposal with you. "
            "People who can read see it while it is a draft."
        ),
        sharing_here=_l("this proposal"),
        sharing_inherited=_l("this proposal"),  # proposals sit at the top: nothing to inherit
        sharing_nobody=_l("Nobody has a role on this proposal yet."),
        granted=_l("%(name)s now has this role on the proposal."),
    ),
    revert_service=services.revert_proposal,
    people=people,
)


def _proposal_or_404(proposal_id: int, permission: Permission = Permission.VIEW) -> Proposal:
    """Load a proposal the viewer may see; others do not exist for them (404)."""
    return item_or_404(Proposal, proposal_id, permission)


def _body_choices(form: ProposalForm) -> None:
    form.body_id.choices = [SelectChoice(b.id, b.title) for b in body_services.bodies()]


def _data(form: ProposalForm) -> services.ProposalData:
    return services.ProposalData(
        title=form.title.data or "",
        summary=form.summary.data or "",
        what_changes=form.what_changes.data or "",
        body=form.body.data or "",
        body_id=form.body_id.data,
    )


def _steps(proposal: Proposal):
    return [t for t in available_transitions(proposal, current_user) if t.name not in SERVICE_STEPS]


def _support_context(proposal: Proposal) -> dict:
    member = member_of(current_user)
    return {
        "supports": services.support_count(proposal),
        "threshold": services.support_threshold(proposal),
        "supported": services.has_supported(proposal, member),
        "may_support": proposal.state == "support"
        and can(current_user, Permission.VOTE, proposal)
        and services.in_electorate(proposal, member),
    }


def _answer_context(proposal: Proposal) -> dict:
    may_answer = can(current_user, Permission.ANSWER, proposal)
    return {
        "answer_form": AnswerForm(formdata=None, answer=proposal.board_answer)
        if may_answer
        else None,
    }


def _with_candidates(proposal: Proposal, form: FollowUpForm) -> FollowUpForm:
    """The people who may be made responsible: active members (and whoever is already)."""
    members = services.responsible_candidates()
    choices = [SelectChoice("", _("Nobody yet"))] + [
        SelectChoice(str(m.id), f"{m.family_name} {m.given_name} ({m.member_number})")
        for m in members
    ]
    current = proposal.follow_responsible
    if current is not None and current.id not in {m.id for m in members}:
        choices.insert(
            1,
            SelectChoice(
                str(current.id),
                _("%(name)s (no longer an active member)", name=current.full_name),
            ),
        )
    form.follow_responsible.choices = choices
    return form


def _follow_up_context(proposal: Proposal) -> dict:
    form = None
    if can(current_user, Permission.FOLLOW_UP, proposal):
        form = _with_candidates(
            proposal,
            FollowUpForm(
                formdata=None,
                follow_status=proposal.follow_status or FollowStatus.TO_DO.value,
                follow_responsible=str(proposal.follow_responsible_id or ""),
                follow_due=proposal.follow_due,
                follow_note=proposal.follow_note,
            ),
        )
    return {
        "follow_form": form,
        "follow_titles": FOLLOW_STATUS_TITLES,
        "follow_late": services.follow_up_late(proposal),
    }


def _context(proposal: Proposal, **extra) -> dict:
    context = {
        "proposal": proposal,
        "steps": _steps(proposal),
        "transition_form": TransitionForm(),
        # formdata=None: a fresh form, not whatever was just posted (the "Secret vote" box
        # would come back unticked after another section's POST).
        "vote_form": StartVoteForm(formdata=None, majority=proposal.addressed_to.default_majority),
        "support_error": None,
        "error_message": None,
        **_support_context(proposal),
        **_answer_context(proposal),
        **_follow_up_context(proposal),
    }
    context.update(sections_context(proposal))
    context.update(extra)
    return context


@bp.route("/")
def list_proposals():
    page_number = int_arg("page")
    state = request.args.get("state", "")
    follow = request.args.get("follow", "")
    today = local_today()
    query = services.visible(current_user)
    if state in PROPOSAL_WORKFLOW.states:
        query = query.where(Proposal.state == state)
    else:
        state = ""
    if follow in FOLLOW_STATUS_TITLES:
        query = query.where(Proposal.follow_status == follow)
    elif follow == "late":
        query = query.where(
            Proposal.follow_status.not_in(services.FOLLOW_FINISHED), Proposal.follow_due < today
        )
    else:
        follow = ""
    listed = paginate(query, page_number, PAGE_SIZE, Proposal.updated_at.desc(), Proposal.id.desc())
    return render(
        "proposals/index.html",
        fragment="proposals/_results.html",
        items=listed.items,
        total=listed.total,
        page=listed.number,
        pages=listed.pages,
        state=state,
        states=PROPOSAL_WORKFLOW.states,
        follow=follow,
        follow_titles=FOLLOW_STATUS_TITLES,
        follow_up_late=services.follow_up_late,
        today=today,
        can_add=services.can_create_proposal(current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create_proposal():
    if not services.can_create_proposal(current_user):
        abort(403)
    form = ProposalForm()
    _body_choices(form)
    if request.method == "GET":
        default = services.default_body()
        form.body_id.data = default.id if default else None
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            proposal = attempt(form, services.create_proposal, acting_user(), _data(form))
            if proposal is not REFUSED:
                flash(_("Your proposal is saved as a draft. Only you can see it."), "success")
                return redirect(url_for("proposals.view_proposal", proposal_id=proposal.id))
    return render(
        "proposals/edit.html",
        fragment="proposals/_edit_form.html",
        status=status,
        form=form,
        proposal=None,
    )


@bp.route("/<int:proposal_id>")
@login_required
def view_proposal(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    return render("proposals/view.html", **_context(proposal))


@bp.route("/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit_proposal(proposal_id: int):
    proposal = _proposal_or_404(proposal_id, Permission.EDIT)
    form = EditProposalForm(obj=proposal if request.method == "GET" else None)
    _body_choices(form)
    conflict = None
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                saved = attempt(
                    form,
                    services.update_proposal,
                    acting_user(),
                    proposal,
                    form.version.data,
                    _data(form),
                )
            except history.EditConflict as error:  # 409 with the other person's change
                conflict = itemviews.edit_conflict(proposal, error, form)
                saved, status = REFUSED, 409
            if saved is not REFUSED:
                flash(_("Your changes are saved."), "success")
                return redirect(url_for("proposals.view_proposal", proposal_id=proposal.id))
    return render(
        "proposals/edit.html",
        fragment="proposals/_edit_form.html",
        status=status,
        form=form,
        proposal=proposal,
        conflict=conflict,
        field_titles=FIELD_TITLES,
    )


def _run_step(proposal_id: int, proposal: Proposal, action) -> tuple[Proposal, str | None]:
    """Run one service step; its refusal, if any, to show in the status box (nothing of the
    step is kept; a 403 stays a 403)."""
    try:
        attempt(None, action)
    except DomainError as error:
        if error.status_code == 403:
            raise
        return _proposal_or_404(proposal_id), str(error.message)
    return proposal, None


def _after_step(proposal_id: int, proposal: Proposal, error_message, event: str, done_message):
    """The status box again (htmx), or back to the page with a message."""
    if is_htmx():
        response = render(
            "proposals/_status.html",
            status=422 if error_message else 200,
            **_context(proposal, error_message=error_message),
        )
        if not error_message:
            response.headers["HX-Trigger"] = event
        return response
    flash(error_message or done_message, "error" if error_message else "success")
    if not can(current_user, Permission.VIEW, proposal):
        return redirect(url_for("proposals.list_proposals"))
    return redirect(url_for("proposals.view_proposal", proposal_id=proposal_id))


@bp.route("/<int:proposal_id>/transition", methods=["POST"])
@login_required
def transition_proposal(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    form = TransitionForm()
    error_message = None
    if not form.validate():
        if set(form.errors) != {"comment"}:
            abort(400)  # not what the page's own form sends
        error_message = " ".join(str(message) for message in form.comment.errors)
    else:
        proposal, error_message = _run_step(
            proposal_id,
            proposal,
            lambda: services.transition_proposal(
                acting_user(), proposal, form.transition.data, form.comment.data or ""
            ),
        )
    return _after_step(
        proposal_id,
        proposal,
        error_message,
        "proposal-state-changed",
        _(
            "Done. The proposal is now: %(state)s.",
            state=proposal.workflow.states[proposal.state].title,
        ),
    )


@bp.route("/<int:proposal_id>/supports")
@login_required
def supports(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    return render(
        "proposals/view.html",
        fragment="proposals/_support.html",
        **_context(proposal),
    )


def _support_step(proposal_id: int, action, event: str, done_message):
    """Support or take back a support: the support box again (htmx), or back to the page."""
    proposal = _proposal_or_404(proposal_id)
    if not FlaskForm().validate():  # only the CSRF token is posted
        abort(400)
    error_message, status = None, 200
    try:
        attempt(None, action, proposal)
    except DomainError as error:  # in the support box, with its own status (409: twice)
        if error.status_code == 403:
            raise
        error_message, status = str(error.message), error.status_code
    if is_htmx():
        response = render(
            "proposals/_support.html",
            status=status,
            **_context(proposal, support_error=error_message),
        )
        if not error_message:
            response.headers["HX-Trigger"] = event
        return response
    flash(error_message or done_message, "error" if error_message else "success")
    return redirect(url_for("proposals.view_proposal", proposal_id=proposal.id))


@bp.route("/<int:proposal_id>/support", methods=["POST"])
@login_required
def support_proposal(proposal_id: int):
    return _support_step(
        proposal_id,
        lambda proposal: services.support_proposal(acting_user(), proposal),
        "proposal-supported",
        _("Thank you: your support is counted."),
    )


@bp.route("/<int:proposal_id>/support/withdraw", methods=["POST"])
@login_required
def withdraw_support(proposal_id: int):
    return _support_step(
        proposal_id,
        lambda proposal: services.withdraw_support(acting_user(), proposal),
        "proposal-support-withdrawn",
        _("Your support is taken back. You can give it again while the proposal is open."),
    )


@bp.route("/<int:proposal_id>/vote", methods=["POST"])
@login_required
def start_vote(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    form = StartVoteForm()
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        return render(
            "proposals/view.html",
            fragment="proposals/_status.html",
            status=422,
            **_context(
                proposal,
                vote_form=form,
                error_message=" ".join(str(m) for ms in form.errors.values() for m in ms),
            ),
        )
    proposal, error_message = _run_step(
        proposal_id,
        proposal,
        lambda: services.start_vote(
            acting_user(),
            proposal,
            services.VoteData(secret=bool(form.secret.data), majority=form.majority.data),
            link=lambda p: public_url("voting.view_poll", poll_id=p.id),
        ),
    )
    return _after_step(
        proposal_id,
        proposal,
        error_message,
        "proposal-state-changed",
        _(
            "The vote is open. The members of %(body)s can vote now.",
            body=proposal.addressed_to.title,
        ),
    )


@bp.route("/<int:proposal_id>/vote/result", methods=["POST"])
@login_required
def settle_vote(proposal_id: int):
    proposal = _proposal_or_404(proposal_id, Permission.MANAGE_POLLS)
    if not FlaskForm().validate():
        abort(400)
    proposal, error_message = _run_step(
        proposal_id, proposal, lambda: services.settle_vote(acting_user(), proposal)
    )
    return _after_step(
        proposal_id,
        proposal,
        error_message,
        "proposal-state-changed",
        _(
            "The result is recorded. The proposal is now: %(state)s.",
            state=proposal.workflow.states[proposal.state].title,
        ),
    )


def _section_saved(proposal: Proposal, fragment: str, event: str, done_message, anchor: str):
    """After a section's form is saved: the fresh section (htmx), or back to the page."""
    if is_htmx():
        response = render(fragment, **_context(proposal, section_notice=done_message))
        response.headers["HX-Trigger"] = event
        return response
    flash(done_message, "success")
    return redirect(url_for("proposals.view_proposal", proposal_id=proposal.id, _anchor=anchor))


def _section_refused(proposal: Proposal, fragment: str, **forms):
    """A section's form with what was typed and its messages: 422, page or fragment."""
    return render(
        "proposals/view.html", fragment=fragment, status=422, **_context(proposal, **forms)
    )


@bp.route("/<int:proposal_id>/answer", methods=["POST"])
@login_required
def answer_proposal(proposal_id: int):
    proposal = _proposal_or_404(proposal_id, Permission.ANSWER)
    form = AnswerForm()
    if form.validate():
        answered = attempt(
            form, services.answer_proposal, acting_user(), proposal, form.answer.data or ""
        )
        if answered is not REFUSED:
            return _section_saved(
                proposal,
                "proposals/_answer.html",
                "proposal-answered",
                _("The board's answer is saved.")
                if proposal.board_answer
                else _("The board's answer is removed."),
                f"proposal-{proposal.id}-answer",
            )
    elif "csrf_token" in form.errors:
        abort(400)
    return _section_refused(proposal, "proposals/_answer.html", answer_form=form)


def _member_id(text: str | None) -> int | None:
    """The chosen person's id ("" is nobody); the form has checked it is only digits."""
    return int(text) if text else None


@bp.route("/<int:proposal_id>/follow-up", methods=["POST"])
@login_required
def follow_up_proposal(proposal_id: int):
    proposal = _proposal_or_404(proposal_id, Permission.FOLLOW_UP)
    form = FollowUpForm()
    if form.validate():
        saved = attempt(
            form,
            services.update_follow_up,
            acting_user(),
            proposal,
            form.follow_status.data or "",
            _member_id(form.follow_responsible.data),
            form.follow_due.data,
            form.follow_note.data or "",
        )
        if saved is not REFUSED:
            return _section_saved(
                proposal,
                "proposals/_follow_up.html",
                "proposal-follow-up-changed",
                _("The follow-up is saved."),
                f"proposal-{proposal.id}-follow-up",
            )
    elif "csrf_token" in form.errors:
        abort(400)
    return _section_refused(
        proposal, "proposals/_follow_up.html", follow_form=_with_candidates(proposal, form)
    )


@bp.route("/<int:proposal_id>/history")
@login_required
def proposal_history(proposal_id: int):
    proposal = _proposal_or_404(proposal_id, Permission.VIEW_HISTORY)
    return itemviews.history_page(proposal, SCREENS, field_titles=FIELD_TITLES)


@bp.route("/<int:proposal_id>/revert/<int:version>", methods=["POST"])
@login_required
def revert_proposal(proposal_id: int, version: int):
    return itemviews.revert(_proposal_or_404(proposal_id, Permission.EDIT), version, SCREENS)


@bp.route("/<int:proposal_id>/sharing")
@login_required
def share_proposal(proposal_id: int):
    proposal = _proposal_or_404(proposal_id, Permission.MANAGE_SHARING)
    return itemviews.sharing_page(proposal, SCREENS)


@bp.route("/<int:proposal_id>/sharing/grant", methods=["POST"])
@login_required
def grant_role(proposal_id: int):
    return itemviews.grant(_proposal_or_404(proposal_id, Permission.MANAGE_SHARING), SCREENS)


@bp.route("/<int:proposal_id>/sharing/revoke", methods=["POST"])
@login_required
def revoke_role(proposal_id: int):
    return itemviews.revoke(_proposal_or_404(proposal_id, Permission.MANAGE_SHARING), SCREENS)
