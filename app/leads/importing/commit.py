"""Analyse an import (preview) and commit it: every valid row in one transaction, bulk inserted."""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import and_, false, insert, or_, select

from app.admin.reference import channels, grades, stage_by_code
from app.audit.services import record
from app.core.phones import last4, mask_phone
from app.core.spreadsheet import neutralise_cell
from app.core.timeutil import utcnow
from app.extensions import db
from app.leads.importing.mapping import FIELDS
from app.leads.importing.parse import read_table
from app.leads.importing.validate import ERROR_TEXT, References, RowResult, error_summary, validate_row
from app.leads.intake import model_choices
from app.leads.models import ImportJob, Lead, LeadTouch
from app.web.permissions import lead_scope_clause

CHUNK = 2000
PREVIEW_LIMIT = 200
UPDATABLE = (
    "email",
    "region",
    "model_id",
    "grade_id",
    "expected_purchase_date",
    "birthday",
    "age",
    "budget_min",
    "budget_max",
)


def load_references() -> References:
    """Collect channel, grade and model names the file may use."""
    chan: dict[str, int] = {}
    for c in channels():
        if c.active:
            for name in (c.code, c.name_zh, c.name_en):
                chan[name.strip().lower().replace(" ", "")] = c.id
    grade_ids = {g.code.upper(): g.id for g in grades() if g.active}
    return References(channels=chan, grades=grade_ids, models=model_choices())


def existing_phones(phones: list[str], user) -> dict[str, tuple[int, bool, str]]:
    """Return phone -> (lead id, inside the user's scope, name) for phones already on file."""
    if not phones:
        return {}
    rows = db.session.execute(
        select(
            Lead.phone, Lead.secondary_phone, Lead.id, lead_scope_clause(user).label("visible"), Lead.name
        ).where(
            or_(Lead.phone.in_(phones), and_(Lead.secondary_phone.in_(phones), Lead.merged_into_id.is_(None)))
        )
    ).all()
    wanted = set(phones)
    found = {r.phone: (r.id, bool(r.visible), r.name) for r in rows if r.phone in wanted}
    for r in rows:  # a main number wins over someone's secondary one
        if r.secondary_phone in wanted:
            found.setdefault(r.secondary_phone, (r.id, bool(r.visible), r.name))
    return found


@dataclass
class Analysed:
    row: RowResult
    kind: str  # new | duplicate | rejected
    lead_id: int | None = None
    lead_name: str | None = None


@dataclass
class Analysis:
    total: int = 0
    new: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list = field(default_factory=list)  # first PREVIEW_LIMIT rejected rows
    duplicate_rows: list = field(default_factory=list)  # first PREVIEW_LIMIT duplicates


def analysed_rows(job: ImportJob, user, *, today: date, chunk: int | None = None) -> Iterator[list[Analysed]]:
    """Yield chunks of analysed rows: validated, checked for duplicates in the file and on file."""
    chunk = chunk or CHUNK
    refs = load_references()
    mapping = {int(k): v for k, v in (job.mapping or {}).items()}
    _header, rows = read_table(Path(job.stored_path), job_kind(job))
    seen: set[str] = set()
    batch: list[RowResult] = []

    def flush(results: list[RowResult]) -> list[Analysed]:
        known = existing_phones([r.values["phone"] for r in results if r.ok], user)
        out = []
        for result in results:
            if not result.ok:
                out.append(Analysed(result, "rejected"))
                continue
            phone = result.values["phone"]
            if phone in seen:
                result.errors.append(("phone", "duplicate_in_file"))
                out.append(Analysed(result, "rejected"))
                continue
            seen.add(phone)
            hit = known.get(phone)
            if hit is None:
                out.append(Analysed(result, "new"))
            elif hit[1]:
                out.append(Analysed(result, "duplicate", hit[0], hit[2]))
            else:
                result.errors.append(("phone", "duplicate_other_scope"))
                out.append(Analysed(result, "rejected", hit[0]))
        return out

    for number, cells in rows:
        batch.append(validate_row(number, cells, mapping, refs, today))
        if len(batch) >= chunk:
            yield flush(batch)
            batch = []
    if batch:
        yield flush(batch)


