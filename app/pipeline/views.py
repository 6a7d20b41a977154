"""The kanban board: columns per stage, drag or "move to…" stage changes, live refresh."""

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.accounts.models import Role
from app.admin.reference import by_id, channels, defeat_reasons, grades, stages, vehicle_models
from app.core.errors import ConflictError, DomainError
from app.core.names import vehicle_name
from app.core.timeutil import today_for
from app.extensions import db
from app.pipeline import queries, rules, services
from app.pipeline.cards import CardMaker, card_labels, stage_options
from app.pipeline.forms import DefeatForm, MoveForm, OrderForm, VisitForm
from app.web.access import requires
from app.web.permissions import GROUP_ROLES
from app.web.render import is_htmx, render

bp = Blueprint("pipeline", __name__)

DIALOG_FORMS = {"order": OrderForm, "defeat": DefeatForm, "visit": VisitForm}


@dataclass
class Column:
    stage: object
    count: int
    value: int
    cards: list
    more: str | None  # cursor of the next page, None at the end


def _filters():
    return queries.parse_filters(request.args, current_user, today_for(current_user))


def _show_owner() -> bool:
    return current_user.role != Role.CONSULTANT


def _board_stages():
    active = [s for s in stages() if s.active]
    return (
        [s for s in active if str(s.kind) == rules.OPEN],
        [s for s in active if str(s.kind) != rules.OPEN],
    )


def _card_maker(rows, filters, staff=None) -> CardMaker:
    names = {}
    if _show_owner():
        names = dict(staff or [])
        missing = {r.owner_id for r in rows if r.owner_id and r.owner_id not in names}
        names.update(queries.user_names(missing))
    return CardMaker(filters.today, names, _show_owner(), queries.pending_defeats(r.id for r in rows))


def _columns(filters, stage_ids=None, staff=None):
    """Return (open columns, closed drop targets) for the board or for some of its stages."""
    open_stages, closed_stages = _board_stages()
    wanted = [s for s in open_stages if stage_ids is None or s.id in stage_ids]
    counts = queries.column_counts(current_user, filters)
    rows = queries.first_cards(current_user, filters, [s.id for s in wanted])
    make = _card_maker([r for bucket in rows.values() for r in bucket], filters, staff)
    columns = []
    for stage in wanted:
        bucket = rows.get(stage.id, [])
        more = None
        if len(bucket) > queries.PAGE_SIZE:
            bucket = bucket[: queries.PAGE_SIZE]
            more = rules.encode_cursor(bucket[-1].next_plan_due, bucket[-1].id)
        count, value = counts.get(stage.id, (0, 0))
        columns.append(
            Column(
                stage, count, rules.weighted_value(value, stage.probability), [make(r) for r in bucket], more
            )
        )
    closed = [Column(s, counts.get(s.id, (0, 0))[0], 0, [], None) for s in closed_stages]
    return columns, closed


def _card_context() -> dict:
    """Return what every card template needs, computed once per request."""
    return {
        "words": card_labels(),
        "stage_opts": stage_options(),
        "csrf_value": generate_csrf(),
        "move_url": url_for("pipeline.move"),
        "show_owner": _show_owner(),
    }


def _choices():
    locale = str(get_locale() or "zh_CN")
    return {
        "grades": [(g.id, g.label(locale)) for g in grades() if g.active],
        "channels": [(c.id, c.label(locale)) for c in channels() if c.active],
        "models": [(m.id, vehicle_name(m.series, m.name)) for m in vehicle_models() if m.active],
    }


@bp.get("/board")
@requires("pipeline.view")
def board():
    """Show the pipeline board of the user's scope with its filters."""
    filters = _filters()
    staff = queries.store_consultants(filters.store or current_user.store_id) if _show_owner() else []
    columns, closed = _columns(filters, staff=staff)
    return render(
        "pipeline/board.html",
        block="board",
        filters=filters,
        columns=columns,
        closed=closed,
        token=queries.change_token(current_user, filters),
        staff=staff,
        store_choices=queries.stores() if current_user.role in GROUP_ROLES else [],
        choices=_choices(),
        **_card_context(),
    )


