"""The audit log viewer: read-only, for administrators and directors."""

from flask import request

from app.admin import queries
from app.admin.forms import AuditFilterForm
from app.admin.views import bp
from app.audit.labels import action_label, detail_lines
from app.core.params import parse_date, parse_positive_int
from app.web.access import requires
from app.web.render import render


@bp.get("/audit")
@requires("audit.read")
def audit_log():
    """Show audit rows newest first, filtered by action, user and dates."""
    form = AuditFilterForm(request.args)
    filters = {"action": "", "username": "", "date_from": None, "date_to": None}
    if form.validate():
        filters = {k: form[k].data for k in filters}
        # A date the calendar cannot step past (0001-01-01, 9999-12-31) filters nothing.
        filters["date_from"], filters["date_to"] = (
            parse_date(filters["date_from"]),
            parse_date(filters["date_to"]),
        )
    rows, next_id = queries.audit_page(before_id=parse_positive_int(request.args.get("before")), **filters)
    return render(
        "admin/audit.html",
        block="results",
        form=form,
        rows=rows,
        next_id=next_id,
        actions=queries.AUDIT_ACTIONS,
        action_label=action_label,
        detail_lines=detail_lines,
    )
