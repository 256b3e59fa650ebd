"""Proposal attachments: kinds from the content, limits, clean names, who may do what, the
download's headers, 404s, audit, and a proposal page that never loads the files' bytes."""

from __future__ import annotations

import io
import json
import re
import zipfile
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from portal.core.audit import AuditEntry
from portal.core.errors import NotAllowed, NotFound
from portal.core.security import LocalRole, grant_local_role
from portal.extensions import db
from portal.proposals import attachments
from portal.proposals.attachments import (
    MAX_FILE_BYTES,
    MAX_FILENAME,
    MAX_FILES,
    FileRefused,
    add_attachment,
    attachment_for_download,
    clean_filename,
    list_attachments,
    remove_attachment,
    sniff,
)
from portal.proposals.models import ProposalAttachment
from portal.proposals.views_attachments import size_text
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_members import board_user, member_user
from tests.factories_proposals import make_proposal

HX = {"HX-Request": "true"}

# --- Files as people send them -----------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20)
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 " + bytes(14)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(1)</script></svg>"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48) + b"PE\x00\x00"
TEXT = "Réunion du 12 mars : on parle du planning.\n".encode()
CSV_1252 = "prénom;nom\r\nAndré;Lefèvre\r\n".encode("windows-1252")


def _zip(entries: dict[str, bytes], stored_first: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        if stored_first:
            package.writestr(
                zipfile.ZipInfo(stored_first), entries[stored_first], zipfile.ZIP_STORED
            )
        for name, data in entries.items():
            if name != stored_first:
                package.writestr(name, data)
    return out.getvalue()


def ooxml(main_type: str, part: str = "/word/document.xml") -> bytes:
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="{part}" ContentType="{main_type}"/></Types>'
    )
    return _zip(
        {
            "[Content_Types].xml": types.encode(),
            "_rels/.rels": b"<Relationships/>",
            part.lstrip("/"): b"<document/>",
        }
    )


DOCX = ooxml("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
XLSX = ooxml(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "/xl/workbook.xml",
)
DOCM = ooxml("application/vnd.ms-word.document.macroEnabled.main+xml")
ODS = _zip(
    {
        "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
        "content.xml": b"<office:document-content/>",
    },
    stored_first="mimetype",
)
PLAIN_ZIP = _zip({"readme.txt": b"hello", "setup.exe": EXE})


def pdf(number: int) -> bytes:
    """A different PDF each time (the same file twice is refused)."""
    return PDF + f"% copy {number}\n".encode()


@pytest.fixture()
def author(db):
    return member_user(display_name="Alma Author")


@pytest.fixture()
def draft(author):
    return make_proposal(author, title="Buy a second van")


def audit_entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def stored(proposal) -> list[ProposalAttachment]:
    return list(
        db.session.scalars(
            sa.select(ProposalAttachment).where(ProposalAttachment.proposal_id == proposal.id)
        )
    )


# --- What a file is ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "content_type", "kept_name"),
    [
        (PDF, "Plan.pdf", "application/pdf", "Plan.pdf"),
        (PNG, "photo.png", "image/png", "photo.png"),
        (JPEG, "photo.JPEG", "image/jpeg", "photo.jpeg"),
        (WEBP, "photo.webp", "image/webp", "photo.webp"),
        (TEXT, "notes.txt", "text/plain; charset=utf-8", "notes.txt"),
        (CSV_1252, "équipe.csv", "text/csv; charset=windows-1252", "équipe.csv"),
        (
            DOCX,
            "lettre.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "lettre.docx",
        ),
        (
            XLSX,
            "budget.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "budget.xlsx",
        ),
        (ODS, "budget.ods", "application/vnd.oasis.opendocument.spreadsheet", "budget.ods"),
    ],
)
def test_allowed_kinds_are_recognised_by_their_content(
    draft, author, data, name, content_type, kept_name
):
    attachment = add_attachment(author, draft, name, data)
    assert (attachment.content_type, attachment.filename) == (content_type, kept_name)
    assert attachment.size == len(data)
    assert re.fullmatch(r"[0-9a-f]{64}", attachment.sha256)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (HTML, "minutes.pdf"),  # a web page renamed
        (HTML, "minutes.txt"),
        (b"  \n" + HTML.lower(), "minutes.html"),
        (SVG, "logo.svg"),
        (SVG, "logo.png"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.txt"),
        (b"Notes\n<script>alert(1)</script>\n", "notes.txt"),  # markup hidden in text
        (EXE, "setup.exe"),
        (EXE, "report.pdf"),
        (PLAIN_ZIP, "photos.zip"),
        (PLAIN_ZIP, "photos.docx"),  # a zip renamed: no [Content_Types].xml
        (DOCM, "macros.docx"),  # macro-enabled Word: another main type
        (b"PK\x03\x04" + bytes(40), "broken.docx"),  # a broken zip
        (b"\x00\x01\x02\x03binary", "data.txt"),
        (bytes(range(256)) * 4, "random.csv"),
    ],
)
def test_other_kinds_are_refused_by_their_content(draft, author, data, name):
    with pytest.raises(FileRefused) as refused:
        add_attachment(author, draft, name, data)
    message = str(refused.value.message)
    assert "cannot be attached" in message
    assert "PDF" in message and "Word" in message  # the message names what is allowed
    assert stored(draft) == []
    assert sniff(data, name) is None


