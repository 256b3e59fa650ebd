"""A member's full personal-data export: everything the portal holds about one person.

`member_export(member)` gives plain JSON-able data: the register row, the account (never a
secret: no password hash, session token, setup code, reset token or calendar token), its login
attempts (time, success, IP address), the member's own actions in the audit log (time, action,
IP address: not the summaries, which may name others, nor other people's actions), membership
events, mandates, meetings, polls taken part in (title, date, how the vote was cast and who
cast it or helped: never a choice), proxies, proposals, supports, comments, amendments, and
every pathway still linked to them with all its rows and the read journal of it (from the
record's creation: attempts on its number before it existed are not theirs; the member's own
reads name nobody and show as "you"; a written reason is given with its read). The integration part is built from the models' columns
(`Model.__table__.columns`), so a column added later is exported without a change here; only
foreign keys are replaced by names (the person who wrote a row, the skill, the outcome) or
left out when the row sits under its parent. `export_pdf(member)` prints the same content in
plain words.

Anonymised pathways are no longer the member's (their link is gone) and are not exported.

Who may export (`exporter_for`, `can_export_for`): the member themself; for them, with a
written reason, the counsellor assigned today with access to personal data to one of their
records (everything), or an administrator only for a member without a linked record
(membership data only). Everyone else gets a 404 and the attempt is journaled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.accounts.models import User
from portal.core import audit
from portal.core.db import local_today
from portal.core.errors import DomainError, NotAllowed
from portal.core.registries import EXPORT_PARTS, export_sections, jsonable
from portal.extensions import db
from portal.integration import journal, policies
from portal.integration.models import (
    ACTION_TITLES,
    BARRIER_STATUS_TITLES,
    BARRIER_TITLES,
    CONTRACT_TITLES,
    CRITERION_TITLES,
    GOAL_STATUS_TITLES,
    PERIOD_TITLES,
    REQUEST_STATUS_TITLES,
    SKILL_LEVELS,
    TEAM_ROLE_TITLES,
    Assignment,
    Barrier,
    Eligibility,
    ExitOutcome,
    Goal,
    GoalEvent,
    Pathway,
    PathwayPeriod,
    ReadKind,
    ReadOutcome,
    RecordRead,
    RectificationRequest,
    Skill,
    SkillAssessment,
    SupportAction,
)
from portal.members.models import Member

FORMAT_VERSION = 1

# The integration tables under a pathway, in the order they are exported: (key, model).
PATHWAY_PARTS: list[tuple[str, type]] = [
    ("eligibility", Eligibility),
    ("periods", PathwayPeriod),
    ("follow_up_team", Assignment),
    ("goals", Goal),
    ("support_actions", SupportAction),
    ("skill_assessments", SkillAssessment),
    ("barriers", Barrier),
    ("rectification_requests", RectificationRequest),
]
PATHWAY_PARTS_BY_MODEL = {model: key for key, model in PATHWAY_PARTS}


def fk_key(column: sa.Column) -> str:
    """The key a foreign key's name is exported under: `recorded_by_id` → `recorded_by`."""
    name = column.name
    return name[:-3] if name.endswith("_id") else name


def _row(obj, skip: set[str], names: dict[str, Any]) -> dict[str, Any]:
    """Every column of `obj` (introspected), foreign keys replaced by names or left out.

    A foreign key in `skip` is left out (the row's parent, the member themself); any other
    foreign key is exported under `fk_key(column)` with its name looked up in `names` by the
    referred table (users: the display name; skills; outcomes)."""
    out: dict[str, Any] = {}
    for column in obj.__table__.columns:
        value = getattr(obj, column.key)
        if column.foreign_keys:
            if column.name in skip:
                continue
            table = next(iter(column.foreign_keys)).column.table.name
            lookup = names.get(table, {})
            out[fk_key(column)] = None if value is None else lookup.get(value, f"#{value}")
        else:
            out[column.name] = jsonable(value)
    return out


def _user_names(ids: set[int]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids)))
    return {row.id: row.display_name for row in rows}


def _user_fk_values(rows, model) -> set[int]:
    columns = [
        c
        for c in model.__table__.columns
        if any(fk.column.table.name == "users" for fk in c.foreign_keys)
    ]
    return {getattr(r, c.key) for r in rows for c in columns}


