"""The file format: columns and their other names, accepted values, reading what spreadsheets
save (encodings, separators), and writing cells a spreadsheet shows rather than runs."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l

from portal.members.services import FORMULA_START

COLUMNS = (
    "member_number",
    "given_name",
    "family_name",
    "category",
    "team",
    "language",
    "email",
    "phone",
    "contact_consent",
    "state",
    "applied_on",
    "admitted_on",
)
REQUIRED = ("given_name", "family_name")
# Other headings people write; compared without case, accents, spaces or punctuation.
ALIASES = {
    "member_number": ("number", "numéro", "numéro de membre", "numéro d'adhérent", "n° membre"),
    "given_name": ("first name", "prénom"),
    "family_name": ("last name", "surname", "nom", "nom de famille"),
    "category": ("college", "collège", "catégorie"),
    "team": ("équipe",),
    "language": ("preferred language", "langue"),
    "email": ("e-mail", "mail", "courriel", "adresse e-mail"),
    "phone": ("telephone", "téléphone", "tel"),
    "contact_consent": ("consent", "consentement"),
    "state": ("status", "état", "statut"),
    "applied_on": ("applied", "demande le", "date de demande"),
    "admitted_on": ("admitted", "admis le", "date d'admission"),
}
MAX_ROWS = 5000
MAX_FILE_BYTES = 4 * 1024 * 1024  # 5,000 rows fit well within this, even in UTF-16

YES = {"yes", "y", "oui", "o", "1", "true", "vrai", "x"}
NO = {"", "no", "n", "non", "0", "false", "faux"}
APPLICANT = {"", "applicant", "candidate", "candidat", "candidature", "demande"}
ACTIVE = {"active", "member", "membre", "actif", "active member", "membre actif"}
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
NOT_A_CSV_START = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"{\\rtf")  # xlsx/ods, xls, …

NOT_CSV = _l("This is not a CSV file. Save it as CSV from your spreadsheet, then try again.")
DATE_FORMAT = _l("Write dates as 2026-03-31 or 31/03/2026.")


def heading_key(heading: str) -> str:
    plain = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


HEADINGS = {
    heading_key(alias): column for column in COLUMNS for alias in (column, *ALIASES[column])
}


class Refused(Exception):
    """The whole file cannot be read."""


def decode(raw: bytes) -> str:
    """The file's text, or Refused when it is not a CSV file or its letters cannot be read."""
    if raw.startswith(NOT_A_CSV_START):
        raise Refused(NOT_CSV)
    try:
        if raw.startswith(codecs.BOM_UTF8):
            text = raw[len(codecs.BOM_UTF8) :].decode("utf-8")
        elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = raw.decode("utf-16")
        elif b"\x00" in raw:  # UTF-16 without its mark, or a binary file
            raise Refused(NOT_CSV)
        else:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("cp1252")  # Excel's "CSV" on a French or English Windows
    except UnicodeDecodeError as error:
        raise Refused(
            _l("The letters in this file cannot be read. Save it as “CSV UTF-8” and try again.")
        ) from error
    if "\x00" in text:
        raise Refused(NOT_CSV)
    return text


def delimiter(text: str) -> str:
    """The separator of the headings line: the most frequent of ; , and tab outside quotes."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    outside = re.sub(r'"[^"]*"', "", first)
    counts = {d: outside.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def looks_garbled(text: str) -> bool:
    """UTF-8 read as Windows-1252 somewhere on the way ("LÃ©a" for "Léa")."""
    if text.isascii():
        return False
    try:
        return text.encode("cp1252").decode("utf-8") != text
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False


def parse_date(text: str) -> date:
    if match := ISO_DATE.match(text):
        year, month, day = match.groups()
    elif match := FRENCH_DATE.match(text):
        day, month, year = match.groups()
    else:
        raise ValueError
    return date(int(year), int(month), int(day))


def read_records(text: str) -> list[tuple[int, list[str]]]:
    """(spreadsheet line, cells) of the non-empty lines, the headings first; at most one more
    data line than allowed (enough to say there are too many)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text))
    records: list[tuple[int, list[str]]] = []
    try:
        for line, cells in enumerate(reader, start=1):
            if any(cell.strip() for cell in cells):
                records.append((line, cells))
                if len(records) > MAX_ROWS + 1:
                    break
    except csv.Error as error:
        raise Refused(NOT_CSV) from error
    return records


def safe_cell(value: str) -> str:
    """A cell a spreadsheet will show, not run (OWASP: CSV injection)."""
    return f"'{value}" if value.lstrip(" ").startswith(FORMULA_START) else value
