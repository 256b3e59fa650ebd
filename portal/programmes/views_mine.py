"""The member's pages and the trainer's evidence screen.

- programmes.mine (GET /programmes/mine): "My sessions": what is next (with "I can't come"),
  what I attended (my status per half-day, a link to give my opinion), my hours per kind. Only
  the member's own attendance is read.
- programmes.apologise / programmes.withdraw_apology (POST): "I can't come", and taking it back.
- programmes.feedback (GET/POST /programmes/sessions/<id>/feedback): three faces and a
  sentence, once; the programme's trainers see the anonymous totals there.
- programmes.evidence (GET/POST /programmes/sessions/<id>/evidence): the trainer confirms the
  learning outcomes on the four-step scale.

Each view parses, loads (404), authorises (403) and calls one service; nothing here commits.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from portal.core.htmx import render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.security import Permission
from portal.core.viewhelpers import acting_user
from portal.extensions import db
from portal.integration.models import SKILL_LEVELS
from portal.programmes import bp, evidence, feedback, mine
from portal.programmes.common import session_or_404
from portal.programmes.hours import FEEDBACK_DAYS, format_minutes, kinds_in_order, member_summary
from portal.programmes.models import (
    APOLOGY_TITLES,
    HALF_TITLES,
    IN_ROOM,
    KIND_TITLES,
    MOOD_TITLES,
    STATUS_TITLES,
    ApologyReason,
    Enrolment,
    Mood,
)
from portal.programmes.policies import can_confirm_evidence, member_id_of
from portal.programmes.practice import practice_roles_of

# --- Forms (shape only; the services check the rules) ---------------------------------------------


class ApologyForm(FlaskForm):
    """The reason comes from radio buttons written by the template (one set per session)."""


class FeedbackForm(FlaskForm):
    sentence = TextAreaField(
        "",
        render_kw={"rows": 3, "maxlength": feedback.SENTENCE_MAX},
    )


class EvidenceForm(FlaskForm):
    """The answers (`ev-<member>-<skill>`) come from radio buttons written by the template."""


# --- What templates ask ---------------------------------------------------------------------------


def has_my_sessions(user) -> bool:
    """Is "My sessions" in the menu: a member of the register, enrolled in a programme once.
    One indexed statement, once per request."""
    if not getattr(user, "is_authenticated", False):
        return False
    cache = g.setdefault("_my_programme_sessions", {}) if has_request_context() else {}
    if user.id not in cache:
        from portal.members.models import Member

        cache[user.id] = (
            db.session.scalar(
                sa.select(Enrolment.id)
                .join(Member, Member.id == Enrolment.member_id)
                .where(Member.user_id == user.id)
                .limit(1)
            )
            is not None
        )
    return cache[user.id]


bp.add_app_template_global(has_my_sessions, "has_my_programme_sessions")
bp.add_app_template_global(feedback.can_read_feedback, "can_read_programme_feedback")
bp.add_app_template_global(feedback.feedback_totals, "programme_feedback_totals")
bp.add_app_template_global(feedback.may_give_feedback, "may_give_programme_feedback")
bp.add_app_template_global(can_confirm_evidence, "can_confirm_programme_evidence")
bp.add_app_template_filter(format_minutes, "hours_minutes")


# --- My sessions ----------------------------------------------------------------------------------


def _mine_page(status: int = 200, failed_session: int | None = None, form=None):
    member_id = member_id_of(acting_user())
    if member_id is None:
        return render("programmes/mine_none.html", status=status)
    summary = member_summary(member_id)
    return render(
        "programmes/mine.html",
        status=status,
        summary=summary,
        kinds=kinds_in_order(summary.minutes),
        kind_titles=KIND_TITLES,
        half_titles=HALF_TITLES,
        status_titles=STATUS_TITLES,
        apology_titles=APOLOGY_TITLES,
        reasons=[r.value for r in ApologyReason],
        in_room=IN_ROOM,
        failed_session=failed_session,
        failed_form=form,
        feedback_days=FEEDBACK_DAYS,
        practice_roles=practice_roles_of(member_id),
    )


@bp.route("/mine", endpoint="mine")
@login_required
def mine_page():
    member_id = member_id_of(acting_user())
    if member_id is None:
        return render("programmes/mine_none.html")
    return _mine_page()


def _csrf_or_400(form) -> None:
    if not form.validate():  # only the CSRF token can fail
        abort(400)


@bp.route("/sessions/<int:session_id>/apologise", methods=["POST"])
@login_required
def apologise(session_id: int):
    session = session_or_404(session_id)
    form = ApologyForm()
    _csrf_or_400(form)
    done = attempt(form, mine.apologise, acting_user(), session, request.form.get("reason", ""))
    if done is REFUSED:
        return _mine_page(422, session.id, form)
    flash(_("Thank you for telling us. Your trainer will know that you cannot come."), "success")
    return redirect(url_for("programmes.mine") + f"#session-{session.id}", 303)


@bp.route("/sessions/<int:session_id>/apologise/withdraw", methods=["POST"])
@login_required
def withdraw_apology(session_id: int):
    session = session_or_404(session_id)
    form = ApologyForm()
    _csrf_or_400(form)
    done = attempt(form, mine.withdraw_apology, acting_user(), session)
    if done is REFUSED:
        return _mine_page(422, session.id, form)
    flash(_("Good: we count on you."), "success")
    return redirect(url_for("programmes.mine") + f"#session-{session.id}", 303)


# --- Feedback -------------------------------------------------------------------------------------


def _feedback_page(session, form, status: int = 200):
    user = acting_user()
    member_id = member_id_of(user)
    return render(
        "programmes/feedback.html",
        status=status,
        session=session,
        form=form,
        moods=[m.value for m in Mood],
        mood_titles=MOOD_TITLES,
        trainer=feedback.can_read_feedback(user, session),
        attended=feedback.attended(session, member_id),
        given=feedback.already_given(session, member_id),
        may_give=feedback.may_give_feedback(user, session),
        feedback_days=FEEDBACK_DAYS,
    )


@bp.route("/sessions/<int:session_id>/feedback", endpoint="feedback", methods=["GET", "POST"])
@login_required
def feedback_page(session_id: int):
    session = session_or_404(session_id)
    user = acting_user()
    form = FeedbackForm()
    if request.method == "GET":
        if not feedback.can_read_feedback(user, session) and not feedback.attended(
            session, member_id_of(user)
        ):
            abort(403)
        return _feedback_page(session, form)
    _csrf_or_400(form)
    done = attempt(
        form,
        feedback.give_feedback,
        user,
        session,
        request.form.get("mood", ""),
        form.sentence.data or "",
    )
    if done is REFUSED:
        return _feedback_page(session, form, 422)
    flash(_("Thank you for your opinion."), "success")
    return redirect(url_for("programmes.mine"), 303)


# --- Evidence -------------------------------------------------------------------------------------


def _evidence_page(session, form, status: int = 200, submitted: dict | None = None):
    return render(
        "programmes/evidence.html",
        status=status,
        session=session,
        form=form,
        grid=evidence.grid(session),
        submitted=submitted or {},
        levels=list(evidence.LEVELS),
        level_titles=SKILL_LEVELS,
        not_yet=evidence.NOT_YET,
        field_name=evidence.field_name,
    )


@bp.route("/sessions/<int:session_id>/evidence", endpoint="evidence", methods=["GET", "POST"])
@login_required
def evidence_page(session_id: int):
    session = session_or_404(session_id, Permission.CONFIRM_EVIDENCE)
    form = EvidenceForm()
    if request.method == "GET":
        return _evidence_page(session, form)
    _csrf_or_400(form)
    answers = {key: value for key, value in request.form.items() if key.startswith("ev-")}
    changed = attempt(form, evidence.save_evidence, acting_user(), session, answers)
    if changed is REFUSED:
        return _evidence_page(session, form, 422, answers)
    if changed:
        flash(_("Saved. The confirmed levels are written in the pathways."), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("programmes.evidence", session_id=session.id), 303)