def job_kind(job: ImportJob) -> str:
    return "xlsx" if job.stored_path.endswith(".xlsx") else "csv"


def analyse(job: ImportJob, user, *, today: date, progress: Callable[[int], None] | None = None) -> Analysis:
    """Validate the whole file without writing leads; keep the first rows of each problem for the preview."""
    analysis = Analysis()
    for chunk in analysed_rows(job, user, today=today):
        for item in chunk:
            analysis.total += 1
            if item.kind == "new":
                analysis.new += 1
            elif item.kind == "duplicate":
                analysis.duplicates += 1
                if len(analysis.duplicate_rows) < PREVIEW_LIMIT:
                    analysis.duplicate_rows.append(
                        {
                            "row": item.row.number,
                            "lead_id": item.lead_id,
                            "name": item.row.values.get("name"),
                            "lead_name": item.lead_name,
                            "phone": mask_phone(item.row.values["phone"]),
                        }
                    )
            else:
                analysis.rejected += 1
                if len(analysis.errors) < PREVIEW_LIMIT:
                    analysis.errors.append({"row": item.row.number, "errors": item.row.errors})
        if progress:
            progress(analysis.total)
    return analysis


def neutralise(value) -> str:
    """Make a cell safe for spreadsheets: text that would run as a formula gets a leading apostrophe."""
    return neutralise_cell("" if value is None else str(value))


class ResultWriter:
    """The rejected-rows file: original cells plus the reason, as UTF-8 CSV with BOM (opens in Excel)."""

    def __init__(self, path: Path, header: list):
        self.path = path
        self.fh = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.fh)
        self.labels = {key: str(label) for key, label, _aliases in FIELDS}
        self.writer.writerow(["row", "reason", *[neutralise(h) for h in header]])

    def reject(self, row: RowResult, reason: str | None = None) -> None:
        self.writer.writerow(
            [
                row.number,
                reason or error_summary(row.errors, self.labels),
                *[neutralise(c) for c in row.cells],
            ]
        )

    def close(self) -> None:
        self.fh.close()


def _decision(job: ImportJob, number: int) -> str:
    decisions = job.decisions or {}
    return decisions.get("rows", {}).get(str(number), decisions.get("default", "skip"))


