"""The notification centre: the bell's count (polled), the list, open (mark read and go), mark all
read, and the user's own channel choice."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, SubmitField

from app.accounts.forms import EmptyForm
from app.extensions import db
from app.messaging.notify import target_path
from app.notifications import queries, services
from app.web.access import requires
from app.web.forms import FlaskForm
from app.web.render import render

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


class NotificationSettingsForm(FlaskForm):
    notify_email = BooleanField(_l("Also send my notifications by e-mail"))
    submit = SubmitField(_l("Save"))


def link_for(note) -> str | None:
    """Where a notification leads: built from its endpoint now; a stored path only for old rows."""
    if note.endpoint:
        return target_path(note.endpoint, note.args)
    if note.link and note.link.startswith("/") and not note.link.startswith("//"):
        return note.link
    return None


@bp.get("/count")
@requires("account.self")
def count():
    """The bell with the unread count (polled every 30 s; one indexed statement)."""
    return render("notifications/_bell.html", unread=queries.unread_count(current_user.id))


@bp.get("")
@requires("account.self")
def index():
    """The user's notifications, newest first, paged by id."""
    rows, next_id = queries.page(current_user.id, request.args.get("before", type=int))
    return render(
        "notifications/index.html",
        rows=[(note, link_for(note)) for note in rows],
        next_id=next_id,
        first_page=not request.args.get("before"),
        form=EmptyForm(),
    )


@bp.get("/<int:note_id>/open")
@requires("account.self")
def open_note(note_id: int):
    """Mark the notification read and go to what it is about."""
    note = queries.own_notification(current_user.id, note_id)
    if note is None:
        abort(404)
    target = link_for(note)
    services.mark_read(note)
    db.session.commit()
    return redirect(target or url_for("notifications.index"), code=303)


@bp.post("/read")
@requires("account.self")
def read_all():
    """Mark every notification read."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.mark_all_read(current_user.id)
    db.session.commit()
    return redirect(url_for("notifications.index"), code=303)


@bp.route("/settings", methods=["GET", "POST"])
@requires("account.self")
def settings():
    """The user's notification channels: in the app always; e-mail if they want it."""
    form = NotificationSettingsForm(obj=current_user if request.method == "GET" else None)
    if form.validate_on_submit():
        services.set_email_choice(current_user, bool(form.notify_email.data))
        db.session.commit()
        flash(_("Your notification settings were saved."), "success")
        return redirect(url_for("notifications.settings"), code=303)
    return render("notifications/settings.html", form=form, status=422 if form.errors else 200)
