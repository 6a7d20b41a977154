"""Forms for events, campaigns, call outcomes and the public RSVP page."""

from datetime import datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
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

from app.admin.reference import channels, grades, stages
from app.core.timeutil import local_to_utc, to_local
from app.invitations.images import MAX_BYTES as IMAGE_MAX_BYTES
from app.invitations.models import Event, EventType
from app.invitations.rules import MAX_HEADCOUNT
from app.invitations.services import EVENT_FIELDS, Outcome
from app.invitations.targets import clean_filters
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
EVENT_TIMES = ("starts_at", "ends_at", "rsvp_cutoff_at")
# How an inviter is named in the campaign's list of members.
MEMBER_ROLES = {
    "consultant": _l("Consultant"),
    "dcc": _l("DCC agent"),
    "manager": _l("Manager"),
    "marketing": _l("Marketing"),
}


def error_text(form) -> str:
    """All of a form's errors in one line (for a flash message or a card's error)."""
    return "; ".join(str(e) for errs in form.errors.values() for e in errs) or _("Please check the form.")


def member_label(name: str, role) -> str:
    """An inviter as the campaign form lists them: "name (role)"."""
    return f"{name} ({MEMBER_ROLES.get(str(role), str(role))})"


def local_naive(value: datetime, tz: str) -> datetime:
    """A stored UTC time as the time field shows it: local to the event's store, without a zone."""
    return to_local(value, tz).replace(tzinfo=None)


def event_form_data(event: Event, tz: str) -> dict:
    """An event's fields as the event form shows them: times local to `tz`, the type as its code."""
    data = {key: getattr(event, key) for key in EVENT_FIELDS}
    for key in EVENT_TIMES:
        if data[key] is not None:
            data[key] = local_naive(data[key], tz)
    data["type"] = str(event.type)
    return data


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
    # Checked by its content in the service (images.prepare_image), not by its name or declared type.
    image = FileField(_l("Cover image"), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    remove_image = BooleanField(_l("Remove the cover image"))

    def image_bytes(self) -> bytes | None:
        """The uploaded image's bytes (one byte past the limit at most, so the service can refuse it)."""
        upload = self.image.data
        return upload.read(IMAGE_MAX_BYTES + 1) if upload else None

    def event_data(self, tz: str) -> dict:
        """What `services.save_event` stores: the typed local times in UTC, empty texts as blanks."""
        return {
            "theme": self.theme.data.strip(),
            "type": self.type.data,
            "store_id": self.store_id.data,
            "starts_at": local_to_utc(self.starts_at.data, tz),
            "ends_at": local_to_utc(self.ends_at.data, tz),
            "rsvp_cutoff_at": local_to_utc(self.rsvp_cutoff_at.data, tz)
            if self.rsvp_cutoff_at.data
            else None,
            "place": self.place.data or "",
            "address": self.address.data or "",
            "directions": self.directions.data or None,
            "notes": self.notes.data or None,
            "public_description": self.public_description.data or None,
            "capacity": self.capacity.data,
        }


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

    def fill_choices(self, stores: list, events: list, members: list) -> None:
        """The stores, events (id, theme) and inviters (id, name, role) to choose from; the filter codes."""
        self.store_id.choices = stores
        self.event_id.choices = [(0, _("— none —"))] + [(i, t) for i, t in events]
        self.members.choices = [(i, member_label(n, r)) for i, n, r in members]
        locale = str(get_locale())
        self.f_grade.choices = [(g.code, g.label(locale)) for g in grades()]
        self.f_stage.choices = [(s.code, s.label(locale)) for s in stages()]
        self.f_source.choices = [(c.code, c.label(locale)) for c in channels()]

    def show(self, campaign, member_ids: list[int]) -> None:
        """Fill the form with a saved campaign's event, inviters and target filters."""
        self.event_id.data = campaign.event_id or 0
        self.members.data = member_ids
        filters = campaign.target_filters or {}
        self.f_grade.data = filters.get("grade", [])
        self.f_stage.data = filters.get("stage", [])
        self.f_source.data = filters.get("source", [])
        self.f_consent.data = "1" if filters.get("consent") else ""

    def campaign_data(self) -> dict:
        """What `services.save_campaign` stores, the target filters cleaned of unknown values."""
        filters = clean_filters(
            {
                "grade": self.f_grade.data,
                "stage": self.f_stage.data,
                "source": self.f_source.data,
                "expected_from": self.f_expected_from.data,
                "expected_to": self.f_expected_to.data,
                "consent": self.f_consent.data,
            }
        )
        return {
            "name": self.name.data.strip(),
            "store_id": self.store_id.data,
            "event_id": self.event_id.data or None,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "channels": self.channels.data or [],
            "script": self.script.data or None,
            "benefits": self.benefits.data or None,
            "goal_invited": self.goal_invited.data or 0,
            "goal_accepted": self.goal_accepted.data or 0,
            "goal_arrived": self.goal_arrived.data or 0,
            "target_filters": filters,
        }


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

    def to_outcome(self) -> Outcome:
        """What the inviter recorded (no answer: try again in 2 hours unless told)."""
        return Outcome(
            self.outcome.data,
            self.headcount.data,
            self.reason.data,
            self.retry_hours.data or 2,
            self.words.data,
        )


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