def commit_import(
    job: ImportJob,
    user,
    *,
    today: date,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Insert new leads, update or skip duplicates, write the result file; caller commits once."""
    now = now or utcnow()
    header, _rows = read_table(Path(job.stored_path), job_kind(job))
    result_path = Path(job.stored_path).with_suffix(".result.csv")
    writer = ResultWriter(result_path, list(header))
    stage_id = stage_by_code("new").id
    ok = updated = rejected = processed = 0
    try:
        for chunk in analysed_rows(job, user, today=today):
            fresh, to_update = [], []
            for item in chunk:
                if item.kind == "rejected":
                    writer.reject(item.row)
                    rejected += 1
                elif item.kind == "duplicate":
                    if _decision(job, item.row.number) == "update":
                        to_update.append(item)
                    else:
                        writer.reject(item.row, str(ERROR_TEXT["duplicate_existing"]))
                        rejected += 1
                else:
                    fresh.append(item.row.values)
            if fresh:
                _insert_leads(fresh, job=job, user=user, stage_id=stage_id, now=now)
                ok += len(fresh)
            if to_update:
                _update_leads(to_update, job=job, user=user, now=now)
                updated += len(to_update)
            processed += len(chunk)
            if progress:
                progress(processed)
        if ok:
            _insert_touches(job=job, user=user, now=now)
            _count_in_reports(job=job, user=user, now=now)
    finally:
        writer.close()
    job.total_rows = processed
    job.processed_rows = processed
    job.ok_rows, job.updated_rows, job.error_rows = ok, updated, rejected
    job.result_path = str(result_path)
    job.status = "done"
    job.finished_at = utcnow()
    record(
        "lead.import",
        user,
        "import_job",
        job.id,
        {"file": job.filename, "created": ok, "updated": updated, "rejected": rejected},
    )


LEAD_COLUMNS = (
    "name",
    "gender",
    "phone",
    "phone_last4",
    "email",
    "birthday",
    "age",
    "region",
    "source_channel_id",
    "source_detail",
    "store_id",
    "owner_id",
    "model_id",
    "budget_min",
    "budget_max",
    "expected_purchase_date",
    "grade_id",
    "stage_id",
    "notes",
    "marketing_consent",
    "is_fleet",
    "is_important",
    "version",
    "created_at",
    "updated_at",
    "created_by_id",
)


def _insert_leads(rows: list[dict], *, job, user, stage_id: int, now: datetime) -> None:
    params = []
    for values in rows:
        params.append(
            {
                "name": values["name"],
                "gender": values["gender"],
                "phone": values["phone"],
                "phone_last4": last4(values["phone"]),
                "email": values.get("email"),
                "birthday": values.get("birthday"),
                "age": values.get("age"),
                "region": values.get("region"),
                "source_channel_id": values["source_channel_id"],
                "source_detail": source_detail(job),
                "store_id": job.store_id,
                "owner_id": None,
                "model_id": values.get("model_id"),
                "budget_min": values.get("budget_min"),
                "budget_max": values.get("budget_max"),
                "expected_purchase_date": values.get("expected_purchase_date"),
                "grade_id": values["grade_id"],
                "stage_id": stage_id,
                "notes": values.get("notes"),
                "marketing_consent": False,
                "is_fleet": False,
                "is_important": False,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "created_by_id": user.id,
            }
        )
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # COPY inside the same transaction: several times faster than INSERT for large files.
        raw = connection.connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY leads ({', '.join(LEAD_COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in params:
                copy.write_row([row[c] for c in LEAD_COLUMNS])
    else:
        connection.execute(insert(Lead.__table__), params)


def source_detail(job) -> str:
    return f"import #{job.id}"


def _insert_touches(*, job, user, now: datetime) -> None:
    """Give every lead the import created its first touch, in one statement."""
    db.session.execute(
        insert(LeadTouch).from_select(
            [
                "lead_id",
                "source_channel_id",
                "source_detail",
                "store_id",
                "user_id",
                "is_repeat_purchase",
                "created_at",
            ],
            select(
                Lead.id,
                Lead.source_channel_id,
                Lead.source_detail,
                Lead.store_id,
                Lead.created_by_id,
                false(),
                Lead.created_at,
            ).where(
                Lead.store_id == job.store_id,
                Lead.created_at == now,
                Lead.created_by_id == user.id,
                Lead.source_detail == source_detail(job),
            ),
        )
    )


def _count_in_reports(*, job, user, now: datetime) -> None:
    """Add the imported leads to the daily report aggregates (their rows went in around the ORM)."""
    from app.reports.aggregates import add_leads

    add_leads(
        db.session.execute(
            select(Lead.id).where(
                Lead.store_id == job.store_id,
                Lead.created_at == now,
                Lead.created_by_id == user.id,
                Lead.source_detail == source_detail(job),
            )
        ).scalars()
    )


def _update_leads(items: list[Analysed], *, job, user, now: datetime) -> None:
    leads = {
        lead.id: lead
        for lead in db.session.execute(select(Lead).where(Lead.id.in_([i.lead_id for i in items]))).scalars()
    }
    touches = []
    for item in items:
        lead = leads[item.lead_id]
        for key in UPDATABLE:
            value = item.row.values.get(key)
            if value is not None:
                setattr(lead, key, value)
        if item.row.values.get("notes"):
            lead.notes = "\n".join(filter(None, [lead.notes, item.row.values["notes"]]))[:5000]
        lead.updated_at = now
        touches.append(
            {
                "lead_id": lead.id,
                "source_channel_id": item.row.values["source_channel_id"],
                "source_detail": source_detail(job),
                "store_id": job.store_id,
                "user_id": user.id,
                "is_repeat_purchase": False,
                "created_at": now,
            }
        )
    db.session.flush()
    db.session.execute(insert(LeadTouch), touches)
