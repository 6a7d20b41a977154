"""Write audit rows. Callers commit together with the change they audit."""

from flask import has_request_context, request

from app.audit.models import AuditLog
from app.extensions import db


def record(action: str, user=None, object_type: str | None = None, object_id=None,
           detail: dict | None = None) -> AuditLog:
    """Add one audit row (who, what, which object, details) to the session."""
    ip = None
    if has_request_context():
        ip = request.headers.get("X-Forwarded-For", request.remote_addr or "").split(",")[0].strip() or None
    row = AuditLog(
        user_id=getattr(user, "id", None),
        username=getattr(user, "username", None),
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        detail=detail,
        ip=ip,
    )
    db.session.add(row)
    return row
