"""The door's walk-in form: a guest who came without an invitation, registered at the door."""

from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.leads.models import Gender
from app.web.forms import FlaskForm
from app.web.labels import gender_choices


class WalkInForm(FlaskForm):
    name = StringField("name", validators=[DataRequired(), Length(max=100)])
    phone = StringField("phone", validators=[DataRequired(), Length(max=30)])
    gender = SelectField("gender", choices=gender_choices(first=Gender.UNKNOWN), default=Gender.UNKNOWN.value)
    headcount = IntegerField("headcount", default=1, validators=[Optional(), NumberRange(1, 20)])
    client_id = StringField("client_id", validators=[Optional(), Length(max=64)])
    consultant_id = IntegerField("consultant_id", validators=[Optional()])
