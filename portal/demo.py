"""`flask portal demo`: a believable WISE to explore the portal with.

A cleaning, catering and recycling enterprise of about forty people: worker-members on an
integration pathway, permanent staff, a board, trainers, counsellors and an administrator.
Several people have no e-mail, and a few have not chosen a password yet (they will get a
printed setup code).
"""

from __future__ import annotations

import click
import sqlalchemy as sa

from portal.accounts import services
from portal.accounts.models import Role, User
from portal.accounts.passwords import verify_password
from portal.content.demo import load_demo_pages
from portal.core.cli import portal_cli
from portal.extensions import db
from portal.integration.demo import load_demo_integration
from portal.meetings.demo import load_demo_meetings
from portal.members.demo import load_demo_register
from portal.programmes.demo import load_demo_programmes
from portal.proposals.demo import load_demo_proposals
from portal.voting.demo import load_demo_room_votes, load_demo_votes

DEMO_PASSWORD = "wise-demo-2026"  # noqa: S105 - printed on purpose: it is demo data

M, B, T, C, A = Role.MEMBER, Role.BOARD, Role.TRAINER, Role.COUNSELLOR, Role.ADMIN

# username, name, e-mail (None: has none), language, roles, has a password yet
PEOPLE: list[tuple[str, str, str | None, str, set[Role], bool]] = [
    ("admin", "Claire Dubois", "claire.dubois@example.org", "fr", {M, A}, True),
    ("marta.kowalska", "Marta Kowalska", "marta.kowalska@example.org", "en", {M, B}, True),
    ("joao.silva", "João Silva", None, "fr", {M, B}, True),
    ("ingrid.larsen", "Ingrid Larsen", "ingrid.larsen@example.org", "en", {M, B}, True),
    ("karim.benali", "Karim Benali", None, "fr", {M, B}, True),
    ("sofia.rossi", "Sofia Rossi", "sofia.rossi@example.org", "en", {M, T}, True),
    ("pieter.devries", "Pieter de Vries", "pieter.devries@example.org", "en", {M, T}, True),
    ("elena.popescu", "Elena Popescu", None, "fr", {T}, True),
    ("anne.moreau", "Anne Moreau", "anne.moreau@example.org", "fr", {C}, True),
    ("lukas.schneider", "Lukas Schneider", "lukas.schneider@example.org", "en", {C}, True),
    ("amina.diallo", "Amina Diallo", None, "fr", {M}, True),
    ("mehmet.yilmaz", "Mehmet Yılmaz", None, "fr", {M}, True),
    ("nadia.haddad", "Nadia Haddad", "nadia.h@example.org", "fr", {M}, True),
    ("tomasz.nowak", "Tomasz Nowak", None, "en", {M}, True),
    ("aoife.murphy", "Aoife Murphy", "aoife.murphy@example.org", "en", {M}, True),
    ("jose.garcia", "José García", None, "fr", {M}, True),
    ("fatou.ndiaye", "Fatou Ndiaye", None, "fr", {M}, True),
    ("dimitris.papadopoulos", "Dimitris Papadopoulos", "dimitris.p@example.org", "en", {M}, True),
    ("lea.martin", "Léa Martin", "lea.martin@example.org", "fr", {M}, True),
    ("ion.rusu", "Ion Rusu", None, "fr", {M}, True),
    ("hanna.virtanen", "Hanna Virtanen", "hanna.virtanen@example.org", "en", {M}, True),
    ("youssef.amrani", "Youssef Amrani", None, "fr", {M}, True),
    ("marie.lambert", "Marie Lambert", "marie.lambert@example.org", "fr", {M}, True),
    ("goran.petrovic", "Goran Petrović", None, "en", {M}, True),
    ("chiara.bianchi", "Chiara Bianchi", "chiara.bianchi@example.org", "en", {M}, True),
    ("samir.toure", "Samir Touré", None, "fr", {M}, True),
    ("eva.horvath", "Éva Horváth", None, "en", {M}, True),
    ("lucas.bernard", "Lucas Bernard", "lucas.bernard@example.org", "fr", {M}, True),
    ("agnieszka.wisniewska", "Agnieszka Wiśniewska", None, "fr", {M}, True),
    ("olga.ivanova", "Olga Ivanova", "olga.ivanova@example.org", "en", {M}, True),
    ("bram.janssens", "Bram Janssens", "bram.janssens@example.org", "en", {M}, True),
    ("aissatou.ba", "Aïssatou Ba", None, "fr", {M}, True),
    ("miguel.fernandes", "Miguel Fernandes", None, "fr", {M}, True),
    ("kofi.mensah", "Kofi Mensah", "kofi.mensah@example.org", "en", {M}, True),
    ("rania.saleh", "Rania Saleh", None, "fr", {M}, True),
    ("petra.novak", "Petra Novák", "petra.novak@example.org", "en", {M}, True),
    ("thomas.leroy", "Thomas Leroy", "thomas.leroy@example.org", "fr", {M}, True),
    ("zeynep.kaya", "Zeynep Kaya", None, "fr", {M}, False),
    ("andrei.muresan", "Andrei Mureșan", None, "fr", {M}, False),
    ("mariam.keita", "Mariam Keïta", None, "fr", {M}, False),
]