# --- The integration records -------------------------------------------------------------------


def _pathways_part(member: Member, only: list[int] | None = None) -> list[dict[str, Any]]:
    query = sa.select(Pathway).where(
        Pathway.member_id == member.id, Pathway.anonymised_on.is_(None)
    )
    if only is not None:
        query = query.where(Pathway.id.in_(only))
    pathways = db.session.scalars(query.order_by(Pathway.entry_on, Pathway.id)).all()
    if not pathways:
        return []
    ids = [p.id for p in pathways]
    parts: dict[str, list] = {}
    for key, model in PATHWAY_PARTS:
        parts[key] = list(
            db.session.scalars(sa.select(model).where(model.pathway_id.in_(ids)).order_by(model.id))
        )
    goal_ids = [g.id for g in parts["goals"]]
    events = (
        list(
            db.session.scalars(
                sa.select(GoalEvent).where(GoalEvent.goal_id.in_(goal_ids)).order_by(GoalEvent.id)
            )
        )
        if goal_ids
        else []
    )
    # The journal of each record from its creation: refused attempts on its number made before
    # the record existed were about nobody (or about someone else) and are not the member's.
    reads = list(
        db.session.scalars(
            sa.select(RecordRead)
            .join(Pathway, Pathway.id == RecordRead.pathway_id)
            .where(RecordRead.pathway_id.in_(ids), RecordRead.read_at >= Pathway.created_at)
            .order_by(RecordRead.id)
        )
    )
    user_ids = _user_fk_values(pathways, Pathway) | _user_fk_values(events, GoalEvent)
    user_ids |= _user_fk_values(reads, RecordRead)
    for key, model in PATHWAY_PARTS:
        user_ids |= _user_fk_values(parts[key], model)
    names = {
        "users": _user_names(user_ids),
        "integration_skills": {
            s.id: s.name
            for s in db.session.scalars(
                sa.select(Skill).where(
                    Skill.id.in_({a.skill_id for a in parts["skill_assessments"]})
                )
            )
        }
        if parts["skill_assessments"]
        else {},
        "integration_outcomes": {
            o.id: o.title
            for o in db.session.scalars(
                sa.select(ExitOutcome).where(
                    ExitOutcome.id.in_({p.outcome_id for p in pathways if p.outcome_id})
                )
            )
        },
    }
    events_of: dict[int, list] = {}
    for event in events:
        events_of.setdefault(event.goal_id, []).append(_row(event, {"goal_id"}, names))
    exported = []
    for pathway in pathways:
        item = _row(pathway, {"member_id"}, names)
        for key, model in PATHWAY_PARTS:
            rows = []
            for obj in parts[key]:
                if obj.pathway_id != pathway.id:
                    continue
                row = _row(obj, {"pathway_id"}, names)
                if model is Goal:
                    row["events"] = events_of.get(obj.id, [])
                rows.append(row)
            item[key] = rows
        item["reads"] = [_read_row(read, names) for read in reads if read.pathway_id == pathway.id]
        exported.append(item)
    return exported


def _read_row(read: RecordRead, names: dict[str, Any]) -> dict[str, Any]:
    """One journal row: the member's own reads name nobody (`by_member`: "you" in the PDF);
    an administrator's written reason is given with its read."""
    row = {k: v for k, v in _row(read, set(), names).items() if k != "pathway_id"}
    row["reason"] = read.reason
    return row


# --- Membership and participation ---------------------------------------------------------------
# Each domain registers its own part with the core (`portal/<domain>/contributions.py`): the
# register, the account, its logins and logged actions, membership events and positions
# (members); attendance and requests to speak (meetings); votes taken part in, never a choice,
# and proxies (voting); proposals, supports, comments and changes proposed (proposals).


def member_export(
    member: Member,
    today: date | None = None,
    *,
    with_pathways: bool = True,
    only_pathways: list[int] | None = None,
) -> dict[str, Any]:
    """Everything the portal holds about `member`, as JSON-able data with plain keys
    (`with_pathways=False`: without the integration records, for an administrator;
    `only_pathways`: only these records, for a counsellor who may read no others)."""
    data: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "exported_on": jsonable(today or local_today()),
    }
    for part in EXPORT_PARTS:  # in their order: the register first
        data.update(part.build(member))
    data["pathways"] = _pathways_part(member, only_pathways) if with_pathways else []
    return data


