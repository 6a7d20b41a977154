"""Follow-ups, plans, manager comments, defeat requests, assignment proposals, notifications."""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.mixins import TimestampMixin, str_enum
from app.extensions import db


class FollowUpMethod(enum.StrEnum):
    PHONE = "phone"
    SMS = "sms"
    WECHAT = "wechat"
    EMAIL = "email"
    VISIT = "visit"
    SHOWROOM = "showroom"


class FollowUpResult(enum.StrEnum):
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    BUSY = "busy"
    REFUSED = "refused"
    WRONG_NUMBER = "wrong_number"
    POWERED_OFF = "powered_off"


class PlanKind(enum.StrEnum):
    FOLLOW_UP = "follow_up"
    FIRST_CONTACT = "first_contact"
    BIRTHDAY = "birthday"
    PURCHASE_DATE = "purchase_date"
    RECONFIRM = "reconfirm"
    REINVITE = "reinvite"
    POST_EVENT = "post_event"
    DCC_CALL = "dcc_call"


class PlanStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class FollowUp(TimestampMixin, db.Model):
    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    method: Mapped[FollowUpMethod] = mapped_column(str_enum(FollowUpMethod, 16))
    result: Mapped[FollowUpResult] = mapped_column(str_enum(FollowUpResult, 16))
    content: Mapped[str] = mapped_column(Text, default="")
    feedback: Mapped[str | None] = mapped_column(Text)
    recording_url: Mapped[str | None] = mapped_column(String(500))
    occurred_at: Mapped[datetime]
    is_effective: Mapped[bool] = mapped_column(default=False)
    grade_before_id: Mapped[int | None] = mapped_column(ForeignKey("intent_grades.id"))
    grade_after_id: Mapped[int | None] = mapped_column(ForeignKey("intent_grades.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))  # the plan it completed
    reviewed_at: Mapped[datetime | None]  # set when a manager comments or marks it seen

    user: Mapped[User] = relationship(lazy="raise_on_sql")

    __table_args__ = (
        Index("ix_followups_lead_occurred", "lead_id", "occurred_at"),
        # Covering indexes: the reports and the discipline board count follow-ups per store or
        # consultant and month from the index alone (no visit to the table's scattered rows).
        Index("ix_followups_user_occurred", "user_id", "occurred_at", "is_effective", "result", "lead_id"),
        Index(
            "ix_followups_store_occurred",
            "store_id",
            "occurred_at",
            "user_id",
            "lead_id",
            "is_effective",
            "method",
            "result",
        ),
        # The review queue: a store's unreviewed follow-ups, newest first, straight from the index
        # (without occurred_at, SQLite sorted every unreviewed follow-up of the store: 177 ms).
        Index("ix_followups_store_reviewed", "store_id", "reviewed_at", "occurred_at", "id"),
        # The director's queue: every store's unreviewed follow-ups, newest first.
        Index("ix_followups_reviewed_occurred", "reviewed_at", "occurred_at", "id"),
    )


class ManagerComment(TimestampMixin, db.Model):
    """A manager's or director's comment (批示) on a follow-up."""

    __tablename__ = "manager_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime | None]


class Plan(TimestampMixin, db.Model):
    """A planned activity (跟进计划) with a due date and an assignee."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    kind: Mapped[PlanKind] = mapped_column(str_enum(PlanKind, 16))
    due_date: Mapped[date]
    content: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus, 16), default=PlanStatus.OPEN)
    # Why the plan is later than the cadence allows (required then).
    late_reason: Mapped[str | None] = mapped_column(String(500))
    done_at: Mapped[datetime | None]
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    overdue_marked_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_plans_assignee_status_due", "assignee_id", "status", "due_date"),
        Index("ix_plans_lead_status", "lead_id", "status"),
        Index("ix_plans_store_status_due", "store_id", "status", "due_date"),
        # DCC figures: appointments an agent booked (hand-off plans they created) per period.
        Index("ix_plans_creator_kind_created", "created_by_id", "kind", "created_at"),
        # The discipline figures' first-contact breaches per consultant and range of days (0038).
        Index(
            "ix_plans_first_contact_due",
            "assignee_id",
            "due_date",
            postgresql_where=text("kind = 'first_contact'"),
            sqlite_where=text("kind = 'first_contact'"),
        ),
    )


class DefeatStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class DefeatRequest(TimestampMixin, db.Model):
    """A consultant's request to mark a lead lost (战败), decided by a manager."""

    __tablename__ = "defeat_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason_id: Mapped[int] = mapped_column(ForeignKey("defeat_reasons.id"))
    detail: Mapped[str] = mapped_column(Text, default="")
    stage_before_id: Mapped[int | None] = mapped_column(ForeignKey("pipeline_stages.id"))
    status: Mapped[DefeatStatus] = mapped_column(str_enum(DefeatStatus, 16), default=DefeatStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_defeat_requests_store_status", "store_id", "status"),)


class AssignmentProposal(TimestampMixin, db.Model):
    """The lead assignment table (用户线索分配表) proposed by operations, approved by a manager."""

    __tablename__ = "assignment_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # draft|pending|approved|rejected
    note: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)


class ProposalItem(db.Model):
    __tablename__ = "proposal_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("assignment_proposals.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    suggested_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    final_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(255), default="")


class Notification(TimestampMixin, db.Model):
    """An in-app notification for one user: where to go is an endpoint and its arguments
    (a link is built with url_for when the notification is shown), never a stored path."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))  # rows written before endpoint/args existed
    endpoint: Mapped[str | None] = mapped_column(String(64))
    args: Mapped[dict | None] = mapped_column(JSON)
    read_at: Mapped[datetime | None]

    __table_args__ = (
        # The bell's unread count: one index range, no table row read.
        Index("ix_notifications_user_read", "user_id", "read_at"),
        # The list page: a user's notifications newest first, paged by id.
        Index("ix_notifications_user_id", "user_id", "id"),
    )


class JobRun(db.Model):
    """Marks a periodic job as done for a period key, so `flask jobs run` is idempotent."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(32))
    ran_at: Mapped[datetime]

    __table_args__ = (db.UniqueConstraint("job", "period"),)
