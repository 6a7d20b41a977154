"""Forms of the follow-up loop: follow-up with next plan, comments, leave, defeat, decisions."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional

from app.followups.models import FollowUpMethod, FollowUpResult
from app.web.forms import FlaskForm

METHOD_LABELS = {
    FollowUpMethod.PHONE: _l("Phone"),
    FollowUpMethod.SMS: _l("SMS"),
    FollowUpMethod.WECHAT: _l("WeChat"),
    FollowUpMethod.EMAIL: _l("Email"),
    FollowUpMethod.VISIT: _l("Home or office visit"),
    FollowUpMethod.SHOWROOM: _l("In the showroom"),
}
RESULT_LABELS = {
    FollowUpResult.REACHED: _l("Reached"),
    FollowUpResult.NOT_REACHED: _l("Not reached"),
    FollowUpResult.BUSY: _l("Busy, call back"),
    FollowUpResult.REFUSED: _l("Refused"),
    FollowUpResult.WRONG_NUMBER: _l("Wrong number"),
    FollowUpResult.POWERED_OFF: _l("Phone off"),
}


class FollowUpForm(FlaskForm):
    version = HiddenField()
    plan_id = HiddenField()
    method = SelectField(
        _l("How"),
        choices=[(m.value, label) for m, label in METHOD_LABELS.items()],
        validators=[DataRequired(_l("Choose how you contacted the customer."))],
    )
    result = SelectField(
        _l("Result"),
        choices=[(r.value, label) for r, label in RESULT_LABELS.items()],
        validators=[DataRequired(_l("Choose the result."))],
    )
    content = TextAreaField(
        _l("What you talked about"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 3}
    )
    feedback = TextAreaField(
        _l("Customer feedback"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )
    recording_url = StringField(
        _l("Recording link"),
        validators=[
            Optional(),
            Length(max=500),
            URL(require_tld=False, message=_l("Enter a full link (https://…).")),
        ],
    )
    grade_id = SelectField(_l("Intent grade"), coerce=int, validators=[Optional()])
    expected_purchase_date = DateField(_l("Expected purchase date"), validators=[Optional()])
    next_due = DateField(_l("Next follow-up on"), validators=[Optional()])
    next_content = StringField(_l("What you will do"), validators=[Optional(), Length(max=500)])
    late_reason = StringField(_l("Why later than the cadence"), validators=[Optional(), Length(max=500)])
    confirm_mismatch = BooleanField(_l("Confirm the mismatch"))


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Comment"),
        validators=[DataRequired(_l("Write a comment.")), Length(max=4000)],
        render_kw={"rows": 2},
    )


class LeaveForm(FlaskForm):
    starts_on = DateField(_l("Away from"), validators=[DataRequired(_l("Enter the first day."))])
    ends_on = DateField(_l("Back after"), validators=[DataRequired(_l("Enter the last day."))])
    mode = SelectField(
        _l("My plans in that time"),
        choices=[("postpone", _l("Postpone to the day I am back")), ("complete", _l("Mark them done"))],
    )
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=255)])


class MovePlansForm(FlaskForm):
    to_user = SelectField(_l("Give to"), coerce=int, validators=[InputRequired()])


class DefeatRequestForm(FlaskForm):
    reason_id = SelectField(_l("Reason"), coerce=int, validators=[InputRequired()])
    detail = TextAreaField(
        _l("Details"),
        validators=[DataRequired(_l("Say what happened.")), Length(max=2000)],
        render_kw={"rows": 2},
    )


class DecisionForm(FlaskForm):
    decision = HiddenField(validators=[DataRequired()])
    comment = StringField(_l("Comment"), validators=[Optional(), Length(max=500)])


class ReassignForm(FlaskForm):
    to_user = SelectField(_l("New owner"), coerce=int, validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=255)])


class ScreenForm(FlaskForm):
    grade_id = SelectField(_l("Intent grade"), coerce=int, validators=[Optional()])
    important = SelectField(
        _l("Important"), choices=[("", "—"), ("1", _l("Yes")), ("0", _l("No"))], validators=[Optional()]
    )


PLAN_STATUS_LABELS = {"open": _l("plan open"), "done": _l("plan done"), "cancelled": _l("plan cancelled")}
PLAN_KIND_LABELS = {
    "follow_up": _l("Follow-up"),
    "first_contact": _l("First contact"),
    "birthday": _l("Birthday"),
    "purchase_date": _l("Expected purchase date"),
    "reconfirm": _l("Event reconfirmation"),
    "reinvite": _l("Invite again"),
    "post_event": _l("After the event"),
    "dcc_call": _l("DCC call"),
}