@bp.get("/board/column/<int:stage_id>")
@requires("pipeline.view")
def column(stage_id: int):
    """Show the next cards of one column after the `after` cursor (load more)."""
    stage = by_id(stages()).get(stage_id)
    if stage is None or str(stage.kind) != rules.OPEN:
        abort(404)
    filters = _filters()
    rows, has_more = queries.column_page(
        current_user, filters, stage_id, rules.decode_cursor(request.args.get("after"))
    )
    more = rules.encode_cursor(rows[-1].next_plan_due, rows[-1].id) if rows and has_more else None
    make = _card_maker(rows, filters)
    return render(
        "pipeline/column.html",
        block="cards",
        stage=stage,
        cards=[make(r) for r in rows],
        more=more,
        filters=filters,
        **_card_context(),
    )


@bp.get("/board/changes")
@requires("pipeline.view")
def changes():
    """Answer 204 when nothing moved since `since`; else the changed columns (out-of-band)."""
    filters = _filters()
    since = request.args.get("since", "")
    token = queries.change_token(current_user, filters)
    if token == since:
        return "", 204
    moves_only = since.split("~")[1:] == token.split("~")[1:]
    stage_ids = (
        queries.changed_stage_ids(current_user, filters, queries.parse_token_time(since))
        if moves_only
        else None
    )
    staff = queries.store_consultants(filters.store or current_user.store_id) if _show_owner() else []
    columns, closed = _columns(filters, stage_ids, staff)
    return render_template(
        "pipeline/changes.html",
        filters=filters,
        columns=columns,
        closed=closed,
        token=token,
        oob=True,
        **_card_context(),
    )


# ---- moving -------------------------------------------------------------------------------------


@bp.post("/board/move")
@requires("pipeline.view")
def move():
    """Move a card to another stage (drag or "move to…"), with the dialog the move needs."""
    form = MoveForm()
    if not form.validate():
        return _answer("refused", None, message=_("Choose a stage to move the card to."), status_code=422)
    lead = services.lock_lead(current_user, form.lead_id.data)
    plan = services.plan_move(current_user, lead, form.stage.data, form.version.data)
    if plan.status in {"conflict", "refused", "noop"}:
        db.session.rollback()
        if plan.status == "conflict":
            return _conflict(plan.lead_id)
        if plan.status == "refused":
            return _answer("refused", plan, message=_refusal(plan.reason), status_code=422)
        return _answer("noop", plan)
    try:
        if plan.status == "dialog":
            return _dialog(lead, plan, form)
        result = services.apply_move(current_user, lead, form.stage.data, form.version.data)
        db.session.commit()
    except ConflictError:
        db.session.rollback()
        return _conflict(plan.lead_id)
    return _answer("moved", result)


def _dialog(lead, plan, move_form):
    """Show the dialog a move needs, or apply it when the user submitted it."""
    form_class = DIALOG_FORMS[plan.dialog]
    submitted = move_form.dialog.data == plan.dialog
    form = (
        form_class() if submitted else form_class(formdata=None, data=_dialog_defaults(lead, plan, move_form))
    )
    if plan.dialog == "defeat":
        locale = str(get_locale() or "zh_CN")
        form.reason_id.choices = [(0, _("Choose a reason"))] + [
            (r.id, r.label(locale)) for r in defeat_reasons() if r.active
        ]
    if not submitted:
        db.session.rollback()
        return _answer("dialog", plan, dialog=form)
    if not form.validate() or not _dialog_checks(plan.dialog, form):
        db.session.rollback()
        return _answer("dialog", plan, dialog=form, status_code=422)
    version = move_form.version.data
    if plan.dialog == "order":
        order = {
            k: getattr(form, k).data
            for k in ("brand", "series", "model", "configuration", "vin", "amount", "order_date")
        }
        result = services.win_with_order(current_user, lead, version, order)
    elif plan.dialog == "defeat":
        try:
            result = services.ask_defeat(current_user, lead, version, form.reason_id.data, form.detail.data)
        except ConflictError:
            raise  # handled by move(): the card goes back with who changed it
        except DomainError as exc:  # already pending, no longer open
            db.session.rollback()
            return _answer("refused", plan, message=_refusal(exc.code), status_code=422)
    else:
        result = services.visit_and_move(
            current_user, lead, move_form.stage.data, version, form.register_visit.data, form.party_size.data
        )
    db.session.commit()
    return _answer(result.status, result)