def test_the_kind_does_not_depend_on_the_name(author, draft):
    assert sniff(PDF, "virus.exe").kind is attachments.PDF
    assert sniff(DOCX, "anything").kind is attachments.DOCX
    assert sniff(TEXT, "notes.csv").kind is attachments.CSV  # text: the name tells CSV apart
    assert sniff(TEXT, "notes").kind is attachments.TEXT


@pytest.mark.parametrize(
    ("raw", "data", "expected"),
    [
        ("../../etc/passwd", TEXT, "passwd.txt"),
        ("C:\\Users\\ana\\Documents\\Réunion été.pdf", PDF, "Réunion été.pdf"),
        ("/tmp/../secret/..\\..\\plan.pdf", PDF, "plan.pdf"),
        ("Re\u0301union.pdf", PDF, "Réunion.pdf"),  # decomposed accents come out composed
        ("invoice\u202efdp.exe", PDF, "invoicefdp.pdf"),  # a right-to-left trick removed
        ("scan.pdf.exe", PDF, "scan.pdf"),  # the false ending goes
        ("report.exe", PDF, "report.pdf"),
        ("photo", PNG, "photo.png"),
        ("notes.PDF", PDF, "notes.pdf"),
        ("what?<why>:now.pdf", PDF, "what__why__now.pdf"),
        ("  ..hidden.pdf  ", PDF, "hidden.pdf"),
        ("", PDF, "file.pdf"),
        ("....", PDF, "file.pdf"),
        ("con.txt", TEXT, "_con.txt"),
        ("line\nbreak\ttab.pdf", PDF, "line break tab.pdf"),
        ("version 1.2", PDF, "version 1.2.pdf"),
    ],
)
def test_file_names_are_cleaned(draft, author, raw, data, expected):
    assert add_attachment(author, draft, raw, data).filename == expected


def test_very_long_names_are_cut_but_keep_their_extension(draft, author):
    name = add_attachment(author, draft, "é" * 300 + ".pdf", PDF).filename
    assert len(name) == MAX_FILENAME and name.endswith("é.pdf")
    assert clean_filename("a" * 500, attachments.DOCX) == "a" * (MAX_FILENAME - 5) + ".docx"


# --- Limits ------------------------------------------------------------------------------------


def test_empty_and_too_big_files_are_refused(draft, author):
    with pytest.raises(FileRefused, match="empty"):
        add_attachment(author, draft, "empty.pdf", b"")
    too_big = PDF + b"0" * (MAX_FILE_BYTES - len(PDF) + 1)
    with pytest.raises(FileRefused, match="too big"):
        add_attachment(author, draft, "big.pdf", too_big)
    assert stored(draft) == []
    just_right = add_attachment(author, draft, "big.pdf", too_big[:MAX_FILE_BYTES])
    assert just_right.size == MAX_FILE_BYTES


def test_a_proposal_has_at_most_max_files(draft, author):
    for number in range(MAX_FILES):
        add_attachment(author, draft, f"file {number}.pdf", pdf(number))
    with pytest.raises(FileRefused, match="Remove one"):
        add_attachment(author, draft, "one more.pdf", pdf(MAX_FILES))
    assert len(stored(draft)) == MAX_FILES
    remove_attachment(author, draft, stored(draft)[0].id)
    add_attachment(author, draft, "one more.pdf", pdf(MAX_FILES))
    assert len(stored(draft)) == MAX_FILES


def test_the_same_file_twice_is_refused(draft, author):
    add_attachment(author, draft, "plan.pdf", PDF)
    with pytest.raises(FileRefused, match=r"already attached, as plan\.pdf"):
        add_attachment(author, draft, "copy of plan.pdf", PDF)
    other = make_proposal(author, title="Another idea")
    add_attachment(author, other, "plan.pdf", PDF)  # on another proposal: fine


