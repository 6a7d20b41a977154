"""Write audit rows. Callers commit together with the change they audit."""

import itertools

from flask import has_request_context, request

from app.audit.models import AuditLog
from app.extensions import db

_order = itertools.count()


def record(
    action: str, user=None, object_type: str | None = None, object_id=None, detail: dict | None = None
) -> AuditLog:
    """Add one audit row (who, what, which object, details) to the session."""
    # The client address as seen through the trusted proxies only (TRUSTED_PROXIES, ProxyFix):
    # a raw X-Forwarded-For header can be forged by anyone.
    ip = request.remote_addr if has_request_context() else None
    row = AuditLog(
        user_id=getattr(user, "id", None),
        username=getattr(user, "username", None),
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        detail=detail,
        ip=ip,
    )
    row._chain_order = next(_order)  # chained in the order recorded (app/audit/chain.py)
    db.session.add(row)
    return row
