"""Poll views: the list, a poll with its vote form (or its count form, in the room), proxies,
steps, the turnout, the results."""

from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from portal.core import audit
from portal.core.errors import Conflict, DomainError
from portal.core.htmx import is_htmx, render
from portal.core.lifecycle import REFUSED, attempt, write_after
from portal.core.paging import paginate
from portal.core.security import Permission, allowed_clause, can, require
from portal.core.urls import public_url
from portal.core.viewhelpers import (
    acting_user,
    form_error,
    int_arg,
    item_or_404,
    row_or_404,
    whole_number,
)
from portal.extensions import db
from portal.members import bodies as body_services
from portal.members.lookup import member_of
from portal.members.models import Member
from portal.voting import bp, services
from portal.voting.forms import (
    METHOD_TITLES,
    ConfirmForm,
    PollForm,
    ProxyForm,
    RoomCountInput,
    StepForm,
    read_room_count,
)
from portal.voting.models import CastMode, Participation, Poll, PollElector, Proxy

PAGE_SIZE = 20
VOTE_TITLES = {
    "yes": _l("Yes"),
    "no": _l("No"),
    "abstain": _l("Abstain"),
    "agree": _l("Agree"),
    "stand_aside": _l("Stand aside"),
    "object": _l("Object"),
}


def _poll_or_404(poll_id: int, permission: Permission = Permission.VIEW) -> Poll:
    return item_or_404(Poll, poll_id, permission)


@bp.route("/")
@login_required
def list_polls():
    query = sa.select(Poll).where(allowed_clause(current_user, Poll, Permission.VIEW))
    state = request.args.get("state", "")
    if state in Poll.workflow.states:
        query = query.where(Poll.state == state)
    order = sa.case({"open": 0, "draft": 1, "closed": 2, "cancelled": 3}, value=Poll.state)
    shown = paginate(query, int_arg("page"), PAGE_SIZE, order, Poll.id.desc())
    polls, page, pages = shown.items, shown.number, shown.pages
    me = member_of(current_user)
    voted = set()
    if me is not None and polls:
        voted = set(
            db.session.scalars(
                sa.select(Participation.poll_id).where(
                    Participation.member_id == me.id,
                    Participation.poll_id.in_([p.id for p in polls]),
                )
            )
        )
    return render(
        "voting/index.html",
        polls=polls,
        voted=voted,
        state=state,
        page=page,
        pages=pages,
        can_create=can(current_user, Permission.MANAGE_POLLS),
        method_titles=METHOD_TITLES,
    )


def _poll_form(form: PollForm) -> PollForm:
    form.body_id.choices = [(str(b.id), b.title) for b in body_services.bodies()]
    form.candidates.choices = [
        (str(member_id), label) for member_id, label in services.active_candidates()
    ]
    return form


def _ids(values) -> tuple[int, ...]:
    """Posted ids; anything else becomes 0, which no row has (the service says so)."""
    return tuple(whole_number(v) or 0 for v in values or ())


