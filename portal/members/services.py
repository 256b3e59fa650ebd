"""Register services: members, their lifecycle, colleges, accounts, and who belongs where.

Services take the acting user explicitly, check the permission themselves, never commit, and
raise `DomainError` subclasses with translated messages. Every change is audited.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, selectinload

from portal.accounts import services as accounts
from portal.accounts.models import Role, User
from portal.core import audit
from portal.core.db import local_today
from portal.core.errors import DomainError, NotAllowed
from portal.core.security import Permission, can
from portal.core.workflow import apply_transition
from portal.extensions import db
from portal.members import lookup, signals
from portal.members.models import (
    EventKind,
    Mandate,
    Member,
    MemberCategory,
    MembershipEvent,
)

MAX_NAME = 80
MAX_REASON = 1000
NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,19}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ().-]{4,30}$")
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class MemberData:
    given_name: str
    family_name: str
    member_number: str = ""  # empty: the next free number
    preferred_language: str = ""
    email: str | None = None
    phone: str | None = None
    contact_consent: bool = False
    team: str = ""
    category_id: int | None = None


def _clean(text: str | None) -> str:
    """One line of text: no control characters, single spaces."""
    text = "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] != "C" or ch == " ")
    return " ".join(text.split())


def _check_text(value: str | None, name: str, *, required: bool, limit: int) -> str:
    raw = (value or "").strip()
    if raw.startswith(FORMULA_START):
        raise DomainError(
            _l("This cannot start with =, +, -, or @ (a spreadsheet would run it)."), field=name
        )
    text = _clean(raw)
    if required and not text:
        raise DomainError(_l("Please fill this in."), field=name)
    if len(text) > limit:
        raise DomainError(_l("At most %(n)d characters.", n=limit), field=name)
    return text


def check_member_data(data: MemberData, member: Member | None = None) -> MemberData:
    """The data cleaned and checked, or DomainError naming the field."""
    given = _check_text(data.given_name, "given_name", required=True, limit=MAX_NAME)
    family = _check_text(data.family_name, "family_name", required=True, limit=MAX_NAME)
    team = _check_text(data.team, "team", required=False, limit=80)
    number = (data.member_number or "").strip()
    if number:
        if not NUMBER_PATTERN.match(number):
            raise DomainError(
                _l("A member number has up to 20 letters, digits, dots, dashes or slashes."),
                field="member_number",
            )
        taken = db.session.scalar(
            sa.select(Member.id).where(
                Member.member_number == number, Member.id != (member.id if member else -1)
            )
        )
        if taken:
            raise DomainError(_l("Another member already has this number."), field="member_number")
    languages = current_app.config["LANGUAGES"]
    language = (data.preferred_language or "").strip().lower()
    if not language:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    if language not in languages:
        raise DomainError(
            _l("Choose one of these languages: %(list)s.", list=", ".join(languages)),
            field="preferred_language",
        )
    email = (data.email or "").strip() or None
    if email and (len(email) > 254 or not EMAIL_PATTERN.match(email)):
        raise DomainError(_l("This e-mail address is not valid."), field="email")
    phone = _clean(data.phone) or None
    if phone and not PHONE_PATTERN.match(phone):
        raise DomainError(
            _l("A phone number has digits, spaces and maybe a + at the start."), field="phone"
        )
    if data.category_id is not None and db.session.get(MemberCategory, data.category_id) is None:
        raise DomainError(_l("Choose a college from the list."), field="category_id")
    return MemberData(
        given,
        family,
        number,
        language,
        email,
        phone,
        bool(data.contact_consent),
        team,
        data.category_id,
    )


def next_member_number() -> str:
    """The next free number: one more than the highest all-digit number, on four digits."""
    numbers = db.session.scalars(sa.select(Member.member_number)).all()
    highest = max((int(n) for n in numbers if n.isascii() and n.isdigit()), default=0)
    number = f"{highest + 1:04d}"
    if len(number) > 20:
        raise DomainError(
            _l("There is no next number after %(number)s. Give a number by hand.", number=highest),
            field="member_number",
        )
    return number


def _check_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise DomainError(_l("Please say why, in a few words."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_l("At most %(n)d characters.", n=MAX_REASON), field="reason")
    return reason


def latest_event(member: Member) -> MembershipEvent | None:
    return db.session.scalar(
        sa.select(MembershipEvent)
        .where(MembershipEvent.member_id == member.id)
        .order_by(MembershipEvent.effective_on.desc(), MembershipEvent.id.desc())
        .limit(1)
    )


def _check_date(member: Member | None, effective_on: date | None) -> date:
    """An effective date: not in the future, not before the member's latest event."""
    if effective_on is None:
        raise DomainError(_l("Give the date it takes effect."), field="effective_on")
    if effective_on > local_today():
        raise DomainError(
            _l("The date cannot be in the future. Record it on the day it happens."),
            field="effective_on",
        )
    if effective_on.year < 1900:
        raise DomainError(_l("This date is too far in the past."), field="effective_on")
    last = latest_event(member) if member is not None and member.id else None
    if last is not None and effective_on < last.effective_on:
        raise DomainError(
            _l(
                "The date cannot be before the last change (%(date)s).",
                date=last.effective_on.isoformat(),
            ),
            field="effective_on",
        )
    return effective_on


