"""Leads (customers) and everything recorded directly on them."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Store, User
from app.admin.models import IntentGrade, PipelineStage, SourceChannel, VehicleModel
from app.core.mixins import TimestampMixin, str_enum
from app.core.timeutil import utcnow
from app.extensions import db


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class DecisionRole(enum.StrEnum):
    SELF = "self"
    SPOUSE = "spouse"
    PARENT = "parent"
    CHILD = "child"
    COMPANY = "company"
    OTHER = "other"


class Lead(db.Model):
    """A customer and their buying opportunity; the normalised phone is the duplicate key."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1, nullable=False)

    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[Gender] = mapped_column(str_enum(Gender, 10))
    # E.164 (+8613800138000); NULL after anonymisation or merge. Unique across the group.
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    phone_last4: Mapped[str | None] = mapped_column(String(4))
    # A second number of the same customer (kept from a merged duplicate); found by search and the
    # duplicate check like the main one.
    secondary_phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(255))
    birthday: Mapped[date | None]
    age: Mapped[int | None]
    region: Mapped[str | None] = mapped_column(String(100))

    source_channel_id: Mapped[int] = mapped_column(ForeignKey("source_channels.id"))
    source_detail: Mapped[str | None] = mapped_column(String(255))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # NULL: in the pool
    dcc_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    model_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle_models.id"))
    budget_min: Mapped[int | None]  # yuan
    budget_max: Mapped[int | None]
    preferences: Mapped[str | None] = mapped_column(Text)
    decision_role: Mapped[DecisionRole | None] = mapped_column(str_enum(DecisionRole, 16))
    expected_purchase_date: Mapped[date | None]
    grade_id: Mapped[int] = mapped_column(ForeignKey("intent_grades.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("pipeline_stages.id"))
    notes: Mapped[str | None] = mapped_column(Text)

    marketing_consent: Mapped[bool] = mapped_column(default=False)
    consent_source: Mapped[str | None] = mapped_column(String(64))
    consent_at: Mapped[datetime | None]
    sms_opt_out_at: Mapped[datetime | None]
    email_opt_out_at: Mapped[datetime | None]

    is_fleet: Mapped[bool] = mapped_column(default=False)
    is_important: Mapped[bool] = mapped_column(default=False)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None]
    # First contact deadline after (re)assignment; cleared by the first follow-up.
    first_contact_due_at: Mapped[datetime | None]
    first_contacted_at: Mapped[datetime | None]
    last_followup_at: Mapped[datetime | None]
    last_effective_followup_at: Mapped[datetime | None]
    # Denormalised due date of the earliest open plan: board ordering and overdue filters
    # stay index-only at a million leads. Kept in step by the plan services.
    next_plan_due: Mapped[date | None]
    stage_changed_at: Mapped[datetime | None]
    stage_changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    won_at: Mapped[datetime | None]
    lost_at: Mapped[datetime | None]
    invited_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    anonymised_at: Mapped[datetime | None]

    store: Mapped[Store] = relationship(lazy="raise_on_sql")
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="raise_on_sql")
    dcc_agent: Mapped[User | None] = relationship(foreign_keys=[dcc_agent_id], lazy="raise_on_sql")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="raise_on_sql")
    stage_changed_by: Mapped[User | None] = relationship(
        foreign_keys=[stage_changed_by_id], lazy="raise_on_sql"
    )
    source_channel: Mapped[SourceChannel] = relationship(lazy="raise_on_sql")
    model: Mapped[VehicleModel | None] = relationship(lazy="raise_on_sql")
    grade: Mapped[IntentGrade] = relationship(lazy="raise_on_sql")
    stage: Mapped[PipelineStage] = relationship(lazy="raise_on_sql")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_leads_owner_stage_due", "owner_id", "stage_id", "next_plan_due"),
        # With the owner, the grade and the merge mark carried, each consultant's open leads
        # overdue or due today (the prospects report) are a range of it read from the index alone
        # (migration 0036).
        Index(
            "ix_leads_store_stage_due",
            "store_id",
            "stage_id",
            "next_plan_due",
            postgresql_include=["owner_id", "grade_id", "merged_into_id"],
        ),
        # Expired opportunities per store (dashboards, board filter) counted from the index alone;
        # with the owner and the merge mark carried, the penalty board's expired opportunities of
        # a month (per owner) are a range of it too (migration 0033).
        Index(
            "ix_leads_store_stage_expected",
            "store_id",
            "stage_id",
            "expected_purchase_date",
            postgresql_include=["owner_id", "merged_into_id"],
        ),
        # merged_into_id too: every lead count leaves merged duplicates out, and with the column in
        # the index a store's new leads are counted without visiting the table (60 ms → 2 ms).
        Index("ix_leads_store_created", "store_id", "created_at", "merged_into_id"),
        Index("ix_leads_owner_created", "owner_id", "created_at"),
        Index("ix_leads_stage_updated", "stage_id", "updated_at"),
        Index("ix_leads_dcc_due", "dcc_agent_id", "next_plan_due"),
        # Covers a DCC agent's dashboard counts (open, expired, new) without reading lead rows.
        Index("ix_leads_dcc_stage", "dcc_agent_id", "stage_id", "expected_purchase_date", "created_at"),
        Index("ix_leads_phone_last4", "phone_last4"),
        Index("ix_leads_secondary_phone", "secondary_phone"),
        Index("ix_leads_name", "name"),
        Index("ix_leads_expected", "expected_purchase_date"),
        # created_at too: the reclaim list's never-followed-up leads, oldest first, in index order.
        Index("ix_leads_last_effective", "last_effective_followup_at", "created_at"),
        # Group-wide counts per store over a period read only this index.
        Index("ix_leads_created_at", "created_at", "store_id", "merged_into_id"),
        Index("ix_leads_store_owner", "store_id", "owner_id"),
        # Orders of a store in a period (order cycle per consultant): won leads only, not the store's all.
        Index("ix_leads_store_won", "store_id", "won_at"),
        # The lead list sorted by next plan across a store or the group (overdue first).
        Index("ix_leads_next_plan_due", "next_plan_due"),
        # Each consultant's open leads (workload on the pool, reclaim and assignment pages) counted
        # from the index alone: without it, every counted lead was a heap read to skip merged ones.
        Index(
            "ix_leads_live_owner_stage",
            "owner_id",
            "stage_id",
            postgresql_where=text("merged_into_id IS NULL"),
            sqlite_where=text("merged_into_id IS NULL"),
        ),
        # A name search's newest page and capped count, group-wide or in a store, from the index
        # alone (the rows were read only to learn the store, the creation time and "merged").
        Index(
            "ix_leads_live_name",
            "name",
            "store_id",
            "created_at",
            "id",
            postgresql_where=text("merged_into_id IS NULL"),
            sqlite_where=text("merged_into_id IS NULL"),
        ),
        # The discipline and prospects reports (and the discipline board) count a store's open
        # leads per owner, stage and grade, with their plan and expected-purchase dates: from this
        # index alone on PostgreSQL (its INCLUDE columns; SQLite keeps the key columns only).
        Index(
            "ix_leads_store_open_work",
            "store_id",
            "stage_id",
            postgresql_include=[
                "owner_id",
                "grade_id",
                "next_plan_due",
                "expected_purchase_date",
                "last_effective_followup_at",
            ],
            postgresql_where=text("merged_into_id IS NULL"),
            sqlite_where=text("merged_into_id IS NULL"),
        ),
        # The store's pool (unassigned leads), important first then newest, read from this index.
        Index(
            "ix_leads_pool",
            "store_id",
            "is_important",
            "created_at",
            postgresql_where=text("owner_id IS NULL AND merged_into_id IS NULL"),
            sqlite_where=text("owner_id IS NULL AND merged_into_id IS NULL"),
        ),
        # The DCC report's appointments, shows and new leads per agent read from this index alone
        # (the leads a DCC agent looks after are a tenth of the leads, scattered over the table).
        Index(
            "ix_leads_dcc_report",
            "dcc_agent_id",
            "store_id",
            "invited_at",
            "created_at",
            "arrived_at",
            postgresql_where=text("dcc_agent_id IS NOT NULL AND merged_into_id IS NULL"),
            sqlite_where=text("dcc_agent_id IS NOT NULL AND merged_into_id IS NULL"),
        ),
    )

    def __repr__(self) -> str:
        return f"<Lead {self.id} {self.name}>"