def _poll_data(form: PollForm) -> services.PollData:
    body_id = form.body_id.data or ""
    return services.PollData(
        title=form.title.data or "",
        question=form.question.data or "",
        body_id=whole_number(body_id) or 0,
        method=form.method.data or "",
        options=tuple(line.strip() for line in (form.options.data or "").splitlines()),
        secret=bool(form.secret.data),
        practice=bool(form.practice.data),
        majority=form.majority.data or "simple",
        abstentions_count=bool(form.abstentions_count.data),
        quorum_percent=form.quorum_percent.data,
        seats=form.seats.data or 1,
        min_choices=form.min_choices.data,
        max_choices=form.max_choices.data,
        subject_key=None,
        in_room=bool(form.in_room.data),
        candidates=_ids(form.candidates.data),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create_poll():
    require(current_user, Permission.MANAGE_POLLS)
    form = _poll_form(PollForm())
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            poll = attempt(form, services.create_poll, acting_user(), _poll_data(form))
            if poll is not REFUSED:
                flash(_("The poll is prepared. Check it, then open the vote."), "success")
                return redirect(url_for("voting.view_poll", poll_id=poll.id))
    return render("voting/edit.html", status=status, form=form, poll=None)


@bp.route("/<int:poll_id>/edit", methods=["GET", "POST"])
@login_required
def edit_poll(poll_id: int):
    poll = _poll_or_404(poll_id, Permission.EDIT)
    form = _poll_form(PollForm(obj=poll if request.method == "GET" else None))
    if request.method == "GET":
        form.body_id.data = str(poll.body_id)
        form.options.data = "\n".join(poll.option_labels)
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                saved = attempt(form, services.update_poll, acting_user(), poll, _poll_data(form))
            except Conflict as error:  # voting started meanwhile: said on the form, like the rest
                form_error(form, error)
                saved = REFUSED
            if saved is not REFUSED:
                flash(_("Your changes are saved."), "success")
                return redirect(url_for("voting.view_poll", poll_id=poll.id))
    return render("voting/edit.html", status=status, form=form, poll=poll)


def _me() -> Member | None:
    """The viewer's member record (read once per request by the service)."""
    return member_of(current_user)


def _context(poll: Poll, *, full_page: bool = True, **extra) -> dict:
    """What the poll page shows. `full_page` False (an htmx answer to a vote, which shows only
    the ballot box) skips the proxy form's list of the whole electorate."""
    me = _me()
    in_electorate = me is not None and services.elector_weight(poll, me) is not None
    held = services.proxies_held(poll, me) if me is not None and poll.state == "open" else []
    given = None
    if me is not None:
        given = db.session.scalar(
            sa.select(Proxy).where(
                Proxy.poll_id == poll.id, Proxy.principal_id == me.id, Proxy.revoked_at.is_(None)
            )
        )
    voted_ids = set()
    if held:
        voted_ids = set(
            db.session.scalars(
                sa.select(Participation.member_id).where(
                    Participation.poll_id == poll.id,
                    Participation.member_id.in_([p.principal_id for p in held] + [me.id]),
                )
            )
        )
    elif me is not None and in_electorate and services.has_voted(poll, me):
        voted_ids = {me.id}
    proxy_form = ProxyForm()
    has_voted = me is not None and me.id in voted_ids
    offer_proxy = not poll.in_room and me is not None and in_electorate and not has_voted
    if full_page and offer_proxy and poll.state == "open":
        others = db.session.execute(
            sa.select(Member.id, Member.given_name, Member.family_name)
            .join(PollElector, PollElector.member_id == Member.id)
            .where(PollElector.poll_id == poll.id, Member.id != me.id)
            .order_by(sa.func.lower(Member.family_name), sa.func.lower(Member.given_name))
        ).all()
        proxy_form.holder_id.choices = [("", _("Choose a person"))] + [
            (str(row.id), f"{row.family_name} {row.given_name}") for row in others
        ]
    return {
        "poll": poll,
        "me": me,
        "in_electorate": in_electorate,
        "has_voted": has_voted,
        "offer_proxy": offer_proxy,
        "held": held,
        "voted_ids": voted_ids,
        "given": given,
        "turnout": services.turnout(poll),
        "step_form": StepForm(),
        "proxy_form": proxy_form,
        "confirm_form": ConfirmForm(),
        "vote_titles": VOTE_TITLES,
        "method_titles": METHOD_TITLES,
        "receipt": None,
        "vote_error": None,
        "voted_for": None,
        "format_receipt": services.format_receipt,
        **_room_context(poll),
        **extra,
    }


def _room_context(poll: Poll, entry: RoomCountInput | None = None, **extra) -> dict:
    """The count form of an in-room poll: each answer with what was entered (or typed, when
    `entry` is refused input) and its problem."""
    if not poll.in_room:
        return {}
    answers = services.room_answers(poll)
    if entry is None:
        saved = services.room_counts(poll)
        entry = RoomCountInput(
            present_text="" if poll.present_count is None else str(poll.present_count),
            count_texts={a: str(saved[a]) if a in saved else "" for a in answers},
        )
    rows = [
        {
            "index": index,
            "label": str(VOTE_TITLES[answer]) if answer in VOTE_TITLES else answer,
            "text": entry.count_texts.get(answer, ""),
            "error": entry.errors.get(f"count:{answer}"),
        }
        for index, answer in enumerate(answers)
    ]
    return {
        "room_rows": rows,
        "room_present": entry.present_text,
        "room_errors": entry.errors,
        "room_saved": False,
        **extra,
    }


@bp.route("/<int:poll_id>")
@login_required
def view_poll(poll_id: int):
    poll = _poll_or_404(poll_id)
    return render("voting/view.html", **_context(poll))


@bp.route("/<int:poll_id>/turnout")
@login_required
def turnout(poll_id: int):
    """ "31 of 45 have voted": polled by the poll page while the vote is open."""
    poll = _poll_or_404(poll_id)
    return render("voting/_turnout.html", poll=poll, turnout=services.turnout(poll))


def ballot_from_form(poll: Poll, form) -> dict:
    """The ballot content the vote form sent, in the tally's shape."""
    method = poll.method
    if method in ("yes_no_abstain", "consent"):
        if not form.get("vote"):
            return {}  # nothing chosen: "Choose an answer first."
        content = {"vote": form["vote"]}
        if form["vote"] == "object":
            content["reason"] = form.get("reason", "").strip()[:1000]
        return content
    if method == "single":
        return {"choice": form["choice"]} if form.get("choice") else {}
    if method == "approval":
        return {"choices": form.getlist("choices")}
    ranks = []
    for index, label in enumerate(poll.option_labels):
        value = form.get(f"rank-{index}", "")
        if 0 < (whole_number(value) or 0) <= len(poll.option_labels):
            ranks.append((int(value), label))
    numbers = [number for number, _label in ranks]
    if len(set(numbers)) != len(numbers):
        raise DomainError(_("Give each number only once."), field="choice")
    return {"ranking": [label for _number, label in sorted(ranks)]}


@bp.route("/<int:poll_id>/vote", methods=["POST"])
@login_required
def vote(poll_id: int):
    poll = _poll_or_404(poll_id)
    if not ConfirmForm().validate():
        abort(400)
    me = _me()
    if me is None:
        abort(403)
    member, mode = me, CastMode.SELF
    principal_id = request.form.get("for", "")
    if principal_id and principal_id != str(me.id):
        if whole_number(principal_id) is None:
            abort(404)
        member = db.session.get(Member, int(principal_id))
        if member is None:
            abort(404)
        mode = CastMode.PROXY
    receipt, error_message, status = None, None, 200
    try:
        content = ballot_from_form(poll, request.form)
        receipt = attempt(None, services.cast_vote, acting_user(), poll, member, content, mode=mode)
    except DomainError as error:  # in the ballot box, with its own status (409: voted already)
        if error.status_code == 403:
            raise
        error_message, status = _ballot_message(error), error.status_code
    context = _context(poll, full_page=not is_htmx(), receipt=receipt, vote_error=error_message)
    context["voted_for"] = member
    if is_htmx():
        response = render("voting/_ballot.html", status=status, **context)
        if receipt:
            response.headers["HX-Trigger"] = "vote-cast"
        return response
    return render("voting/view.html", status=status, **context)


def _ballot_message(error: DomainError) -> str:
    return str(error.message)


@bp.route("/<int:poll_id>/count", methods=["POST"])
@login_required
def record_room_count(poll_id: int):
    """The person managing an in-room poll enters (or corrects) the people present and the
    counts. Refused input: the form again, as typed, with 422 (409 outside the open vote).
    Only managers of polls (403); whether this poll takes counts now is the service's rule."""
    poll = _poll_or_404(poll_id)
    require(current_user, Permission.MANAGE_POLLS)
    if not ConfirmForm().validate():
        abort(400)
    if not poll.in_room:
        abort(404)
    entry = read_room_count(services.room_answers(poll), request.form)
    status, saved = 422, False
    if not entry.errors:
        try:
            attempt(
                None, services.record_room_count, acting_user(), poll, entry.present, entry.counts
            )
        except DomainError as error:  # next to the counts, with its own status (409: closed)
            if error.status_code == 403:
                raise
            entry.errors[error.field or "counts"] = str(error.message)
            status = error.status_code
        else:
            status, saved, entry = 200, True, None
    if not is_htmx():
        if saved:
            flash(_("The counts are saved. You can correct them until the close."), "success")
            return redirect(url_for("voting.view_poll", poll_id=poll.id))
        return render(
            "voting/view.html", status=status, **_context(poll, **_room_context(poll, entry))
        )
    context = _context(poll, full_page=False, **_room_context(poll, entry, room_saved=saved))
    response = render("voting/_room_count.html", status=status, **context)
    if saved:
        response.headers["HX-Trigger"] = "room-counted"
    return response


@bp.route("/<int:poll_id>/step", methods=["POST"])
@login_required
def step(poll_id: int):
    poll = _poll_or_404(poll_id, Permission.MANAGE_POLLS)
    form = StepForm()
    if not form.validate():
        abort(400)
    actions = {
        "open": lambda: services.open_poll(
            acting_user(), poll, lambda p: public_url("voting.view_poll", poll_id=p.id)
        ),
        "close": lambda: services.close_poll(
            acting_user(), poll, lambda p: public_url("voting.results", poll_id=p.id)
        ),
        "cancel": lambda: services.cancel_poll(acting_user(), poll, form.comment.data or ""),
    }
    action = actions.get(form.transition.data)
    if action is None:
        abort(400)
    try:
        attempt(None, action)
    except DomainError as error:  # said on the poll's page (nothing of the step is kept)
        if error.status_code == 403:
            raise
        flash(str(error.message), "error")
    else:
        flash(
            _("Done. The poll is now: %(state)s.", state=poll.workflow.states[poll.state].title),
            "success",
        )
    return redirect(url_for("voting.view_poll", poll_id=poll_id))


@bp.route("/<int:poll_id>/proxy", methods=["POST"])
@login_required
def give_proxy(poll_id: int):
    poll = _poll_or_404(poll_id)
    me = member_of(current_user)
    form = ProxyForm()
    form.holder_id.choices = []
    if me is None or not form.validate():
        abort(403 if me is None else 400)
    text = form.holder_id.data or ""
    number = whole_number(text)
    holder = db.session.get(Member, number) if number is not None else None
    if holder is None:
        flash(_("Choose a person from the list."), "error")
        return redirect(url_for("voting.view_poll", poll_id=poll.id))
    try:
        attempt(None, services.give_proxy, acting_user(), poll, me, holder)
    except DomainError as error:  # said on the poll's page (nothing of the call is kept)
        if error.status_code == 403:
            raise
        flash(str(error.message), "error")
    else:
        flash(_("%(name)s can now vote for you in this poll.", name=holder.full_name), "success")
    return redirect(url_for("voting.view_poll", poll_id=poll.id))


@bp.route("/<int:poll_id>/proxies/<int:proxy_id>/revoke", methods=["POST"])
@login_required
def revoke_proxy(poll_id: int, proxy_id: int):
    poll = _poll_or_404(poll_id)
    proxy = row_or_404(Proxy, proxy_id, poll_id=poll.id)
    me = member_of(current_user)
    if (me is None or proxy.principal_id != me.id) and not can(
        current_user, Permission.MANAGE_POLLS, poll
    ):
        abort(404)
    if not ConfirmForm().validate():
        abort(400)
    try:
        attempt(None, services.revoke_proxy, acting_user(), proxy)
    except DomainError as error:  # said on the poll's page (nothing of the call is kept)
        flash(str(error.message), "error")
    else:
        flash(_("You took your proxy back. You can vote yourself."), "success")
    return redirect(url_for("voting.view_poll", poll_id=poll.id))


# --- Results ------------------------------------------------------------------------------------


def _rows(poll: Poll) -> list[dict]:
    """One row per answer or option: label, weight, share of the participation."""
    result = poll.result or {}
    counts = result.get("counts", {})
    total = sum(counts.values()) or 0
    labels = (
        [k for k in VOTE_TITLES if k in counts]
        if poll.method in ("yes_no_abstain", "consent")
        else poll.option_labels
    )
    return [
        {
            "key": label,
            "label": str(VOTE_TITLES[label]) if label in VOTE_TITLES else label,
            "count": counts.get(label, 0),
            "percent": round(100 * counts.get(label, 0) / total, 1) if total else 0.0,
        }
        for label in labels
    ]


def _elected(poll: Poll) -> list[dict]:
    """The options elected, in order of election, with their count (votes, approvals, or
    first choices for the ranked methods)."""
    result = poll.result or {}
    counts = result.get("counts", {})
    return [
        {"place": place, "label": label, "count": counts.get(label, 0)}
        for place, label in enumerate(result.get("winners") or [], start=1)
    ]


def _undecided(poll: Poll) -> dict | None:
    """With a tie: the seat that cannot be decided and the options tied for it, when the
    ranking shows them (never drawn by lot: the body decides)."""
    result = poll.result or {}
    if result.get("verdict") != "tie" or poll.method in ("yes_no_abstain", "consent"):
        return None
    winners, ranking = result.get("winners") or [], result.get("ranking") or []
    seat = len(winners) + 1
    following = ranking[len(winners)] if len(ranking) > len(winners) else None
    group = next((g for g in result.get("tied") or [] if following in g), [])
    return {"seat": seat, "tied": [o for o in group if o not in winners]}


@bp.route("/<int:poll_id>/results")
@login_required
def results(poll_id: int):
    poll = _poll_or_404(poll_id, Permission.VIEW_RESULTS)
    receipt = request.args.get("receipt", "").strip()[:40]
    checked = services.receipt_counted(poll, receipt) if receipt else None
    voters = db.session.execute(
        sa.select(Member.given_name, Member.family_name, Participation.named_choice)
        .join(Participation, Participation.member_id == Member.id)
        .where(Participation.poll_id == poll.id)
        .order_by(sa.func.lower(Member.family_name), sa.func.lower(Member.given_name))
    ).all()
    return render(
        "voting/results.html",
        poll=poll,
        rows=_rows(poll),
        elected=_elected(poll),
        undecided=_undecided(poll),
        voters=voters,
        fingerprints=services.receipt_fingerprints(poll),
        receipt=receipt,
        checked=checked,
        vote_titles=VOTE_TITLES,
        method_titles=METHOD_TITLES,
    )


@bp.route("/<int:poll_id>/ballots.json")
@login_required
def ballots_json(poll_id: int):
    """The ballots for an independent re-tally (`flask polls retally FILE`), after the close.

    Anonymous; for a secret poll also shuffled and without objection reasons.
    """
    poll = _poll_or_404(poll_id, Permission.VIEW_RESULTS)
    document = services.ballots_document(poll)
    _audit_after(acting_user(), "export.poll_ballots", poll, "ballots exported for a re-tally")
    response = make_response(json.dumps(document, ensure_ascii=False, indent=1))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="poll-{poll.id}-ballots.json"'
    return response


def _audit_after(actor, action: str, poll: Poll, what: str) -> None:
    """Audit a download once it is ready, in a short write of its own: a GET only reads, and
    on SQLite a read cannot become a write while someone else writes ("database is locked")."""
    summary, key = f"poll {poll.id} {what}", poll.object_key
    write_after(lambda: audit.record(actor, action, summary, object_key=key))


def _safe_cell(value) -> str:
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.route("/<int:poll_id>/results.csv")
@login_required
def results_csv(poll_id: int):
    poll = _poll_or_404(poll_id, Permission.VIEW_RESULTS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Poll"), _safe_cell(poll.title)])
    writer.writerow([_("Result"), (poll.result or {}).get("verdict", "")])
    if poll.in_room:
        writer.writerow([_("Counted in the room (show of hands or paper ballots)")])
        writer.writerow([_("People present"), (poll.result or {}).get("participation", 0)])
        writer.writerow([_("Electorate"), poll.electorate_count])
    else:
        writer.writerow([_("Took part"), (poll.result or {}).get("participation", 0)])
        writer.writerow([_("Electorate"), poll.electorate_weight])
    winners = (poll.result or {}).get("winners") or []
    if len(winners) > 1:
        writer.writerow([_("Elected"), *(_safe_cell(w) for w in winners)])
    writer.writerow([])
    writer.writerow([_("Answer"), _("Votes"), _("Percent")])
    for row in _rows(poll):
        writer.writerow([_safe_cell(row["label"]), row["count"], row["percent"]])
    _audit_after(acting_user(), "export.poll_results", poll, "results exported")
    response = make_response("\ufeff" + out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="poll-{poll.id}-results.csv"'
    return response
