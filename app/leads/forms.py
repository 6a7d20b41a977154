"""Lead forms: entry, edit, transfer request, bulk actions, merge, export decision."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.accounts.models import Role, Store, User
from app.admin.reference import channels, grades, vehicle_models
from app.core.names import vehicle_name
from app.core.params import MAX_ID, parse_int
from app.core.phones import InvalidPhone, normalize_phone
from app.extensions import db
from app.leads.models import DecisionRole
from app.web.forms import FlaskForm
from app.web.labels import gender_choices

GENDERS = [("", _l("Choose…")), *gender_choices()]
DECISION_ROLES = [
    ("", _l("Not known")),
    (DecisionRole.SELF.value, _l("Buys for themselves")),
    (DecisionRole.SPOUSE.value, _l("Spouse decides")),
    (DecisionRole.PARENT.value, _l("Parent decides")),
    (DecisionRole.CHILD.value, _l("Child decides")),
    (DecisionRole.COMPANY.value, _l("Company purchase")),
    (DecisionRole.OTHER.value, _l("Someone else")),
]
POOL = ""


def _locale() -> str:
    return str(get_locale() or "zh_CN")


def validate_phone(form, field):
    """Accept what people type (spaces, dashes, +86, full-width digits); refuse the rest."""
    try:
        field.normalized = normalize_phone(field.data or "")
    except InvalidPhone:
        raise ValidationError(_l("Enter a valid mobile number, e.g. 138 0013 8000.")) from None


def _id_or_zero(value) -> int:
    """A reference select's value: the empty "Choose…" option reads as 0 (refused by the form)."""
    return 0 if value in ("", None) else int(value)


def _budget_order(form, field):
    if form.budget_min.data is not None and field.data is not None and field.data < form.budget_min.data:
        raise ValidationError(_l("The maximum budget is below the minimum."))


class LeadFieldsForm(FlaskForm):
    """The customer fields shared by the entry and the edit form."""

    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the customer's name.")), Length(max=100)]
    )
    gender = SelectField(
        _l("Gender"), choices=GENDERS, validators=[DataRequired(_l("Choose the gender (or unknown)."))]
    )
    source_channel = SelectField(
        _l("Source channel"),
        coerce=_id_or_zero,
        validators=[InputRequired(_l("Choose where the customer came from."))],
    )
    model = SelectField(
        _l("Model of interest"),
        coerce=_id_or_zero,
        validators=[InputRequired(_l("Choose the model the customer is interested in."))],
    )
    grade = SelectField(
        _l("Intent grade"), coerce=_id_or_zero, validators=[InputRequired(_l("Choose the intent grade."))]
    )
    expected_purchase_date = DateField(
        _l("Expected purchase date"), validators=[InputRequired(_l("Enter the expected purchase date."))]
    )
    email = EmailField(
        _l("Email"), validators=[Optional(), Email(_l("Enter a valid email address.")), Length(max=255)]
    )
    age = IntegerField(
        _l("Age"), validators=[Optional(), NumberRange(16, 110, _l("Age must be between 16 and 110."))]
    )
    birthday = DateField(_l("Birthday"), validators=[Optional()])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=100)])
    budget_min = IntegerField(
        _l("Budget from (yuan)"),
        validators=[Optional(), NumberRange(0, 100_000_000, _l("Enter a positive amount."))],
    )
    budget_max = IntegerField(
        _l("Budget to (yuan)"),
        validators=[Optional(), NumberRange(0, 100_000_000, _l("Enter a positive amount.")), _budget_order],
    )
    preferences = TextAreaField(_l("Preferences"), validators=[Optional(), Length(max=2000)])
    decision_role = SelectField(
        _l("Who decides the purchase"), choices=DECISION_ROLES, validators=[Optional()]
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])
    marketing_consent = BooleanField(_l("Agrees to receive marketing messages"))
    confirm_mismatch = BooleanField(_l("Confirm the mismatch"))

    def check_grade_date(self, user, today) -> bool | None:
        """Refuse a grade and an expected purchase date that disagree (message next to the date);
        a manager who ticked "confirm the mismatch" keeps them. Return False when refused, True when a
        manager overrode a mismatch (to be audited), None when they agree."""
        from app.leads.services import grade_date_message, may_override_grade_date

        message = grade_date_message(self.grade.data, self.expected_purchase_date.data, today)
        if message is None:
            return None
        if self.confirm_mismatch.data and may_override_grade_date(user):
            return True
        self.expected_purchase_date.errors = [*self.expected_purchase_date.errors, message]
        return False

    def fill_choices(self) -> None:
        """Load the reference lists (channels, models, grades) into the selects."""
        locale = _locale()
        self.source_channel.choices = [("", _l("Choose…"))] + [
            (c.id, c.label(locale)) for c in channels() if c.active
        ]
        self.model.choices = [("", _l("Choose…"))] + [
            (m.id, vehicle_name(m.series, m.name)) for m in vehicle_models() if m.active
        ]
        self.grade.choices = [("", _l("Choose…"))] + [(g.id, g.label(locale)) for g in grades() if g.active]
        for select_field, message in (
            (self.source_channel, _l("Choose where the customer came from.")),
            (self.model, _l("Choose the model the customer is interested in.")),
            (self.grade, _l("Choose the intent grade.")),
        ):
            select_field.empty_message = message

    def validate_birthday(self, field):
        from app.core.timeutil import local_today

        if field.data and (field.data >= local_today() or field.data.year < 1900):
            raise ValidationError(_l("Enter a real birthday or leave it empty."))

    def _check_zero(self) -> bool:
        ok = True
        for select_field in (self.source_channel, self.model, self.grade):
            if not select_field.data and not select_field.errors:
                select_field.errors = [select_field.empty_message]
                ok = False
        return ok

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self._check_zero() and ok