class LeadOrder(TimestampMixin, db.Model):
    """An order (成交) recorded when a lead is won."""

    __tablename__ = "lead_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    consultant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    brand: Mapped[str] = mapped_column(String(64))
    series: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(100))
    configuration: Mapped[str | None] = mapped_column(String(255))
    vin: Mapped[str | None] = mapped_column(String(17), unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    order_date: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index("ix_lead_orders_store_date", "store_id", "order_date"),)


class OwnerChange(TimestampMixin, db.Model):
    """Every change of a lead's owner, with why."""

    __tablename__ = "owner_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    to_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    # assign | reassign | reclaim | handover | transfer | merge | defeat_reassign | dcc
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(500), default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class StageChange(TimestampMixin, db.Model):
    """Every stage move (who, when, from, to): the funnel reports read this."""

    __tablename__ = "stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("pipeline_stages.id"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("pipeline_stages.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))

    # Covering: funnels and trends count a store's moves per period from the index alone.
    __table_args__ = (
        Index("ix_stage_changes_store_created", "store_id", "created_at", "to_stage_id", "lead_id"),
        # Group-wide counts of one stage (orders per store in a month) without the whole table.
        Index("ix_stage_changes_to_created", "to_stage_id", "created_at", "store_id", "lead_id"),
    )


