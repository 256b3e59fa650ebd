"""The member register as a CSV file: import (every line checked before anything is written,
then all or nothing) and export (safe to open in a spreadsheet). Both are audited.

The file format is what spreadsheets produce: UTF-8 (with or without BOM), UTF-16 with BOM
("Unicode text", tab-separated) or Windows-1252; separated by commas, semicolons or tabs. Headings
may be English or French. Problems are reported per spreadsheet line (the headings are line 1).
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import replace

from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.errors import DomainError, NotAllowed
from portal.core.security import Permission, can
from portal.extensions import db
from portal.members import services
from portal.members.csvio.checking import ImportReport, ImportRow, RowProblem, validate
from portal.members.csvio.fileformat import (
    ALIASES,
    COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    NOT_CSV,
    REQUIRED,
    safe_cell,
)
from portal.members.models import Member

__all__ = [
    "ALIASES",
    "COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "NOT_CSV",
    "REQUIRED",
    "ImportReport",
    "ImportRow",
    "RowProblem",
    "export_members",
    "import_members",
    "members_csv",
    "record_export",
    "validate",
]

IMPORT_REASON = _l("Imported from a file")


def import_members(actor, file_bytes: bytes, *, dry_run: bool, file_name: str = "") -> ImportReport:
    """Import the whole file or nothing. `actor` None means the command line.

    Raises NotAllowed; every other problem is in the report (and then nothing is written).
    """
    if actor is not None and not can(actor, Permission.MANAGE_MEMBERS):
        raise NotAllowed(_l("You cannot add members."))
    report = validate(file_bytes, actor=actor)
    report.dry_run, report.file_name = dry_run, file_name
    if not report.ok or dry_run:
        return report
    numbers = _free_numbers(report.rows)
    _colleges = services.categories()  # kept in the identity map while members are created
    savepoint = db.session.begin_nested()
    for row in report.rows:
        data = (
            row.data if row.data.member_number else replace(row.data, member_number=next(numbers))
        )
        try:
            services.create_member(
                actor, data, row.applied_on, admitted_on=row.admitted_on, reason=str(IMPORT_REASON)
            )
        except DomainError as error:  # a rule the checks above did not foresee: import nothing
            savepoint.rollback()
            report.problems.append(RowProblem(row.line, None, str(error.message)))
            report.rows = []
            return report
    savepoint.commit()
    report.imported = len(report.rows)
    audit.record(
        actor,
        "members.imported",
        f"{report.imported} members imported from a file {file_name}".strip(),
        count=report.imported,
        active=sum(1 for row in report.rows if row.admitted_on),
        file_name=file_name or None,
    )
    return report


def _free_numbers(rows: list[ImportRow]):
    """Numbers for the lines without one: after the highest in the register and the file."""
    used = {row.data.member_number for row in rows if row.data.member_number}
    number = max(
        int(services.next_member_number()),
        max((int(n) + 1 for n in used if n.isascii() and n.isdigit()), default=1),
    )
    while True:
        yield f"{number:04d}"
        number += 1


def _cells(member: Member) -> list[str]:
    return [
        member.member_number,
        member.given_name,
        member.family_name,
        member.category.code if member.category else "",
        member.team or "",
        member.preferred_language,
        member.email or "",
        member.phone or "",
        "yes" if member.contact_consent else "no",
        member.state,
        member.applied_on.isoformat() if member.applied_on else "",
        member.admitted_on.isoformat() if member.admitted_on else "",
    ]


def export_members(actor, members, *, delimiter: str = ",") -> bytes:
    """The members as CSV, UTF-8 with a BOM (so that Excel shows accents right). Audited.

    The caller passes the members the viewer may see. Raises NotAllowed.
    """
    body, count = members_csv(actor, members, delimiter=delimiter)
    record_export(actor, count)
    return body


def members_csv(actor, members, *, delimiter: str = ",") -> tuple[bytes, int]:
    """`export_members` without its audit entry (a download writes it once the file is ready,
    see `record_export`): the file and how many members it holds. Raises NotAllowed."""
    if actor is not None and not can(actor, Permission.MANAGE_MEMBERS):
        raise NotAllowed(_l("You cannot export the register."))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for member in members:
        writer.writerow([safe_cell(cell) for cell in _cells(member)])
        count += 1
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8"), count


def record_export(actor, count: int) -> None:
    """The audit entry of an export of `count` members."""
    audit.record(actor, "export.members", f"{count} members exported to CSV", count=count)
