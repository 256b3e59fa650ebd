"""The member's own pages: "My pathway" (their record in plain words), who opened it, asking for
a correction — and the team's answer to a correction request.

Every page that shows a record goes through `journal.load_pathway`: the member reading their
own record is a read too. A pathway is only ever taken from the member's own list here, so the
same person, were they also a counsellor, never sees someone else's record through these pages.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from portal.core.db import local_today
from portal.core.htmx import hx_redirect, is_htmx, render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.paging import page_of
from portal.core.viewhelpers import acting_user, int_arg, whole_number
from portal.extensions import db
from portal.integration import bp, journal, rectification
from portal.integration.forms_mine import AnswerForm, CorrectionForm, answer_prefix
from portal.integration.models import (
    ACTION_TITLES,
    BARRIER_STATUS_TITLES,
    BARRIER_TITLES,
    GOAL_STATUS_TITLES,
    REQUEST_STATUS_TITLES,
    SKILL_LEVELS,
    TEAM_ROLE_TITLES,
    Assignment,
    Barrier,
    Goal,
    Pathway,
    ReadKind,
    ReadOutcome,
    RecordRead,
    RectificationRequest,
    SkillAssessment,
    SupportAction,
)
from portal.integration.participation import pathway_participation

READS_PAGE_SIZE = 25
REFUSED_SHOWN = 50

# What was read, in words: by the journal's kind (the `what` names the screen, for the team).
READ_WORDS = {
    ReadKind.PAGE.value: _l("Looked at the record"),
    ReadKind.FRAGMENT.value: _l("Looked at a part of the record"),
    ReadKind.PDF.value: _l("Printed the record (PDF)"),
    ReadKind.EXPORT.value: _l("Downloaded a copy of the data"),
}
BREAK_GLASS_WORDS = _l("Opened the record as an administrator")
TEAM_ONLY_WORDS = _l("Looked at the follow-up team only (to change it), not at the record")


# --- Whose record ---------------------------------------------------------------------------------


def _my_member():
    from portal.members.models import Member

    user = acting_user()
    return db.session.scalar(sa.select(Member).where(Member.user_id == user.id))


def _my_pathways(member) -> list[Pathway]:
    """The member's pathways that are still theirs (not anonymised), newest first."""
    if member is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Pathway)
            .where(Pathway.member_id == member.id, Pathway.anonymised_on.is_(None))
            .order_by(Pathway.entry_on.desc(), Pathway.id.desc())
        )
    )


def _current(pathways: list[Pathway]) -> Pathway:
    """The one running today (the newest if several), else the newest."""
    return next((p for p in pathways if p.exit_on is None), pathways[0])


def _chosen(pathways: list[Pathway], what: str) -> Pathway:
    """`?pathway=<id>` among the member's own pathways, else the current one. Another id is
    refused (journaled) like any record the viewer may not read."""
    raw = request.values.get("pathway", "")
    if not raw and pathways:
        return _current(pathways)
    wanted = whole_number(raw)
    found = next((p for p in pathways if p.id == wanted), None)
    if found is None:
        journal.refuse(acting_user(), wanted, ReadKind.PAGE, what)
    return found


def _data_url() -> str:
    if "integration.my_data" in current_app.view_functions:
        return url_for("integration.my_data")
    return f"{request.script_root}/integration/mine/data"


def _nothing_page():
    """No member record, or no pathway: said plainly; nothing is read, nothing journaled."""
    return render("integration/mine_none.html")


# --- My pathway -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkillLine:
    name: str
    area: str
    level: int
    first_level: int
    assessed_on: object
    times: int

    @property
    def progress(self) -> int:
        return self.level - self.first_level


def _skill_lines(pathway_id: int) -> list[SkillLine]:
    rows = db.session.scalars(
        sa.select(SkillAssessment)
        .where(SkillAssessment.pathway_id == pathway_id)
        .order_by(SkillAssessment.skill_id, SkillAssessment.assessed_on, SkillAssessment.id)
    ).all()
    grouped: dict[int, list[SkillAssessment]] = {}
    for row in rows:
        grouped.setdefault(row.skill_id, []).append(row)
    lines = [
        SkillLine(
            name=items[-1].skill.name,
            area=items[-1].skill.area,
            level=items[-1].level,
            first_level=items[0].level,
            assessed_on=items[-1].assessed_on,
            times=len(items),
        )
        for items in grouped.values()
    ]
    return sorted(lines, key=lambda line: (line.area, line.name))


