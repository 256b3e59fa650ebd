"""Files attached to a proposal: kinds checked from the content, limits, clean names, audit.

What a file is comes from its first bytes (and, for office documents, from the zip's own
description of itself), never from the browser's Content-Type or the name alone; the name's
extension is then made to agree. Only the kinds in `KINDS` are accepted: HTML, SVG, programs
and archives are refused. The bytes stay in the database and leave it only through the
authorised download route, as a download.

Services take the acting user explicitly, never commit, and raise DomainError subclasses.
Removing a file deletes its bytes (there is nowhere to keep them); the audit log keeps its
name, size and SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import undefer

from portal.core import audit
from portal.core.db import MAX_ID
from portal.core.errors import DomainError, NotAllowed, NotFound
from portal.core.security import Permission, can
from portal.extensions import db
from portal.proposals.models import Proposal, ProposalAttachment

MAX_FILE_BYTES = 10 * 1024 * 1024  # per file; Flask's MAX_CONTENT_LENGTH (16 MB) caps a request
MAX_FILES = 10  # per proposal
MAX_FILENAME = 200  # the column's length
# Office documents: how much of the zip's description we read (a zip bomb stays unopened).
_ZIP_ENTRY_LIMIT = 512 * 1024


@dataclass(frozen=True)
class FileKind:
    """One kind of file people may attach: its media type, plain-words name, extensions."""

    content_type: str
    title: object  # lazy string: "PDF document"
    extensions: tuple[str, ...]  # the first is added when the name has none of them

    @property
    def extension(self) -> str:
        return self.extensions[0]


PDF = FileKind("application/pdf", _l("PDF document"), (".pdf",))
PNG = FileKind("image/png", _l("Picture (PNG)"), (".png",))
JPEG = FileKind("image/jpeg", _l("Photo (JPEG)"), (".jpg", ".jpeg"))
WEBP = FileKind("image/webp", _l("Picture (WebP)"), (".webp",))
TEXT = FileKind("text/plain", _l("Text"), (".txt",))
CSV = FileKind("text/csv", _l("Table (CSV)"), (".csv",))
ODT = FileKind(
    "application/vnd.oasis.opendocument.text", _l("Text document (LibreOffice)"), (".odt",)
)
ODS = FileKind(
    "application/vnd.oasis.opendocument.spreadsheet", _l("Spreadsheet (LibreOffice)"), (".ods",)
)
ODP = FileKind(
    "application/vnd.oasis.opendocument.presentation",
    _l("Presentation (LibreOffice)"),
    (".odp",),
)
DOCX = FileKind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    _l("Word document"),
    (".docx",),
)
XLSX = FileKind(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    _l("Excel spreadsheet"),
    (".xlsx",),
)
PPTX = FileKind(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    _l("PowerPoint presentation"),
    (".pptx",),
)

# Every kind accepted, by media type (without parameters such as charset).
KINDS: dict[str, FileKind] = {
    kind.content_type: kind
    for kind in (PDF, PNG, JPEG, WEBP, TEXT, CSV, ODT, ODS, ODP, DOCX, XLSX, PPTX)
}
ALLOWED_TYPES_TEXT = _l(
    "PDF, pictures (PNG, JPEG, WebP), text (TXT, CSV), "
    "Word, Excel, PowerPoint and LibreOffice documents"
)
# For the file picker: a hint only, the server decides.
ACCEPT = ",".join(ext for kind in KINDS.values() for ext in kind.extensions)

# Fixed signatures at the very start of the file.
_SIGNATURES: tuple[tuple[bytes, FileKind], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
)
# An ODF package starts with an uncompressed entry "mimetype" holding its media type.
_ODF = {kind.content_type: kind for kind in (ODT, ODS, ODP)}
# An OOXML package names its main part's type in [Content_Types].xml (macro-enabled variants
# have other types and are refused).
_OOXML = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
}
# Text that is really markup (a web page, an SVG picture): refused.
_MARKUP = re.compile(
    rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|\?xml|meta|link|style)\b",
    re.IGNORECASE,
)
# Control characters that never appear in text files (tab, line feed, form feed and carriage
# return do).
_BINARY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10))} | {
    f"LPT{i}" for i in range(1, 10)
}
# ".exe", ".mp3": an ending that names a kind (".2" in "version 1.2" does not).
_EXTENSION_LIKE = re.compile(r"^\.(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,8}$")


class FileRefused(DomainError):
    """The file breaks a limit or is of a kind that cannot be attached (422)."""


def _refuse_kind() -> FileRefused:
    return FileRefused(
        _l(
            "This kind of file cannot be attached. You can attach: %(types)s.",
            types=ALLOWED_TYPES_TEXT,
        ),
        field="attachment",
    )


# --- What a file is ---------------------------------------------------------------------------


def _zip_kind(data: bytes) -> FileKind | None:
    """An ODF or OOXML document, from the package's own description; None for any other zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
            if names and names[0] == "mimetype":
                with package.open("mimetype") as entry:
                    media_type = entry.read(200).decode("ascii", "replace").strip()
                return _ODF.get(media_type)
            if "[Content_Types].xml" in names:
                with package.open("[Content_Types].xml") as entry:
                    types = entry.read(_ZIP_ENTRY_LIMIT)
                for main_type, kind in _OOXML.items():
                    if f'ContentType="{main_type}"'.encode() in types:
                        return kind
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        OSError,
        EOFError,
        KeyError,
        ValueError,
        RuntimeError,  # encrypted entry
        NotImplementedError,  # unknown compression
    ):
        return None
    return None


