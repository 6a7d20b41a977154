"""Forms: monthly targets and the customer satisfaction survey."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import IntegerField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.accounts.models import Role, Store, User
from app.extensions import db
from app.web.forms import FlaskForm


def _target_field(label):
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=1_000_000)])


class TargetsForm(FlaskForm):
    new_leads = _target_field(_l("New leads"))
    visits = _target_field(_l("Showroom visits"))
    invitations = _target_field(_l("Invitations"))
    test_drives = _target_field(_l("Test drives"))
    orders = _target_field(_l("Orders"))


class SurveyForm(FlaskForm):
    score = RadioField(
        _l("How satisfied are you?"),
        coerce=int,
        choices=[(5, "5"), (4, "4"), (3, "3"), (2, "2"), (1, "1")],
        validators=[DataRequired(message=_l("Please choose a score from 1 to 5."))],
    )
    comment = TextAreaField(
        _l("Anything you would like to tell us? (optional)"), validators=[Optional(), Length(max=1000)]
    )


def month_from_args(value: str | None, today: date) -> date:
    """Parse YYYY-MM (default: this month) into the month's first day."""
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        return today.replace(day=1)


def target_subjects(user) -> list[dict]:
    """The stores and consultants whose targets this user may set (one query each)."""
    group = user.role in {Role.DIRECTOR, Role.ADMIN}
    stmt = select(Store.id, Store.name).where(Store.active.is_(True)).order_by(Store.code)
    if not group:
        stmt = stmt.where(Store.id == user.store_id)
    stores = db.session.execute(stmt).all()
    ustmt = (
        select(User.id, User.display_name, User.store_id)
        .where(User.role == Role.CONSULTANT, User.active.is_(True), User.store_id.in_([s.id for s in stores]))
        .order_by(User.store_id, User.display_name)
    )
    consultants = db.session.execute(ustmt).all()
    out = []
    for store in stores:
        out.append({"store_id": store.id, "user_id": None, "name": store.name, "store_name": store.name})
        out += [
            {"store_id": c.store_id, "user_id": c.id, "name": c.display_name, "store_name": store.name}
            for c in consultants
            if c.store_id == store.id
        ]
    return out