def _record_content(pathway: Pathway) -> dict:
    """Everything of the record the member sees, one statement per kind of row."""
    today = local_today()
    team = db.session.scalars(
        sa.select(Assignment)
        .where(
            Assignment.pathway_id == pathway.id,
            Assignment.starts_on <= today,
            sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on >= today),
        )
        .order_by(Assignment.role, Assignment.starts_on, Assignment.id)
    ).all()
    goals = db.session.scalars(
        sa.select(Goal).where(Goal.pathway_id == pathway.id).order_by(Goal.created_at, Goal.id)
    ).all()
    actions = db.session.scalars(
        sa.select(SupportAction)
        .where(SupportAction.pathway_id == pathway.id)
        .order_by(SupportAction.happened_on.desc(), SupportAction.id.desc())
    ).all()
    barriers = db.session.scalars(
        sa.select(Barrier).where(Barrier.pathway_id == pathway.id).order_by(Barrier.kind)
    ).all()
    return {
        "team": team,
        "goals": goals,
        "actions": actions,
        "skills": _skill_lines(pathway.id),
        "barriers": barriers,
        "participation": pathway_participation(pathway),
        "my_requests": rectification.requests_of([pathway.id]),
    }


@bp.route("/mine")
@login_required
def my_pathway():
    pathways = _my_pathways(_my_member())
    if not pathways and not request.values.get("pathway"):
        return _nothing_page()
    chosen = _chosen(pathways, "my pathway")  # another person's record: refused, journaled
    pathway = journal.load_pathway(chosen.id, ReadKind.PAGE, "my pathway")
    return render(
        "integration/mine.html",
        pathway=pathway,
        pathways=pathways,
        current=_current(pathways),
        data_url=_data_url(),
        today=local_today(),
        team_titles=TEAM_ROLE_TITLES,
        goal_titles=GOAL_STATUS_TITLES,
        action_titles=ACTION_TITLES,
        skill_levels=SKILL_LEVELS,
        barrier_titles=BARRIER_TITLES,
        barrier_status_titles=BARRIER_STATUS_TITLES,
        request_titles=REQUEST_STATUS_TITLES,
        **_record_content(pathway),
    )


# --- Who opened my record -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadLine:
    row: RecordRead
    who: str
    role: str
    words: str


def _role_words(row: RecordRead, assigned: dict[tuple[int, int], set[str]]) -> str:
    from portal.core.security import ROLE_TITLES

    if row.outcome == ReadOutcome.BREAK_GLASS.value:
        return _("Administrator, with the reason: %(reason)s", reason=row.reason)
    roles = assigned.get((row.pathway_id, row.user_id))
    if roles:
        words = ", ".join(str(TEAM_ROLE_TITLES[r]) for r in sorted(roles) if r in TEAM_ROLE_TITLES)
        if row.reason:  # a copy of your data made for you by your counsellor
            return _("%(role)s, with the reason: %(reason)s", role=words, reason=row.reason)
        return words
    user = row.user
    if user is None:
        return ""
    for role in ("admin", "counsellor", "trainer", "board", "member"):
        if role in {str(r) for r in user.roles}:
            return str(ROLE_TITLES.get(role, role))
    return ""


def _read_lines(rows, assigned) -> list[ReadLine]:
    lines = []
    for row in rows:
        # (Attempts by someone not logged in are counted, not listed: `journal`.)
        who = (
            row.user.display_name if row.user is not None else _("An account that no longer exists")
        )
        if row.what == "break-glass":
            words = str(BREAK_GLASS_WORDS)
        elif row.what.endswith("(team only)"):
            words = str(TEAM_ONLY_WORDS)
        else:
            words = str(READ_WORDS.get(row.kind, row.kind))
        lines.append(ReadLine(row, who, _role_words(row, assigned), words))
    return lines


