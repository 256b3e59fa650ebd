"""Checking a file line by line, against the same rules as the register's services, without
writing anything. Every problem is collected with its spreadsheet line and column."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import sqlalchemy as sa
from babel import Locale
from flask import current_app
from flask_babel import force_locale, format_number
from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.core.security import Permission, can
from portal.extensions import db
from portal.members import services
from portal.members.csvio.fileformat import (
    ACTIVE,
    APPLICANT,
    COLUMNS,
    DATE_FORMAT,
    HEADINGS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    NO,
    REQUIRED,
    YES,
    Refused,
    decode,
    heading_key,
    looks_garbled,
    parse_date,
    read_records,
)
from portal.members.models import Member
from portal.members.services import FORMULA_START, PHONE_PATTERN, MemberData, unique_name

# The fields `services.check_member_data` names, as import columns.
FIELD_COLUMNS = {"preferred_language": "language", "category_id": "category"}
# A harmless value for a field that was refused, so that the next rule can be checked too.
STAND_INS = {
    "given_name": "x",
    "family_name": "x",
    "team": "",
    "member_number": "",
    "preferred_language": "",
    "email": None,
    "phone": None,
    "category_id": None,
}


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str | None  # one of COLUMNS, or None for the whole line
    message: str
    heading: str = ""  # the column's heading as written in the file

    @property
    def label(self) -> str:
        return self.heading or self.column or ""


@dataclass(frozen=True)
class ImportRow:
    line: int
    data: MemberData
    applied_on: date | None
    admitted_on: date | None


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)  # ready to import
    problems: list[RowProblem] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)
    total_rows: int = 0  # lines with data (not counting the headings and empty lines)
    imported: int = 0
    dry_run: bool = False
    file_name: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and not self.file_problems

    @property
    def bad_lines(self) -> int:
        return len({p.line for p in self.problems})


def _category_names(categories) -> dict[str, int]:
    """College codes and titles (in every language) → id."""
    names: dict[str, int] = {}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            names.update({unique_name(c.title): c.id for c in categories})
    names.update({unique_name(c.code): c.id for c in categories})
    return names


def _language_names() -> dict[str, str]:
    """Language codes and names (in every language) → code."""
    languages = current_app.config["LANGUAGES"]
    names = {code: code for code in languages}
    for code in languages:
        for other in languages:
            names[unique_name(Locale.parse(code).get_display_name(other) or code)] = code
    return names


@dataclass
class _Register:
    """What is already in the register, to find duplicates."""

    numbers: set[str]
    emails: dict[str, str]
    names: dict[str, str]

    @classmethod
    def load(cls) -> _Register:
        rows = db.session.execute(
            sa.select(Member.member_number, Member.email, Member.given_name, Member.family_name)
        ).all()
        return cls(
            {r.member_number for r in rows},
            {r.email.lower(): r.member_number for r in rows if r.email},
            {unique_name(f"{r.given_name} {r.family_name}"): r.member_number for r in rows},
        )


# --- Checking -----------------------------------------------------------------------------------


def validate(file_bytes: bytes, *, actor=None) -> ImportReport:
    """Check every line of the file; write nothing. Problems are collected, never raised."""
    report = ImportReport()
    if len(file_bytes) > MAX_FILE_BYTES:
        report.file_problems.append(
            str(
                _l(
                    "The file is too big. Split it into files of at most %(n)s lines.",
                    n=format_number(MAX_ROWS),
                )
            )
        )
        return report
    try:
        text = decode(file_bytes)
        records = read_records(text)
    except Refused as refused:
        report.file_problems.append(str(refused.args[0]))
        return report
    if not records:
        report.file_problems.append(str(_l("The file is empty.")))
        return report
    headings = records[0][1]
    columns = _columns(headings, report)
    if report.file_problems:
        return report
    data_rows = records[1:]
    report.total_rows = len(data_rows)
    if not data_rows:
        report.file_problems.append(str(_l("There is nobody in the file, only column names.")))
        return report
    if len(data_rows) > MAX_ROWS:
        report.file_problems.append(
            str(
                _l(
                    "The file has more than %(n)s lines. Split it into smaller files.",
                    n=format_number(MAX_ROWS),
                )
            )
        )
        return report
    checker = _RowChecker(actor, columns, headings)
    for line, cells in data_rows:
        checker.check(line, cells)
    checker.check_names()
    report.rows = [row for row in checker.rows if row.line not in checker.bad_lines]
    order = {column: index for index, column in enumerate(COLUMNS)}
    report.problems = sorted(
        checker.problems, key=lambda p: (p.line, order.get(p.column or "", -1))
    )
    return report


def _columns(headings: list[str], report: ImportReport) -> list[str | None]:
    columns: list[str | None] = []
    unknown, twice = [], []
    for heading in headings:
        column = HEADINGS.get(heading_key(heading)) if heading.strip() else None
        if heading.strip() and column is None:
            unknown.append(heading.strip())
        elif column is not None and column in columns:
            twice.append(heading.strip())
            column = None
        columns.append(column)
    if unknown:
        report.file_problems.append(
            str(
                _l(
                    "These columns are not known: %(names)s. Use these column names: %(known)s.",
                    names=", ".join(unknown),
                    known=", ".join(COLUMNS),
                )
            )
        )
    if twice:
        report.file_problems.append(
            str(_l("These columns appear twice: %(names)s.", names=", ".join(twice)))
        )
    for column in REQUIRED:
        if column not in columns:
            report.file_problems.append(
                str(_l("The column %(name)s is missing. Add it and try again.", name=column))
            )
    return columns


class _RowChecker:
    def __init__(self, actor, columns: list[str | None], headings: list[str]):
        self.actor = actor
        self.columns = columns
        self.headings = {c: h.strip() for c, h in zip(columns, headings, strict=False) if c}
        self.register = _Register.load()
        # Held for the whole check: the session keeps only weak references, and the services
        # look each member's college up by id (from the identity map while these live).
        self.colleges = services.categories()
        self.categories = _category_names(self.colleges)
        self.languages = _language_names()
        self.rows: list[ImportRow] = []
        self.problems: list[RowProblem] = []
        self.bad_lines: set[int] = set()
        self.numbers: dict[str, int] = {}  # in the file: value → first line
        self.emails: dict[str, int] = {}
        self.names: dict[str, list[tuple[int, bool]]] = {}  # → [(line, has a number)]
        self.said: set[tuple[int, str | None]] = set()

    def problem(self, line: int, column: str | None, message) -> None:
        if column is not None and (line, column) in self.said:
            return  # one problem per cell is enough
        self.said.add((line, column))
        heading = self.headings.get(column, "") if column else ""
        self.problems.append(RowProblem(line, column, str(message), heading))
        self.bad_lines.add(line)

    def cells(self, line: int, values: list[str]) -> dict[str, str]:
        cells = dict.fromkeys(COLUMNS, "")
        for index, value in enumerate(values):
            column = self.columns[index] if index < len(self.columns) else None
            if column is None:
                if value.strip():
                    self.problem(
                        line, None, _l("This line has a cell in a column without a heading.")
                    )
                continue
            if value.startswith("'") and value[1:].lstrip(" ").startswith(FORMULA_START):
                value = value[1:]  # the mark our export puts in front of such cells
            text = value.strip(" ")
            if text.startswith(FORMULA_START) and not (
                column == "phone" and text.startswith("+") and PHONE_PATTERN.match(text.strip())
            ):
                self.problem(
                    line,
                    column,
                    _l("This cannot start with =, +, -, or @ (a spreadsheet would run it)."),
                )
            elif looks_garbled(text):
                self.problem(
                    line,
                    column,
                    _l("The accents look broken here. Save the file as “CSV UTF-8” and try again."),
                )
            cells[column] = text.strip()
        return cells

    def check(self, line: int, values: list[str]) -> None:
        cells = self.cells(line, values)
        category_id = None
        if cells["category"]:
            category_id = self.categories.get(unique_name(cells["category"]))
            if category_id is None:
                self.problem(
                    line,
                    "category",
                    _l(
                        "This college is not known. Use one of: %(list)s.",
                        list=", ".join(c.code for c in self.colleges),
                    ),
                )
        consent = cells["contact_consent"].lower()
        if consent not in YES | NO:
            self.problem(line, "contact_consent", _l("Write yes or no."))
        state = cells["state"].lower()
        admitted = state in ACTIVE
        if not admitted and state not in APPLICANT:
            self.problem(
                line,
                "state",
                _l("Write applicant or active. Other changes are made in the register later."),
            )
        applied_on = self.date(line, "applied_on", cells["applied_on"])
        admitted_on = self.date(line, "admitted_on", cells["admitted_on"])
        if admitted:
            if self.actor is not None and not can(self.actor, Permission.DECIDE_MEMBERSHIP):
                self.problem(line, "state", _l("Only the board admits members."))
            if not cells["admitted_on"]:
                self.problem(line, "admitted_on", _l("Give the date the member was admitted."))
            if not cells["category"]:
                self.problem(line, "category", _l("Choose the member's college."))
            applied_on = applied_on or admitted_on
        elif cells["admitted_on"] and state in APPLICANT:
            self.problem(
                line,
                "admitted_on",
                _l("An applicant has no admission date. Write active in the state column."),
            )
        if applied_on and admitted_on and admitted and admitted_on < applied_on:
            self.problem(line, "admitted_on", _l("The admission cannot be before the application."))
        language = cells["language"]
        data = MemberData(
            given_name=cells["given_name"],
            family_name=cells["family_name"],
            member_number=cells["member_number"],
            preferred_language=self.languages.get(unique_name(language), language),
            email=cells["email"] or None,
            phone=cells["phone"] or None,
            contact_consent=consent in YES,
            team=cells["team"],
            category_id=category_id,
        )
        data, refused = self.check_fields(line, data)
        self.check_duplicates(line, cells["member_number"], data, refused)
        self.rows.append(ImportRow(line, data, applied_on, admitted_on if admitted else None))

    def date(self, line: int, column: str, text: str) -> date | None:
        if not text:
            return None
        try:
            day = parse_date(text)
        except ValueError:
            self.problem(line, column, DATE_FORMAT)
            return None
        try:
            return services._check_date(None, day)
        except DomainError as error:
            self.problem(line, column, error.message)
            return None

    def check_fields(self, line: int, data: MemberData) -> tuple[MemberData, set[str]]:
        """The services' rules, every one of them: a refused field is replaced by a harmless
        value and the data checked again, so a line with several problems shows them all.
        Returns the cleaned data and the names of the refused fields."""
        refused: set[str] = set()
        while True:
            try:
                return services.check_member_data(data), refused
            except DomainError as error:
                name = error.field if error.field in STAND_INS else None
                if not (name == "member_number" and data.member_number in self.register.numbers):
                    self.problem(
                        line, FIELD_COLUMNS.get(name, name) if name else None, error.message
                    )
                if name is None or name in refused:
                    return data, refused | {"?"}
                refused.add(name)
                data = replace(data, **{name: STAND_INS[name]})

    def check_duplicates(self, line: int, number: str, data: MemberData, refused: set) -> None:
        if number:
            if number in self.numbers:
                self.problem(line, "member_number", _in_file(self.numbers[number]))
            elif number in self.register.numbers:
                self.problem(line, "member_number", _in_register(number))
            self.numbers.setdefault(number, line)
        email = "" if "email" in refused else (data.email or "").lower()
        if email:
            if email in self.emails:
                self.problem(line, "email", _in_file(self.emails[email]))
            elif email in self.register.emails:
                self.problem(line, "email", _in_register(self.register.emails[email]))
            self.emails.setdefault(email, line)
        if not refused & {"given_name", "family_name"}:
            name = unique_name(f"{data.given_name} {data.family_name}")
            self.names.setdefault(name, []).append((line, bool(number)))

    def check_names(self) -> None:
        """A line without a member number may not name someone on another line or in the
        register: the same person twice, or two people the register cannot tell apart."""
        for name, lines in self.names.items():
            for line, has_number in lines:
                if has_number:
                    continue  # a member number tells two people with the same name apart
                others = [o for o, numbered in lines if o < line or (o > line and numbered)]
                if others:
                    self.problem(line, None, _same_name_in_file(others[0]))
                elif name in self.register.names:
                    self.problem(line, None, _same_name_in_register(self.register.names[name]))


def _in_file(line: int) -> str:
    return str(_l("This is already in the file (line %(line)d).", line=line))


def _in_register(number: str) -> str:
    return str(_l("This is already in the register (number %(number)s).", number=number))


def _same_name_in_file(line: int) -> str:
    return str(
        _l(
            "Someone with this name is already in the file (line %(line)d). If they are two different people, add a member number.",
            line=line,
        )
    )


def _same_name_in_register(number: str) -> str:
    return str(
        _l(
            "Someone with this name is already in the register (number %(number)s). If they are two different people, add a member number.",
            number=number,
        )
    )