def test_the_request_limit_lets_a_full_size_file_through(app):
    assert app.config["MAX_CONTENT_LENGTH"] >= MAX_FILE_BYTES + 64 * 1024


# --- Who may do what ---------------------------------------------------------------------------


def test_only_the_authors_add_and_remove_while_the_text_may_change(draft, author):
    co_author, reader, member, board = (
        member_user(),
        member_user(),
        member_user(),
        board_user(),
    )
    grant_local_role(author, draft, co_author, LocalRole.EDITOR.value)
    grant_local_role(author, draft, reader, LocalRole.READER.value)
    mine = add_attachment(author, draft, "mine.pdf", pdf(1))
    theirs = add_attachment(co_author, draft, "theirs.pdf", pdf(2))
    assert theirs.uploaded_by_id == co_author.id
    for outsider in (reader, member, board, None):
        with pytest.raises(NotAllowed):
            add_attachment(outsider, draft, "x.pdf", pdf(3))
        with pytest.raises(NotAllowed):
            remove_attachment(outsider, draft, mine.id)
    remove_attachment(co_author, draft, mine.id)  # co-authors write the proposal together
    assert [a.id for a in stored(draft)] == [theirs.id]

    from portal.proposals import services

    services.transition_proposal(author, draft, "submit")
    add_attachment(author, draft, "still.pdf", pdf(4))  # submitted: the authors may still edit
    services.transition_proposal(board, draft, "open_support")
    with pytest.raises(NotAllowed):
        add_attachment(author, draft, "late.pdf", pdf(5))
    with pytest.raises(NotAllowed):
        remove_attachment(author, draft, theirs.id)
    assert len(stored(draft)) == 2


def test_reading_needs_view_and_the_right_proposal(draft, author):
    attachment = add_attachment(author, draft, "plan.pdf", PDF)
    other = make_proposal(author, title="Another idea")
    with pytest.raises(NotAllowed):
        attachment_for_download(member_user(), draft, attachment.id)
    with pytest.raises(NotAllowed):
        list_attachments(member_user(), draft)
    with pytest.raises(NotFound):
        attachment_for_download(author, other, attachment.id)
    with pytest.raises(NotFound):
        remove_attachment(author, other, attachment.id)
    for bogus in (0, -1, 2**31, 2**63):
        with pytest.raises(NotFound):
            attachment_for_download(author, draft, bogus)
    assert attachment_for_download(author, draft, attachment.id).data == PDF


def test_the_list_does_not_load_the_bytes(draft, author):
    add_attachment(author, draft, "a.pdf", pdf(1))
    add_attachment(author, draft, "b.txt", TEXT)
    db.session.flush()
    db.session.expire_all()
    found = list_attachments(author, draft)
    assert [a.filename for a in found] == ["a.pdf", "b.txt"]
    assert all("data" in sa.inspect(a).unloaded for a in found)


def test_adding_and_removing_are_audited(draft, author):
    attachment = add_attachment(author, draft, "plan.pdf", PDF)
    (added,) = audit_entries("proposal.attachment_added")
    details = json.loads(added.details)
    assert added.actor_id == author.id and added.object_key == draft.object_key
    assert details["filename"] == "plan.pdf" and details["size"] == len(PDF)
    assert details["sha256"] == attachment.sha256 and details["attachment"] == attachment.id
    removed_id, digest = attachment.id, attachment.sha256
    remove_attachment(author, draft, removed_id)
    (removed,) = audit_entries("proposal.attachment_removed")
    details = json.loads(removed.details)
    assert (details["attachment"], details["filename"], details["sha256"]) == (
        removed_id,
        "plan.pdf",
        digest,
    )
    assert db.session.get(ProposalAttachment, removed_id) is None


def test_refusals_leave_no_audit_entry(draft, author):
    with pytest.raises(FileRefused):
        add_attachment(author, draft, "page.html", HTML)
    with pytest.raises(NotAllowed):
        add_attachment(member_user(), draft, "plan.pdf", PDF)
    assert audit_entries("proposal.attachment_added") == []


def test_sizes_are_written_in_plain_words(app):
    with app.test_request_context():
        assert size_text(1) == "1 KB"
        assert size_text(120 * 1024) == "120 KB"
        assert size_text(int(2.5 * 1024 * 1024)) == "2.5 MB"
        assert size_text(10 * 1024 * 1024) == "10 MB"


