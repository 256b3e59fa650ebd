"""The settings of integration records: the skills referential and the exit outcomes.

Only those who may configure them (administrators, counsellors) see these pages; for everyone
else they do not exist (404). Each change posts a small form and comes back to the list.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from portal.core.errors import DomainError, NotAllowed
from portal.core.htmx import render
from portal.core.viewhelpers import acting_user, form_error
from portal.extensions import db
from portal.integration import bp, policies, settings
from portal.integration.forms_content import NewOutcomeForm, OutcomeForm, SkillForm
from portal.integration.models import DEFAULT_OUTCOMES, ExitOutcome, Skill


def _configurer():
    user = acting_user()
    if not policies.can_configure(user):
        abort(404)
    return user


def skill_prefix(skill_id: int) -> str:
    return f"skill-{skill_id}"


def outcome_prefix(outcome_id: int) -> str:
    return f"outcome-{outcome_id}"


def _refused(form, error: DomainError) -> None:
    db.session.rollback()
    if isinstance(error, NotAllowed):
        abort(403)
    if form is None:
        flash(str(error.message), "error")
    else:
        form_error(form, error)


# --- Skills --------------------------------------------------------------------------------------


def _skills_page(status: int = 200, new_form=None, row_forms: dict | None = None):
    rows = settings.skills_with_use()
    forms = {
        skill.id: SkillForm(formdata=None, prefix=skill_prefix(skill.id), obj=skill)
        for skill, _used in rows
    }
    forms.update(row_forms or {})
    return render(
        "integration/settings_skills.html",
        status=status,
        skill_rows=rows,
        skill_forms=forms,
        new_form=new_form or SkillForm(formdata=None),
    )


def _skill(skill_id: int) -> Skill:
    skill = db.session.get(Skill, skill_id)
    if skill is None:
        abort(404)
    return skill


@bp.route("/settings/skills")
def list_skills():
    _configurer()
    return _skills_page()


@bp.route("/settings/skills", methods=["POST"])
def add_skill():
    user = _configurer()
    form = SkillForm()
    if not form.validate():
        return _skills_page(422, new_form=form)
    try:
        settings.add_skill(user, form.area.data, form.name.data, form.description.data)
    except DomainError as error:
        _refused(form, error)
        return _skills_page(422, new_form=form)
    db.session.commit()
    flash(_("The skill is added."), "success")
    return redirect(url_for("integration.list_skills"), 303)


@bp.route("/settings/skills/<int:skill_id>", methods=["POST"])
def edit_skill(skill_id: int):
    user = _configurer()
    skill = _skill(skill_id)
    form = SkillForm(prefix=skill_prefix(skill.id))
    if not form.validate():
        return _skills_page(422, row_forms={skill.id: form})
    try:
        settings.edit_skill(user, skill, form.area.data, form.name.data, form.description.data)
    except DomainError as error:
        _refused(form, error)
        return _skills_page(422, row_forms={skill_id: form})
    db.session.commit()
    flash(_("The skill is changed."), "success")
    return redirect(url_for("integration.list_skills"), 303)


@bp.route("/settings/skills/<int:skill_id>/move", methods=["POST"])
def move_skill(skill_id: int):
    user = _configurer()
    skill = _skill(skill_id)
    direction = request.form.get("direction", "")
    if direction not in settings.DIRECTIONS:
        abort(400)
    settings.move_skill(user, skill, direction)
    db.session.commit()
    return redirect(url_for("integration.list_skills", _anchor=f"skill-{skill_id}"), 303)


@bp.route("/settings/skills/<int:skill_id>/use", methods=["POST"])
def toggle_skill(skill_id: int):
    user = _configurer()
    skill = _skill(skill_id)
    active = request.form.get("active", "")
    if active not in ("0", "1"):
        abort(400)
    try:
        settings.set_skill_active(user, skill, active == "1")
    except DomainError as error:
        _refused(None, error)
        return redirect(url_for("integration.list_skills"), 303)
    db.session.commit()
    flash(
        _("The skill is in use again.") if active == "1" else _("The skill is no longer used."),
        "success",
    )
    return redirect(url_for("integration.list_skills"), 303)


@bp.route("/settings/skills/<int:skill_id>/delete", methods=["POST"])
def delete_skill(skill_id: int):
    user = _configurer()
    skill = _skill(skill_id)
    try:
        settings.delete_skill(user, skill)
    except DomainError as error:
        _refused(None, error)
        return redirect(url_for("integration.list_skills"), 303)
    db.session.commit()
    flash(_("The skill is deleted."), "success")
    return redirect(url_for("integration.list_skills"), 303)


# --- Exit outcomes -------------------------------------------------------------------------------


def _outcomes_page(status: int = 200, new_form=None, row_forms: dict | None = None):
    rows = settings.outcomes_with_use()
    forms = {
        outcome.id: OutcomeForm(
            formdata=None,
            prefix=outcome_prefix(outcome.id),
            name=outcome.name or "",
            positive=outcome.positive,
        )
        for outcome, _used in rows
    }
    forms.update(row_forms or {})
    return render(
        "integration/settings_outcomes.html",
        status=status,
        outcome_rows=rows,
        outcome_forms=forms,
        default_titles={code: title for code, (title, _positive) in DEFAULT_OUTCOMES.items()},
        new_form=new_form or NewOutcomeForm(formdata=None),
    )


def _outcome(outcome_id: int) -> ExitOutcome:
    outcome = db.session.get(ExitOutcome, outcome_id)
    if outcome is None:
        abort(404)
    return outcome


@bp.route("/settings/outcomes")
def list_outcomes():
    _configurer()
    return _outcomes_page()


@bp.route("/settings/outcomes", methods=["POST"])
def add_outcome():
    user = _configurer()
    form = NewOutcomeForm()
    if not form.validate():
        return _outcomes_page(422, new_form=form)
    try:
        settings.add_outcome(user, form.name.data, form.positive.data)
    except DomainError as error:
        _refused(form, error)
        return _outcomes_page(422, new_form=form)
    db.session.commit()
    flash(_("The outcome is added."), "success")
    return redirect(url_for("integration.list_outcomes"), 303)


@bp.route("/settings/outcomes/<int:outcome_id>", methods=["POST"])
def edit_outcome(outcome_id: int):
    user = _configurer()
    outcome = _outcome(outcome_id)
    form = OutcomeForm(prefix=outcome_prefix(outcome.id))
    if not form.validate():
        return _outcomes_page(422, row_forms={outcome.id: form})
    try:
        settings.edit_outcome(user, outcome, form.name.data, form.positive.data)
    except DomainError as error:
        _refused(form, error)
        return _outcomes_page(422, row_forms={outcome_id: form})
    db.session.commit()
    flash(_("The outcome is changed."), "success")
    return redirect(url_for("integration.list_outcomes"), 303)


@bp.route("/settings/outcomes/<int:outcome_id>/move", methods=["POST"])
def move_outcome(outcome_id: int):
    user = _configurer()
    outcome = _outcome(outcome_id)
    direction = request.form.get("direction", "")
    if direction not in settings.DIRECTIONS:
        abort(400)
    settings.move_outcome(user, outcome, direction)
    db.session.commit()
    return redirect(url_for("integration.list_outcomes", _anchor=f"outcome-{outcome_id}"), 303)


@bp.route("/settings/outcomes/<int:outcome_id>/use", methods=["POST"])
def toggle_outcome(outcome_id: int):
    user = _configurer()
    outcome = _outcome(outcome_id)
    active = request.form.get("active", "")
    if active not in ("0", "1"):
        abort(400)
    try:
        settings.set_outcome_active(user, outcome, active == "1")
    except DomainError as error:
        _refused(None, error)
        return redirect(url_for("integration.list_outcomes"), 303)
    db.session.commit()
    flash(
        _("The outcome is offered again.")
        if active == "1"
        else _("The outcome is no longer offered."),
        "success",
    )
    return redirect(url_for("integration.list_outcomes"), 303)
