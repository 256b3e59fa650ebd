"""Amendment views: write a change, read it (a diff), accept, decline, take back, the vote."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from portal.core import history
from portal.core.errors import DomainError
from portal.core.htmx import is_htmx, render
from portal.core.lifecycle import attempt
from portal.core.security import Permission, can
from portal.core.urls import public_url
from portal.core.viewhelpers import acting_user, form_error, row_or_404
from portal.proposals import amendments as services
from portal.proposals import bp
from portal.proposals.forms_amendments import (
    AmendmentForm,
    AmendmentVoteForm,
    DeclineAmendmentForm,
)
from portal.proposals.models import (
    AMENDABLE_FIELDS,
    AMENDMENT_STATE_TITLES,
    AmendmentState,
    Proposal,
    ProposalAmendment,
)
from portal.proposals.sections import page_section
from portal.proposals.services import VoteData
from portal.proposals.views import _proposal_or_404

SECTION = "proposals/_amendments.html"
TEXT_ROWS = {"summary": 3, "what_changes": 6, "body": 16}


# --- Loading, context ---------------------------------------------------------------------------


def _amendment_or_404(proposal: Proposal, amendment_id: int) -> ProposalAmendment:
    """An amendment of this proposal (the caller checked the viewer may see the proposal)."""
    return row_or_404(ProposalAmendment, amendment_id, proposal_id=proposal.id)


def _load(proposal_id: int, amendment_id: int) -> tuple[Proposal, ProposalAmendment]:
    proposal = _proposal_or_404(proposal_id)
    return proposal, _amendment_or_404(proposal, amendment_id)


def _rights(proposal: Proposal) -> dict:
    """What the viewer may do with the proposal's amendments (checked once per page)."""
    return {
        "amend": can(current_user, Permission.AMEND, proposal),
        "decide": can(current_user, Permission.DECIDE_AMENDMENTS, proposal),
        "review": proposal.state in services.AMENDABLE_STATES
        and can(current_user, Permission.REVIEW, proposal)
        and can(current_user, Permission.MANAGE_POLLS),
        "settle": can(current_user, Permission.MANAGE_POLLS),
    }


def _shared(proposal: Proposal) -> dict:
    return {
        "amendment_rights": _rights(proposal),
        "amendment_me": getattr(current_user, "id", None),
        "amendment_parts": services.PART_TITLES,
        "amendment_states": AMENDMENT_STATE_TITLES,
        "amendment_diff_titles": {
            name: _("What changes in the text") for name in services.PART_TITLES
        },
        # formdata=None: a fresh form, not the one just posted (an unticked box would read as no).
        "amendment_vote_form": AmendmentVoteForm(
            formdata=None, majority=proposal.addressed_to.default_majority
        ),
        "amendment_errors": {},
        "amendment_typed": {},
        "amendment_notice": None,
        "amendment_alert": None,
        "amendable_states": services.AMENDABLE_STATES,
    }


def _section(proposal: Proposal, **extra) -> dict:
    """The amendments section: the open changes with their diff, then the decided ones."""
    context = _shared(proposal)
    found = [] if proposal.state == "draft" else services.amendments_of(proposal)
    waiting = [a for a in found if a.state in services.OPEN_STATES]
    bases = services.texts_at(proposal, {a.base_version for a in waiting})
    context.update(
        amendments_open=waiting,
        amendments_done=[a for a in found if a.state not in services.OPEN_STATES],
        amendments_in_vote=sum(1 for a in waiting if a.state == AmendmentState.VOTE),
        amendment_diffs={
            a.id: {a.field: history.diff_lines(services.current_text(proposal, a.field), a.text)}
            for a in waiting
        },
        amendment_stale={
            a.id
            for a in waiting
            if services.is_stale(proposal, a, (bases.get(a.base_version) or {}).get(a.field, None))
        },
        in_section=True,
    )
    context.update(extra)
    return context


@page_section("amendments", order=20)
def _amendments_section(proposal: Proposal) -> dict:
    return _section(proposal)