# --- Over HTTP ---------------------------------------------------------------------------------


def login(client, user):
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 303
    return client


@pytest.fixture()
def visit(app, client):
    clients = {}

    def _visit(user=None):
        key = user.id if user is not None else None
        if key not in clients:
            clients[key] = login(app.test_client(), user) if user else app.test_client()
        return clients[key]

    return _visit


def upload(client, proposal, data: bytes, name: str, mimetype="application/pdf", headers=None):
    return client.post(
        f"/proposals/{proposal.id}/attachments",
        data={
            "csrf_token": csrf_token(client, "/"),
            "attachment": (io.BytesIO(data), name, mimetype),
        },
        content_type="multipart/form-data",
        headers=headers or {},
    )


def remove(client, proposal, attachment_id: int, headers=None):
    return client.post(
        f"/proposals/{proposal.id}/attachments/{attachment_id}/remove",
        data={"csrf_token": csrf_token(client, "/")},
        headers=headers or {},
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def test_upload_without_htmx_goes_back_to_the_page_with_a_message(visit, draft, author):
    client = visit(author)
    response = upload(client, draft, PDF, "Réunion été.pdf", mimetype="text/html")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/proposals/{draft.id}#proposal-{draft.id}-attachments"
    )
    (attachment,) = stored(draft)
    assert attachment.content_type == "application/pdf"  # the browser's type is not used
    page = text(client.get(f"/proposals/{draft.id}"))
    assert "The file Réunion été.pdf is attached." in page
    assert f"/proposals/{draft.id}/attachments/{attachment.id}" in page
    assert "PDF document" in page and "1 KB" in page and "Added by Alma Author" in page


def test_upload_with_htmx_swaps_the_section(visit, draft, author):
    response = upload(visit(author), draft, DOCX, "lettre.docx", headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "proposal-attachments-changed"
    body = text(response)
    assert body.lstrip().startswith(f'<section id="proposal-{draft.id}-attachments"')
    assert "lettre.docx" in body and "Word document" in body and 'role="status"' in body


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (HTML, "minutes.pdf", "cannot be attached"),
        (SVG, "logo.svg", "cannot be attached"),
        (EXE, "setup.exe", "cannot be attached"),
        (PLAIN_ZIP, "photos.zip", "cannot be attached"),
        (b"", "empty.pdf", "empty"),
    ],
)
def test_refused_uploads_say_why(visit, draft, author, data, name, message):
    client = visit(author)
    response = upload(client, draft, data, name, headers=HX)
    assert response.status_code == 422
    body = text(response)
    assert message in body and 'role="alert"' in body and 'aria-invalid="true"' in body
    assert 'type="file"' in body  # the form is there to try again
    response = upload(client, draft, data, name)
    assert response.status_code == 303
    assert message in text(client.get(response.headers["Location"]))
    assert stored(draft) == []


def test_a_post_without_a_file_asks_for_one(visit, draft, author):
    client = visit(author)
    response = client.post(
        f"/proposals/{draft.id}/attachments",
        data={"csrf_token": csrf_token(client, "/")},
        headers=HX,
    )
    assert response.status_code == 422 and "Choose a file." in text(response)


@pytest.mark.options(max_content_length=4096)
def test_a_request_over_the_limit_gets_a_clear_message(visit, draft, author):
    client = visit(author)
    big = PDF + b"0" * 8000
    response = upload(client, draft, big, "big.pdf", headers=HX)
    assert response.status_code == 422
    assert "This file is too big. A file can be at most 10 MB." in text(response)
    assert text(response).lstrip().startswith(f'<section id="proposal-{draft.id}-attachments"')
    response = upload(client, draft, big, "big.pdf")
    assert response.status_code == 303
    assert "too big" in text(client.get(response.headers["Location"]))
    # Elsewhere the general page says it, and nobody learns about proposals they cannot see.
    assert upload(visit(member_user()), draft, big, "big.pdf").status_code == 404
    assert stored(draft) == []


def test_only_editors_see_the_form_and_may_post(visit, draft, author):
    from portal.proposals import services

    attachment = add_attachment(author, draft, "plan.pdf", PDF)
    services.transition_proposal(author, draft, "submit")
    member = member_user()
    page = text(visit(member).get(f"/proposals/{draft.id}"))
    assert "plan.pdf" in page and 'type="file"' not in page and "/remove" not in page
    assert upload(visit(member), draft, pdf(2), "mine.pdf").status_code == 403
    assert remove(visit(member), draft, attachment.id).status_code == 403
    assert [a.id for a in stored(draft)] == [attachment.id]
    page = text(visit(author).get(f"/proposals/{draft.id}"))
    assert 'type="file"' in page and f"/attachments/{attachment.id}/remove" in page
    assert "10 MB" in page and "PDF" in page  # the limits, in plain words