class LeadTouch(TimestampMixin, db.Model):
    """A contact from a channel: the first one creates the lead, later ones are recorded here."""

    __tablename__ = "lead_touches"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    source_channel_id: Mapped[int] = mapped_column(ForeignKey("source_channels.id"))
    source_detail: Mapped[str | None] = mapped_column(String(255))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    is_repeat_purchase: Mapped[bool] = mapped_column(default=False)
    payload: Mapped[dict | None] = mapped_column(JSON)


class ConsentRecord(TimestampMixin, db.Model):
    """Evidence of marketing consent given or withdrawn (kept after anonymisation)."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # sms | email | phone | all
    granted: Mapped[bool]
    source: Mapped[str] = mapped_column(String(64))  # form | import | api | rsvp | sms_reply | staff
    text_version: Mapped[str] = mapped_column(String(32), default="v1")
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TransferRequest(TimestampMixin, db.Model):
    """A request to take over another consultant's customer."""

    __tablename__ = "transfer_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    from_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|approved|rejected
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(String(500))


class ApiKey(TimestampMixin, db.Model):
    """A per-source key for the intake API; only its hash is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    source_channel_id: Mapped[int] = mapped_column(ForeignKey("source_channels.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class IdempotencyRecord(TimestampMixin, db.Model):
    """The answer given to an API request carrying an Idempotency-Key."""

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    key: Mapped[str] = mapped_column(String(128))
    status_code: Mapped[int]
    body: Mapped[dict] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("api_key_id", "key"),)


class ImportJob(TimestampMixin, db.Model):
    """An uploaded CSV/XLSX file on its way through mapping, preview and commit."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="uploaded")  # app.web.labels.IMPORT_STATUS
    mapping: Mapped[dict | None] = mapped_column(JSON)
    decisions: Mapped[dict | None] = mapped_column(JSON)
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    ok_rows: Mapped[int] = mapped_column(default=0)
    updated_rows: Mapped[int] = mapped_column(default=0)
    error_rows: Mapped[int] = mapped_column(default=0)
    result_path: Mapped[str | None] = mapped_column(String(500))
    finished_at: Mapped[datetime | None]


class ExportRequest(TimestampMixin, db.Model):
    """An export of lead data: audited, and approved by a director above the row cap."""

    __tablename__ = "export_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32), default="leads")
    filters: Mapped[dict] = mapped_column(JSON)
    row_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="done")  # done|pending|approved|rejected
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