def _text_charset(data: bytes) -> str | None:
    """The encoding of a text file (UTF-8, UTF-16 with its mark, Windows-1252), or None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        # Spreadsheets in French often save CSV files as Windows-1252.
        candidates = ("utf-8", "windows-1252")
    for charset in candidates:
        try:
            text = data.decode("utf-8-sig" if charset == "utf-8" else charset)
        except UnicodeDecodeError:
            continue
        if _BINARY_CONTROLS.search(text):
            return None
        markup = text[:8192].lstrip().encode("utf-8", "replace")
        if markup.startswith(b"<") or _MARKUP.search(markup):
            return None
        return charset
    return None


@dataclass(frozen=True)
class Sniffed:
    kind: FileKind
    charset: str | None = None  # text files only

    @property
    def content_type(self) -> str:
        if self.charset:
            return f"{self.kind.content_type}; charset={self.charset}"
        return self.kind.content_type


def sniff(data: bytes, filename: str = "") -> Sniffed | None:
    """What the bytes are (the name only tells CSV from plain text); None when not allowed."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return Sniffed(kind)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Sniffed(WEBP)
    if data.startswith(b"PK\x03\x04"):
        kind = _zip_kind(data)
        return Sniffed(kind) if kind else None
    charset = _text_charset(data)
    if charset is None:
        return None
    is_csv = filename.lower().endswith(".csv")
    return Sniffed(CSV if is_csv else TEXT, charset)


def kind_of(content_type: str) -> FileKind | None:
    """The kind of a stored attachment, from its content type (parameters ignored)."""
    return KINDS.get(content_type.split(";", 1)[0].strip().lower())


# --- Names ------------------------------------------------------------------------------------


def clean_filename(raw: str, kind: FileKind) -> str:
    """A safe name to show and offer: no folders, no control characters, accents kept,
    an extension that agrees with the content, at most MAX_FILENAME characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]  # browsers on Windows may send the whole path
    name = "".join(
        " " if c.isspace() else c
        for c in name
        # control, format (bidi overrides), unassigned: removed; tabs and line breaks: spaces
        if c.isspace() or not unicodedata.category(c).startswith("C")
    )
    name = re.sub(r'[<>:"|?*]', "_", name)  # not allowed in names on Windows
    name = " ".join(name.split()).strip(" .")
    stem, extension = _split(name)
    if extension.lower() not in kind.extensions:
        if _EXTENSION_LIKE.match(extension):  # "report.pdf.exe": the false ending goes
            name = stem
        stem, extension = _split(name)
        if extension.lower() not in kind.extensions:
            stem, extension = name, kind.extension
    stem = stem.strip(" .") or "file"
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    extension = extension.lower()
    return stem[: MAX_FILENAME - len(extension)].rstrip(" .") + extension


def _split(name: str) -> tuple[str, str]:
    dot = name.rfind(".")
    if dot <= 0:
        return name, ""
    return name[:dot], name[dot:]


# --- Services ---------------------------------------------------------------------------------


def list_attachments(actor, proposal: Proposal) -> list[ProposalAttachment]:
    """The proposal's files, oldest first, without their bytes. Raises NotAllowed without View."""
    if not can(actor, Permission.VIEW, proposal):
        raise NotAllowed(_l("You cannot see this proposal."))
    return list(
        db.session.scalars(
            sa.select(ProposalAttachment)
            .where(ProposalAttachment.proposal_id == proposal.id)
            .order_by(ProposalAttachment.created_at, ProposalAttachment.id)
        )
    )


