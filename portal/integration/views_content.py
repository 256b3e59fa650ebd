"""The record's content on its page: goals, support actions, skills and barriers.

Each part is a section of the record page (registered below) and has its own URL that serves
the section alone (its fragment for htmx, a small page otherwise) and takes its changes. Every
route starts with `journal.load_pathway`, which 404s whoever may not read the record and 403s a
reader who may not make this change. Invalid input gives the form back with its message (422);
success gives the fresh section (htmx) or goes back to the record page.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError
from wtforms.fields.choices import SelectChoice

from portal.core.errors import DomainError
from portal.core.htmx import is_htmx, render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.viewhelpers import acting_user, whole_number
from portal.extensions import db
from portal.integration import bp, content, policies, sections
from portal.integration.forms_content import (
    ActionForm,
    AssessmentForm,
    BarrierForm,
    GoalForm,
    GoalStatusForm,
)
from portal.integration.journal import load_pathway
from portal.integration.models import (
    ACTION_TITLES,
    BARRIER_STATUS_TITLES,
    BARRIER_TITLES,
    GOAL_STATUS_TITLES,
    SKILL_LEVELS,
    Goal,
    Pathway,
    ReadKind,
    Skill,
    SupportAction,
)

SECTION_TITLES = {
    "goals": _l("Goals"),
    "actions": _l("Support actions"),
    "skills": _l("Skills"),
    "barriers": _l("Difficulties"),
}


def _may_change(predicate, user, pathway: Pathway) -> bool:
    """Forms are shown to those who may, and never during an administrator's break-glass read."""
    return not g.get("break_glass") and predicate(user, pathway)


def goal_prefix(goal_id: int, what: str) -> str:
    return f"goal-{goal_id}-{what}"


def action_prefix(action_id: int) -> str:
    return f"action-{action_id}"


# --- Sections of the record page -----------------------------------------------------------------


@sections.page_section("goals", "integration/_goals.html", order=40)
def goals_section(user, pathway: Pathway) -> dict:
    rows = content.goals_of(pathway)
    editable = _may_change(policies.can_edit, user, pathway)
    return {
        "goal_rows": rows,
        "goal_titles": GOAL_STATUS_TITLES,
        "goal_form": GoalForm(formdata=None) if editable else None,
        "goal_status_forms": {
            row.goal.id: GoalStatusForm(
                formdata=None, prefix=goal_prefix(row.goal.id, "status"), status=row.goal.status
            )
            for row in rows
        }
        if editable
        else {},
        "goal_edit_forms": {
            row.goal.id: GoalForm(
                formdata=None, prefix=goal_prefix(row.goal.id, "edit"), obj=row.goal
            )
            for row in rows
        }
        if editable
        else {},
    }


def _action_fix_form(action: SupportAction) -> ActionForm:
    return ActionForm(
        formdata=None,
        prefix=action_prefix(action.id),
        happened_on=action.happened_on,
        kind=action.kind,
        hours=action.minutes // 60,
        minutes=action.minutes % 60,
        notes=action.notes,
    )


@sections.page_section("actions", "integration/_actions.html", order=50)
def actions_section(user, pathway: Pathway) -> dict:
    actions, total = content.actions_of(pathway)
    editable = _may_change(policies.can_record_action, user, pathway)
    return {
        "action_rows": actions,
        "action_total_minutes": total,
        "action_titles": ACTION_TITLES,
        "action_form": ActionForm(formdata=None) if editable else None,
        "action_fix_forms": {
            action.id: _action_fix_form(action)
            for action in actions
            if editable and action.recorded_by_id == getattr(user, "id", None)
        },
    }


def _skill_choices(rows: list[content.SkillRow]) -> list[SelectChoice]:
    choices = [SelectChoice("", _("Choose a skill"))]
    for row in rows:
        if row.skill.active:
            label = f"{row.skill.area} – {row.skill.name}" if row.skill.area else row.skill.name
            choices.append(SelectChoice(str(row.skill.id), label))
    return choices


@sections.page_section("skills", "integration/_skills.html", order=60)
def skills_section(user, pathway: Pathway) -> dict:
    rows = content.skills_grid(pathway)
    form = None
    if _may_change(policies.can_assess, user, pathway):
        form = AssessmentForm(formdata=None)
        form.skill.choices = _skill_choices(rows)
    return {"skill_rows": rows, "skill_levels": SKILL_LEVELS, "skill_form": form}


