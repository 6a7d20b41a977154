"""Provider callbacks: SMS delivery reports and inbound replies (TD/退订 opts the customer out; any
other reply goes on the lead's timeline and to the inviter or owner, see app.messaging.replies).

Authenticated by a shared secret (SMS_WEBHOOK_TOKEN) in the X-Webhook-Token header or the
`token` query argument; no session, no CSRF.
"""

import hmac

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import select

from app.core.phones import InvalidPhone, normalize_phone
from app.extensions import csrf, db
from app.messaging.models import Message, MessageStatus
from app.messaging.replies import handle_reply
from app.web.access import public

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)

DELIVERED = {"delivered", "delivrd", "success", "ok", "0", "sent"}
FAILED = {"failed", "undeliv", "undelivered", "rejected", "expired", "error"}


def _authorised() -> bool:
    expected = current_app.config.get("SMS_WEBHOOK_TOKEN")
    given = request.headers.get("X-Webhook-Token") or request.args.get("token") or ""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _payload() -> dict:
    data = request.get_json(silent=True)
    if isinstance(data, dict):
        return data
    return request.form.to_dict()


@bp.post("/sms/status")
@public
def sms_status():
    """Record a delivery report for an SMS we sent."""
    if not _authorised():
        abort(403)
    data = _payload()
    provider_id = str(data.get("message_id") or data.get("biz_id") or data.get("id") or "")[:128]
    status = str(data.get("status") or data.get("report_status") or "").strip().lower()
    message = (
        db.session.execute(
            select(Message).where(Message.provider_message_id == provider_id)
        ).scalar_one_or_none()
        if provider_id
        else None
    )
    if message is None:
        return jsonify({"ok": False, "error": "unknown_message"}), 404
    if status in DELIVERED:
        message.status = MessageStatus.DELIVERED
    elif status in FAILED:
        message.status = MessageStatus.FAILED
        message.last_error = str(data.get("error") or status)[:500]
    else:
        return jsonify({"ok": False, "error": "unknown_status"}), 422
    db.session.commit()
    return jsonify({"ok": True})


@bp.post("/sms/inbound")
@public
def sms_inbound():
    """Handle a customer's SMS reply: an opt-out word withdraws SMS consent, anything else is recorded."""
    if not _authorised():
        abort(403)
    data = _payload()
    text = str(data.get("text") or data.get("content") or "")
    try:
        phone = normalize_phone(str(data.get("from") or data.get("phone") or data.get("mobile") or ""))
    except InvalidPhone:
        return jsonify({"ok": False, "error": "bad_phone"}), 422
    if not text.strip():
        return jsonify({"ok": True, "action": "none"})
    action = handle_reply(phone, text)
    db.session.commit()
    return jsonify({"ok": True, "action": action})