# --- The printed version ------------------------------------------------------------------------

# Plain-word labels of the keys; a key without one (a column added later) shows as it is named.
LABELS = {
    "id": _l("Number"),
    "member_number": _l("Member number"),
    "given_name": _l("First name"),
    "family_name": _l("Last name"),
    "preferred_language": _l("Language"),
    "language": _l("Language"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "contact_consent": _l("Others may see my e-mail and phone"),
    "team": _l("Team"),
    "college": _l("College"),
    "state": _l("Where it stands"),
    "applied_on": _l("Asked to join on"),
    "admitted_on": _l("Member since"),
    "ended_on": _l("Left on"),
    "created_at": _l("Written on"),
    "updated_at": _l("Last changed on"),
    "username": _l("Username"),
    "display_name": _l("Name shown"),
    "active": _l("Active"),
    "roles": _l("Roles"),
    "last_login_at": _l("Last login"),
    "kind": _l("Type"),
    "transition": _l("Step"),
    "effective_on": _l("On"),
    "reason": _l("Reason"),
    "recorded_at": _l("Written on"),
    "body": _l("Body"),
    "position": _l("Position"),
    "starts_on": _l("From"),
    "ends_on": _l("To"),
    "note": _l("Note"),
    "notes": _l("Notes"),
    "meeting": _l("Meeting"),
    "starts_at": _l("Starts"),
    "status": _l("Where it stands"),
    "represented_by": _l("Represented by"),
    "arrived_at": _l("Arrived"),
    "left_at": _l("Left"),
    "self_checked_in": _l("Checked in alone"),
    "requested_at": _l("Asked on"),
    "withdrawn": _l("Withdrawn"),
    "poll": _l("Vote"),
    "voted_at": _l("Voted on"),
    "person": _l("Person"),
    "revoked_at": _l("Taken back on"),
    "used_at": _l("Used on"),
    "proposal": _l("Proposal"),
    "title": _l("Title"),
    "summary": _l("Summary"),
    "text": _l("Text"),
    "edited_at": _l("Changed on"),
    "hidden_at": _l("Hidden on"),
    "hidden_reason": _l("Why it was hidden"),
    "field": _l("Part"),
    "decided_at": _l("Decided on"),
    "decision_comment": _l("Answer"),
    "entry_on": _l("Start of the pathway"),
    "planned_end_on": _l("Planned end"),
    "contract_type": _l("Contract"),
    "weekly_hours": _l("Hours per week"),
    "referrer": _l("Sent by"),
    "exit_on": _l("End of the pathway"),
    "outcome": _l("After the pathway"),
    "exit_note": _l("Note on the end"),
    "created_by": _l("Written by"),
    "purge_warned_on": _l("Warning before deletion sent on"),
    "anonymised_on": _l("Made anonymous on"),
    "criterion": _l("Criterion"),
    "detail": _l("Details"),
    "checked_on": _l("Checked on"),
    "expires_on": _l("Valid until"),
    "recorded_by": _l("Written by"),
    "previous_end_on": _l("End before"),
    "user": _l("Person"),
    "role": _l("Role"),
    "personal_data": _l("May see personal difficulties"),
    "assigned_by": _l("Chosen by"),
    "assigned_at": _l("Chosen on"),
    "target_on": _l("For"),
    "changed_by": _l("Changed by"),
    "changed_at": _l("Changed on"),
    "events": _l("History"),
    "happened_on": _l("On"),
    "minutes": _l("Minutes"),
    "skill": _l("Skill"),
    "level": _l("Level"),
    "assessed_on": _l("On"),
    "assessed_by": _l("By"),
    "noted_on": _l("Noted on"),
    "updated_by": _l("Changed by"),
    "answer": _l("Answer"),
    "asked_by": _l("Asked by"),
    "asked_at": _l("Asked on"),
    "answered_by": _l("Answered by"),
    "answered_at": _l("Answered on"),
    "read_at": _l("When"),
    "what": _l("What"),
    "password_changed_at": _l("Password last changed on"),
    "attempted_at": _l("When"),
    "succeeded": _l("It worked"),
    "ip_address": _l("Internet address (IP)"),
    "done_at": _l("When"),
    "action": _l("What was done"),
    "mode": _l("How"),
    "cast_by": _l("Vote given by"),
    "assisted_by": _l("Helped by"),
}

# The journal's codes in plain words.
READ_KIND_TITLES = {
    ReadKind.PAGE: _l("Page"),
    ReadKind.FRAGMENT: _l("Part of a page"),
    ReadKind.PDF: _l("PDF"),
    ReadKind.EXPORT: _l("Copy of all the data"),
}
READ_OUTCOME_TITLES = {
    ReadOutcome.ALLOWED: _l("Opened"),
    ReadOutcome.REFUSED: _l("Refused: nothing was shown"),
    ReadOutcome.BREAK_GLASS: _l("Opened by an administrator, with a reason"),
}
READ_LABELS = {"outcome": _l("Result"), "kind": _l("Type")}

# Codes shown by their title, per part of the pathway.
PATHWAY_TITLES = {
    "contract_type": CONTRACT_TITLES,
}
PART_TITLES = {
    "eligibility": {"criterion": CRITERION_TITLES},
    "periods": {"kind": PERIOD_TITLES},
    "follow_up_team": {"role": TEAM_ROLE_TITLES},
    "goals": {"status": GOAL_STATUS_TITLES},
    "events": {"status": GOAL_STATUS_TITLES},
    "support_actions": {"kind": ACTION_TITLES},
    "skill_assessments": {"level": SKILL_LEVELS},
    "barriers": {"kind": BARRIER_TITLES, "status": BARRIER_STATUS_TITLES},
    "rectification_requests": {"status": REQUEST_STATUS_TITLES},
    "reads": {"kind": READ_KIND_TITLES, "outcome": READ_OUTCOME_TITLES},
}

PART_HEADINGS = {
    "eligibility": _l("Why you could start"),
    "periods": _l("Pauses and extensions"),
    "follow_up_team": _l("Who followed you"),
    "goals": _l("Goals"),
    "support_actions": _l("Support"),
    "skill_assessments": _l("Skills"),
    "barriers": _l("Difficulties"),
    "rectification_requests": _l("Your requests for corrections"),
    "reads": _l("Who read your record"),
}


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")
# Date columns are named "..._on", times "..._at" (throughout the models): only those are
# formatted as dates. Free text shaped like a date (a goal titled "2026-02-30") stays text.
DATE_SUFFIXES = ("_on", "_at")


def _is_date_field(key: str | None) -> bool:
    return key is not None and key.endswith(DATE_SUFFIXES)


def _text(value: Any, titles: dict | None = None, key: str | None = None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if titles is not None:
        for code, title in titles.items():
            if str(code) == str(value):
                return str(title)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, str) and _is_date_field(key):
        try:
            if _ISO_DATE.fullmatch(value):
                return format_date(date.fromisoformat(value), "long")
            if _ISO_DATETIME.match(value):
                return format_datetime(datetime.fromisoformat(value), "medium")
        except ValueError:
            return value
    return str(value)


def _facts(
    row: dict[str, Any], titles: dict | None = None, labels: dict | None = None
) -> list[tuple[str, str]]:
    titles = titles or {}
    labels = {**LABELS, **(labels or {})}
    return [
        (str(labels.get(key, key.replace("_", " "))), _text(value, titles.get(key), key))
        for key, value in row.items()
        if not isinstance(value, list) or key == "roles"
    ]


def _register_titles() -> dict[str, dict]:
    """The codes shown by their title, by key, as the domains' export parts register them."""
    titles: dict[str, dict] = {}
    for part in EXPORT_PARTS:
        titles.update(part.code_titles())
    return titles


def _part_labels() -> dict[str, Any]:
    labels: dict[str, Any] = {}
    for part in EXPORT_PARTS:
        labels.update(part.labels)
    return labels


def _printable_read(row: dict[str, Any]) -> dict[str, Any]:
    """A journal row for the PDF: the member's own reads are "you"."""
    row = dict(row)
    if row.pop("by_member", False):
        row["user"] = _("You")
    return row


def printable_pathway(
    pathway: dict[str, Any], headings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One exported pathway as facts and parts (those of `headings`, PART_HEADINGS by default)."""
    parts = []
    for key, heading in (headings or PART_HEADINGS).items():
        items = []
        for row in pathway[key]:
            labels = None
            if key == "reads":
                row, labels = _printable_read(row), READ_LABELS
            facts = _facts(row, PART_TITLES.get(key), labels)
            history = [_facts(event, PART_TITLES["events"]) for event in row.get("events", [])]
            items.append({"facts": facts, "history": history})
        parts.append({"heading": heading, "items": items})
    facts = _facts(pathway, PATHWAY_TITLES, {"created_by": _l("Opened by")})
    return {"facts": facts, "parts": parts}


def pathway_data(member: Member, pathway_id: int) -> dict[str, Any] | None:
    """One of the member's records as the export holds it (None once it is not theirs)."""
    found = _pathways_part(member, [pathway_id])
    return found[0] if found else None


def printable(data: dict[str, Any]) -> dict[str, Any]:
    """The export as headings and (label, text) facts, for the PDF."""
    register = _register_titles()
    labels = _part_labels()
    pathways = [printable_pathway(pathway) for pathway in data["pathways"]]
    return {
        "member": _facts(data["member"], register, labels),
        "account": _facts(data["account"], register, labels) if data["account"] else None,
        "sections": [
            {
                "heading": section.heading,
                "items": [_facts(row, register, labels) for row in data[section.key]],
            }
            for section in export_sections()
        ],
        "pathways": pathways,
    }


def export_pdf(member: Member, data: dict[str, Any] | None = None) -> bytes:
    """The export as a readable document, in the member's language, with its date."""
    from weasyprint import HTML  # imported here: loading WeasyPrint takes a moment

    data = data if data is not None else member_export(member)
    with force_locale(member.preferred_language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        html = render_template(
            "integration/export_pdf.html",
            member=member,
            exported_on=date.fromisoformat(data["exported_on"]),
            doc=printable(data),
        )
    return HTML(string=html).write_pdf()


# --- The service: who may export, journal and audit ---------------------------------------------

REASON_MIN, REASON_MAX = 10, 500
FORMATS = ("json", "pdf")


def exported_pathway_ids(member: Member) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Pathway.id)
            .where(Pathway.member_id == member.id, Pathway.anonymised_on.is_(None))
            .order_by(Pathway.id)
        )
    )