@sections.page_section(
    "barriers", "integration/_barriers.html", order=70, visible=policies.can_read_barriers
)
def barriers_section(user, pathway: Pathway) -> dict:
    editable = _may_change(policies.can_edit_barriers, user, pathway)
    return {
        "barrier_rows": content.barriers_of(pathway),
        "barrier_titles": BARRIER_TITLES,
        "barrier_status_titles": BARRIER_STATUS_TITLES,
        "barrier_form": BarrierForm(formdata=None, prefix=BARRIER_PREFIX) if editable else None,
    }


# The barrier form's fields are named "barrier-kind"...: the support action form on the same page
# has a "kind" too, and ids must be unique on a page.
BARRIER_PREFIX = "barrier"


# --- Helpers -------------------------------------------------------------------------------------


def _kind() -> ReadKind:
    return ReadKind.FRAGMENT if is_htmx() else ReadKind.PAGE


def record_url(pathway: Pathway) -> str:
    """The record page (the section's own page until the record page exists)."""
    try:
        return url_for("integration.view_pathway", pathway_id=pathway.id)
    except BuildError:  # pragma: no cover - the record page is another module's
        return url_for("integration.view_goals", pathway_id=pathway.id)


def _section(name: str, pathway: Pathway, status: int = 200, **overrides):
    """The section alone: its fragment for htmx, a small page otherwise."""
    section = next(s for s in sections.PAGE_SECTIONS if s.name == name)
    context = section.context(acting_user(), pathway)
    context.update(overrides)
    return render(
        "integration/content_page.html",
        fragment=section.template,
        status=status,
        pathway=pathway,
        section_template=section.template,
        section_title=SECTION_TITLES[name],
        record_url=record_url(pathway),
        **context,
    )


def _invalid(name: str, pathway: Pathway, **overrides):
    """The form again with its messages. The read is journaled all the same: the journal keeps
    its row, and nothing else is kept, after an error status (`journal`)."""
    return _section(name, pathway, 422, **overrides)


def _saved(name: str, pathway: Pathway, message: str):
    if is_htmx():
        return _section(name, pathway)
    flash(message, "success")
    return redirect(record_url(pathway), 303)


def _csrf_failed(form) -> None:
    if "csrf_token" in form and form.csrf_token.errors:
        abort(400)


def _submit(name: str, pathway: Pathway, form, call, message: str, again=None):
    """The shape of every change of a section: check the form, `attempt` `call()` (which calls
    one service; a refusal leaves nothing half-saved but keeps the read), then the section saved
    — or the form again with its messages (`again()` gives the section's forms with this one in
    place; 422)."""
    if form.validate():
        if attempt(form, call) is not REFUSED:
            return _saved(name, pathway, message)
    else:
        _csrf_failed(form)
    return _invalid(name, pathway, **(again() if again else {}))


def _goal_of(pathway: Pathway, goal_id: int) -> Goal:
    goal = db.session.get(Goal, goal_id)
    if goal is None or goal.pathway_id != pathway.id:
        abort(404)
    return goal


# --- Goals ---------------------------------------------------------------------------------------


@bp.route("/<int:pathway_id>/goals")
def view_goals(pathway_id: int):
    return _section("goals", load_pathway(pathway_id, _kind(), "goals"))


@bp.route("/<int:pathway_id>/goals", methods=["POST"])
def add_goal(pathway_id: int):
    pathway = load_pathway(pathway_id, _kind(), "goals", need=policies.can_edit)
    form = GoalForm()
    return _submit(
        "goals",
        pathway,
        form,
        lambda: content.add_goal(
            acting_user(),
            pathway,
            form.title.data,
            form.detail.data,
            form.target_on.data,
        ),
        _("The goal is added."),
        lambda: {"goal_form": form},
    )


def _goal_forms_with(context_key: str, goal_id: int, form, pathway: Pathway) -> dict:
    forms = goals_section(acting_user(), pathway)[context_key]
    forms[goal_id] = form
    return {context_key: forms}


@bp.route("/<int:pathway_id>/goals/<int:goal_id>", methods=["POST"])
def edit_goal(pathway_id: int, goal_id: int):
    pathway = load_pathway(pathway_id, _kind(), "goals", need=policies.can_edit)
    goal = _goal_of(pathway, goal_id)
    form = GoalForm(prefix=goal_prefix(goal.id, "edit"))
    return _submit(
        "goals",
        pathway,
        form,
        lambda: content.edit_goal(
            acting_user(),
            goal,
            form.title.data,
            form.detail.data,
            form.target_on.data,
        ),
        _("The goal is changed."),
        lambda: _goal_forms_with("goal_edit_forms", goal.id, form, pathway),
    )


