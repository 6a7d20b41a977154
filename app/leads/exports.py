"""Exporting the lead list to .xlsx: scoped, filtered, audited, capped, formula-safe, streamed.

Up to the row cap the file is written in the request. Above it a director approves, and the file
is then written by a task (`generate_export`, the shared lifecycle of app/files/generated.py) into
the export's own stored file, as the requester (their scope and phone masking) with the rows the
filter selects at that moment; the page shows its progress, the requester is notified, and the
file is downloaded once (`take_export`), after which its content is deleted.
"""

import tempfile
from datetime import date, datetime

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import func, select, update

from app.accounts.models import Role, Store, User
from app.admin.defaults import get_setting
from app.admin.reference import by_id, channels, grades, stages, vehicle_models
from app.audit.services import record
from app.core.names import vehicle_name
from app.core.phones import format_phone, mask_phone
from app.core.spreadsheet import neutralise_row
from app.core.timeutil import to_local, today_for, utcnow, zone_for
from app.extensions import db
from app.files import generated as jobs
from app.files.models import GeneratedFile, StoredFile
from app.files.services import delete_files, save_file
from app.leads.filters import LeadFilter
from app.leads.models import ExportRequest, Lead
from app.messaging.notify import notify
from app.web.labels import GENDER_LABELS
from app.web.permissions import can, may_reveal_phone, scoped_leads

CHUNK = 2000
KIND = "lead_export"  # GeneratedFile.kind
OWNER, ROLE = "export_request", "export"  # the export's stored file
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def decide_export(req: ExportRequest, *, approve: bool, actor, now: datetime | None = None):
    """Approve or reject a pending export and tell the requester. An approved export starts being
    written at once: return its job, for the caller to queue after the commit (else None)."""
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
            body=_l("The file is being written; you will be told when it is ready.") if approve else "",
        )
    record("lead.export_decide", actor, "export", req.id, {"approve": approve})
    return start_generation(req) if approve and requester is not None else None


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


def count_rows(user, flt: LeadFilter, today: date) -> int:
    """Count the rows an export holds (all of them: the written file's progress)."""
    sub = flt.apply(scoped_leads(user), today, order=False).with_only_columns(Lead.id).subquery()
    return db.session.execute(select(func.count()).select_from(sub)).scalar_one()


def write_xlsx(user, flt: LeadFilter, today: date, fileobj, progress=None) -> int:
    """Write the filtered, scoped leads to an .xlsx in write-only mode, chunk by chunk; return the
    row count. `progress(rows written)` is called after every chunk."""
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
        if progress is not None and count % CHUNK == 0:
            progress(count)
    wb.save(fileobj)
    return count


def export_file(user, flt: LeadFilter, today: date):
    """Write an export up to the cap to a temporary file, audit it and return (file, row count)."""
    tmp = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - send_file closes it
    rows = write_xlsx(user, flt, today, tmp)
    tmp.seek(0)
    request_row = ExportRequest(
        user_id=user.id, kind="leads", filters=flt.to_args(), row_count=rows, status="done"
    )
    db.session.add(request_row)
    db.session.flush()
    record("lead.export", user, "export", request_row.id, {"filters": flt.to_args(), "rows": rows})
    return tmp, rows


def filename_for(today: date) -> str:
    return f"leads-{today.isoformat()}.xlsx"


# ---- above the cap: written by a task, downloaded once ---------------------------------------


def generation_of(req: ExportRequest) -> GeneratedFile | None:
    """The background job writing an approved export (None before it was started)."""
    return generations_of([req.id]).get(req.id)


def generations_of(request_ids) -> dict[int, GeneratedFile]:
    """Export request id → its job, in one query (the exports page)."""
    if not request_ids:
        return {}
    rows = db.session.execute(
        select(StoredFile.owner_id, GeneratedFile)
        .join(GeneratedFile, GeneratedFile.file_id == StoredFile.id)
        .where(StoredFile.owner_type == OWNER, StoredFile.role == ROLE, StoredFile.owner_id.in_(request_ids))
    ).all()
    return {owner_id: generated for owner_id, generated in rows}


