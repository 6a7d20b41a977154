"""Events, invitation campaigns, invitations, check-ins and satisfaction surveys."""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.mixins import TimestampMixin, str_enum
from app.extensions import db


class EventType(enum.StrEnum):
    LAUNCH = "launch"
    TEST_DRIVE = "test_drive"
    LECTURE = "lecture"
    PROMOTION = "promotion"
    OTHER = "other"


class InvitationStatus(enum.StrEnum):
    TODO = "todo"
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    CANCELLED = "cancelled"


class Event(TimestampMixin, db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    theme: Mapped[str] = mapped_column(String(200))
    type: Mapped[EventType] = mapped_column(str_enum(EventType, 16))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    directions: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    public_description: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[int | None]
    rsvp_cutoff_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None]
    # Bumped when the event is postponed: calendar files carry it as SEQUENCE so clients update.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")


class Campaign(TimestampMixin, db.Model):
    """An invitation plan (邀约计划): targets, script, goals, split among inviters."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    channels: Mapped[list] = mapped_column(JSON, default=list)  # ["phone", "sms", "email", "visit"]
    script: Mapped[str | None] = mapped_column(Text)
    benefits: Mapped[str | None] = mapped_column(Text)
    goal_invited: Mapped[int] = mapped_column(default=0)
    goal_accepted: Mapped[int] = mapped_column(default=0)
    goal_arrived: Mapped[int] = mapped_column(default=0)
    target_filters: Mapped[dict | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")  # draft|active|closed


class CampaignMember(db.Model):
    """An inviter (consultant or DCC agent) in a campaign, with an individual goal."""

    __tablename__ = "campaign_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    goal_accepted: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)


class Invitation(TimestampMixin, db.Model):
    """One lead invited to one event: invited → accepted → confirmed → arrived."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1, nullable=False)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    inviter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    method: Mapped[str | None] = mapped_column(String(16))  # phone | sms | email | visit
    status: Mapped[InvitationStatus] = mapped_column(
        str_enum(InvitationStatus, 16), default=InvitationStatus.TODO
    )
    headcount: Mapped[int] = mapped_column(default=1)
    decline_reason: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(String(500))
    # Public RSVP / door token: 26 chars of base32 (130 bits) from `secrets`.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    token_expires_at: Mapped[datetime]
    invited_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]  # reconfirmed the day before
    reminder_queued_at: Mapped[datetime | None]
    retry_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actual_headcount: Mapped[int | None]
    is_walk_in: Mapped[bool] = mapped_column(default=False)
    followed_up_at: Mapped[datetime | None]  # post-event tasks created

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("event_id", "lead_id"),
        Index("ix_invitations_event_status", "event_id", "status"),
    )


class CheckIn(db.Model):
    """A guest's arrival at an event; one per invitation, a repeated client id is a no-op."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"))
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    checked_in_at: Mapped[datetime]
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    headcount: Mapped[int] = mapped_column(default=1)
    device: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("event_id", "invitation_id"),)


class EventDoorCounts(db.Model):
    """The door's live counters of one event, kept by the database itself: triggers on
    `invitations` (migration 0026) add each row's share on insert, move it on update and take
    it away on delete, in the statement that changes the invitation. A check-in reads one row
    instead of counting the event's invitations. The conditions are those of
    app/invitations/queries.py (ACCEPTED, ARRIVED, CAME_UNANSWERED, WALK_IN); a test holds the row
    equal to the count."""

    __tablename__ = "event_door_counts"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    expected: Mapped[int] = mapped_column(default=0, server_default="0")
    expected_people: Mapped[int] = mapped_column(default=0, server_default="0")
    accepted_arrived: Mapped[int] = mapped_column(default=0, server_default="0")
    came_unanswered: Mapped[int] = mapped_column(default=0, server_default="0")
    walk_ins: Mapped[int] = mapped_column(default=0, server_default="0")
    arrived_people: Mapped[int] = mapped_column(default=0, server_default="0")


class SurveyResponse(TimestampMixin, db.Model):
    """A satisfaction survey link (1-5 + comment) sent after a visit or an event."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    consultant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("showroom_visits.id"))
    score: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class MonthlyTarget(db.Model):
    """A monthly target per store or consultant for one metric."""

    __tablename__ = "monthly_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date]  # first day of the month
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    metric: Mapped[str] = mapped_column(String(32))  # new_leads|visits|invitations|test_drives|orders
    value: Mapped[int]

    __table_args__ = (UniqueConstraint("month", "store_id", "user_id", "metric"),)