@bp.route("/<int:pathway_id>/goals/<int:goal_id>/status", methods=["POST"])
def change_goal_status(pathway_id: int, goal_id: int):
    pathway = load_pathway(pathway_id, _kind(), "goals", need=policies.can_edit)
    goal = _goal_of(pathway, goal_id)
    form = GoalStatusForm(prefix=goal_prefix(goal.id, "status"))
    return _submit(
        "goals",
        pathway,
        form,
        lambda: content.change_goal_status(acting_user(), goal, form.status.data, form.note.data),
        _("The goal's status is changed."),
        lambda: _goal_forms_with("goal_status_forms", goal.id, form, pathway),
    )


# --- Support actions -----------------------------------------------------------------------------


@bp.route("/<int:pathway_id>/actions")
def view_actions(pathway_id: int):
    return _section("actions", load_pathway(pathway_id, _kind(), "actions"))


@bp.route("/<int:pathway_id>/actions", methods=["POST"])
def add_support_action(pathway_id: int):
    pathway = load_pathway(pathway_id, _kind(), "actions", need=policies.can_record_action)
    form = ActionForm()
    return _submit(
        "actions",
        pathway,
        form,
        lambda: content.add_support_action(
            acting_user(),
            pathway,
            form.happened_on.data,
            form.kind.data,
            _minutes(form),
            form.notes.data,
        ),
        _("The action is recorded."),
        lambda: {"action_form": form},
    )


def _minutes(form: ActionForm) -> int | None:
    total = form.total_minutes()
    if total is None:
        raise DomainError(_l("Say how long it took."), "minutes")
    return total


@bp.route("/<int:pathway_id>/actions/<int:action_id>", methods=["POST"])
def correct_support_action(pathway_id: int, action_id: int):
    pathway = load_pathway(pathway_id, _kind(), "actions", need=policies.can_record_action)
    action = db.session.get(SupportAction, action_id)
    if action is None or action.pathway_id != pathway.id:
        abort(404)
    if not content.can_correct_action(acting_user(), action, pathway):
        abort(403)
    form = ActionForm(prefix=action_prefix(action.id))

    def again():
        forms = actions_section(acting_user(), pathway)["action_fix_forms"]
        forms[action.id] = form
        return {"action_fix_forms": forms}

    return _submit(
        "actions",
        pathway,
        form,
        lambda: content.correct_support_action(
            acting_user(),
            action,
            form.happened_on.data,
            form.kind.data,
            _minutes(form),
            form.notes.data,
        ),
        _("The action is corrected."),
        again,
    )


# --- Skills --------------------------------------------------------------------------------------


@bp.route("/<int:pathway_id>/skills")
def view_skills(pathway_id: int):
    return _section("skills", load_pathway(pathway_id, _kind(), "skills"))


@bp.route("/<int:pathway_id>/skills", methods=["POST"])
def assess_skill(pathway_id: int):
    pathway = load_pathway(pathway_id, _kind(), "skills", need=policies.can_assess)
    form = AssessmentForm()
    form.skill.choices = _skill_choices(content.skills_grid(pathway))

    def skill() -> Skill | None:  # the service refuses a missing or retired one
        skill_id = whole_number(form.skill.data)
        return db.session.get(Skill, skill_id) if skill_id else None

    return _submit(
        "skills",
        pathway,
        form,
        lambda: content.assess_skill(
            acting_user(),
            pathway,
            skill(),
            int(form.level.data),
            form.assessed_on.data,
            form.note.data,
        ),
        _("The assessment is saved."),
        lambda: {"skill_form": form},
    )


# --- Barriers ------------------------------------------------------------------------------------


@bp.route("/<int:pathway_id>/barriers")
def view_barriers(pathway_id: int):
    return _section(
        "barriers", load_pathway(pathway_id, _kind(), "barriers", need=policies.can_read_barriers)
    )


@bp.route("/<int:pathway_id>/barriers", methods=["POST"])
def set_barrier(pathway_id: int):
    pathway = load_pathway(pathway_id, _kind(), "barriers", need=policies.can_edit_barriers)
    form = BarrierForm(prefix=BARRIER_PREFIX)
    return _submit(
        "barriers",
        pathway,
        form,
        lambda: content.set_barrier(
            acting_user(),
            pathway,
            form.kind.data,
            form.status.data,
            form.note.data,
        ),
        _("The difficulty is saved."),
        lambda: {"barrier_form": form},
    )