# What the journal says of an export made for the member by someone else.
EXPORT_FOR_MEMBER = "data export for the member"


class Exporter(StrEnum):
    """Who makes the export: the member, their counsellor, or an administrator."""

    MEMBER = "member"
    COUNSELLOR = "counsellor"
    ADMIN = "admin"


def _linked_pathways(member: Member) -> list[Pathway]:
    return list(
        db.session.scalars(
            sa.select(Pathway)
            .where(Pathway.member_id == member.id, Pathway.anonymised_on.is_(None))
            .order_by(Pathway.id)
        )
    )


def _is_counsellor_with_access(user, pathways: list[Pathway]) -> bool:
    """Assigned today as counsellor, with access to personal data, to one of these records: who
    may export them beside the member themself (found first, by `can_export_member`)."""
    return any(policies.can_export(user, pathway) for pathway in pathways)


def _is_admin(user) -> bool:
    """May export the data of a member with no record (membership data only)."""
    return policies.can_export_without_record(user)


def exporter_for(user, member: Member) -> Exporter | None:
    """Who `user` is for this export of `member`'s data, None when they may not make it."""
    if policies.can_export_member(user, member):
        return Exporter.MEMBER
    pathways = _linked_pathways(member)
    if _is_counsellor_with_access(user, pathways):
        return Exporter.COUNSELLOR
    if not pathways and _is_admin(user):
        return Exporter.ADMIN
    return None