def test_remove_over_http(visit, draft, author):
    first = add_attachment(author, draft, "first.pdf", pdf(1))
    second = add_attachment(author, draft, "second.pdf", pdf(2))
    response = remove(visit(author), draft, first.id, headers=HX)
    assert response.status_code == 200
    assert "first.pdf is removed" in text(response) and "second.pdf" in text(response)
    response = remove(visit(author), draft, second.id)
    assert response.status_code == 303
    assert stored(draft) == []
    assert len(audit_entries("proposal.attachment_removed")) == 2


def test_the_download_is_an_attachment_that_is_never_sniffed_or_cached(visit, draft, author):
    attachment = add_attachment(author, draft, "Réunion été.pdf", PDF)
    response = visit(author).get(f"/proposals/{draft.id}/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.get_data() == PDF
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("Réunion été.pdf") in disposition
    assert 'filename="Reunion ete.pdf"' in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache = {part.strip() for part in response.headers["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp
    assert response.headers["Content-Length"] == str(len(PDF))


def test_text_is_downloaded_with_its_charset(visit, draft, author):
    attachment = add_attachment(author, draft, "équipe.csv", CSV_1252)
    response = visit(author).get(f"/proposals/{draft.id}/attachments/{attachment.id}")
    assert response.headers["Content-Type"] == "text/csv; charset=windows-1252"
    assert response.get_data() == CSV_1252
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_people_who_cannot_see_the_proposal_get_nothing(visit, draft, author):
    attachment = add_attachment(author, draft, "plan.pdf", PDF)
    url = f"/proposals/{draft.id}/attachments/{attachment.id}"
    reader = member_user()
    grant_local_role(author, draft, reader, LocalRole.READER.value)
    assert visit(reader).get(url).get_data() == PDF  # shared with them: they may read it
    stranger = visit(member_user())
    response = stranger.get(url)
    assert response.status_code == 404 and PDF not in response.get_data()
    assert remove(stranger, draft, attachment.id).status_code == 404
    assert upload(stranger, draft, pdf(2), "x.pdf").status_code == 404
    anonymous = visit().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert PDF not in anonymous.get_data()
    assert [a.id for a in stored(draft)] == [attachment.id]


def test_an_attachment_of_another_proposal_is_not_found(visit, draft, author):
    other = make_proposal(author, title="Another idea")
    elsewhere = add_attachment(author, other, "other.pdf", PDF)
    client = visit(author)
    assert client.get(f"/proposals/{draft.id}/attachments/{elsewhere.id}").status_code == 404
    assert remove(client, draft, elsewhere.id).status_code == 404
    assert client.get(f"/proposals/{draft.id}/attachments/2000000000").status_code == 404
    assert [a.id for a in stored(other)] == [elsewhere.id]


def test_removing_needs_the_csrf_token(visit, draft, author):
    attachment = add_attachment(author, draft, "plan.pdf", PDF)
    response = visit(author).post(f"/proposals/{draft.id}/attachments/{attachment.id}/remove")
    assert response.status_code == 400
    assert [a.id for a in stored(draft)] == [attachment.id]


def _statements(db, client, path) -> list[str]:
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return seen


def test_the_page_never_loads_the_bytes_and_costs_the_same_with_more_files(
    db, visit, draft, author
):
    client = visit(author)
    add_attachment(author, draft, "first.pdf", pdf(0))
    client.get(f"/proposals/{draft.id}")  # warm caches (translations, templates)
    few = _statements(db, client, f"/proposals/{draft.id}")
    co_author = member_user()
    grant_local_role(author, draft, co_author, LocalRole.EDITOR.value)
    for number in range(1, 7):
        add_attachment(co_author if number % 2 else author, draft, f"f{number}.pdf", pdf(number))
    many = _statements(db, client, f"/proposals/{draft.id}")
    page = text(client.get(f"/proposals/{draft.id}"))
    assert all(f"f{number}.pdf" in page for number in range(1, 7))
    assert len(many) == len(few), f"{len(few)} statements with one file, {len(many)} with seven"
    touching = [s for s in many if "proposal_attachments" in s]
    assert touching, "the page did not list the files"
    assert not any(re.search(r"proposal_attachments\.data\b", s) for s in touching)
