"""The decisions register: list with filters, CSV export, a decision's page and its follow-up."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal.core.db import local_today
from portal.core.htmx import render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.paging import paginate
from portal.core.security import Permission, can, require
from portal.core.viewhelpers import acting_user, int_arg, row_or_404, whole_number
from portal.extensions import db
from portal.meetings import bp
from portal.meetings import decisions as services
from portal.meetings.forms_decisions import DecisionFollowUpForm
from portal.meetings.models import Decision, Meeting, Minutes
from portal.members import bodies as body_services
from portal.members.models import Member

PAGE_SIZE = 25
MAX_EXPORT = 10_000


def _filters() -> services.Filters:
    status = request.args.get("status", "")
    return services.Filters(
        body_id=whole_number(request.args.get("body", "")) or None,
        year=whole_number(request.args.get("year", ""), 9999) or None,
        status=status if status in {s.value for s in services.FollowStatus} else None,
        search=request.args.get("q", "").strip()[:100],
    )


def _filter_args(filters: services.Filters) -> dict:
    return {
        key: value
        for key, value in (
            ("body", filters.body_id),
            ("year", filters.year),
            ("status", filters.status),
            ("q", filters.search),
        )
        if value
    }


@bp.route("/decisions/")
@login_required
def list_decisions():
    filters = _filters()
    query = services.decisions_query(filters, current_user)
    page = paginate(query, int_arg("page", 1), PAGE_SIZE)
    return render(
        "meetings/decisions.html",
        fragment="meetings/_decisions_list.html",
        decisions=page.items,
        total=page.total,
        page=page.number,
        pages=page.pages,
        filters=filters,
        filter_args=_filter_args(filters),
        bodies=body_services.bodies(include_inactive=True),
        years=services.years(),
        follow_titles=services.FOLLOW_TITLES,
        today=local_today(),
    )


@bp.route("/decisions/export.csv")
@login_required
def export_decisions():
    decisions = db.session.scalars(
        services.decisions_query(_filters(), current_user).limit(MAX_EXPORT)
    ).all()
    response = make_response(services.export_csv(decisions))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="decisions.csv"'
    return response


def _decision_or_404(decision_id: int) -> Decision:
    decision = row_or_404(Decision, decision_id)
    if not services.may_view(current_user, decision):
        abort(404)  # the decisions of minutes not yet published: the board only
    return decision


def _with_candidates(decision: Decision, form: DecisionFollowUpForm) -> DecisionFollowUpForm:
    members = services.responsible_candidates()
    choices = [SelectChoice("", _("Nobody yet"))] + [
        SelectChoice(str(m.id), f"{m.family_name} {m.given_name} ({m.member_number})")
        for m in members
    ]
    current = decision.follow_responsible
    if current is not None and current.id not in {m.id for m in members}:
        choices.insert(
            1,
            SelectChoice(
                str(current.id),
                _("%(name)s (no longer an active member)", name=current.full_name),
            ),
        )
    form.responsible.choices = choices
    return form


def _links(decision: Decision) -> dict:
    """The minutes, meeting, poll and proposal the viewer may open."""
    from portal.proposals.models import Proposal
    from portal.voting.models import Poll

    def visible(model, item_id):
        item = db.session.get(model, item_id) if item_id else None
        return item if item is not None and can(current_user, Permission.VIEW, item) else None

    return {
        "linked_minutes": visible(Minutes, decision.minutes_id),
        "linked_meeting": visible(Meeting, decision.meeting_id),
        "linked_poll": visible(Poll, decision.poll_id),
        "linked_proposal": visible(Proposal, decision.proposal_id),
    }


def _page(decision: Decision, form: DecisionFollowUpForm | None = None, status: int = 200):
    from portal.meetings.views_minutes import meeting_url

    if form is None and services.can_follow_up(current_user):
        form = _with_candidates(
            decision,
            DecisionFollowUpForm(
                formdata=None,
                status=decision.follow_status,
                responsible=str(decision.follow_responsible_id or ""),
                due=decision.follow_due,
                note=decision.follow_note,
            ),
        )
    return render(
        "meetings/decision.html",
        fragment="meetings/_decision_follow_up.html",
        status=status,
        decision=decision,
        follow_form=form,
        follow_titles=services.FOLLOW_TITLES,
        meeting_url=meeting_url,
        today=local_today(),
        **_links(decision),
    )


@bp.route("/decisions/<int:decision_id>")
@login_required
def view_decision(decision_id: int):
    return _page(_decision_or_404(decision_id))


@bp.route("/decisions/<int:decision_id>/follow-up", methods=["POST"])
@login_required
def follow_up_decision(decision_id: int):
    decision = _decision_or_404(decision_id)
    require(current_user, Permission.MANAGE_MEETINGS)
    form = _with_candidates(decision, DecisionFollowUpForm())
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return _page(decision, form, 422)
    responsible = None
    if form.responsible.data:
        member_id = whole_number(form.responsible.data)
        responsible = db.session.get(Member, member_id) if member_id else None
        if responsible is None:
            form.responsible.errors = [_("Choose from the list.")]
            return _page(decision, form, 422)
    saved = attempt(
        form,
        services.update_follow_up,
        acting_user(),
        decision,
        form.status.data,
        responsible,
        form.due.data,
        form.note.data or "",
    )
    if saved is REFUSED:
        return _page(decision, form, 422)
    flash(_("The follow-up is saved."), "success")
    return redirect(url_for("meetings.view_decision", decision_id=decision.id), 303)
