"""The register as CSV: import (all or nothing, every bad line reported), export (formula-safe),
the import page, the download, and `flask members import/export`."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.core.audit import AuditEntry
from portal.core.db import local_today
from portal.extensions import db
from portal.members import csvio, services
from portal.members.models import Member
from portal.members.services import MemberData
from tests.conftest import csrf_token
from tests.factories import make_user

HEADER = "member_number,given_name,family_name,category,team,language,email,phone,contact_consent,state,applied_on,admitted_on"
GOOD = "\r\n".join(
    [
        HEADER,
        ",Ada,Martin,,Kitchen,,ada@example.org,+33 6 12 34 56 78,yes,,2025-01-06,",
        "0100,Bob,Durand,worker,Garden,fr,,,no,active,2025-01-06,2025-02-03",
        "",  # empty lines are skipped
        ",Chloé,Petit,Volunteer,,en,,,,applicant,06/01/2025,",
    ]
)


@pytest.fixture()
def board(db):
    return make_user(roles={Role.MEMBER, Role.BOARD})


def count_members() -> int:
    return db.session.scalar(sa.select(sa.func.count(Member.id)))


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def member(number: str) -> Member:
    return db.session.scalar(sa.select(Member).where(Member.member_number == number))


def add(board, given, family, number="", email=None, **fields) -> Member:
    return services.create_member(
        board,
        MemberData(given, family, member_number=number, email=email, **fields),
        date(2025, 1, 6),
    )


def csv_file(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return "\r\n".join([header, *rows]).encode(encoding)


def where(report) -> set[tuple[int, str | None]]:
    return {(p.line, p.column) for p in report.problems}


def refused(board, data: bytes):
    """Import `data`, expect it refused and nothing written; the report."""
    before, audit_before = count_members(), len(audit_actions())
    report = csvio.import_members(board, data, dry_run=False)
    assert not report.ok
    assert report.imported == 0
    assert count_members() == before
    assert len(audit_actions()) == audit_before
    return report


# --- good files --------------------------------------------------------------------------------


def test_a_utf8_file_with_bom_and_commas_imports_everyone(board):
    report = csvio.import_members(
        board, codecs.BOM_UTF8 + GOOD.encode(), dry_run=False, file_name="members.csv"
    )
    assert report.ok, report.problems
    assert report.imported == report.total_rows == 3
    bob = member("0100")
    assert (bob.given_name, bob.state, bob.category.code, bob.team) == (
        "Bob",
        "active",
        "worker",
        "Garden",
    )
    assert (bob.applied_on, bob.admitted_on, bob.preferred_language) == (
        date(2025, 1, 6),
        date(2025, 2, 3),
        "fr",
    )
    ada = db.session.scalar(sa.select(Member).where(Member.given_name == "Ada"))
    chloe = db.session.scalar(sa.select(Member).where(Member.given_name == "Chloé"))
    # Lines without a number get the next free numbers, after those in the file.
    assert {ada.member_number, chloe.member_number} == {"0101", "0102"}
    assert (ada.state, ada.phone, ada.contact_consent, ada.email) == (
        "applicant",
        "+33 6 12 34 56 78",
        True,
        "ada@example.org",
    )
    assert ada.preferred_language == "en"  # empty: the default language
    assert chloe.category.code == "volunteer"  # the college's title works too
    assert chloe.applied_on == date(2025, 1, 6)  # 06/01/2025 is day/month/year
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "members.imported"))
    assert '"count": 3' in entry.details and "members.csv" in entry.details
    assert audit_actions().count("member.created") == 3


def test_a_windows_1252_file_with_semicolons_and_french_headings_imports(board):
    header = "numéro;Prénom;NOM;Collège;Équipe;langue;courriel;téléphone;consentement;état;demande le;Date d'admission"
    data = csv_file(
        "A-7;Léa;Dupré;WORKER-participant;Cuisine;français;lea@example.org;;oui;membre;31/01/2025;03/02/2025",
        "A-8;Hélène;Noël;staff;Entretien;fr;;;non;;;",
        header=header,
        encoding="cp1252",
    )
    report = csvio.import_members(board, data, dry_run=False)
    assert report.ok, report.problems
    lea, helene = member("A-7"), member("A-8")
    assert (lea.given_name, lea.family_name, lea.team) == ("Léa", "Dupré", "Cuisine")
    assert (lea.category.code, lea.state, lea.preferred_language) == ("worker", "active", "fr")
    assert (lea.applied_on, lea.admitted_on, lea.contact_consent) == (
        date(2025, 1, 31),
        date(2025, 2, 3),
        True,
    )
    assert (helene.given_name, helene.family_name, helene.state) == ("Hélène", "Noël", "applicant")
    assert helene.applied_on == local_today()  # no date: today


def test_a_utf16_tab_separated_file_imports(board):
    data = csv_file(
        "\t".join(["", "Zoé", "Lambert", "supporter", "", "", "", "", "", "", "2025-03-01", ""]),
        header=HEADER.replace(",", "\t"),
        encoding="utf-16",  # with its byte order mark, as Excel's "Unicode text"
    )
    report = csvio.import_members(board, data, dry_run=False)
    assert report.ok, report.problems
    zoe = db.session.scalar(sa.select(Member).where(Member.family_name == "Lambert"))
    assert (zoe.given_name, zoe.category.code) == ("Zoé", "supporter")


def test_only_the_two_name_columns_are_needed(board):
    report = csvio.import_members(
        board, csv_file("Ana,Silva", header="family_name,given_name"), dry_run=False
    )
    assert report.ok and report.imported == 1
    assert db.session.scalar(sa.select(Member.given_name).where(Member.family_name == "Ana")) == (
        "Silva"
    )


def test_a_dry_run_checks_everything_and_writes_nothing(board):
    before = count_members()
    report = csvio.import_members(board, GOOD.encode(), dry_run=True)
    assert report.ok and report.dry_run
    assert len(report.rows) == 3 and report.imported == 0
    assert count_members() == before
    assert "members.imported" not in audit_actions()


def test_the_command_line_may_import_without_an_account(db):
    report = csvio.import_members(None, GOOD.encode(), dry_run=False)
    assert report.ok and report.imported == 3


# --- bad files: nothing is imported, every bad line is reported --------------------------------


def test_a_missing_required_column_is_named(board):
    report = refused(board, csv_file("Ada,ada@example.org", header="given_name,email"))
    assert report.file_problems and "family_name" in report.file_problems[0]
    assert report.problems == []


def test_unknown_columns_are_named(board):
    report = refused(
        board, csv_file("Ada,Martin,x,y", header="given_name,family_name,emial,Birthday")
    )
    assert len(report.file_problems) == 1
    assert "emial" in report.file_problems[0] and "Birthday" in report.file_problems[0]


def test_a_column_given_twice_is_refused(board):
    report = refused(board, csv_file("Ada,Martin,M", header="prénom,nom,family name"))
    assert "family name" in report.file_problems[0]


def test_duplicate_numbers_in_the_file_and_in_the_register(board):
    add(board, "Old", "Timer", number="0100")
    report = refused(
        board,
        csv_file(
            "0100,Ada,Martin,,,,,,,,,",
            "0200,Bob,Durand,,,,,,,,,",
            "0300,Chloé,Petit,,,,,,,,,",
            "0200,Dan,Roux,,,,,,,,,",
        ),
    )
    assert where(report) == {(2, "member_number"), (5, "member_number")}
    messages = {p.line: p.message for p in report.problems}
    assert "register" in messages[2] and "0100" in messages[2]
    assert "line 3" in messages[5]


def test_duplicate_emails_in_the_file_and_in_the_register(board):
    add(board, "Old", "Timer", email="ada@example.org")
    report = refused(
        board,
        csv_file(
            ",Ada,Martin,,,,ADA@Example.org,,,,,",
            ",Bob,Durand,,,,bob@example.org,,,,,",
            ",Chloé,Petit,,,,chloe@example.org,,,,,",
            ",Dan,Roux,,,,Bob@example.org,,,,,",
        ),
    )
    assert where(report) == {(2, "email"), (5, "email")}
    messages = {p.line: p.message for p in report.problems}
    assert "register" in messages[2] and "line 3" in messages[5]


def test_the_same_name_twice_needs_a_member_number(board):
    add(board, "Léa", "Dupré", number="0007")
    report = refused(
        board,
        csv_file(
            ",Lea,DUPRE,,,,,,,,,",  # already in the register
            ",Ana,Silva,,,,,,,,,",  # line 5 has the same name and a number
            ",Hugo,Bernard,,,,,,,,,",
            ",ana ,silva,,,,,,,,,",  # the same as line 3
            "0300,Ana,Silva,,,,,,,,,",  # a number: a different person
            "0301,Léa,Dupré,,,,,,,,,",  # a number: a different person
        ),
    )
    assert where(report) == {(2, None), (3, None), (5, None)}
    messages = {p.line: p.message for p in report.problems}
    assert "0007" in messages[2] or "line 7" in messages[2]
    assert "line 3" in messages[5] and "member number" in messages[5]


@pytest.mark.parametrize("written", ["03-31-2025", "31.03.2025", "2025/13/01", "2025-02-30", "1/2"])
def test_dates_in_another_format_are_refused(board, written):
    report = refused(board, csv_file(f",Ada,Martin,,,,,,,,{written},"))
    assert where(report) == {(2, "applied_on")}
    assert "2026-03-31 or 31/03/2026" in report.problems[0].message


def test_every_bad_date_line_is_reported_with_its_line_number(board):
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    report = refused(
        board,
        csv_file(
            ",Ada,Martin,,,,,,,,03-31-2025,",
            ",Bob,Durand,,,,,,,,31/01/2025,",
            ",Chloé,Petit,,,,,,,,31.03.2025,",
            ",Dan,Roux,worker,,,,,,active,2025-01-06,2025/13/01",
            f",Eve,Blanc,,,,,,,,{tomorrow},",
        ),
    )
    assert where(report) == {
        (2, "applied_on"),
        (4, "applied_on"),
        (5, "admitted_on"),
        (6, "applied_on"),
    }
    assert "future" in next(p.message for p in report.problems if p.line == 6)
    assert report.bad_lines == 4 and len(report.rows) == 1


def test_formula_injection_is_refused_but_phone_numbers_are_fine(board):
    report = refused(
        board,
        csv_file(
            ',"=HYPERLINK(""http://evil.example/"",""Click"")",Martin,,,,,,,,,',
            ",Bob,Durand,,@SUM(A1:A9),,,+33 6 12 34 56 78,,,,",
            ",Chloé,-2+3,,,,,,,,,",
            ",Dan,Roux,,'=1+1,,,,,,,",  # our export's mark does not make a formula acceptable
            ",Eve,Blanc,,,,,+1 555 0100,,,,",
            ",Fay,Vert,,,,,=1+1,,,,",
            ",Gus,Noir,,\tcmd,,,,,,,",
        ),
    )
    assert where(report) == {
        (2, "given_name"),
        (3, "team"),
        (4, "family_name"),
        (5, "team"),
        (7, "phone"),
        (8, "team"),
    }
    assert all("spreadsheet" in p.message for p in report.problems)


def test_a_line_shows_all_its_problems(board):
    report = refused(
        board,
        csv_file(
            "no way!,,Martin,dragons,,klingon,not-an-email,12ab,maybe,suspended,2025-13-01,",
            ",Bob,Durand,,,,,,,,,",
        ),
    )
    columns = {p.column for p in report.problems if p.line == 2}
    assert columns == {
        "member_number",
        "given_name",
        "category",
        "language",
        "email",
        "phone",
        "contact_consent",
        "state",
        "applied_on",
    }
    assert report.bad_lines == 1 and [r.line for r in report.rows] == [3]


def test_members_need_an_admission_date_and_a_college(board):
    report = refused(
        board,
        csv_file(
            ",Ada,Martin,,,,,,,active,2025-01-06,",
            ",Bob,Durand,,,,,,,,2025-01-06,2025-02-03",
            ",Chloé,Petit,staff,,,,,,actif,2025-03-01,2025-02-01",
        ),
    )
    assert where(report) == {
        (2, "category"),
        (2, "admitted_on"),
        (3, "admitted_on"),
        (4, "admitted_on"),
    }


def test_only_the_board_imports_active_members(db):
    admin = make_user(roles={Role.MEMBER, Role.ADMIN})
    report = refused(admin, csv_file("7,Ada,Martin,worker,,,,,,active,2025-01-06,2025-02-03"))
    assert where(report) == {(2, "state")}
    assert csvio.import_members(admin, csv_file(",Ada,Martin,,,,,,,,,"), dry_run=False).ok


def test_a_plain_member_may_not_import(db):
    from portal.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        csvio.import_members(make_user(), GOOD.encode(), dry_run=True)


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40,  # an .xlsx (a zip)
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40,  # an old .xls
        "given_name,family_name\r\nAda,Martin\r\n".encode("utf-16-le"),  # UTF-16 without mark
        b"given_name,family_name\r\nAda\x00,Martin\r\n",
    ],
)
def test_spreadsheets_and_binary_files_are_not_csv(board, data):
    report = refused(board, data)
    assert report.file_problems == [str(csvio.NOT_CSV)]


def test_a_file_in_an_unreadable_encoding_is_refused(board):
    report = refused(board, b"given_name,family_name\r\nA\x81da,Martin\r\n")
    assert "letters" in report.file_problems[0]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_accents_broken_by_a_wrong_encoding_are_refused(board, encoding):
    broken = "Léa".encode().decode("cp1252")  # "LÃ©a": UTF-8 read as Windows-1252 once
    report = refused(
        board,
        csv_file(f",{broken},Martin,,,,,,,,,", ",Hélène,Noël,,,,,,,,,", encoding=encoding),
    )
    assert where(report) == {(2, "given_name")}
    assert "accents" in report.problems[0].message


def test_empty_and_oversized_files_are_refused(board):
    assert refused(board, b"").file_problems
    assert refused(board, b"\r\n;;;\r\n").file_problems
    assert "nobody" in refused(board, csv_file()).file_problems[0]
    rows = [f",Person{n},Family{n},,,,,,,,," for n in range(csvio.MAX_ROWS + 1)]
    report = refused(board, csv_file(*rows))
    assert "5,000" in report.file_problems[0]
    assert refused(board, b"a" * (csvio.MAX_FILE_BYTES + 1)).file_problems


def test_a_refusal_while_writing_imports_nobody(board, monkeypatch):
    real, calls = services.create_member, []

    def failing_second(actor, data, *args, **kwargs):
        calls.append(data)
        if len(calls) == 2:
            from portal.core.errors import DomainError

            raise DomainError("Something changed meanwhile.")
        return real(actor, data, *args, **kwargs)

    monkeypatch.setattr(services, "create_member", failing_second)
    before = count_members()
    report = csvio.import_members(board, GOOD.encode(), dry_run=False)
    assert not report.ok and report.imported == 0
    assert [(p.line, p.message) for p in report.problems] == [(3, "Something changed meanwhile.")]
    assert count_members() == before
    assert "member.created" not in audit_actions()


# --- export ------------------------------------------------------------------------------------


def read_export(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(codecs.BOM_UTF8)
    text = data[len(codecs.BOM_UTF8) :].decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_export_escapes_cells_a_spreadsheet_would_run(board):
    ada = add(board, "Ada", "Martin", number="0001", phone="+33 6 12 34 56 78")
    ada.team = "=cmd|' /C calc'!A0"  # as if it came from before the rules existed
    bob = add(board, "Bob", "Durand", number="0002")
    bob.team, bob.given_name = "@SUM(1+1)", "-Bob"
    db.session.flush()
    rows = read_export(csvio.export_members(board, [ada, bob]))
    assert list(rows[0]) == list(csvio.COLUMNS)
    assert rows[0]["team"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["phone"] == "'+33 6 12 34 56 78"
    assert (rows[1]["team"], rows[1]["given_name"]) == ("'@SUM(1+1)", "'-Bob")
    assert (rows[0]["state"], rows[0]["contact_consent"]) == ("applicant", "no")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export.members"))
    assert '"count": 2' in entry.details


def test_an_export_imports_again(board):
    savepoint = db.session.begin_nested()
    add(board, "Léa", "Dupré", number="0001", phone="+33 6 12 34 56 78", email="lea@example.org")
    services.create_member(
        board,
        MemberData("Bob", "Durand", "0002", "fr", None, None, True, "Jardin", 1),
        date(2025, 1, 6),
        admitted_on=date(2025, 2, 3),
    )
    exported = csvio.export_members(board, db.session.scalars(sa.select(Member)).all())
    semicolons = csvio.export_members(
        board, db.session.scalars(sa.select(Member)).all(), delimiter=";"
    )
    savepoint.rollback()  # an empty register again
    db.session.expunge_all()
    board = db.session.get(User, board.id)
    assert count_members() == 0
    for data in (exported, semicolons):
        nested = db.session.begin_nested()
        report = csvio.import_members(board, data, dry_run=False)
        assert report.ok, report.problems
        lea, bob = member("0001"), member("0002")
        assert (lea.phone, lea.email, lea.state) == (
            "+33 6 12 34 56 78",
            "lea@example.org",
            "applicant",
        )
        assert (bob.state, bob.admitted_on, bob.category_id, bob.team, bob.contact_consent) == (
            "active",
            date(2025, 2, 3),
            1,
            "Jardin",
            True,
        )
        nested.rollback()
        db.session.expunge_all()
        board = db.session.get(User, board.id)


# --- the import page and the download ----------------------------------------------------------


def upload(client, data: bytes, action: str, **headers):
    return client.post(
        "/members/import",
        data={
            "csrf_token": csrf_token(client, "/members/import"),
            "file": (io.BytesIO(data), "members.csv"),
            "action": action,
        },
        content_type="multipart/form-data",
        headers=headers,
    )


def test_a_plain_member_cannot_open_the_import_or_the_download(client, login_as):
    login_as(make_user())
    assert client.get("/members/import").status_code == 403
    assert client.get("/members/export.csv").status_code == 403


def test_the_import_page_needs_a_login(client):
    response = client.get("/members/import")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_bad_file_shows_every_problem_in_a_table(client, login_as, board):
    login_as(board)
    page = client.get("/members/import")
    assert page.status_code == 200 and 'type="file"' in page.get_data(as_text=True)
    before = count_members()
    data = csv_file(",Ada,Martin,,,,,,,,31.03.2025,", ",Bob,Durand,,,,,,,,,", ",=1+1,Roux,,,,,,,,,")
    response = upload(client, data, "import")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        "<table>" in html and '<th scope="row">2</th>' in html and '<th scope="row">4</th>' in html
    )
    assert "applied_on" in html and "Nobody was imported" in html
    assert count_members() == before


def test_the_check_button_imports_nobody(client, login_as, board):
    login_as(board)
    before = count_members()
    response = upload(client, GOOD.encode(), "check", **{"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 people can be imported" in html and "<html" not in html  # the fragment
    assert count_members() == before


def test_a_bad_file_answers_htmx_with_the_report_fragment(client, login_as, board):
    login_as(board)
    response = upload(client, b"PK\x03\x04junk", "check", **{"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="member-import-report"' in html and "<html" not in html
    assert "not a CSV file" in html


def test_no_file_is_a_form_error(client, login_as, board):
    login_as(board)
    response = client.post(
        "/members/import",
        data={"csrf_token": csrf_token(client, "/members/import"), "action": "import"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "Choose a file." in response.get_data(as_text=True)


def test_a_good_file_imports_and_goes_to_the_register(client, login_as, board):
    login_as(board)
    before = count_members()
    response = upload(client, codecs.BOM_UTF8 + GOOD.encode(), "import")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/members/register")
    assert count_members() == before + 3
    assert "members.imported" in audit_actions()
    htmx = upload(client, csv_file(",Zoé,Lambert,,,,,,,,,"), "import", **{"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].endswith("/members/register")


def test_the_download_is_an_audited_csv_attachment(client, login_as, board):
    add(board, "Ada", "Martin", number="0001", phone="+33 6 12 34 56 78")
    login_as(board)
    response = client.get("/members/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=members-{local_today().isoformat()}.csv"
    )
    rows = read_export(response.data)
    assert [(r["member_number"], r["phone"]) for r in rows] == [("0001", "'+33 6 12 34 56 78")]
    assert "export.members" in audit_actions()


# --- the command line --------------------------------------------------------------------------


def run(app, *args):
    return app.test_cli_runner().invoke(args=["members", *args])


def test_cli_imports_a_good_file(app, db, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(GOOD.encode())
    result = run(app, "import", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "3 member(s) would be imported" in result.output
    assert count_members() == 0
    result = run(app, "import", str(path))
    assert result.exit_code == 0, result.output
    assert "Imported 3 member(s)" in result.output
    assert count_members() == 3


def test_cli_reports_every_problem_and_exits_1(app, db, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(csv_file(",Ada,Martin,,,,bad,,,,,", ",Bob,Durand,,,,,,,,2025/01/06,"))
    result = run(app, "import", str(path))
    assert result.exit_code == 1
    assert "line 2: email: This e-mail address is not valid." in result.output
    assert "line 3: applied_on: Write dates as" in result.output
    assert count_members() == 0


def test_cli_acts_as_an_account(app, db, tmp_path, board):
    path = tmp_path / "members.csv"
    path.write_bytes(GOOD.encode())
    assert run(app, "import", str(path), "--as", "nobody.here").exit_code != 0
    result = run(app, "import", str(path), "--as", board.username)
    assert result.exit_code == 0, result.output
    assert member("0100").state == "active"
    plain = make_user()
    result = run(app, "import", str(path), "--as", plain.username, "--dry-run")
    assert result.exit_code != 0 and "cannot add members" in result.output


def test_cli_exports_to_stdout_or_a_file(app, db, tmp_path, board):
    add(board, "Ada", "Martin", number="0001")
    result = run(app, "export")
    assert result.exit_code == 0, result.output
    assert "0001,Ada,Martin" in result.output
    path = tmp_path / "out.csv"
    result = run(app, "export", str(path), "--delimiter", "semicolon")
    assert result.exit_code == 0, result.output
    assert "0001;Ada;Martin" in path.read_bytes().decode("utf-8-sig")
    assert audit_actions().count("export.members") == 2