# The logins printed by `make run`.
DEMO_LOGINS = [
    ("admin", "administrator"),
    ("marta.kowalska", "board (chair)"),
    ("sofia.rossi", "trainer"),
    ("anne.moreau", "counsellor"),
    ("amina.diallo", "worker-member, no e-mail, French"),
]


def load_demo() -> int:
    """Create the demo people; returns how many were created. The caller commits."""
    created = 0
    for username, name, email, locale, roles, has_password in PEOPLE:
        exists = db.session.scalar(sa.select(User.id).where(User.username == username))
        if exists:
            continue
        services.create_user(
            None,
            services.AccountData(username, name, email, locale, frozenset(roles)),
            password=DEMO_PASSWORD if has_password else None,
        )
        created += 1
    return created


@portal_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has accounts.")
def demo_command(if_empty: bool) -> None:
    """Load the demo WISE (about 40 people) and print the demo logins."""
    if if_empty and db.session.scalar(sa.select(sa.func.count(User.id))):
        click.echo("The database already has accounts; demo data not loaded.")
    else:
        created = load_demo()
        admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
        pages = load_demo_pages(admin) if admin is not None else 0
        register = load_demo_register()
        # In this order (the polls' numbers and dates follow it): a poll, the proposals and
        # their votes, then the polls counted in the room and the practice poll.
        votes = load_demo_votes()
        votes += load_demo_proposals()
        votes += load_demo_room_votes()
        meetings = load_demo_meetings()
        integration = load_demo_integration()
        programmes = load_demo_programmes()
        db.session.commit()
        click.echo(f"Demo data: {created} people and {pages} pages created.")
        click.echo(
            f"Register: {register.members} members, {register.bodies} bodies, "
            f"{register.mandates} positions."
        )
        click.echo(
            f"Votes: {votes.polls} polls with {votes.ballots} ballots, {votes.proposals} proposals."
        )
        click.echo(
            f"Meetings: {meetings.meetings} meetings (minutes of {meetings.published} published), "
            f"{meetings.decisions} decisions."
        )
        click.echo(
            f"Integration: {integration.pathways} pathways, {integration.actions} support actions."
        )
        click.echo(
            f"Programmes: {programmes.programmes} programmes, {programmes.sessions} sessions, "
            f"{programmes.signatures} signatures."
        )
    demo_admin = db.session.scalar(sa.select(User).where(User.username == DEMO_LOGINS[0][0]))
    if demo_admin is not None and verify_password(demo_admin.password_hash, DEMO_PASSWORD):
        click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, what in DEMO_LOGINS:
            click.echo(f"  {username:<16} {what}")
