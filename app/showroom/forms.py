"""Reception forms."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from app.core.phones import InvalidPhone, normalize_phone
from app.web.forms import FlaskForm
from app.web.labels import gender_choices

YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]


class WalkInForm(FlaskForm):
    """A walk-in in a few taps: arrival, party, consultant, first visit, contact left."""

    arrived_at = TimeField(
        _l("Arrival time"), validators=[InputRequired(_l("Please enter the arrival time."))]
    )
    party_size = IntegerField(
        _l("Party size"),
        default=1,
        validators=[
            InputRequired(_l("How many people came?")),
            NumberRange(1, 20, _l("One to twenty people.")),
        ],
    )
    consultant_id = RadioField(
        _l("Receiving consultant"),
        coerce=int,
        validators=[InputRequired(_l("Choose the receiving consultant."))],
    )
    first_visit = RadioField(_l("First visit?"), choices=YES_NO, default="yes")
    left_contact = RadioField(_l("Left contact info?"), choices=YES_NO, default="no")
    phone = StringField(
        _l("Mobile number"),
        validators=[Optional(), Length(max=32)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    name = StringField(_l("Customer name"), validators=[Optional(), Length(max=100)])
    gender = RadioField(
        _l("Gender"),
        choices=gender_choices(),
        default="unknown",
    )
    model_id = SelectField(_l("Model of interest"), coerce=int, validators=[Optional()])
    grade = RadioField(_l("Intent grade"), default="B")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        self.phone_e164 = None
        if self.left_contact.data == "yes":
            if not (self.name.data or "").strip():
                self.name.errors.append(_l("Please enter the customer's name."))
                ok = False
            try:
                self.phone_e164 = normalize_phone(self.phone.data or "", mobile_only=True)
            except InvalidPhone:
                self.phone.errors.append(_l("This is not a valid mobile number."))
                ok = False
        return ok

    def validate_consultant_id(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose the receiving consultant."))
