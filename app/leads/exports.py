"""Exporting the lead list to .xlsx: scoped, filtered, audited, capped, formula-safe, streamed."""

import tempfile
from datetime import date, datetime

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import func, select

from app.accounts.models import Role, Store, User
from app.admin.defaults import get_setting
from app.admin.reference import by_id, channels, grades, stages, vehicle_models
from app.audit.services import record
from app.core.names import vehicle_name
from app.core.phones import format_phone, mask_phone
from app.core.spreadsheet import neutralise_row
from app.core.timeutil import to_local, utcnow, zone_for
from app.extensions import db
from app.leads.filters import LeadFilter
from app.leads.models import ExportRequest, Lead
from app.messaging.notify import notify
from app.web.labels import GENDER_LABELS
from app.web.permissions import may_reveal_phone, scoped_leads

CHUNK = 2000


def row_cap() -> int:
    """Return the number of rows above which an export needs a director's approval."""
    value = get_setting("export_row_cap")
    return int(value if value is not None else current_app.config.get("EXPORT_ROW_CAP", 2000))


def count_capped(user, flt: LeadFilter, today: date, cap: int) -> int:
    """Count the rows an export would hold, stopping at cap + 1."""
    sub = (
        flt.apply(scoped_leads(user), today, order=False).with_only_columns(Lead.id).limit(cap + 1).subquery()
    )
    return db.session.execute(select(func.count()).select_from(sub)).scalar_one()


def request_export(user, flt: LeadFilter, rows: int, now: datetime | None = None) -> ExportRequest:
    """Record an export above the cap as pending and ask the directors to decide."""
    req = ExportRequest(
        user_id=user.id,
        kind="leads",
        filters=flt.to_args(),
        row_count=rows,
        status="pending",
        created_at=now or utcnow(),
    )
    db.session.add(req)
    db.session.flush()
    for director in db.session.execute(select(User).where(User.role == Role.DIRECTOR, User.active)).scalars():
        notify(
            director,
            "approval",
            "leads.list_exports",
            None,
            _l("Export approval needed"),
            body=_l("%(who)s wants to export more than %(cap)s leads.", who=user.display_name, cap=row_cap()),
        )
    record("lead.export_request", user, "export", req.id, {"filters": req.filters, "rows": rows})
    return req


def decide_export(req: ExportRequest, *, approve: bool, actor, now: datetime | None = None) -> None:
    """Approve or reject a pending export and tell the requester."""
    req.status = "approved" if approve else "rejected"
    req.decided_by_id = actor.id
    req.decided_at = now or utcnow()
    requester = db.session.get(User, req.user_id)
    if requester is not None:
        notify(
            requester,
            "export_decision",
            "leads.list_exports",
            None,
            _l("Your export was approved") if approve else _l("Your export was rejected"),
        )
    record("lead.export_decide", actor, "export", req.id, {"approve": approve})


def _headers() -> list[str]:
    return [
        _("ID"),
        _("Name"),
        _("Gender"),
        _("Mobile"),
        _("Email"),
        _("Store"),
        _("Consultant"),
        _("Source channel"),
        _("Model of interest"),
        _("Intent grade"),
        _("Stage"),
        _("Expected purchase date"),
        _("Next plan"),
        _("Region"),
        _("Created"),
        _("Notes"),
    ]


def write_xlsx(user, flt: LeadFilter, today: date, fileobj) -> int:
    """Write the filtered, scoped leads to an .xlsx in write-only mode, chunk by chunk; return the row count."""
    locale = str(get_locale() or "zh_CN")
    grade_refs, stage_refs, channel_refs = by_id(grades()), by_id(stages()), by_id(channels())
    models = {m.id: vehicle_name(m.series, m.name) for m in vehicle_models()}
    full_phones = may_reveal_phone(user)
    tz = zone_for(user)
    stmt = (
        flt.apply(scoped_leads(user), today)
        .with_only_columns(
            Lead.id,
            Lead.name,
            Lead.gender,
            Lead.phone,
            Lead.email,
            Store.name,
            User.display_name,
            Lead.source_channel_id,
            Lead.model_id,
            Lead.grade_id,
            Lead.stage_id,
            Lead.expected_purchase_date,
            Lead.next_plan_due,
            Lead.region,
            Lead.created_at,
            Lead.notes,
            Lead.owner_id,
            Lead.dcc_agent_id,
        )
        .join(Store, Store.id == Lead.store_id)
        .outerjoin(User, User.id == Lead.owner_id)
    )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Leads"))
    ws.append(neutralise_row(_headers()))
    count = 0

    def label(refs, key):
        ref = refs.get(key)
        return ref.label(locale) if ref else ""

    result = db.session.execute(stmt.execution_options(yield_per=CHUNK))
    for r in result:
        sees = full_phones or r.owner_id == user.id or r.dcc_agent_id == user.id
        created = to_local(r.created_at, tz)
        row = [
            r.id,
            r.name,
            str(GENDER_LABELS.get(r.gender, "")),
            format_phone(r.phone) if sees else mask_phone(r.phone),
            r.email,
            r[5],
            r[6],
            label(channel_refs, r.source_channel_id),
            models.get(r.model_id, ""),
            label(grade_refs, r.grade_id),
            label(stage_refs, r.stage_id),
            r.expected_purchase_date,
            r.next_plan_due,
            r.region,
            created.replace(tzinfo=None) if created else None,
            r.notes,
        ]
        ws.append(neutralise_row(row))
        count += 1
    wb.save(fileobj)
    return count


def export_file(user, flt: LeadFilter, today: date, request_row: ExportRequest | None = None):
    """Write the export to a temporary file, audit it and return (file, row count)."""
    tmp = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - send_file closes it
    rows = write_xlsx(user, flt, today, tmp)
    tmp.seek(0)
    if request_row is None:
        request_row = ExportRequest(
            user_id=user.id, kind="leads", filters=flt.to_args(), row_count=rows, status="done"
        )
        db.session.add(request_row)
    else:
        request_row.status = "done"
        request_row.row_count = rows
    db.session.flush()
    record("lead.export", user, "export", request_row.id, {"filters": flt.to_args(), "rows": rows})
    return tmp, rows