def _count(proposal: Proposal) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ProposalAttachment)
        .where(ProposalAttachment.proposal_id == proposal.id)
    )


def add_attachment(actor, proposal: Proposal, filename: str, data: bytes) -> ProposalAttachment:
    """Attach a file to the proposal (its authors, while it may still change).

    Raises NotAllowed without Edit; FileRefused (422) for an empty file, a file over
    MAX_FILE_BYTES, the MAX_FILES+1st file, a kind that is not allowed, or the same file twice.
    """
    if not can(actor, Permission.EDIT, proposal):
        raise NotAllowed(_l("You cannot add files to this proposal."))
    if not data:
        raise FileRefused(_l("This file is empty. Choose another file."), field="attachment")
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(
            _l(
                "This file is too big. A file can be at most %(size)d MB.",
                size=MAX_FILE_BYTES // (1024 * 1024),
            ),
            field="attachment",
        )
    sniffed = sniff(data, filename)
    if sniffed is None:
        raise _refuse_kind()
    # Two uploads at once may not both pass the count: the proposal's row is locked until the
    # commit (PostgreSQL; SQLite has one writer at a time anyway).
    db.session.execute(sa.select(Proposal.id).where(Proposal.id == proposal.id).with_for_update())
    if _count(proposal) >= MAX_FILES:
        raise FileRefused(
            _l(
                "This proposal already has %(n)d files, the most it can have. "
                "Remove one to add another.",
                n=MAX_FILES,
            ),
            field="attachment",
        )
    digest = hashlib.sha256(data).hexdigest()
    same = db.session.scalar(
        sa.select(ProposalAttachment.filename).where(
            ProposalAttachment.proposal_id == proposal.id, ProposalAttachment.sha256 == digest
        )
    )
    if same is not None:
        raise FileRefused(
            _l("This file is already attached, as %(name)s.", name=same), field="attachment"
        )
    attachment = ProposalAttachment(
        proposal_id=proposal.id,
        filename=clean_filename(filename, sniffed.kind),
        content_type=sniffed.content_type,
        size=len(data),
        sha256=digest,
        data=data,
        uploaded_by_id=actor.id,
    )
    db.session.add(attachment)
    db.session.flush()
    audit.record(
        actor,
        "proposal.attachment_added",
        f"{proposal.object_key}: file {attachment.id} added",
        object_key=proposal.object_key,
        attachment=attachment.id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=digest,
    )
    return attachment


def _attachment(proposal: Proposal, attachment_id: int, *options) -> ProposalAttachment:
    found = None
    if 0 < attachment_id <= MAX_ID:
        found = db.session.scalar(
            sa.select(ProposalAttachment)
            .where(
                ProposalAttachment.id == attachment_id,
                ProposalAttachment.proposal_id == proposal.id,
            )
            .options(*options)
        )
    if found is None:
        raise NotFound(_l("This file does not exist."))
    return found


def remove_attachment(actor, proposal: Proposal, attachment_id: int) -> ProposalAttachment:
    """Remove one of the proposal's files (audited with its name, size and SHA-256); returns
    the removed row.

    Raises NotAllowed without Edit; NotFound when the proposal has no such file.
    """
    if not can(actor, Permission.EDIT, proposal):
        raise NotAllowed(_l("You cannot remove files from this proposal."))
    attachment = _attachment(proposal, attachment_id)
    audit.record(
        actor,
        "proposal.attachment_removed",
        f"{proposal.object_key}: file {attachment.id} removed",
        object_key=proposal.object_key,
        attachment=attachment.id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
    )
    db.session.delete(attachment)
    db.session.flush()
    return attachment


def attachment_for_download(actor, proposal: Proposal, attachment_id: int) -> ProposalAttachment:
    """One of the proposal's files with its bytes loaded.

    Raises NotAllowed without View on the proposal; NotFound when it has no such file.
    """
    if not can(actor, Permission.VIEW, proposal):
        raise NotAllowed(_l("You cannot see this proposal."))
    return _attachment(proposal, attachment_id, undefer(ProposalAttachment.data))