@bp.route("/mine/reads")
@login_required
def my_reads():
    pathways = _my_pathways(_my_member())
    if not pathways:
        return _nothing_page()
    for pathway in pathways:  # this page reads each of them: one journal row each
        journal.load_pathway(pathway.id, ReadKind.PAGE, "who read")
    ids = [p.id for p in pathways]
    # Attempts journaled on a number before the record had it belong to nobody's record.
    in_mine = sa.or_(
        *(
            sa.and_(RecordRead.pathway_id == p.id, RecordRead.read_at >= p.created_at)
            for p in pathways
        )
    )
    not_me = RecordRead.by_member == sa.false()
    let_in = RecordRead.outcome != ReadOutcome.REFUSED.value
    own_count = db.session.scalar(
        sa.select(sa.func.count(RecordRead.id)).where(
            in_mine, let_in, RecordRead.by_member == sa.true()
        )
    )
    # This page's own reads are written once it has answered: counted here already.
    own_count += sum(1 for row in journal.pending_reads() if row.by_member)
    total = db.session.scalar(
        sa.select(sa.func.count(RecordRead.id)).where(in_mine, let_in, not_me)
    )
    shown = page_of(total, int_arg("page", 1), READS_PAGE_SIZE)
    rows = db.session.scalars(
        shown.window(
            sa.select(RecordRead)
            .where(in_mine, let_in, not_me)
            .order_by(RecordRead.read_at.desc(), RecordRead.id.desc())
        )
    ).all()
    # People who were logged in: always listed, whatever someone not logged in tried (those
    # attempts are only counted, see `journal`).
    refused_filter = (
        in_mine,
        RecordRead.outcome == ReadOutcome.REFUSED.value,
        not_me,
        RecordRead.user_id.is_not(None),
    )
    refused_total = db.session.scalar(
        sa.select(sa.func.count(RecordRead.id)).where(*refused_filter)
    )
    refused = db.session.scalars(
        sa.select(RecordRead)
        .where(*refused_filter)
        .order_by(RecordRead.read_at.desc(), RecordRead.id.desc())
        .limit(REFUSED_SHOWN)
    ).all()
    assigned: dict[tuple[int, int], set[str]] = {}
    for pathway_id, user_id, role in db.session.execute(
        sa.select(Assignment.pathway_id, Assignment.user_id, Assignment.role).where(
            Assignment.pathway_id.in_(ids)
        )
    ):
        assigned.setdefault((pathway_id, user_id), set()).add(role)
    return render(
        "integration/mine_reads.html",
        pathways=pathways,
        several=len(pathways) > 1,
        reads=_read_lines(rows, assigned),
        refused=_read_lines(refused, assigned),
        refused_total=refused_total,
        anonymous_attempts=journal.anonymous_attempts(pathways),
        own_count=own_count,
        total=total,
        page=shown.number,
        pages=shown.pages,
    )


# --- Asking for a correction ----------------------------------------------------------------------


def _correction_page(pathway, pathways, form, status=200):
    return render(
        "integration/mine_correction.html",
        status=status,
        pathway=pathway,
        pathways=pathways,
        form=form,
        my_requests=rectification.requests_of([pathway.id]),
        request_titles=REQUEST_STATUS_TITLES,
    )


@bp.route("/mine/correction", methods=["GET", "POST"])
@login_required
def ask_correction():
    pathways = _my_pathways(_my_member())
    if not pathways and not request.values.get("pathway"):
        return _nothing_page()
    chosen = _chosen(pathways, "correction")  # another person's record: refused, journaled
    pathway = journal.load_pathway(chosen.id, ReadKind.PAGE, "correction")
    form = CorrectionForm()
    if request.method == "GET":
        return _correction_page(pathway, pathways, form)
    if not form.validate():  # only the CSRF token can fail here
        abort(400)
    # A refusal keeps the journal row, nothing else.
    if attempt(form, rectification.ask_rectification, acting_user(), pathway, form.text.data) is (
        REFUSED
    ):
        return _correction_page(pathway, pathways, form, 422)
    flash(_("Your request is sent. Your counsellor will answer you here."), "success")
    target = url_for("integration.my_pathway")
    if pathway.id != _current(pathways).id:
        target = url_for("integration.my_pathway", pathway=pathway.id)
    return hx_redirect(target + "#my-requests")


# --- The team answers -----------------------------------------------------------------------------


def record_url(pathway_id: int) -> str:
    """The record page (its endpoint belongs to views.py; found by its rule)."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == "/integration/<int:pathway_id>" and "GET" in (rule.methods or ()):
            return url_for(rule.endpoint, pathway_id=pathway_id)
    return f"{request.script_root}/integration/{pathway_id}"


@bp.route("/<int:pathway_id>/requests/<int:request_id>/answer", methods=["POST"])
@login_required
def answer_request(pathway_id: int, request_id: int):
    kind = ReadKind.FRAGMENT if is_htmx() else ReadKind.PAGE
    pathway = journal.load_pathway(pathway_id, kind, "requests", need=rectification.may_answer)
    found = db.session.get(RectificationRequest, request_id)
    if found is None or found.pathway_id != pathway.id:
        abort(404)  # the read is kept in the journal all the same
    form = AnswerForm(prefix=answer_prefix(found.id))
    form.request_id = found.id
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return _answer_failed(pathway, form)
    answered = attempt(
        form,
        rectification.answer_rectification,
        acting_user(),
        found,
        form.status.data,
        form.answer.data or "",
    )
    if answered is REFUSED:
        return _answer_failed(pathway, form)
    if is_htmx():
        return render(
            "integration/_requests.html",
            pathway=pathway,
            **rectification.requests_context(acting_user(), pathway),
        )
    flash(_("Your answer is sent."), "success")
    return redirect(record_url(pathway.id) + f"#pathway-{pathway.id}-requests", 303)


def _answer_failed(pathway: Pathway, form: AnswerForm):
    return render(
        "integration/_requests.html",
        fragment="integration/_requests.html",
        status=422,
        pathway=pathway,
        requests_standalone=not is_htmx(),
        record_url=record_url(pathway.id),
        **rectification.requests_context(acting_user(), pathway, failed=form),
    )
