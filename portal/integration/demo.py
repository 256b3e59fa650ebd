"""Demo integration records: every worker-member of the demo WISE is on a pathway.

- The counsellors open them (Anne Moreau the French-speaking workers, Lukas Schneider the
  others), with a trainer of the person's team (Sofia Rossi in the kitchen, Pieter de Vries in
  the workshop, Elena Popescu in cleaning) assigned without access to personal data.
- A skills referential of eight skills in three areas.
- Amina Diallo's pathway is full (log in as `amina.diallo`, "My pathway"; or as `anne.moreau`):
  eligibility, an extension, goals with their history, support actions, assessments by her
  trainer, barriers, a correction she asked for and its answer, and reads in the journal.
- Kofi Mensah's pathway ended on 31 March 2026 with a long-term job (a cook). Pathways whose
  planned end (two years after entry) is already past on the day the demo is loaded ended then,
  with an outcome. Most figures of a WISE this small are "fewer than 5" in the reports, as the
  reports promise.

Everything goes through the services, as the counsellors and trainers would do it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from portal.accounts.models import User
from portal.core.db import local_today
from portal.extensions import db
from portal.integration import content, journal, rectification, services, settings
from portal.integration.models import (
    ExitOutcome,
    Pathway,
    ReadKind,
    Skill,
)
from portal.members.models import Member, MemberCategory

SKILLS = [
    ("Work habits", "Arrives on time"),
    ("Work habits", "Works safely"),
    ("Work habits", "Works in a team"),
    ("Trade", "Uses the cleaning machines"),
    ("Trade", "Follows food hygiene rules"),
    ("Trade", "Uses hand tools"),
    ("Everyday skills", "Reads work instructions"),
    ("Everyday skills", "Uses a phone for work"),
]
TRAINERS = {
    "Kitchen": "sofia.rossi",
    "Furniture workshop": "pieter.devries",
    "Cleaning": "elena.popescu",
}
REFERRERS = ["France Travail", "Mission locale", "Social services", "Employment office"]
# How the pathways that reached their planned end before the demo is loaded ended.
ENDINGS = [
    ("long_term_job", "Hired for good by a cleaning company."),
    ("training", "Started a cook's diploma."),
    ("short_term_job", "Six-month contract in a warehouse."),
    ("long_term_job", "Hired by the furniture shop next door."),
    ("job_seeking", "Looking for work, with France Travail."),
]


@dataclass(frozen=True)
class DemoIntegration:
    pathways: int
    actions: int


def _user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _on(day: date) -> date:
    return min(day, local_today())


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, 28))


def load_demo_integration() -> DemoIntegration:
    """Once (nothing happens when there are pathways). The caller commits."""
    if db.session.scalar(sa.select(sa.func.count(Pathway.id))):
        return DemoIntegration(0, 0)
    anne, lukas, admin = _user("anne.moreau"), _user("lukas.schneider"), _user("admin")
    if anne is None or lukas is None or admin is None:
        return DemoIntegration(0, 0)
    for area, name in SKILLS:
        settings.add_skill(anne, area, name)
    skills = {s.name: s for s in db.session.scalars(sa.select(Skill))}
    outcomes = {o.code: o for o in db.session.scalars(sa.select(ExitOutcome))}
    workers = db.session.scalars(
        sa.select(Member)
        .join(MemberCategory, Member.category_id == MemberCategory.id)
        .where(MemberCategory.code == "worker", Member.user_id.is_not(None))
        .where(Member.state != "ended")
        .order_by(Member.id)
    ).all()
    pathways, actions = 0, 0
    for index, member in enumerate(workers):
        account = db.session.get(User, member.user_id)
        if account is None or member.admitted_on is None:
            continue
        counsellor = anne if member.preferred_language == "fr" else lukas
        entry = member.admitted_on
        pathway = services.open_pathway(
            admin,
            member,
            services.PathwayData(
                entry_on=entry,
                planned_end_on=_add_months(entry, 24),
                weekly_hours=Decimal(26 if index % 3 else 30),
                team=member.team,
                referrer=REFERRERS[index % len(REFERRERS)],
                counsellor=counsellor,
            ),
        )
        pathways += 1
        trainer = _user(TRAINERS.get(member.team, ""))
        if trainer is not None:
            services.assign(admin, pathway, trainer, "trainer", entry, None, False)
        services.add_eligibility(
            counsellor,
            pathway,
            "long_term_unemployed" if index % 2 else "minimum_income",
            "",
            entry,
            _add_months(entry, 24),
        )
        for months, kind, minutes in (
            (0, "interview", 60),
            (2, "paperwork", 45),
            (5, "interview", 30),
        ):
            day = _add_months(entry, months)
            if day <= local_today():
                content.add_support_action(counsellor, pathway, day, kind, minutes, "")
                actions += 1
        if account.username == "amina.diallo":
            actions += _amina(pathway, account, anne, trainer, skills)
        elif pathway.planned_end_on < local_today():
            # The demo is loaded on any day: a pathway whose planned end has passed has ended.
            code, note = ENDINGS[index % len(ENDINGS)]
            services.record_exit(counsellor, pathway, pathway.planned_end_on, outcomes[code], note)
    kofi = db.session.scalar(
        sa.select(Member)
        .join(User, Member.user_id == User.id)
        .where(User.username == "kofi.mensah")
    )
    if kofi is not None and kofi.admitted_on is not None:
        _ended_pathway(admin, anne, kofi, outcomes["long_term_job"])
        pathways += 1
    return DemoIntegration(pathways, actions)


def _ended_pathway(admin: User, counsellor: User, member: Member, outcome: ExitOutcome) -> None:
    """Kofi's pathway, which ended with his membership on 31 March 2026 (`open_pathway` refuses
    people whose membership has ended: the rows are added as it adds them)."""
    pathway = services.add_pathway(
        admin,
        member,
        {
            "entry_on": member.admitted_on,
            "planned_end_on": _add_months(member.admitted_on, 24),
            "weekly_hours": Decimal(26),
            "team": member.team,
            "referrer": "Mission locale",
        },
        counsellor,
    )
    content.add_support_action(
        counsellor, pathway, _add_months(pathway.entry_on, 16), "job_search", 60, ""
    )
    services.record_exit(
        counsellor, pathway, _on(date(2026, 3, 31)), outcome, "Permanent job as a cook."
    )


def _amina(pathway: Pathway, amina: User, anne: User, trainer: User | None, skills) -> int:
    """The full record the README points to."""
    entry = pathway.entry_on
    if pathway.planned_end_on is not None and pathway.planned_end_on < local_today() + timedelta(
        days=150
    ):
        services.extend(
            anne,
            pathway,
            max(_add_months(pathway.planned_end_on, 12), _add_months(local_today(), 6)),
            "One more year to finish the food hygiene training.",
        )
    hygiene = content.add_goal(
        anne, pathway, "Get the food hygiene certificate", "The course is on Tuesday mornings."
    )
    content.change_goal_status(anne, hygiene, "in_progress", "Signed up for the spring course.")
    flat = content.add_goal(anne, pathway, "Find a flat closer to work")
    content.change_goal_status(anne, flat, "in_progress", "Application sent to the housing office.")
    licence = content.add_goal(anne, pathway, "Start driving lessons")
    content.change_goal_status(anne, licence, "dropped", "Too expensive this year; later.")
    count = 0
    for months, kind, minutes, notes in (
        (7, "coaching", 90, "Worked on the floor machine with Amina."),
        (9, "training", 180, "First day of the food hygiene course."),
        (12, "referral", 30, "Met the housing office together."),
    ):
        day = _add_months(entry, months)
        if day <= local_today():
            content.add_support_action(anne, pathway, day, kind, minutes, notes)
            count += 1
    if trainer is not None:
        for months, levels in ((1, (1, 2, 2)), (10, (3, 3, 2))):
            day = _add_months(entry, months)
            if day <= local_today():
                for skill_name, level in zip(
                    ("Uses the cleaning machines", "Works safely", "Reads work instructions"),
                    levels,
                    strict=True,
                ):
                    content.assess_skill(trainer, pathway, skills[skill_name], level, day, "")
    content.set_barrier(anne, pathway, "housing", "working", "Lives far away: 1 h 15 by bus.")
    content.set_barrier(anne, pathway, "digital", "solved", "Has a phone and uses the portal.")
    request = rectification.ask_rectification(
        amina, pathway, "My referring organisation was the Mission locale, not France Travail."
    )
    services.update_details(
        anne,
        pathway,
        services.PathwayData(
            entry_on=pathway.entry_on,
            planned_end_on=pathway.planned_end_on,
            contract_type=pathway.contract_type,
            weekly_hours=pathway.weekly_hours,
            team=pathway.team,
            referrer="Mission locale",
        ),
    )
    rectification.answer_rectification(anne, request, "corrected", "Corrected. Thank you, Amina.")
    journal.record_read(anne, pathway.id, ReadKind.PAGE, "record")
    if trainer is not None:
        journal.record_read(trainer, pathway.id, ReadKind.PAGE, "record")
    return count
