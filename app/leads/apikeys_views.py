"""Admin screen for intake API keys: create (the key is shown once) and revoke."""

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.accounts.forms import EmptyForm
from app.accounts.models import Store, User
from app.admin.models import SourceChannel
from app.admin.reference import channels
from app.extensions import db
from app.leads.apikeys import create_api_key, revoke_api_key
from app.leads.models import ApiKey
from app.web.access import requires
from app.web.forms import FlaskForm
from app.web.render import render

bp = Blueprint("apikeys", __name__, url_prefix="/admin/api-keys")


class ApiKeyForm(FlaskForm):
    name = StringField(
        _l("What is this key for?"), validators=[DataRequired(_l("Please name the key.")), Length(max=100)]
    )
    channel_id = SelectField(_l("Source channel"), coerce=int)
    store_id = SelectField(_l("Store the leads go to"), coerce=int)


def _form() -> ApiKeyForm:
    form = ApiKeyForm()
    form.channel_id.choices = [(c.id, c.name_zh) for c in channels() if c.active]
    form.store_id.choices = [
        (s.id, f"{s.code} {s.name}")
        for s in db.session.execute(
            select(Store).where(Store.active.is_(True)).order_by(Store.code)
        ).scalars()
    ]
    return form


def _keys() -> list:
    return db.session.execute(
        select(
            ApiKey.id,
            ApiKey.name,
            ApiKey.prefix,
            ApiKey.created_at,
            ApiKey.revoked_at,
            ApiKey.last_used_at,
            SourceChannel.name_zh.label("channel"),
            Store.name.label("store"),
            User.display_name.label("creator"),
        )
        .join(SourceChannel, SourceChannel.id == ApiKey.source_channel_id)
        .join(Store, Store.id == ApiKey.store_id)
        .outerjoin(User, User.id == ApiKey.created_by_id)
        .order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())
        .limit(500)
    ).all()


@bp.get("")
@requires("admin.configure")
def list_keys():
    """List the intake API keys and offer to create one."""
    return render("leads/api_keys.html", form=_form(), keys=_keys(), new_key=None, action_form=EmptyForm())


@bp.post("")
@requires("admin.configure")
def create_key():
    """Create a key and show it this once."""
    form = _form()
    if not form.validate_on_submit():
        return render(
            "leads/api_keys.html", form=form, keys=_keys(), new_key=None, action_form=EmptyForm(), status=422
        )
    key, raw = create_api_key(
        form.name.data,
        source_channel_id=form.channel_id.data,
        store_id=form.store_id.data,
        actor=current_user,
    )
    db.session.commit()
    return render(
        "leads/api_keys.html",
        form=_form(),
        keys=_keys(),
        new_key=raw,
        new_prefix=key.prefix,
        action_form=EmptyForm(),
    )


@bp.post("/<int:key_id>/revoke")
@requires("admin.configure")
def revoke_key(key_id):
    """Revoke a key at once."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    key = db.session.get(ApiKey, key_id)
    if key is None:
        abort(404)
    revoke_api_key(key, current_user)
    db.session.commit()
    flash(_("The key %(prefix)s is revoked.", prefix=key.prefix), "success")
    return redirect(url_for("apikeys.list_keys"), code=303)
