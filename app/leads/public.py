"""Public, embeddable test-drive booking form per store: /f/<store_code>."""

import secrets

from flask import Blueprint, abort, current_app, request
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.accounts.models import Store
from app.admin.reference import channel_by_code
from app.core.phones import InvalidPhone, normalize_phone
from app.extensions import csrf, db, limiter
from app.leads.intake import CONSENT_TEXT_VERSION, intake_lead, model_choices
from app.leads.intake_rules import CleanLead
from app.messaging.branding import public_name
from app.web.access import public
from app.web.forms import FlaskForm
from app.web.render import render
from app.web.throttle import enabled as throttle_enabled
from app.web.throttle import throttle

bp = Blueprint("public_form", __name__, url_prefix="/f")

TIMESTAMP_SALT = "booking-form-started"
MAX_FORM_AGE = 24 * 3600
BOOKING_GRADE = "B"


class BookingForm(FlaskForm):
    """Phone first: the one field the store cannot do without."""

    class Meta:
        # Embedded on other sites, where the session cookie is not sent: the signed single-use
        # start token, the honeypot, the per-address rate limit and the hourly ceilings on new
        # leads per address and per store protect this form instead.
        csrf = False

    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Please enter your mobile number.")), Length(max=32)],
        render_kw={"inputmode": "tel", "autocomplete": "tel", "autofocus": True},
    )
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(_l("Please enter your name.")), Length(max=100)],
        render_kw={"autocomplete": "name"},
    )
    model = SelectField(_l("Model to test drive"), coerce=str, validators=[Optional()])
    preferred_date = DateField(_l("Preferred date"), validators=[Optional()])
    consent = BooleanField(_l("I agree to receive news and offers from the store by SMS, phone or email."))
    website = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})
    started = HiddenField()

    def validate_phone(self, field):
        try:
            self.phone_e164 = normalize_phone(field.data, mobile_only=True)
        except InvalidPhone:
            raise ValidationError(_l("This is not a valid mobile number.")) from None


def serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TIMESTAMP_SALT)


def start_token(store_code: str) -> str:
    """A signed start time with a random id: the form may be sent once with it."""
    return serializer().dumps({"s": store_code, "n": secrets.token_urlsafe(12)})


def filled_too_fast(token: str) -> bool:
    """Return True when the form's signed start time is missing, forged, stale or too recent."""
    return _read_token(token) is None


def _read_token(token: str) -> str | None:
    """The token's id when its signature is good and its age is within bounds, else None."""
    try:
        value, signed_at = serializer().loads(token or "", max_age=MAX_FORM_AGE, return_timestamp=True)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("n"), str):
        return None
    from datetime import UTC, datetime

    elapsed = (datetime.now(UTC) - signed_at).total_seconds()
    if elapsed < current_app.config.get("BOOKING_MIN_SECONDS", 3):
        return None
    return f"{value.get('s')}/{value['n']}"


def use_start_token(token: str) -> bool:
    """Accept a good start token once: a replayed token (a bot re-posting one page) is refused.
    Used ids are kept in the shared counters (database or Redis) until the token has expired."""
    token_id = _read_token(token)
    return token_id is not None and throttle().first_use(f"booking/{token_id}", MAX_FORM_AGE)


def over_lead_ceiling(store: Store) -> bool:
    """Count one booking against the per-address and per-store ceilings; True when over either."""
    if not throttle_enabled():
        return False
    cfg, guard = current_app.config, throttle()
    over_ip = guard.over(cfg["BOOKING_IP_LEAD_LIMIT"], "booking-ip", request.remote_addr or "-")
    over_store = guard.over(cfg["BOOKING_STORE_LEAD_LIMIT"], "booking-store", store.code)
    return over_ip or over_store


def get_store_or_404(code: str) -> Store:
    store = db.session.execute(
        select(Store).where(Store.code == code, Store.active.is_(True))
    ).scalar_one_or_none()
    if store is None:
        abort(404)
    return store


def _form(store) -> BookingForm:
    form = BookingForm()
    form.model.choices = [("", _l("Not sure yet"))] + [(str(m[0]), f"{m[1]} {m[2]}") for m in model_choices()]
    return form


def _page(store, form, status=200, notice=None):
    form.started.data = start_token(store.code)
    return render(
        "leads/public_booking.html",
        store=store,
        form=form,
        notice=notice,
        status=status,
        site_name=public_name(store),
    )


@bp.get("/<store_code>")
@public
def booking_form(store_code):
    """Show the test-drive booking form of a store."""
    store = get_store_or_404(store_code)
    return _page(store, _form(store))


@bp.post("/<store_code>")
@public
@csrf.exempt
@limiter.limit(lambda: current_app.config["PUBLIC_RATE_LIMIT"])
def submit_booking(store_code):
    """Take a booking: create the lead or touch the existing customer; say thank you either way."""
    store = get_store_or_404(store_code)
    form = _form(store)
    if form.website.data:
        # A bot filled the hidden field: answer as if all went well, keep nothing.
        return render("leads/public_thanks.html", store=store, site_name=public_name(store))
    if filled_too_fast(form.started.data):
        return _page(store, form, 422, notice=_l("Please check your details and send the form again."))
    if not form.validate():
        return _page(store, form, 422)
    if not use_start_token(form.started.data):
        # The same page sent twice: keep nothing from the replay.
        return _page(store, form, 422, notice=_l("Please check your details and send the form again."))
    if over_lead_ceiling(store):
        abort(429)
    model_id = int(form.model.data) if form.model.data and form.model.data.isdigit() else None
    if model_id is not None and model_id not in {m[0] for m in model_choices()}:
        model_id = None
    wish = form.preferred_date.data
    clean = CleanLead(
        name=form.name.data.strip(),
        phone=form.phone_e164,
        grade_code=BOOKING_GRADE,
        model_id=model_id,
        source_detail="test-drive booking form",
        notes=f"预约试驾：{wish.isoformat()}" if wish else "预约试驾",
        marketing_consent=bool(form.consent.data),
    )
    intake_lead(
        clean,
        channel_id=channel_by_code("website").id,
        store_id=store.id,
        consent_source="form",
        consent_text_version=CONSENT_TEXT_VERSION,
        payload={
            "form": "test_drive",
            "preferred_date": wish.isoformat() if wish else None,
            "ip": request.remote_addr,
        },
    )
    db.session.commit()
    return render("leads/public_thanks.html", store=store, site_name=public_name(store))
