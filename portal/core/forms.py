"""Forms every domain's items share: workflow steps and sharing. Shape of input only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange


class TransitionForm(FlaskForm):
    transition = StringField(validators=[DataRequired(), Length(max=40)])
    comment = TextAreaField(
        _l("Comment (optional)"),
        validators=[Length(max=1000, message=_l("The comment is too long."))],
        render_kw={"rows": 2},
    )


class GrantForm(FlaskForm):
    user_id = IntegerField(validators=[InputRequired(_l("Choose a person.")), NumberRange(min=1)])
    role = StringField(validators=[DataRequired(_l("Choose a role.")), Length(max=40)])


class RevokeForm(FlaskForm):
    grant_id = IntegerField(validators=[InputRequired(), NumberRange(min=1)])