def can_export_for(user, member: Member) -> bool:
    """May `user` export `member`'s data on their behalf (with a written reason)?

    - a counsellor assigned today, with access to personal data, to one of the member's
      records that is not anonymised: the full export;
    - an administrator, only when the member has no record linked to them (none, or only
      anonymised ones): the export then holds the membership data only.
    Nobody else, whatever the reason (barriers are special-category data)."""
    if user is not None and policies.can_export_member(user, member):
        return False  # the member uses their own page
    return exporter_for(user, member) in (Exporter.COUNSELLOR, Exporter.ADMIN)


def refuse_export(user, member: Member | None) -> None:
    """Journal a refused export attempt on each of the member's records (flushed)."""
    if member is None:
        return
    for pathway_id in exported_pathway_ids(member):
        journal.record_read(
            user, pathway_id, ReadKind.EXPORT, EXPORT_FOR_MEMBER, ReadOutcome.REFUSED
        )


@dataclass(frozen=True)
class ExportPlan:
    """What one export holds, once allowed (`plan_export`)."""

    exporter: Exporter
    pathway_ids: list[int]
    only: list[int] | None
    reason: str

    @property
    def on_behalf(self) -> bool:
        return self.exporter != Exporter.MEMBER


def plan_export(actor, member: Member, fmt: str, reason: str = "") -> ExportPlan:
    """May `actor` make this export of `member`'s data, and what does it hold? Reads only.

    The member themself exports without a reason. Their counsellor (`can_export_for`) exports
    everything with a written reason (10 to 500 characters), shown in each record's journal;
    an administrator, with a reason too, only for a member without a linked record, and gets
    the membership data only. Raises NotAllowed, and DomainError (format, reason)."""
    if fmt not in FORMATS:
        raise DomainError(_l("Choose one of the answers in the list."), field="format")
    exporter = exporter_for(actor, member)
    if exporter is None:
        raise NotAllowed(_l("You may not do this."))
    if exporter != Exporter.MEMBER:
        reason = (reason or "").strip()
        if len(reason) < REASON_MIN:
            raise DomainError(
                _l("Write the reason (at least %(n)d characters).", n=REASON_MIN), field="reason"
            )
        if len(reason) > REASON_MAX:
            raise DomainError(
                _l("This is too long (at most %(n)d characters).", n=REASON_MAX), field="reason"
            )
    ids = exported_pathway_ids(member) if exporter != Exporter.ADMIN else []
    only = None
    if exporter == Exporter.COUNSELLOR:
        # Only the records this counsellor may read in full: an older record followed by
        # someone else stays out of their hands.
        ids = only = [
            pathway_id
            for pathway_id in ids
            if policies.can_read_barriers(actor, db.session.get(Pathway, pathway_id))
        ]
    return ExportPlan(exporter, ids, only, reason if exporter != Exporter.MEMBER else "")


