"""Health check for load balancers and monitoring."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from app.extensions import db
from app.web.access import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """Answer 200 with a JSON status once the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/readyz")
@public
def readyz():
    """200 when this server can serve (database, Redis, backlogs), 503 with the details otherwise."""
    from app.web.readiness import check_readiness

    result = check_readiness()
    return jsonify(result.as_json()), 200 if result.ready else 503
