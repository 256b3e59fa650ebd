"""Page forms: shape of input only; services enforce the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from portal.accounts.forms import CHOOSE_FROM_LIST
from portal.content.models import PageKind
from portal.content.services import MAX_BODY, MAX_SUMMARY, MAX_TITLE

KIND_CHOICES = [
    SelectChoice(PageKind.PAGE.value, _l("Page")),
    SelectChoice(PageKind.NEWS.value, _l("News")),
]


class PageForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Give the page a title.")),
            Length(max=MAX_TITLE, message=_l("The title is too long.")),
        ],
    )
    summary = StringField(
        _l("Summary in plain words (optional)"),
        description=_l("One or two short sentences. They are shown in lists."),
        validators=[Length(max=MAX_SUMMARY, message=_l("The summary is too long."))],
    )
    body = TextAreaField(
        _l("Text"),
        description=_l("You can use Markdown: **bold**, *italic*, lists with -, titles with ##."),
        validators=[Length(max=MAX_BODY, message=_l("The text is too long."))],
        render_kw={"rows": 14},
    )
    kind = SelectField(
        _l("Kind"),
        choices=KIND_CHOICES,
        validate_choice=False,
        validators=[AnyOf([c.value for c in KIND_CHOICES], message=CHOOSE_FROM_LIST)],
    )
    is_public = BooleanField(_l("Visitors without an account can read it once it is published"))
    version = HiddenField()


class EditPageForm(PageForm):
    version = IntegerField(
        widget=HiddenInput(),
        validators=[
            InputRequired(_l("Reload the page and try again.")),
            NumberRange(min=1, message=_l("Reload the page and try again.")),
        ],
    )
