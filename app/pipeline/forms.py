"""Forms of the board: the move itself and the dialogs a move may open."""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.core.params import MAX_ID
from app.core.timeutil import today_for
from app.core.vin import is_valid_vin, normalize_vin
from app.pipeline.services import vin_taken
from app.web.forms import FlaskForm


class MoveForm(FlaskForm):
    """Which lead, where to, and the version of the card the user saw."""

    lead_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])
    stage = StringField(validators=[DataRequired(), Length(max=32)])
    version = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=MAX_ID)])
    # The stage the card was in on the user's screen: its column is redrawn with the answer.
    from_stage = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    dialog = HiddenField()

    answer_fields: tuple[str, ...] = ()  # what a dialog's answer carries to the service

    def answer(self) -> dict:
        """Return the dialog's answer: its own fields, without the move's."""
        return {name: self[name].data for name in self.answer_fields}


class OrderForm(MoveForm):
    """Moving to won records the order (成交)."""

    answer_fields = ("brand", "series", "model", "configuration", "vin", "amount", "order_date")

    brand = StringField(_l("Brand"), validators=[DataRequired(_l("Enter the brand.")), Length(max=64)])
    series = StringField(_l("Series"), validators=[DataRequired(_l("Enter the series.")), Length(max=64)])
    model = StringField(_l("Model"), validators=[DataRequired(_l("Enter the model.")), Length(max=100)])
    configuration = StringField(_l("Configuration"), validators=[Optional(), Length(max=255)])
    vin = StringField(
        _l("VIN"),
        validators=[DataRequired(_l("Enter the VIN."))],
        render_kw={"autocapitalize": "characters", "spellcheck": "false", "maxlength": 17},
    )
    amount = DecimalField(
        _l("Amount (yuan)"),
        places=2,
        validators=[
            InputRequired(_l("Enter the amount.")),
            NumberRange(min=1, message=_l("The amount must be positive.")),
        ],
    )
    # Today where the user's store is: an order placed at 01:00 in Shanghai is today's.
    order_date = DateField(
        _l("Order date"),
        default=lambda: today_for(current_user),
        validators=[InputRequired(_l("Enter the order date."))],
    )

    def validate_vin(self, field):
        if not is_valid_vin(field.data or ""):
            raise ValidationError(_l("This is not a valid VIN (17 characters, check digit in position 9)."))
        field.data = normalize_vin(field.data)
        if vin_taken(field.data):
            raise ValidationError(_l("This VIN is already on another order."))


class DefeatForm(MoveForm):
    """Moving to lost asks the manager to confirm a defeat (战败)."""

    answer_fields = ("reason_id", "detail")

    reason_id = SelectField(
        _l("Reason"), coerce=int, validate_choice=True, validators=[DataRequired(_l("Choose a reason."))]
    )
    detail = TextAreaField(_l("Details"), validators=[Optional(), Length(max=2000)])


class VisitForm(MoveForm):
    """Moving to visited offers to register the showroom visit."""

    answer_fields = ("register_visit", "party_size")

    register_visit = BooleanField(_l("Register the showroom visit now"), default=True)
    party_size = IntegerField(
        _l("Party size"), default=1, validators=[Optional(), NumberRange(min=1, max=50)]
    )
