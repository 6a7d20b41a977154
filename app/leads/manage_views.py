"""Lead routes for managers, directors and admins: export, export approval, merge, anonymise."""

import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.forms import EmptyForm
from app.accounts.models import User
from app.admin.reference import vehicle_models
from app.core.errors import DomainError
from app.core.names import vehicle_name
from app.core.params import parse_ids, parse_int
from app.core.timeutil import today_for
from app.extensions import db
from app.leads.exports import (
    count_capped,
    decide_export,
    enqueue_generation,
    export_file,
    filename_for,
    generation_of,
    generations_of,
    request_export,
    row_cap,
    start_generation,
    take_export,
)
from app.leads.filters import InvalidFilter, LeadFilter
from app.leads.forms import DECISION_ROLES, ExportDecisionForm
from app.leads.merge import MERGE_FIELDS, lead_values, merge_check, merge_leads
from app.leads.models import ExportRequest, Lead
from app.leads.page_updates import reference_maps
from app.leads.privacy import anonymise_lead
from app.leads.services import set_fleet
from app.leads.views import bp, get_lead_or_404
from app.web.access import requires
from app.web.permissions import can, get_scoped_or_404, may_see_phone, scoped_leads
from app.web.render import render, render_fragment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _send(tmp, name: str):
    return send_file(tmp, mimetype=XLSX, as_attachment=True, download_name=name)


@bp.post("/export")
@requires("export")
def export_leads():
    """Download the filtered lead list as .xlsx, or ask a director when it is above the row cap.

    POST (with CSRF): an export is recorded, and above the cap it files a request.
    """
    try:
        flt = LeadFilter.from_args(request.form)
    except InvalidFilter:
        abort(400)
    today = today_for(current_user)
    cap = row_cap()
    rows = count_capped(current_user, flt, today, cap)
    if rows > cap:
        request_export(current_user, flt, rows)
        db.session.commit()
        flash(
            _("This export has more than %(cap)s rows: a director must approve it first.", cap=cap), "warning"
        )
        return redirect(url_for("leads.list_exports"), code=303)
    tmp, _count = export_file(current_user, flt, today)
    db.session.commit()
    return _send(tmp, filename_for(today))


@bp.get("/exports")
@requires("lead.view")
def list_exports():
    """List the user's exports; directors also see the requests waiting for their decision."""
    if not (can(current_user, "export") or can(current_user, "export.decide")):
        abort(403)
    stmt = (
        select(ExportRequest, User.display_name)
        .join(User, User.id == ExportRequest.user_id)
        .order_by(ExportRequest.id.desc())
        .limit(100)
    )
    if not can(current_user, "export.decide"):
        stmt = stmt.where(ExportRequest.user_id == current_user.id)
    rows = db.session.execute(stmt).all()
    generations = generations_of(
        [req.id for req, _who in rows if req.status == "approved" and req.user_id == current_user.id]
    )
    return render(
        "leads/exports.html",
        rows=rows,
        generations=generations,
        form=ExportDecisionForm(),
        button_form=EmptyForm(),
    )


@bp.post("/exports/<int:request_id>/decide")
@requires("export.decide")
def decide_export_view(request_id: int):
    """Approve or reject a pending export (directors)."""
    req = db.session.get(ExportRequest, request_id)
    form = ExportDecisionForm()
    if req is None:
        abort(404)
    if not form.validate_on_submit() or req.status != "pending":
        abort(400)
    generated = decide_export(req, approve=form.decision.data == "approve", actor=current_user)
    db.session.commit()
    if generated is not None:
        enqueue_generation(generated)
    flash(_("Decision saved."), "success")
    return redirect(url_for("leads.list_exports"), code=303)


def _my_export_or_404(request_id: int) -> ExportRequest:
    return get_scoped_or_404(current_user, ExportRequest, request_id, mine=True)


@bp.get("/exports/<int:request_id>/file")
@requires("export")
def export_file_progress(request_id: int):
    """The approved export's file: its progress while a task writes it (polled by htmx), then the
    download button (the requester only)."""
    req = _my_export_or_404(request_id)
    return render_fragment(
        "leads/_export_file.html",
        "file",
        url_for("leads.list_exports"),
        req=req,
        generated=generation_of(req) if req.status == "approved" else None,
        button_form=EmptyForm(),
    )