def record_export(actor, member: Member, fmt: str, plan: ExportPlan) -> None:
    """Journal the export (one EXPORT read per record it holds) and audit it.

    The audit holds the member's id and the format (and the administrator's reason, which no
    journal holds), never the records' numbers or content."""
    for pathway_id in plan.pathway_ids:
        if plan.on_behalf:
            journal.record_read(
                actor,
                pathway_id,
                ReadKind.EXPORT,
                EXPORT_FOR_MEMBER,
                ReadOutcome.ALLOWED,
                plan.reason,
            )
        else:
            journal.record_read(actor, pathway_id, ReadKind.EXPORT, "data export")
    # An administrator's export holds no record: its reason is kept in the audit entry (there is
    # no journal to hold it). A counsellor's reason stays in the records' journal only.
    details = {"reason": plan.reason} if plan.exporter == Exporter.ADMIN else {}
    audit.record(
        actor,
        "integration.export",
        "Personal-data export for someone else" if plan.on_behalf else "Personal-data export",
        object_key=f"member:{member.id}",
        format=fmt,
        **details,
    )


def planned_export(member: Member, plan: ExportPlan) -> dict[str, Any]:
    """The data of an export (after `record_export`: it holds the record's journal)."""
    return member_export(
        member, with_pathways=plan.exporter != Exporter.ADMIN, only_pathways=plan.only
    )


def export_member_data(actor, member: Member, fmt: str, reason: str = "") -> dict[str, Any]:
    """The member's export, journaled (one EXPORT read per record) and audited: see
    `plan_export` (who may, and what it raises) and `record_export`."""
    plan = plan_export(actor, member, fmt, reason)
    record_export(actor, member, fmt, plan)
    return planned_export(member, plan)
