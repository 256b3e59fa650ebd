"""The register's duplicate-name rule sees through letters of other alphabets that look Latin
(a Cyrillic "a" in "Marta"), and still accepts real names with accents or in other alphabets."""

from __future__ import annotations

from datetime import date

import pytest

from portal.accounts.models import Role
from portal.members import csvio, services
from portal.members.services import MemberData, unique_name
from tests.factories import make_user

HEADER = (
    "member_number,given_name,family_name,category,team,language,email,phone,"
    "contact_consent,state,applied_on,admitted_on"
)
CYRILLIC_A = "\u0430"  # CYRILLIC SMALL LETTER A, drawn like a Latin "a"
GREEK_CAPITAL_ALPHA = "\u0391"  # drawn like a Latin "A"


@pytest.fixture()
def board(db):
    return make_user(roles={Role.MEMBER, Role.BOARD})


def csv_file(*rows: str) -> bytes:
    return "\r\n".join([HEADER, *rows]).encode("utf-8")


def add(board, given: str, family: str, number: str):
    services.create_member(board, MemberData(given, family, member_number=number), date(2025, 1, 6))


def same_name_problems(board, *rows: str) -> dict[int, str]:
    """The "someone with this name" problems of a checked file, by line."""
    report = csvio.import_members(board, csv_file(*rows), dry_run=True)
    return {p.line: p.message for p in report.problems if p.column is None}


@pytest.mark.parametrize(
    ("written", "as_in_the_register"),
    [
        (f"M{CYRILLIC_A}rta Kowalska", "Marta Kowalska"),
        (f"{GREEK_CAPITAL_ALPHA}hmed Diallo", "Ahmed Diallo"),
        ("Mare\u0219 \u0131on", "Mares Ion"),  # s with a comma below, a dotless i
        ("  ANA   silva ", "Ana Silva"),
        # Greek capitals drawn like another Latin letter than their small letter (ETA, NU,
        # UPSILON), where names begin: read as they look beside Latin letters.
        ("\u039dina Nowak", "Nina Nowak"),
        ("\u0397anna Lis", "Hanna Lis"),
        ("\u03a5vonne Li", "Yvonne Li"),
    ],
)
def test_look_alike_letters_accents_case_and_spaces_do_not_make_another_name(
    written, as_in_the_register
):
    assert unique_name(written) == unique_name(as_in_the_register)


def test_names_in_other_alphabets_are_told_apart():
    """Before, every letter outside Latin was dropped: two Cyrillic or Arabic names were one."""
    assert unique_name("Иван Петров") != unique_name("Ольга Смирнова")
    assert unique_name("محمد علي") != unique_name("فاطمة الزهراء")
    assert unique_name("Иван Петров") == unique_name("ИВАН  петров")
    # Only the letters drawn like Latin ones are read as Latin: "Ольга" is not "Olga".
    assert unique_name("Ольга") != unique_name("Olga")
    # Capitals too: the Cyrillic capitals of "Марта" look like Latin "MAPTA".
    assert unique_name("МАРТА") == unique_name("Марта") == unique_name("Mapta")
    # A name all in Greek is the same name in capitals and in small letters.
    assert unique_name("ΕΛΕΝΗ ΝΙΚΟΥ") == unique_name("Ελένη Νίκου")


def test_a_cyrillic_a_in_a_name_of_the_register_is_refused_like_the_same_name(board):
    add(board, "Marta", "Kowalska", "0007")
    exact = same_name_problems(board, ",Marta,Kowalska,,,,,,,,,")
    look_alike = same_name_problems(board, f",M{CYRILLIC_A}rta,Kowalska,,,,,,,,,")
    assert set(exact) == set(look_alike) == {2}
    assert look_alike[2] == exact[2]
    assert "already in the register (number 0007)" in look_alike[2]
    # The import refuses it and writes nothing.
    report = csvio.import_members(
        board, csv_file(f",M{CYRILLIC_A}rta,Kowalska,,,,,,,,,"), dry_run=False
    )
    assert not report.ok and report.imported == 0


def test_a_look_alike_twice_in_one_file_is_refused_like_the_same_name(board):
    problems = same_name_problems(
        board, ",Marta,Kowalska,,,,,,,,,", f",M{CYRILLIC_A}rta,Kowalska,,,,,,,,,"
    )
    assert set(problems) == {3} and "line 2" in problems[3]


def test_real_names_with_accents_or_in_other_alphabets_are_accepted(board):
    add(board, "Marta", "Kowalska", "0007")
    add(board, "Иван", "Петров", "0008")
    report = csvio.import_members(
        board,
        csv_file(
            ",Ioana,Mureșan,,,,,,,,,",
            ",Aminata,Keïta,,,,,,,,,",
            ",Ngozi,Okafor,,,,,,,,,",
            ",Nguyễn,Thị Lan,,,,,,,,,",
            ",Ольга,Смирнова,,,,,,,,,",
            ",محمد,علي,,,,,,,,,",
        ),
        dry_run=False,
    )
    assert report.ok, report.problems
    assert report.imported == 6
