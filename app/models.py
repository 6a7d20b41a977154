"""Import every model so metadata (and Alembic) sees the whole schema."""

from app.accounts.models import DutyRoster, LeaveWindow, Role, Store, User
from app.admin.models import (
    ChannelCategory,
    DefeatReason,
    IntentGrade,
    PipelineStage,
    Setting,
    SourceChannel,
    StageKind,
    VehicleModel,
)
from app.audit.models import AuditLog
from app.followups.models import (
    AssignmentProposal,
    DefeatRequest,
    DefeatStatus,
    FollowUp,
    FollowUpMethod,
    FollowUpResult,
    JobRun,
    ManagerComment,
    Notification,
    Plan,
    PlanKind,
    PlanStatus,
    ProposalItem,
)
from app.invitations.models import (
    Campaign,
    CampaignMember,
    CheckIn,
    Event,
    EventType,
    Invitation,
    InvitationStatus,
    MonthlyTarget,
    SurveyResponse,
)
from app.leads.models import (
    ApiKey,
    ConsentRecord,
    DecisionRole,
    ExportRequest,
    Gender,
    IdempotencyRecord,
    ImportJob,
    Lead,
    LeadOrder,
    LeadTouch,
    OwnerChange,
    StageChange,
    TransferRequest,
)
from app.messaging.models import Message, MessageStatus
from app.showroom.models import ShowroomVisit

__all__ = [name for name in dir() if not name.startswith("_")]