def _dialog_defaults(lead, plan, move_form) -> dict:
    data = {"lead_id": lead.id, "stage": move_form.stage.data, "version": lead.version, "dialog": plan.dialog}
    if plan.dialog == "order":
        model = next((m for m in vehicle_models() if m.id == lead.model_id), None)
        if model is not None:
            data.update(brand=model.brand, series=model.series, model=model.name, amount=model.price)
    return data


def _dialog_checks(kind: str, form) -> bool:
    if kind == "order" and services.vin_taken(form.vin.data):
        form.vin.errors.append(_("This VIN is already on another order."))
        return False
    return True


REFUSALS = {
    "reopen_needs_manager": lambda: _("Won and lost leads can only be reopened by a manager."),
    "closed_to_closed": lambda: _("Reopen the lead to an open stage first."),
    "inactive_stage": lambda: _("This stage is no longer in use."),
    "unknown_stage": lambda: _("Choose a stage to move the card to."),
    "already_pending": lambda: _("A defeat request is already waiting for approval."),
    "not_open": lambda: _("Only open leads can be defeated."),
    "unknown_reason": lambda: _("Choose a reason."),
}


def _refusal(code: str) -> str:
    return REFUSALS.get(code, lambda: _("This move is not allowed."))()


def _conflict(lead_id: int):
    """Answer 409 with the card where the server has it and who moved it when."""
    row = queries.card(current_user, lead_id)
    if row is None:
        abort(404)
    stage = by_id(stages()).get(row.stage_id)
    who = queries.user_names([row.stage_changed_by_id]).get(row.stage_changed_by_id)
    locale = str(get_locale() or "zh_CN")
    if who and row.stage_changed_at:
        message = _(
            "%(name)s moved this card to %(stage)s at %(time)s.",
            name=who,
            stage=stage.label(locale) if stage else "",
            time=format_datetime(row.stage_changed_at, "MM-dd HH:mm"),
        )
    else:
        message = _("Someone else changed this lead meanwhile.")
    message += " " + _("The card shows where it is now.")
    plan = services.MoveResult("conflict", lead_id, row.stage_id, row.stage_id)
    return _answer("conflict", plan, message=message, status_code=409, row=row)


MESSAGES = {
    "moved": lambda: _("Card moved."),
    "requested": lambda: _("Defeat request sent to the manager. The lead stays until it is confirmed."),
}


def _answer(
    status: str, result, *, message: str | None = None, dialog=None, status_code: int = 200, row=None
):
    """Render a move result: the card where the server has it, a message, or a dialog."""
    message = message or MESSAGES.get(status, lambda: None)()
    if not is_htmx():
        if status in {"moved", "noop", "requested"}:
            if message:
                flash(message, "success")
            return redirect(url_for("pipeline.board"), code=303)
        if dialog is None and message:
            flash(message, "error")
            return redirect(url_for("pipeline.board"), code=303)
    card = None
    if result is not None:
        row = row or queries.card(current_user, result.lead_id)
        if row is not None:
            maker = _card_maker([row], queries.BoardFilters(today=today_for(current_user)))
            card = maker(row)
    stage = by_id(stages()).get(result.stage_id) if result is not None and result.stage_id else None
    return render(
        "pipeline/move.html",
        block="result",
        status=status_code,
        outcome=status,
        result=result,
        card=card,
        stage=stage,
        message=message,
        dialog=dialog,
        **_card_context(),
    )
