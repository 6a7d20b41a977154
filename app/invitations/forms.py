"""Forms for events, campaigns, call outcomes and the public RSVP page."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.invitations.models import EventType
from app.invitations.rules import MAX_HEADCOUNT
from app.web.forms import FlaskForm

EVENT_TYPES = [
    (EventType.LAUNCH.value, _l("Launch")),
    (EventType.TEST_DRIVE.value, _l("Test-drive day")),
    (EventType.LECTURE.value, _l("Lecture")),
    (EventType.PROMOTION.value, _l("Promotion")),
    (EventType.OTHER.value, _l("Other")),
]
CHANNELS = [("phone", _l("Phone")), ("sms", _l("SMS")), ("email", _l("Email")), ("visit", _l("Visit"))]
DT_FORMAT = "%Y-%m-%dT%H:%M"


class EventForm(FlaskForm):
    theme = StringField(_l("Theme"), validators=[DataRequired(_l("Please enter a theme.")), Length(max=200)])
    type = SelectField(_l("Type"), choices=EVENT_TYPES)
    store_id = SelectField(_l("Store"), coerce=int)
    starts_at = DateTimeLocalField(
        _l("Starts"), format=DT_FORMAT, validators=[DataRequired(_l("Please enter the start."))]
    )
    ends_at = DateTimeLocalField(
        _l("Ends"), format=DT_FORMAT, validators=[DataRequired(_l("Please enter the end."))]
    )
    rsvp_cutoff_at = DateTimeLocalField(_l("RSVP cut-off"), format=DT_FORMAT, validators=[Optional()])
    place = StringField(_l("Place"), validators=[Length(max=200)])
    address = StringField(_l("Address"), validators=[Length(max=255)])
    directions = TextAreaField(_l("Directions and parking"), validators=[Length(max=2000)])
    public_description = TextAreaField(_l("Description for guests"), validators=[Length(max=4000)])
    notes = TextAreaField(_l("Internal notes"), validators=[Length(max=4000)])
    capacity = IntegerField(_l("Capacity (people)"), validators=[Optional(), NumberRange(min=1, max=100000)])


class CampaignForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=200)])
    store_id = SelectField(_l("Store"), coerce=int)
    event_id = SelectField(_l("Event"), coerce=int)
    starts_on = DateField(_l("From"), validators=[DataRequired(_l("Please enter the start."))])
    ends_on = DateField(_l("To"), validators=[DataRequired(_l("Please enter the end."))])
    channels = SelectMultipleField(_l("Channels"), choices=CHANNELS)
    script = TextAreaField(_l("Script"), validators=[Length(max=4000)])
    benefits = TextAreaField(_l("Benefit points"), validators=[Length(max=4000)])
    goal_invited = IntegerField(
        _l("Goal: invited"), default=0, validators=[Optional(), NumberRange(min=0, max=100_000)]
    )
    goal_accepted = IntegerField(
        _l("Goal: accepted"), default=0, validators=[Optional(), NumberRange(min=0, max=100_000)]
    )
    goal_arrived = IntegerField(
        _l("Goal: arrived"), default=0, validators=[Optional(), NumberRange(min=0, max=100_000)]
    )
    members = SelectMultipleField(_l("Inviters"), coerce=int)
    f_grade = SelectMultipleField(_l("Grade"))
    f_stage = SelectMultipleField(_l("Stage"))
    f_source = SelectMultipleField(_l("Source"))
    f_expected_from = DateField(_l("Expected purchase from"), validators=[Optional()])
    f_expected_to = DateField(_l("Expected purchase to"), validators=[Optional()])
    f_consent = SelectField(
        _l("Marketing consent"), choices=[("", _l("Any")), ("1", _l("Consented only"))], validate_choice=False
    )


class OutcomeForm(FlaskForm):
    outcome = HiddenField(validators=[DataRequired()])
    headcount = IntegerField(
        _l("People"), default=1, validators=[Optional(), NumberRange(min=1, max=MAX_HEADCOUNT)]
    )
    reason = StringField(_l("Reason"), validators=[Length(max=255)])
    retry_hours = IntegerField(
        _l("Call again in (hours)"), default=2, validators=[Optional(), NumberRange(1, 240)]
    )
    words = StringField(_l("What the customer said"), validators=[Length(max=500)])


class PostponeForm(FlaskForm):
    """New local start and end of a postponed event."""

    starts_at = DateTimeLocalField(
        _l("New start"), format=DT_FORMAT, validators=[DataRequired(_l("Please enter the start."))]
    )
    ends_at = DateTimeLocalField(
        _l("New end"), format=DT_FORMAT, validators=[DataRequired(_l("Please enter the end."))]
    )


class SendForm(FlaskForm):
    channel = HiddenField(validators=[DataRequired()])
    # "yes" on the "sent at HH:MM, send again?" button: an invitation already sent goes again only then.
    confirm = HiddenField()


class InviteLeadForm(FlaskForm):
    event_id = SelectField(_l("Event"), coerce=int)


class RsvpForm(FlaskForm):
    answer = HiddenField()
    headcount = IntegerField(
        _l("Number of people"),
        default=1,
        validators=[Optional(), NumberRange(1, MAX_HEADCOUNT, _l("Between 1 and 10 people."))],
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_HEADCOUNT},
    )
    note = StringField(_l("Note for us (optional)"), validators=[Length(max=500)])
