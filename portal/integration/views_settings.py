"""The settings of integration records: the skills referential and the exit outcomes.

Only those who may configure them (administrators, counsellors) see these pages; for everyone
else they do not exist (404). Each change posts a small form and comes back to the list.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from portal.core.htmx import render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.viewhelpers import acting_user
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


class _Buttons:
    """Stands for a form on the buttons that have none (use, delete): a refusal is said in a
    message above the list instead of beside a field."""

    def __init__(self):
        self.form_errors: list[str] = []


def _pressed(service, *args) -> bool:
    """`attempt` the service of a button: True when done; else its refusal is flashed and
    nothing of the call is kept (the list comes back)."""
    buttons = _Buttons()
    if attempt(buttons, service, *args) is REFUSED:
        for message in buttons.form_errors:
            flash(message, "error")
        return False
    return True


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
    if (
        attempt(
            form, settings.add_skill, user, form.area.data, form.name.data, form.description.data
        )
        is REFUSED
    ):
        return _skills_page(422, new_form=form)
    flash(_("The skill is added."), "success")
    return redirect(url_for("integration.list_skills"), 303)


@bp.route("/settings/skills/<int:skill_id>", methods=["POST"])
def edit_skill(skill_id: int):
    user = _configurer()
    skill = _skill(skill_id)
    form = SkillForm(prefix=skill_prefix(skill.id))
    if not form.validate():
        return _skills_page(422, row_forms={skill.id: form})
    if (
        attempt(
            form,
            settings.edit_skill,
            user,
            skill,
            form.area.data,
            form.name.data,
            form.description.data,
        )
        is REFUSED
    ):
        return _skills_page(422, row_forms={skill_id: form})
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
    return redirect(url_for("integration.list_skills", _anchor=f"skill-{skill_id}"), 303)


@bp.route("/settings/skills/<int:skill_id>/use", methods=["POST"])
def toggle_skill(skill_id: int):
    user = _configurer()
    skill = _skill(skill_id)
    active = request.form.get("active", "")
    if active not in ("0", "1"):
        abort(400)
    if not _pressed(settings.set_skill_active, user, skill, active == "1"):
        return redirect(url_for("integration.list_skills"), 303)
    flash(
        _("The skill is in use again.") if active == "1" else _("The skill is no longer used."),
        "success",
    )
    return redirect(url_for("integration.list_skills"), 303)


@bp.route("/settings/skills/<int:skill_id>/delete", methods=["POST"])
def delete_skill(skill_id: int):
    user = _configurer()
    skill = _skill(skill_id)
    if not _pressed(settings.delete_skill, user, skill):
        return redirect(url_for("integration.list_skills"), 303)
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
    if attempt(form, settings.add_outcome, user, form.name.data, form.positive.data) is REFUSED:
        return _outcomes_page(422, new_form=form)
    flash(_("The outcome is added."), "success")
    return redirect(url_for("integration.list_outcomes"), 303)


@bp.route("/settings/outcomes/<int:outcome_id>", methods=["POST"])
def edit_outcome(outcome_id: int):
    user = _configurer()
    outcome = _outcome(outcome_id)
    form = OutcomeForm(prefix=outcome_prefix(outcome.id))
    if not form.validate():
        return _outcomes_page(422, row_forms={outcome.id: form})
    if (
        attempt(form, settings.edit_outcome, user, outcome, form.name.data, form.positive.data)
        is REFUSED
    ):
        return _outcomes_page(422, row_forms={outcome_id: form})
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
    return redirect(url_for("integration.list_outcomes", _anchor=f"outcome-{outcome_id}"), 303)


@bp.route("/settings/outcomes/<int:outcome_id>/use", methods=["POST"])
def toggle_outcome(outcome_id: int):
    user = _configurer()
    outcome = _outcome(outcome_id)
    active = request.form.get("active", "")
    if active not in ("0", "1"):
        abort(400)
    if not _pressed(settings.set_outcome_active, user, outcome, active == "1"):
        return redirect(url_for("integration.list_outcomes"), 303)
    flash(
        _("The outcome is offered again.")
        if active == "1"
        else _("The outcome is no longer offered."),
        "success",
    )
    return redirect(url_for("integration.list_outcomes"), 303)