def _record_event(
    actor, member: Member, kind: EventKind, effective_on: date, reason: str, transition=None
) -> MembershipEvent:
    event = MembershipEvent(
        member_id=member.id,
        kind=kind.value,
        transition=transition,
        effective_on=effective_on,
        state=member.state,
        category_id=member.category_id,
        reason=reason,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(event)
    return event


def _apply(member: Member, data: MemberData) -> None:
    member.given_name, member.family_name = data.given_name, data.family_name
    member.preferred_language = data.preferred_language
    member.email, member.phone = data.email, data.phone
    member.contact_consent = data.contact_consent
    member.team = data.team
    member.category_id = data.category_id


def create_member(
    actor,
    data: MemberData,
    applied_on: date | None = None,
    *,
    admitted_on: date | None = None,
    reason: str = "",
) -> Member:
    """Enter a person in the register as an applicant (or, with `admitted_on`, as a member
    admitted on that date: for registers brought in from paper or a spreadsheet).

    `actor` None means the command line. Raises NotAllowed, DomainError.
    """
    if actor is not None and not can(actor, Permission.MANAGE_MEMBERS):
        raise NotAllowed(_l("You cannot add members."))
    data = check_member_data(data)
    applied_on = _check_date(None, applied_on or local_today())
    if admitted_on is not None:
        if actor is not None and not can(actor, Permission.DECIDE_MEMBERSHIP):
            raise NotAllowed(_l("Only the board admits members."))
        admitted_on = _check_date(None, admitted_on)
        if admitted_on < applied_on:
            raise DomainError(
                _l("The admission cannot be before the application."), field="admitted_on"
            )
        if data.category_id is None:
            raise DomainError(_l("Choose the member's college."), field="category_id")
    member = Member(applied_on=applied_on, member_number=data.member_number or "")
    _apply(member, data)
    if not member.member_number:
        member.member_number = next_member_number()
    db.session.add(member)
    db.session.flush()
    member.security_path = f"/{member.object_key}/"
    _record_event(
        actor, member, EventKind.APPLIED, applied_on, _check_reason(reason, required=False)
    )
    if admitted_on is not None:
        member.state, member.admitted_on = "active", admitted_on
        _record_event(
            actor, member, EventKind.TRANSITION, admitted_on, reason.strip(), transition="admit"
        )
    audit.record(
        actor,
        "member.created",
        f"member {member.member_number} entered in the register ({member.state})",
        object_key=member.object_key,
        state=member.state,
    )
    db.session.flush()
    return member


AUDITED_FIELDS = (
    "given_name",
    "family_name",
    "preferred_language",
    "email",
    "phone",
    "contact_consent",
    "team",
)


def update_member(actor, member: Member, data: MemberData) -> Member:
    """Correct a member's register data. A change of college goes through `change_category`
    (it is dated); here the college may only be set when there was none."""
    if not can(actor, Permission.EDIT, member):
        raise NotAllowed(_l("You cannot change this member."))
    data = check_member_data(data, member)
    if data.member_number and data.member_number != member.member_number:
        member.member_number = data.member_number
    category_id = member.category_id if member.category_id is not None else data.category_id
    changed = sorted(
        name for name in AUDITED_FIELDS if getattr(member, name) != getattr(data, name)
    )
    set_category = category_id != member.category_id
    _apply(member, MemberData(**{**data.__dict__, "category_id": category_id}))
    if set_category:
        changed.append("category")
        _record_event(actor, member, EventKind.CATEGORY, _check_date(member, local_today()), "")
    if changed:
        audit.record(
            actor,
            "member.updated",
            f"member {member.member_number}: {', '.join(changed)} changed",
            object_key=member.object_key,
            fields=changed,
        )
    db.session.flush()
    return member


def change_category(
    actor, member: Member, category: MemberCategory, effective_on: date | None, reason: str
) -> MembershipEvent:
    """Move a member to another college from a date (they then vote where that college does)."""
    if not can(actor, Permission.EDIT, member):
        raise NotAllowed(_l("You cannot change this member."))
    if category.id == member.category_id:
        raise DomainError(_l("The member is already in this college."), field="category_id")
    effective_on = _check_date(member, effective_on)
    reason = _check_reason(reason, required=True)
    before = member.category.code if member.category else None
    member.category_id = category.id
    db.session.flush()
    db.session.expire(member, ["category"])
    event = _record_event(actor, member, EventKind.CATEGORY, effective_on, reason)
    audit.record(
        actor,
        "member.category",
        f"member {member.member_number}: college {before} -> {category.code} from {effective_on}",
        object_key=member.object_key,
        before=before,
        after=category.code,
        effective_on=effective_on.isoformat(),
    )
    db.session.flush()
    return event


def change_membership(
    actor, member: Member, transition: str, effective_on: date | None, reason: str
) -> MembershipEvent:
    """A lifecycle step (admit, refuse, suspend, reinstate, end, readmit) from a date.

    The workflow checks who may take it; the date may not be in the future or before the
    previous change.
    """
    effective_on = _check_date(member, effective_on)
    # The workflow checks the permission, the guard and the reason, and writes the audit entry.
    apply_transition(member, transition, actor, reason, effective_on=effective_on.isoformat())
    if transition in ("admit", "readmit"):
        member.admitted_on, member.ended_on = effective_on, None
    elif member.state == "ended":
        member.ended_on = effective_on
    event = _record_event(
        actor, member, EventKind.TRANSITION, effective_on, reason.strip(), transition=transition
    )
    db.session.flush()
    if member.state == "ended":  # synchronous: the receivers write in this transaction
        signals.member_left.send(member, actor=actor, effective_on=effective_on)
    return event


def events_of(member: Member) -> list[MembershipEvent]:
    return db.session.scalars(
        sa.select(MembershipEvent)
        .where(MembershipEvent.member_id == member.id)
        .order_by(MembershipEvent.effective_on, MembershipEvent.id)
    ).all()


def state_on(member: Member, day: date) -> str | None:
    """The member's state on `day`, or None when they were not yet in the register."""
    return db.session.scalar(
        sa.select(MembershipEvent.state)
        .where(MembershipEvent.member_id == member.id, MembershipEvent.effective_on <= day)
        .order_by(MembershipEvent.effective_on.desc(), MembershipEvent.id.desc())
        .limit(1)
    )


# --- Self-service ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preferences:
    preferred_language: str
    email: str | None
    phone: str | None
    contact_consent: bool


def update_preferences(actor, member: Member, prefs: Preferences) -> Member:
    """The member's own choices: language, contact details, whether members may see them."""
    if not can(actor, Permission.EDIT_PREFERENCES, member):
        raise NotAllowed(_l("You cannot change these choices."))
    data = check_member_data(
        MemberData(
            member.given_name,
            member.family_name,
            member.member_number,
            prefs.preferred_language,
            prefs.email,
            prefs.phone,
            prefs.contact_consent,
            member.team,
            member.category_id,
        ),
        member,
    )
    changed = [
        name
        for name in ("preferred_language", "email", "phone", "contact_consent")
        if getattr(member, name) != getattr(data, name)
    ]
    _apply(member, data)
    if member.user is not None and member.user.locale != data.preferred_language:
        member.user.locale = data.preferred_language  # the portal speaks it to them too
    if changed:
        audit.record(
            actor,
            "member.preferences",
            f"member {member.member_number}: {', '.join(changed)} changed",
            object_key=member.object_key,
            fields=changed,
        )
    db.session.flush()
    return member


# --- Accounts ----------------------------------------------------------------------------------


def link_account(actor, member: Member, user: User) -> Member:
    if not can(actor, Permission.EDIT, member):
        raise NotAllowed(_l("You cannot change this member."))
    if member.user_id is not None:
        raise DomainError(_l("This member already has an account. Unlink it first."))
    other = db.session.scalar(sa.select(Member).where(Member.user_id == user.id))
    if other is not None:
        raise DomainError(
            _l("This account belongs to member %(number)s.", number=other.member_number),
            field="user_id",
        )
    member.user_id = user.id
    _forget_member_of()
    db.session.flush()
    db.session.expire(member, ["user"])
    audit.record(
        actor,
        "member.account_linked",
        f"member {member.member_number} linked to account {user.username}",
        object_key=member.object_key,
        user_id=user.id,
    )
    return member


def unlink_account(actor, member: Member) -> Member:
    if not can(actor, Permission.EDIT, member):
        raise NotAllowed(_l("You cannot change this member."))
    if member.user_id is None:
        raise DomainError(_l("This member has no account."))
    user_id, username = member.user_id, member.user.username if member.user else "?"
    member.user_id = None
    _forget_member_of()
    db.session.flush()
    db.session.expire(member, ["user"])
    audit.record(
        actor,
        "member.account_unlinked",
        f"member {member.member_number} unlinked from account {username}",
        object_key=member.object_key,
        user_id=user_id,
    )
    return member


def suggest_username(member: Member) -> str:
    """firstname.lastname in plain letters, made unique with a number."""

    def plain(text: str) -> str:
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")

    base = ".".join(p for p in (plain(member.given_name), plain(member.family_name)) if p)
    base = (base or f"member{member.id}")[:36].strip(".-")
    if len(base) < 3:
        base = f"member.{base}".strip(".")
    candidate, number = base, 1
    while db.session.scalar(sa.select(User.id).where(User.username == candidate)):
        number += 1
        candidate = f"{base}{number}"
    return candidate


def create_account_for(actor, member: Member) -> User:
    """A member login (no password yet: the welcome sheet's setup code chooses it)."""
    if not can(actor, Permission.PRINT_WELCOME_SHEETS, member):
        raise NotAllowed(_l("You cannot print a welcome sheet for this member."))
    if member.user_id is not None:
        raise DomainError(_l("This member already has an account."))
    user = accounts.create_user(
        actor,
        accounts.AccountData(
            username=suggest_username(member),
            display_name=member.full_name[:120],
            email=member.email,
            locale=member.preferred_language,
            roles=frozenset({Role.MEMBER}),
        ),
        password=None,
        member_policy_checked=True,
    )
    member.user_id = user.id
    _forget_member_of()
    db.session.flush()
    db.session.expire(member, ["user"])
    audit.record(
        actor,
        "member.account_linked",
        f"member {member.member_number} linked to new account {user.username}",
        object_key=member.object_key,
        user_id=user.id,
    )
    return user


def issue_welcome_code(actor, member: Member, config):
    """Create the account if needed and issue its one-time setup code (printed once)."""
    if not can(actor, Permission.PRINT_WELCOME_SHEETS, member):
        raise NotAllowed(_l("You cannot print a welcome sheet for this member."))
    user = member.user or create_account_for(actor, member)
    if not (user.roles <= {Role.MEMBER}) and not can(actor, Permission.MANAGE_ACCOUNTS, user):
        raise NotAllowed(
            _l("This account has more rights than a member's: only an administrator can do this.")
        )
    return accounts.issue_setup_code(actor, user, config, policy_checked=True)


# --- Colleges ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryData:
    name: str
    description: str = ""
    vote_weight: int = 1
    body_ids: frozenset[int] = field(default_factory=frozenset)


def _code_for(name: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:30] or "college"
    candidate, number = base, 1
    while db.session.scalar(sa.select(MemberCategory.id).where(MemberCategory.code == candidate)):
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _check_category(data: CategoryData) -> CategoryData:
    from portal.members.models import Body

    name = _check_text(data.name, "name", required=True, limit=80)
    description = _check_text(data.description, "description", required=False, limit=300)
    if not isinstance(data.vote_weight, int) or not 1 <= data.vote_weight <= 100:
        raise DomainError(_l("A weight is a whole number from 1 to 100."), field="vote_weight")
    known = set(db.session.scalars(sa.select(Body.id).where(Body.id.in_(data.body_ids))))
    if known != set(data.body_ids):
        raise DomainError(_l("Choose bodies from the list."), field="body_ids")
    return CategoryData(name, description, data.vote_weight, frozenset(data.body_ids))


def _set_category(category: MemberCategory, data: CategoryData) -> None:
    from portal.members.models import Body

    category.description, category.vote_weight = data.description, data.vote_weight
    category.voting_bodies = list(
        db.session.scalars(sa.select(Body).where(Body.id.in_(data.body_ids)).order_by(Body.id))
    )


def create_category(actor, data: CategoryData) -> MemberCategory:
    if not can(actor, Permission.MANAGE_BODIES):
        raise NotAllowed(_l("You cannot change colleges."))
    data = _check_category(data)
    category = MemberCategory(code=_code_for(data.name), name=data.name)
    category.sort_order = (
        db.session.scalar(sa.select(sa.func.max(MemberCategory.sort_order))) or 0
    ) + 1
    _set_category(category, data)
    db.session.add(category)
    db.session.flush()
    audit.record(
        actor,
        "category.created",
        f"college {category.code} created (weight {category.vote_weight})",
        object_key=f"category:{category.id}",
        weight=category.vote_weight,
        bodies=sorted(data.body_ids),
    )
    return category


def update_category(actor, category: MemberCategory, data: CategoryData) -> MemberCategory:
    if not can(actor, Permission.MANAGE_BODIES):
        raise NotAllowed(_l("You cannot change colleges."))
    data = _check_category(data)
    before = (category.title, category.vote_weight, sorted(b.id for b in category.voting_bodies))
    if data.name != category.title:
        category.name = data.name
    _set_category(category, data)
    db.session.flush()
    audit.record(
        actor,
        "category.updated",
        f"college {category.code} changed (weight {before[1]} -> {category.vote_weight})",
        object_key=f"category:{category.id}",
        weight=category.vote_weight,
        bodies=sorted(data.body_ids),
        bodies_before=before[2],
    )
    return category


def categories() -> list[MemberCategory]:
    return db.session.scalars(
        sa.select(MemberCategory)
        .options(selectinload(MemberCategory.voting_bodies))
        .order_by(MemberCategory.sort_order, MemberCategory.id)
    ).all()


# --- Who belongs where ------------------------------------------------------------------------


def _latest_event_id(day: date):
    """Correlated subquery: the id of the member's latest event on or before `day`."""
    event = aliased(MembershipEvent)
    return (
        sa.select(event.id)
        .where(event.member_id == Member.id, event.effective_on <= day)
        .order_by(event.effective_on.desc(), event.id.desc())
        .limit(1)
        .correlate(Member)
        .scalar_subquery()
    )


def members_active_on(day: date):
    """Select (member id, category id on that day) of the members active on `day`."""
    event = MembershipEvent
    return (
        sa.select(Member.id.label("member_id"), event.category_id.label("category_id"))
        .join(event, event.id == _latest_event_id(day))
        .where(event.state == "active")
    )


def mandate_on(day: date):
    """Condition: a mandate held on `day` (both ends inclusive)."""
    return sa.and_(
        Mandate.starts_on <= day, sa.or_(Mandate.ends_on.is_(None), Mandate.ends_on >= day)
    )


# Letters of other alphabets drawn like Latin ones in capitals or small letters (Unicode's
# confusables, TR 39): a name typed with one of them (a Cyrillic "a" in "Marta") looks the same
# as the Latin name on screen. Names are compared without case, so each is listed by its small
# letter (the Cyrillic capitals VE, O, VE read "BOB"). Where the two differ (Greek small nu and
# eta look like v and n, their capitals like N and H), the small letter wins.
# fmt: off
_LOOK_ALIKE_NAMES = {
    "CYRILLIC SMALL LETTER": {
        "A": "a", "VE": "b", "IE": "e", "KA": "k", "EM": "m", "EN": "h", "O": "o", "ER": "p",
        "ES": "c", "TE": "t", "U": "y", "HA": "x", "SOFT SIGN": "b", "DZE": "s",
        "BYELORUSSIAN-UKRAINIAN I": "i", "JE": "j", "KOMI DE": "d", "SHHA": "h",
        "PALOCHKA": "l", "STRAIGHT U": "y", "QA": "q", "WE": "w",
    },
    "GREEK SMALL LETTER": {
        "ALPHA": "a", "BETA": "b", "EPSILON": "e", "ZETA": "z", "ETA": "n", "IOTA": "i",
        "KAPPA": "k", "MU": "m", "NU": "v", "OMICRON": "o", "RHO": "p", "TAU": "t",
        "UPSILON": "u", "CHI": "x",
    },
    "LATIN SMALL LETTER": {"DOTLESS I": "i", "ALPHA": "a", "SCRIPT G": "g"},
}
# fmt: on
LOOK_ALIKES = str.maketrans(
    {
        unicodedata.lookup(f"{kind} {name}"): latin
        for kind, letters in _LOOK_ALIKE_NAMES.items()
        for name, latin in letters.items()
    }
)


# The capitals that look like another Latin letter than their small letter (Greek ETA like H,
# NU like N, UPSILON like Y): read as their capital's look-alike in a word that also holds Latin
# letters ("Hanna" typed with a Greek capital ETA is "Hanna"). A word all in Greek keeps the
# small letter's reading, so that "ΕΛΕΝΗ" and "Ελένη" stay the same name.
MIXED_WORD_CAPITALS = str.maketrans({"\u0397": "h", "\u039d": "n", "\u03a5": "y"})


def _is_latin(letter: str) -> bool:
    return unicodedata.name(letter, "").startswith("LATIN ")


def _read_capitals(word: str) -> str:
    return word.translate(MIXED_WORD_CAPITALS) if any(map(_is_latin, word)) else word


def unique_name(text: str) -> str:
    """A name as compared to find duplicates: without case, accents or extra spaces, and with
    letters of other alphabets that look like Latin ones read as those (see LOOK_ALIKES). Names
    in other alphabets keep their letters: two of them are not the same name for that."""
    words = unicodedata.normalize("NFKD", text).split()
    letters = " ".join(map(_read_capitals, words)).casefold().translate(LOOK_ALIKES)
    plain = "".join(c for c in letters if not unicodedata.combining(c))
    return " ".join(plain.split())


def _forget_member_of() -> None:
    """`lookup.member_of` keeps "whose member record is this account" for the request."""
    lookup.forget_member_of()
