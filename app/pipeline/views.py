"""The kanban board: columns per stage, drag or "move to…" stage changes, live refresh."""

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.accounts.models import Role
from app.admin.reference import by_code, by_id, channels, defeat_reasons, grades, stages, vehicle_models
from app.core.commit import commit_keeping_loaded
from app.core.names import vehicle_name
from app.core.timeutil import today_for
from app.extensions import db
from app.pipeline import queries, rules, services
from app.pipeline.cards import CardMaker, card_labels
from app.pipeline.forms import DefeatForm, MoveForm, OrderForm, VisitForm
from app.web import htmx
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


def _move_url(filters) -> str:
    """Where moves are posted: with the board's filters, so that the answer draws the columns alike."""
    return url_for("pipeline.move", **filters.args())


def _card_context(filters) -> dict:
    """Return what every card template and the board's move menu need, computed once per request."""
    return {
        "words": card_labels(),
        "move_stages": [s for s in stages() if s.active],
        "csrf_value": generate_csrf(),
        "move_url": _move_url(filters),
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
        **_card_context(filters),
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
        **_card_context(filters),
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
        **_card_context(filters),
    )


# ---- moving -------------------------------------------------------------------------------------


@bp.post("/board/move")
@requires("pipeline.view")
def move():
    """Move a card to another stage (drag or "move to…"), with the dialog the move needs.

    The htmx answer redraws the columns the move touched (out of band, as the polling does), says
    what happened in the toast and the live region, and fills the dialog when one is needed.
    """
    form = MoveForm()
    if not form.validate():
        return _answer(form, rules.MoveResult(rules.REFUSED, 0, reason="unknown_stage"))
    lead = services.lock_lead(current_user, form.lead_id.data)
    dialog = _dialog_form(form.dialog.data)
    answer = services.DialogAnswer()
    if dialog is not None:
        answer = services.DialogAnswer(form.dialog.data, dialog.validate(), dialog.answer())
    result = services.move_card(current_user, lead, form.stage.data, form.version.data, answer)
    if result.status in rules.CHANGES:
        # The answer is drawn from what this move wrote and fresh reads of the columns: the signed-in
        # user and the lead need not be read again after the commit.
        commit_keeping_loaded()
    else:
        db.session.rollback()
    return _answer(form, result, _dialog_to_show(form, lead, result, dialog))


def _dialog_to_show(form, lead, result, submitted):
    """The dialog of the answer: none, the submitted one with its errors, or a new one."""
    if result.status != rules.DIALOG:
        return None
    if result.invalid:
        return submitted
    moving = {"stage": form.stage.data, "from_stage": form.from_stage.data}
    return _dialog_form(result.dialog, data={**services.dialog_defaults(lead, result), **moving})


def _dialog_form(kind: str | None, data: dict | None = None):
    """Return the dialog form of `kind` (None for no dialog): the one the user submitted, or a
    new one filled with `data`."""
    form_class = DIALOG_FORMS.get(kind or "")
    if form_class is None:
        return None
    form = form_class() if data is None else form_class(formdata=None, data=data)
    if kind == "defeat":
        locale = str(get_locale() or "zh_CN")
        form.reason_id.choices = [(0, _("Choose a reason"))] + [
            (r.id, r.label(locale)) for r in defeat_reasons() if r.active
        ]
    return form


REFUSALS = {
    "reopen_needs_manager": lambda: _("Won and lost leads can only be reopened by a manager."),
    "closed_to_closed": lambda: _("Reopen the lead to an open stage first."),
    "inactive_stage": lambda: _("This stage is no longer in use."),
    "unknown_stage": lambda: _("Choose a stage to move the card to."),
    "already_pending": lambda: _("A defeat request is already waiting for approval."),
    "not_open": lambda: _("Only open leads can be defeated."),
    "unknown_reason": lambda: _("Choose a reason."),
}

MESSAGES = {
    rules.MOVED: lambda: _("Card moved."),
    rules.REQUESTED: lambda: _("Defeat request sent to the manager. The lead stays until it is confirmed."),
}


def _message(result) -> str | None:
    if result.status == rules.REFUSED:
        return REFUSALS.get(result.reason, lambda: _("This move is not allowed."))()
    if result.status == rules.CONFLICT:
        return _conflict_message(result.lead_id)
    return MESSAGES.get(result.status, lambda: None)()


def _conflict_message(lead_id: int) -> str:
    """Say who moved the card where and when (404 when the lead left the user's scope)."""
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
    return message + " " + _("The card shows where it is now.")


def _answer(form, result, dialog=None):
    """Answer a move: htmx gets the redrawn columns, the message and the dialog (all out of band);
    a plain form post is sent back to the board, or gets the dialog's page."""
    message = _message(result)
    if not is_htmx():
        kind = rules.plain_answer(result.status)
        if kind != "page":
            if message:
                flash(message, kind)
            return redirect(url_for("pipeline.board"), code=303)
        return render(
            "pipeline/move.html",
            status=rules.http_status(result),
            outcome=result.status,
            message=message,
            dialog=dialog,
            move_url=_move_url(_filters()),
        )
    filters = _filters()
    dropped_on = by_code(stages()).get(form.stage.data or "")
    stage_ids = rules.stages_to_redraw(form.from_stage.data, dropped_on and dropped_on.id, result)
    columns, closed = _columns(filters, stage_ids) if stage_ids else ([], [])
    response = render(
        "pipeline/moved.html",
        status=rules.http_status(result),
        outcome=result.status,
        message=message,
        dialog=dialog,
        columns=columns,
        closed=closed,
        conflict_id=result.lead_id if result.status == rules.CONFLICT else None,
        oob=True,
        filters=filters,
        **_card_context(filters),
    )
    return htmx.trigger(response, {"toast": message}) if message else response