class LeadCreateForm(LeadFieldsForm):
    """Entry form: the customer fields plus the phone and who will own the lead."""

    phone = StringField(
        _l("Mobile"),
        validators=[DataRequired(_l("Enter the customer's mobile number.")), Length(max=40), validate_phone],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    owner = SelectField(_l("Consultant"), choices=[], validators=[Optional()])
    store = SelectField(_l("Store"), coerce=int, choices=[], validators=[Optional()])

    def fill_people(self, user) -> None:
        """Offer the store's consultants (or the pool); directors also choose the store."""
        stores = db.session.execute(
            select(Store.id, Store.name).where(Store.active).order_by(Store.code)
        ).all()
        if user.role in {Role.DIRECTOR, Role.ADMIN}:
            self.store.choices = [(s.id, s.name) for s in stores]
            store_ids = [s.id for s in stores]
        else:
            self.store.choices = [(user.store_id, "")] if user.store_id else []
            store_ids = [user.store_id] if user.store_id else []
        consultants = db.session.execute(
            select(User.id, User.display_name, User.store_id, Store.name)
            .join(Store, Store.id == User.store_id)
            .where(User.role == Role.CONSULTANT, User.active, User.store_id.in_(store_ids))
            .order_by(Store.code, User.display_name)
        ).all()
        self.owner.choices = [(POOL, _l("Unassigned (store pool)"))] + [
            (str(c.id), f"{c.display_name} · {c.name}" if len(store_ids) > 1 else c.display_name)
            for c in consultants
        ]
        self.consultant_store = {c.id: c.store_id for c in consultants}


class LeadEditForm(LeadFieldsForm):
    """Edit form: carries the version the user started from, and the values they saw."""

    version = HiddenField()
    original = HiddenField()

    def validate_version(self, field):
        """The version comes back from the page; anything but a whole number is a tampered form."""
        if field.data not in (None, "") and parse_int(field.data, minimum=0, maximum=MAX_ID) is None:
            raise ValidationError(_l("The form was damaged; reload the page and try again."))


class TransferForm(FlaskForm):
    """Ask the store's managers to hand an existing customer over."""

    phone = HiddenField()
    reason = TextAreaField(
        _l("Why should the customer be transferred to you?"),
        validators=[DataRequired(_l("Give a reason for the transfer.")), Length(max=500)],
    )


class BulkForm(FlaskForm):
    """Bulk actions on the leads ticked in the list."""

    ids = SelectMultipleField(coerce=int, choices=[], validate_choice=False)
    action = SelectField(choices=[("assign", _l("Assign to")), ("grade", _l("Change grade to"))])
    owner = SelectField(
        _l("Consultant"), coerce=int, choices=[], validate_choice=False, validators=[Optional()]
    )
    grade = SelectField(
        _l("Intent grade"), coerce=int, choices=[], validate_choice=False, validators=[Optional()]
    )


class ExportDecisionForm(FlaskForm):
    """A director approves or rejects a large export."""

    decision = SelectField(choices=[("approve", _l("Approve")), ("reject", _l("Reject"))])
