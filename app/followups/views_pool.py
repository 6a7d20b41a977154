"""The unassigned pool: screen leads and propose an assignment (用户线索分配表)."""

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.models import Role, Store
from app.admin.reference import by_id, closed_stage_ids, grades
from app.audit.services import record
from app.core.errors import DomainError
from app.core.params import parse_ids, parse_positive_int
from app.core.timeutil import today_for
from app.extensions import db
from app.followups import assignment, queries, services
from app.followups.forms import ScreenForm
from app.followups.panels import grade_choices
from app.followups.views import bp
from app.followups.workload_text import workload_spans
from app.leads.models import Lead
from app.web.access import requires
from app.web.render import hx_redirect, render

POOL_PAGE = 100


def _pool_store_id() -> int:
    if current_user.role == Role.DIRECTOR:
        chosen = parse_positive_int(request.values.get("store"))
        if chosen:
            return chosen
        first = db.session.execute(select(Store.id).where(Store.active.is_(True)).order_by(Store.id)).scalar()
        return first or 0
    return current_user.store_id or 0


def _pool_leads(store_id: int, ids: list[int] | None = None) -> list[Lead]:
    # Open as "not won or lost", so that PostgreSQL reads the store's unassigned leads from the
    # (store, owner) index alone: with "stage in (open stages)" it ANDed two bitmaps of 40,000
    # entries each at 1,000,000 leads (bench_1m, store 1: 25-97 ms -> 4-25 ms on a loaded machine).
    stmt = select(Lead).where(
        Lead.store_id == store_id,
        Lead.owner_id.is_(None),
        Lead.stage_id.not_in(closed_stage_ids()),
        Lead.merged_into_id.is_(None),
    )
    if ids is not None:
        stmt = stmt.where(Lead.id.in_(ids))
    return (
        db.session.execute(stmt.order_by(Lead.is_important.desc(), Lead.created_at.desc()).limit(POOL_PAGE))
        .scalars()
        .all()
    )


def _selected_ids() -> list[int]:
    return parse_ids(request.form.getlist("lead"), limit=POOL_PAGE)


@bp.get("/pool")
@requires("lead.propose_assignment")
def pool():
    """List unassigned leads of the store to screen and propose."""
    store_id = _pool_store_id()
    stores = (
        db.session.execute(
            select(Store.id, Store.name).where(Store.active.is_(True)).order_by(Store.id)
        ).all()
        if current_user.role == Role.DIRECTOR
        else []
    )
    form = ScreenForm()
    form.grade_id.choices = [(0, "—"), *grade_choices()]
    leads = _pool_leads(store_id)
    # Who would take them: the store's consultants with their open leads and overdue plans.
    consultants = queries.store_consultants([store_id]) if leads else []
    load = queries.workload([c.id for c in consultants], today_for(current_user))
    return render(
        "followups/pool.html",
        leads=leads,
        store_id=store_id,
        stores=stores,
        form=form,
        grades=by_id(grades()),
        consultants=consultants,
        workload=workload_spans(load, {c.id: c.capacity for c in consultants}),
    )


@bp.post("/pool/screen")
@requires("lead.propose_assignment")
def screen_leads():
    """Set the intent grade and the important flag of the selected pool leads."""
    store_id = _pool_store_id()
    form = ScreenForm()
    form.grade_id.choices = [(0, "—"), *grade_choices()]
    if not form.validate_on_submit():
        abort(422)
    leads = _pool_leads(store_id, _selected_ids())
    for lead in leads:
        if form.grade_id.data:
            services.change_grade(lead, form.grade_id.data, current_user)
        if form.important.data in {"0", "1"}:
            lead.is_important = form.important.data == "1"
    record("pool.screen", current_user, "store", store_id, {"leads": [lead.id for lead in leads]})
    db.session.commit()
    return hx_redirect(request.referrer or url_for("followups.pool"))


@bp.post("/pool/proposals")
@requires("lead.propose_assignment")
def propose_assignment():
    """Build an assignment proposal with suggestions for the selected pool leads."""
    store_id = _pool_store_id()
    leads = _pool_leads(store_id, _selected_ids())
    try:
        proposal = assignment.build_proposal(
            leads, store_id, current_user, today_for(current_user), note=request.form.get("note", "")[:500]
        )
        db.session.commit()
    except DomainError:
        db.session.rollback()
        return render(
            "followups/pool.html",
            status=422,
            leads=_pool_leads(store_id),
            store_id=store_id,
            stores=[],
            form=_screen_form(),
            grades=by_id(grades()),
            error=_("Select leads first."),
        )
    if current_user.role in {Role.MANAGER, Role.DIRECTOR}:
        return hx_redirect(url_for("followups.show_proposal", proposal_id=proposal.id))
    return hx_redirect(url_for("followups.pool", proposed=1))


def _screen_form():
    form = ScreenForm()
    form.grade_id.choices = [(0, "—"), *grade_choices()]
    return form