def _page(proposal: Proposal, amendment: ProposalAmendment, **extra) -> dict:
    """One amendment on its own page: open ones against the text now, others against the
    text they were written on."""
    context = _shared(proposal)
    if amendment.state in services.OPEN_STATES:
        before = services.current_text(proposal, amendment.field)
    else:
        base = services.texts_at(proposal, [amendment.base_version]).get(amendment.base_version)
        before = (base or {}).get(amendment.field, "")
    stale = amendment.state in services.OPEN_STATES and services.is_stale(proposal, amendment)
    context.update(
        proposal=proposal,
        amendment=amendment,
        amendment_diffs={
            amendment.id: {amendment.field: history.diff_lines(before, amendment.text)}
        },
        amendment_stale={amendment.id} if stale else set(),
        in_section=False,
    )
    context.update(extra)
    return context


# --- Reading ------------------------------------------------------------------------------------


@bp.route("/<int:proposal_id>/amendments")
@login_required
def list_amendments(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    if not is_htmx():
        return redirect(
            url_for(
                "proposals.view_proposal",
                proposal_id=proposal.id,
                _anchor=f"proposal-{proposal.id}-amendments",
            )
        )
    return render(SECTION, proposal=proposal, **_section(proposal))


@bp.route("/<int:proposal_id>/amendments/<int:amendment_id>")
@login_required
def view_amendment(proposal_id: int, amendment_id: int):
    proposal, amendment = _load(proposal_id, amendment_id)
    return render("proposals/amendment.html", **_page(proposal, amendment))


# --- Writing ------------------------------------------------------------------------------------


def _text_box(form: AmendmentForm, field: str) -> None:
    attributes = {"rows": TEXT_ROWS[field]}
    limit = services.MAX_LENGTHS[field]
    if limit < 10_000:  # the browser counts with the person; the full text only has a far limit
        attributes["maxlength"] = limit
    form.text.render_kw = attributes


@bp.route("/<int:proposal_id>/amendments/new", methods=["GET", "POST"])
@login_required
def propose_amendment(proposal_id: int):
    proposal = _proposal_or_404(proposal_id, Permission.AMEND)
    form = AmendmentForm()
    status, conflict = 200, None
    if request.method == "GET":
        field = request.args.get("field", "")
        if field not in AMENDABLE_FIELDS:  # first: which part?
            return render("proposals/amendment_new.html", proposal=proposal, form=None, field=None)
        form.field.data = field
        form.version.data = proposal.version
        form.text.data = services.current_text(proposal, field)
    else:
        field = form.field.data
        if field not in AMENDABLE_FIELDS:
            abort(400)  # not what the page's own form sends
        status = 422
        if form.validate():
            data = services.AmendmentData(
                field=field,
                text=form.text.data or "",
                reason=form.reason.data or "",
                base_version=form.version.data,
            )
            try:
                amendment = attempt(None, services.propose_amendment, acting_user(), proposal, data)
            except DomainError as error:  # on the form, with its own status
                if error.status_code == 403:
                    raise
                form_error(form, error)
                status = error.status_code
                if status == 409:  # the part changed meanwhile: show how, keep the typed text
                    current = services.current_text(proposal, field)
                    conflict = {field: history.diff_lines(data.text, current)}
                    form.version.data = proposal.version
                    form.version.raw_data = [str(proposal.version)]
            else:
                flash(_("Thank you. Your change is sent to the authors."), "success")
                return redirect(
                    url_for(
                        "proposals.view_proposal",
                        proposal_id=proposal.id,
                        _anchor=f"amendment-{amendment.id}",
                    )
                )
    _text_box(form, field)
    return render(
        "proposals/amendment_new.html",
        fragment="proposals/_amendment_form.html",
        status=status,
        proposal=proposal,
        form=form,
        field=field,
        part=services.PART_TITLES[field],
        conflict=conflict,
        diff_titles={field: _("Your text (−) and the text now (+)")},
    )


# --- Steps --------------------------------------------------------------------------------------


def _refused(proposal, amendment, message: str, status: int, typed: dict | None = None):
    """The section again with the refusal next to the change (htmx: 422, so it is swapped);
    without htmx, the change's own page with the message and what was typed."""
    typed = typed or {}
    if is_htmx():
        return render(
            SECTION,
            status=422,
            proposal=proposal,
            **_section(
                proposal,
                amendment_errors={amendment.id: message},
                amendment_typed={amendment.id: typed},
                # An answered change is not in the list: its refusal goes above it.
                amendment_alert=None if amendment.state in services.OPEN_STATES else message,
            ),
        )
    return render(
        "proposals/amendment.html",
        status=status,
        **_page(
            proposal,
            amendment,
            amendment_errors={amendment.id: message},
            amendment_typed={amendment.id: typed},
        ),
    )


def _step(proposal_id: int, amendment_id: int, form: FlaskForm, action, done, keep=()):
    """Check the form, run one service step; then the section (htmx) or the page.

    `done(amendment)` says what happened; `keep` names the fields whose text is given back
    when the step is refused.
    """
    proposal, amendment = _load(proposal_id, amendment_id)
    typed = {name: form[name].data or "" for name in keep}
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        message = " ".join(str(m) for ms in form.errors.values() for m in ms)
        return _refused(proposal, amendment, message, 422, typed)
    try:
        attempt(None, action, amendment)
    except DomainError as error:  # next to the change, with its own status (409: stale)
        if error.status_code == 403:
            raise
        return _refused(proposal, amendment, str(error.message), error.status_code, typed)
    message = done(amendment)
    if is_htmx():
        response = render(
            SECTION, proposal=proposal, **_section(proposal, amendment_notice=message)
        )
        response.headers["HX-Trigger"] = "proposal-amended"
        return response
    flash(message, "success")
    return redirect(
        url_for(
            "proposals.view_proposal",
            proposal_id=proposal.id,
            _anchor=f"proposal-{proposal.id}-amendments",
        )
    )


@bp.route("/<int:proposal_id>/amendments/<int:amendment_id>/accept", methods=["POST"])
@login_required
def accept_amendment(proposal_id: int, amendment_id: int):
    return _step(
        proposal_id,
        amendment_id,
        FlaskForm(),
        lambda amendment: services.accept_amendment(acting_user(), amendment),
        lambda amendment: _("Done: the change is in the text now."),
    )


@bp.route("/<int:proposal_id>/amendments/<int:amendment_id>/decline", methods=["POST"])
@login_required
def decline_amendment(proposal_id: int, amendment_id: int):
    form = DeclineAmendmentForm()
    return _step(
        proposal_id,
        amendment_id,
        form,
        lambda amendment: services.decline_amendment(acting_user(), amendment, form.reason.data),
        lambda amendment: _("Done: you said no to this change. Its author can read why."),
        keep=("reason",),
    )


@bp.route("/<int:proposal_id>/amendments/<int:amendment_id>/withdraw", methods=["POST"])
@login_required
def withdraw_amendment(proposal_id: int, amendment_id: int):
    return _step(
        proposal_id,
        amendment_id,
        FlaskForm(),
        lambda amendment: services.withdraw_amendment(acting_user(), amendment),
        lambda amendment: _("Done: you took your change back."),
    )


@bp.route("/<int:proposal_id>/amendments/<int:amendment_id>/vote", methods=["POST"])
@login_required
def start_amendment_vote(proposal_id: int, amendment_id: int):
    form = AmendmentVoteForm()
    return _step(
        proposal_id,
        amendment_id,
        form,
        lambda amendment: services.start_amendment_vote(
            acting_user(),
            amendment,
            VoteData(secret=bool(form.secret.data), majority=form.majority.data),
            link=lambda p: public_url("voting.view_poll", poll_id=p.id),
        ),
        lambda amendment: _(
            "The vote on this change is open. The members of %(body)s can vote now.",
            body=services.proposal_of(amendment).addressed_to.title,
        ),
    )


@bp.route("/<int:proposal_id>/amendments/<int:amendment_id>/vote/result", methods=["POST"])
@login_required
def settle_amendment_vote(proposal_id: int, amendment_id: int):
    return _step(
        proposal_id,
        amendment_id,
        FlaskForm(),
        lambda amendment: services.settle_amendment_vote(acting_user(), amendment),
        lambda amendment: _(
            "The result is recorded. The change is now: %(state)s.",
            state=AMENDMENT_STATE_TITLES[AmendmentState(amendment.state)],
        ),
    )
