"""Admin forms: users, stores, reference data, settings, audit filter."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError

from app.accounts.models import Role
from app.web.forms import FlaskForm

ROLE_LABELS = {
    Role.CONSULTANT: _l("Sales consultant"),
    Role.MANAGER: _l("Sales manager"),
    Role.DIRECTOR: _l("Sales director"),
    Role.DCC: _l("DCC agent"),
    Role.CLERK: _l("Reception clerk"),
    Role.MARKETING: _l("Marketing / operations"),
    Role.ADMIN: _l("Administrator"),
}
CODE_RULE = Regexp(r"^[a-z0-9_]+$", message=_l("Use lowercase letters, digits and _ only."))


def role_choices():
    return [(r.value, ROLE_LABELS[r]) for r in Role]


class UserFieldsForm(FlaskForm):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    email = StringField(
        _l("Email"), validators=[Optional(), Email(_l("Enter a valid email address.")), Length(max=255)]
    )
    role = SelectField(_l("Role"), choices=role_choices)
    store_id = SelectField(_l("Store"), coerce=int, choices=[])
    capacity = IntegerField(_l("Open leads capacity"), default=300, validators=[NumberRange(0, 100000)])
    can_export = BooleanField(_l("May export leads"))
    can_reveal_phone = BooleanField(_l("May reveal full phone numbers"))
    fingerprint = HiddenField()


class UserCreateForm(UserFieldsForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(max=64),
            Regexp(r"^[A-Za-z0-9_.@-]+$", message=_l("Use letters, digits and . _ - @ only.")),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Initial password"), validators=[DataRequired()], render_kw={"autocomplete": "new-password"}
    )


class UserEditForm(UserFieldsForm):
    pass


class DeactivateForm(FlaskForm):
    successor_id = SelectField(_l("Hand open leads and plans to"), coerce=int, choices=[])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired()], render_kw={"autocomplete": "new-password"}
    )


class StoreForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=32),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use letters, digits, - and _ only.")),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=100)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=255)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    timezone = SelectField(
        _l("Time zone"),
        choices=[
            ("Asia/Shanghai", "Asia/Shanghai"),
            ("Asia/Urumqi", "Asia/Urumqi"),
            ("Asia/Hong_Kong", "Asia/Hong_Kong"),
        ],
    )
    wecom_webhook_url = StringField(_l("WeCom group robot webhook"), validators=[Optional(), Length(max=500)])
    sms_window_start = StringField(
        _l("Customer SMS from"),
        default="09:00",
        validators=[Optional(), Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message=_l("Use HH:MM, e.g. 09:00."))],
    )
    sms_window_end = StringField(
        _l("Customer SMS until"),
        default="20:30",
        validators=[Optional(), Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message=_l("Use HH:MM, e.g. 09:00."))],
    )
    sms_signature = StringField(_l("SMS signature"), validators=[Optional(), Length(max=20)])

    def validate_sms_window_end(self, field):
        start = self.sms_window_start.data or ""
        if field.data and start and field.data <= start:
            raise ValidationError(_l("The window must end after it starts."))

    def validate_wecom_webhook_url(self, field):
        from flask import current_app

        from app.admin.rules import valid_webhook_url

        hosts = current_app.config.get("WECOM_WEBHOOK_HOSTS", ("qyapi.weixin.qq.com",))
        if field.data and not valid_webhook_url(field.data.strip(), hosts):
            raise ValidationError(_l("Paste the robot's webhook address (https://qyapi.weixin.qq.com/…)."))


class NamedForm(FlaskForm):
    """Fields every reference list shares: code, names, order, active."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32), CODE_RULE])
    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("English name"), validators=[DataRequired(), Length(max=100)])
    sort_order = IntegerField(_l("Order"), default=0, validators=[NumberRange(0, 10000)])
    active = BooleanField(_l("Active"), default=True)


class ChannelForm(NamedForm):
    category = SelectField(_l("Category"), choices=[("offline", _l("Offline")), ("online", _l("Online"))])


class GradeForm(NamedForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=32),
            Regexp(r"^[A-Za-z0-9_]+$", message=_l("Use letters, digits and _ only.")),
        ],
    )
    purchase_within_days = IntegerField(
        _l("Buys within (days)"), validators=[Optional(), NumberRange(1, 3650)]
    )
    cadence_days = IntegerField(_l("Follow up every (days)"), default=7, validators=[NumberRange(1, 365)])


class StageForm(NamedForm):
    kind = SelectField(
        _l("Kind"), choices=[("open", _l("In progress")), ("won", _l("Won")), ("lost", _l("Lost"))]
    )
    probability = IntegerField(_l("Win probability (%)"), default=0, validators=[NumberRange(0, 100)])


class ReasonForm(NamedForm):
    pass


class VehicleForm(FlaskForm):
    brand = StringField(_l("Brand"), validators=[DataRequired(), Length(max=64)])
    series = StringField(_l("Series"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Model"), validators=[DataRequired(), Length(max=100)])
    price = IntegerField(_l("Guide price (yuan)"), validators=[Optional(), NumberRange(0, 100_000_000)])
    sort_order = IntegerField(_l("Order"), default=0, validators=[NumberRange(0, 10000)])
    active = BooleanField(_l("Active"), default=True)


class SettingsForm(FlaskForm):
    first_contact_hours = IntegerField(_l("First contact within (hours)"), validators=[NumberRange(1, 720)])
    reclaim_days = IntegerField(_l("Reclaim idle leads after (days)"), validators=[NumberRange(1, 365)])
    invited_not_arrived_days = IntegerField(
        _l("Invited but not arrived after (days)"), validators=[NumberRange(1, 365)]
    )
    penalty_base = IntegerField(_l("Penalty for an overdue plan (yuan)"), validators=[NumberRange(0, 100000)])
    penalty_doubling = BooleanField(_l("Double the penalty for each repeat"))
    penalty_manager_share = DecimalField(
        _l("Manager's share of the penalty (0-1)"), places=2, validators=[NumberRange(0, 1)]
    )
    penalty_repeat_period = SelectField(
        _l("Repeats double within"), choices=[("month", _l("the calendar month")), ("week", _l("the week"))]
    )
    penalty_item_cap = IntegerField(_l("At most per item (yuan)"), validators=[NumberRange(1, 1_000_000)])
    penalty_monthly_cap = IntegerField(
        _l("At most per person per month (yuan)"), validators=[NumberRange(1, 10_000_000)]
    )
    export_row_cap = IntegerField(
        _l("Export row cap (larger exports need approval)"), validators=[NumberRange(1, 1_000_000)]
    )
    rsvp_cutoff_hours = IntegerField(
        _l("RSVP closes before the event (hours)"), validators=[NumberRange(0, 720)]
    )
    brand_name = StringField(
        _l("Brand name (public pages, e-mails)"), validators=[Optional(), Length(max=50)]
    )
    sms_signature = StringField(_l("Brand SMS signature"), validators=[Optional(), Length(max=20)])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = StringField(_l("Action"), validators=[Optional(), Length(max=64)])
    username = StringField(_l("User"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
