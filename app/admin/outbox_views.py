"""The outbox's dead letters: messages the provider refused, for an administrator to send again."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.forms import EmptyForm
from app.admin.views import bp
from app.core.phones import mask_phone
from app.extensions import db
from app.messaging.models import Message, MessageStatus
from app.messaging.outbox import retry_dead
from app.web.access import requires
from app.web.render import render

PROBLEM = (MessageStatus.DEAD, MessageStatus.FAILED)


def shown_address(message: Message) -> str:
    """Customers' phone numbers stay masked here; e-mail addresses are shown as they are."""
    return mask_phone(message.to_address) if message.channel == "sms" else message.to_address


@bp.get("/outbox")
@requires("admin.configure")
def outbox():
    """List failed and dead messages, newest first, with their last error."""
    rows = (
        db.session.execute(
            select(Message).where(Message.status.in_(PROBLEM)).order_by(Message.id.desc()).limit(200)
        )
        .scalars()
        .all()
    )
    return render("admin/outbox.html", rows=rows, address=shown_address, form=EmptyForm())


@bp.post("/outbox/<int:message_id>/retry")
@requires("admin.configure")
def retry_message(message_id: int):
    """Queue a failed or dead message again (audited); it is delivered right after the commit."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    message = db.session.get(Message, message_id)
    if message is None or message.status not in PROBLEM:
        abort(404)
    retry_dead(message, current_user)
    db.session.commit()
    flash(_("The message was queued again."), "success")
    return redirect(url_for("admin.outbox"), code=303)
