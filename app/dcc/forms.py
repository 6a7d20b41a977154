"""DCC forms: a new customer from a call, a call outcome, an appointment."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.web.forms import FlaskForm
from app.web.labels import gender_choices


class InboundLeadForm(FlaskForm):
    phone = StringField(
        _l("Caller's number"),
        validators=[DataRequired(_l("Enter the phone number.")), Length(max=32)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the name.")), Length(max=100)])
    gender = SelectField(
        _l("Gender"),
        choices=gender_choices(),
    )
    channel = SelectField(
        _l("Source"),
        choices=[("hotline_400", _l("400 hotline")), ("showroom_call", _l("Showroom phone call"))],
    )
    model_id = SelectField(
        _l("Model of interest"),
        coerce=int,
        validators=[InputRequired(_l("Choose the model the customer is interested in."))],
    )
    grade_id = SelectField(
        _l("Intent grade"), coerce=int, validators=[InputRequired(_l("Choose the intent grade."))]
    )
    expected_purchase_date = DateField(
        _l("Expected purchase date"), validators=[DataRequired(_l("Enter the expected purchase date."))]
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=255)])


class OutcomeForm(FlaskForm):
    outcome = SelectField(
        _l("Outcome"),
        choices=[
            ("connected", _l("Connected")),
            ("no_answer", _l("No answer")),
            ("busy", _l("Busy")),
            ("powered_off", _l("Phone off")),
            ("refused", _l("Refused")),
            ("wrong_number", _l("Wrong number")),
            ("appointment", _l("Appointment booked")),
        ],
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    consultant = SelectField(_l("Consultant"), coerce=int, validators=[Optional()])
    day = DateField(_l("Appointment day"), validators=[Optional()])
