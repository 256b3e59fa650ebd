"""The form that attaches a file to a proposal: shape of input only; the service checks it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from portal.proposals.attachments import ACCEPT, ALLOWED_TYPES_TEXT, MAX_FILE_BYTES, MAX_FILES


class AttachmentForm(FlaskForm):
    attachment = FileField(
        _l("Add a file"),
        description=_l(
            "You can attach: %(types)s. At most %(size)d MB per file, %(n)d files per proposal.",
            types=ALLOWED_TYPES_TEXT,
            size=MAX_FILE_BYTES // (1024 * 1024),
            n=MAX_FILES,
        ),
        validators=[FileRequired(_l("Choose a file."))],
        render_kw={"accept": ACCEPT},
    )