def start_generation(req: ExportRequest, today: date | None = None) -> GeneratedFile | None:
    """Queue the writing of an approved export (again after a failure); None when it is already
    queued, running or written. The caller commits, then calls `enqueue_generation`."""
    generated = generation_of(req)
    if generated is not None:
        if generated.status != "failed":
            return None
        db.session.delete(generated)  # a new job (and clock) for the same file
        db.session.flush()
    stored = db.session.execute(
        select(StoredFile).where(StoredFile.owner_type == OWNER, StoredFile.owner_id == req.id)
    ).scalar_one_or_none()
    if stored is None:  # written by the task; empty until then
        stored = save_file(OWNER, req.id, ROLE, "leads.xlsx", b"", XLSX)
    requester = db.session.get(User, req.user_id)
    month = (today or today_for(requester)).replace(day=1)
    return jobs.create(requester, KIND, month, file_id=stored.id)


def enqueue_generation(generated: GeneratedFile) -> None:
    """Queue the task, in the requester's language (after the commit that made the job)."""
    jobs.enqueue(generated, locale=getattr(db.session.get(User, generated.user_id), "locale", None))


def generate_export(generated_id: int) -> str:
    """The task: write an approved export as its requester; return the outcome."""
    return jobs.run(generated_id, _write, _ready)


def _request_of(generated: GeneratedFile) -> ExportRequest | None:
    owner_id = db.session.execute(
        select(StoredFile.owner_id).where(StoredFile.id == generated.file_id, StoredFile.owner_type == OWNER)
    ).scalar_one_or_none()
    return db.session.get(ExportRequest, owner_id) if owner_id is not None else None


def _write(generated: GeneratedFile, progress) -> jobs.Output:
    req = _request_of(generated)
    user = db.session.get(User, generated.user_id)
    if req is None or req.user_id != generated.user_id or req.status != "approved":
        raise PermissionError("the export is not approved")
    if user is None or not user.active or not can(user, "export"):
        raise PermissionError("not allowed to export")
    flt = LeadFilter.from_args(req.filters or {})
    today = today_for(user)
    total = max(count_rows(user, flt, today), 1)
    tmp = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed below
    with tmp:
        rows = write_xlsx(user, flt, today, tmp, progress=lambda n: progress(5 + 85 * n // total, "writing"))
        tmp.seek(0)
        content = tmp.read()
    req.row_count = rows  # the rows the filter selected now, which the file holds
    return jobs.Output(filename_for(today), content, XLSX)


def _ready(generated: GeneratedFile) -> None:
    notify(
        db.session.get(User, generated.user_id),
        "export_ready",
        "leads.list_exports",
        None,
        _l("Your export is ready"),
        body=_l("Download it from the exports page; it can be downloaded once."),
    )


def take_export(req: ExportRequest, user) -> tuple[bytes, str] | None:
    """Use an approved, written export up: mark it downloaded (once, whoever asks twice at the
    same moment), audit it, delete its stored content; return (content, file name) or None."""
    generated = generation_of(req)
    if generated is None or generated.status != "done":
        return None
    used = db.session.execute(
        update(ExportRequest)
        .where(ExportRequest.id == req.id, ExportRequest.status == "approved")
        .values(status="done")
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        return None
    stored = db.session.get(StoredFile, generated.file_id)
    content, name = stored.content, stored.filename
    db.session.delete(generated)
    db.session.flush()
    delete_files(OWNER, req.id)  # personal data is kept no longer than needed
    db.session.refresh(req)
    filters = LeadFilter.from_args(req.filters or {}).to_args()
    record("lead.export", user, "export", req.id, {"filters": filters, "rows": req.row_count})
    return content, name
