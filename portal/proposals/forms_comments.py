"""Comment forms: shape of input only; `proposals.comments` enforces the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.proposals.comments import MAX_REASON, MAX_TEXT, clean_text

TEXT_REQUIRED = _l("Write your comment first.")
TEXT_TOO_LONG = _l("Your comment is too long (at most %(n)d characters).", n=MAX_TEXT)


class CommentForm(FlaskForm):
    """A comment, an answer, or a changed comment: the same one text box."""

    # Cleaned as the service cleans it, so that a line break counts as one character here too.
    text = TextAreaField(
        _l("Your comment"),
        filters=[clean_text],
        validators=[DataRequired(TEXT_REQUIRED), Length(max=MAX_TEXT, message=TEXT_TOO_LONG)],
    )


class HideCommentForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you hide it?"),
        filters=[lambda value: " ".join((value or "").split())],
        validators=[
            DataRequired(_l("Say why you hide this comment.")),
            Length(
                max=MAX_REASON,
                message=_l("The reason is too long (at most %(n)d characters).", n=MAX_REASON),
            ),
        ],
    )