@bp.post("/exports/<int:request_id>/prepare")
@requires("export")
def prepare_export(request_id: int):
    """Write an approved export again after it failed (or one approved before files were written
    in the background); the page then shows its progress."""
    req = _my_export_or_404(request_id)
    if req.status != "approved":
        abort(409)
    generated = start_generation(req)
    db.session.commit()
    if generated is not None:
        enqueue_generation(generated)
    return redirect(url_for("leads.list_exports"), code=303)


@bp.post("/exports/<int:request_id>/download")
@requires("export")
def download_export(request_id: int):
    """Download an approved, written export once (the requester only, still with the export right).

    POST: the download uses the approval up, so a link preview or prefetch must not do it.
    """
    req = _my_export_or_404(request_id)
    if req.status != "approved":
        abort(409)
    taken = take_export(req, current_user)
    if taken is None:  # still being written, failed, or taken by a second click at the same moment
        db.session.rollback()
        abort(409)
    db.session.commit()
    content, name = taken
    return _send(io.BytesIO(content), name)


# ---- merge --------------------------------------------------------------------------------------


def _merge_ids() -> list[int]:
    return sorted(parse_ids(request.values.getlist("ids")))[:10]


@bp.route("/merge", methods=["GET", "POST"])
@requires("lead.merge")
def merge_view():
    """Pick the surviving value of each field and merge two or more duplicate customers."""
    ids = _merge_ids()
    leads = (
        db.session.execute(scoped_leads(current_user).where(Lead.id.in_(ids)).order_by(Lead.id))
        .scalars()
        .all()
    )
    if len(leads) < 2:
        flash(_("Tick at least two customers to merge."), "error")
        return redirect(url_for("leads.list_leads"), code=303)
    blockers = merge_check(leads)
    form = EmptyForm()
    error = None
    if request.method == "POST" and request.form.get("step") == "merge" and not blockers:
        if not form.validate_on_submit():
            abort(400)
        choices = {name: parse_int(request.form.get(f"f_{name}")) or 0 for name in MERGE_FIELDS}
        try:
            survivor = merge_leads(
                leads, parse_int(request.form.get("survivor")) or 0, choices, actor=current_user
            )
        except DomainError as exc:
            db.session.rollback()
            error = exc.code
        else:
            db.session.commit()
            flash(_("%(n)s customers merged.", n=len(leads)), "success")
            return redirect(url_for("leads.lead_detail", lead_id=survivor.id), code=303)
    owners = dict(
        db.session.execute(
            select(User.id, User.display_name).where(
                User.id.in_([lead.owner_id for lead in leads if lead.owner_id])
            )
        ).all()
    )
    return render(
        "leads/merge.html",
        status=422 if (blockers or error) else 200,
        leads=leads,
        values={lead.id: lead_values(lead) for lead in leads},
        fields=MERGE_FIELDS,
        blockers=blockers,
        error=error,
        owners=owners,
        refs=reference_maps(),
        form=form,
        models={m.id: vehicle_name(m.series, m.name) for m in vehicle_models()},
        decision_roles={value: label for value, label in DECISION_ROLES if value},
        sees={lead.id: may_see_phone(current_user, lead) for lead in leads},
    )


# ---- fleet customers ----------------------------------------------------------------------------


@bp.post("/<int:lead_id>/fleet")
@requires("lead.mark_fleet")
def set_fleet_view(lead_id: int):
    """Mark or unmark a fleet (批售) customer (managers and directors; audited)."""
    lead = get_lead_or_404(current_user, lead_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    fleet = request.form.get("fleet") == "1"
    if set_fleet(lead, fleet, actor=current_user):
        db.session.commit()
        flash(_("Marked as a fleet customer.") if fleet else _("No longer a fleet customer."), "success")
    return redirect(url_for("leads.lead_detail", lead_id=lead.id), code=303)


# ---- anonymise ----------------------------------------------------------------------------------


@bp.post("/<int:lead_id>/anonymise")
@requires("lead.anonymise")
def anonymise_view(lead_id: int):
    """Remove the customer's personal data on request (admins); statistics and consent stay."""
    lead = get_lead_or_404(current_user, lead_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    anonymise_lead(lead, actor=current_user)
    db.session.commit()
    flash(_("The customer's personal data was removed."), "success")
    return redirect(url_for("leads.lead_detail", lead_id=lead.id), code=303)
