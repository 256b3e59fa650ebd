"""Proposal attachments over HTTP: add, remove, and the only way out for the bytes (a download)."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge

from portal.core.errors import DomainError, error_response
from portal.core.htmx import is_htmx, render
from portal.core.lifecycle import attempt
from portal.core.security import Permission, can
from portal.core.viewhelpers import MAX_ID, acting_user
from portal.extensions import db
from portal.proposals import attachments, bp
from portal.proposals.forms_attachments import AttachmentForm
from portal.proposals.models import Proposal, ProposalAttachment
from portal.proposals.sections import page_section
from portal.proposals.views import _proposal_or_404

# The download is never shown by the browser: no scripts, no plugins, no same-origin access.
DOWNLOAD_CSP = "default-src 'none'; sandbox"
MB = 1024 * 1024


@dataclass(frozen=True)
class AttachmentRow:
    attachment: ProposalAttachment
    type_title: str  # "PDF document"
    size_text: str  # "120 KB", "2.5 MB"


def size_text(size: int) -> str:
    """A size people can read: whole kilobytes below a megabyte, one decimal above."""
    if size < MB:
        return _("%(size)s KB", size=format_decimal(max(1, math.ceil(size / 1024))))
    return _("%(size)s MB", size=format_decimal(size / MB, format="#,##0.#"))


def _row(attachment: ProposalAttachment) -> AttachmentRow:
    kind = attachments.kind_of(attachment.content_type)
    return AttachmentRow(
        attachment,
        str(kind.title) if kind else _("File"),
        size_text(attachment.size),
    )


@page_section("attachments", order=30)
def _attachments_section(proposal: Proposal) -> dict:
    """The list (without the files' bytes) and, for the authors, the upload form."""
    rows = []
    if can(current_user, Permission.VIEW, proposal):
        rows = [_row(a) for a in attachments.list_attachments(acting_user(), proposal)]
    may_attach = can(current_user, Permission.EDIT, proposal)
    return {
        "attachments": rows,
        "may_attach": may_attach,
        # formdata=None: the page may answer a post of another form (or a refused upload).
        "attachment_form": AttachmentForm(formdata=None) if may_attach else None,
        "attachments_full": len(rows) >= attachments.MAX_FILES,
        "max_files": attachments.MAX_FILES,
        "attachment_error": None,
        "attachment_notice": None,
    }


def _anchor(proposal: Proposal) -> str:
    return url_for("proposals.view_proposal", proposal_id=proposal.id) + (
        f"#proposal-{proposal.id}-attachments"
    )


def _answer(proposal: Proposal, message: str, *, error: bool):
    """htmx: the section again (422 on a refusal, so htmx swaps it); otherwise back to the
    page with the message."""
    if is_htmx():
        context = _attachments_section(proposal)
        context["attachment_error" if error else "attachment_notice"] = message
        response = render(
            "proposals/_attachments.html",
            status=422 if error else 200,
            proposal=proposal,
            **context,
        )
        if not error:
            response.headers["HX-Trigger"] = "proposal-attachments-changed"
        return response
    flash(message, "error" if error else "success")
    return redirect(_anchor(proposal), 303)


@bp.route("/<int:proposal_id>/attachments", methods=["POST"])
@login_required
def add_attachment(proposal_id: int):
    proposal = _proposal_or_404(proposal_id, Permission.EDIT)
    form = AttachmentForm()
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        return _answer(proposal, " ".join(str(m) for m in form.attachment.errors), error=True)
    upload = form.attachment.data
    # One byte more than allowed is enough to know the file is too big.
    data = upload.stream.read(attachments.MAX_FILE_BYTES + 1)
    try:
        added = attempt(
            None, attachments.add_attachment, acting_user(), proposal, upload.filename or "", data
        )
    except DomainError as error:  # in the section (422), whatever its kind
        if error.status_code in (403, 404):
            abort(error.status_code)
        return _answer(proposal, str(error.message), error=True)
    return _answer(proposal, _("The file %(name)s is attached.", name=added.filename), error=False)


@bp.route("/<int:proposal_id>/attachments/<int:attachment_id>/remove", methods=["POST"])
@login_required
def remove_attachment(proposal_id: int, attachment_id: int):
    proposal = _proposal_or_404(proposal_id, Permission.EDIT)
    if not FlaskForm().validate():  # only the CSRF token is posted
        abort(400)
    try:
        removed = attempt(
            None, attachments.remove_attachment, acting_user(), proposal, attachment_id
        )
    except DomainError as error:
        abort(error.status_code if error.status_code in (403, 404) else 400)
    return _answer(proposal, _("The file %(name)s is removed.", name=removed.filename), error=False)


def content_disposition(filename: str) -> str:
    """`attachment` with the name twice: plain ASCII for old browsers, UTF-8 (RFC 6266)."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9 ._()+,-]", "_", fallback).strip() or "file"
    return (
        f'attachment; filename="{fallback}"; '
        f"filename*=UTF-8''{quote(filename, safe='!#$&+-.^_`|~')}"
    )


@bp.route("/<int:proposal_id>/attachments/<int:attachment_id>")
@login_required
def download_attachment(proposal_id: int, attachment_id: int):
    proposal = _proposal_or_404(proposal_id)
    try:
        attachment = attachments.attachment_for_download(acting_user(), proposal, attachment_id)
    except DomainError as error:
        abort(error.status_code if error.status_code in (403, 404) else 400)
    return _download(attachment)


def _download(attachment: ProposalAttachment):
    """The file as a download, never shown inline, never cached, never sniffed."""
    # content_type, not mimetype: the stored type already names a text file's charset.
    response = current_app.response_class(attachment.data, content_type=attachment.content_type)
    headers = response.headers
    headers["Content-Disposition"] = content_disposition(attachment.filename)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cache-Control"] = "private, no-store"
    headers["Content-Security-Policy"] = DOWNLOAD_CSP
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@bp.errorhandler(RequestEntityTooLarge)
def _request_too_big(_error):
    """A file over the request limit is refused before any view runs (even the CSRF check
    cannot read the form): on the upload route, say so where the form is."""
    if request.endpoint != "proposals.add_attachment" or not current_user.is_authenticated:
        return error_response(413)
    proposal_id = (request.view_args or {}).get("proposal_id", 0)
    proposal = db.session.get(Proposal, proposal_id) if 0 < proposal_id <= MAX_ID else None
    if proposal is None or not can(current_user, Permission.VIEW, proposal):
        return error_response(404)
    if not can(current_user, Permission.EDIT, proposal):
        return error_response(403)
    message = _(
        "This file is too big. A file can be at most %(size)d MB.",
        size=attachments.MAX_FILE_BYTES // MB,
    )
    return _answer(proposal, message, error=True)
