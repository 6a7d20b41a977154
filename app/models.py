"""Import every model so metadata (and Alembic) sees the whole schema."""

from app.accounts.models import DutyRoster, LeaveWindow, RevokedSession, Role, Store, User  # noqa: F401
from app.admin.models import (  # noqa: F401
    ChannelCategory,
    DefeatReason,
    IntentGrade,
    PipelineStage,
    Setting,
    SourceChannel,
    StageKind,
    VehicleModel,
)
from app.audit.models import AuditLog  # noqa: F401
from app.files.models import GeneratedFile, StoredFile  # noqa: F401
from app.followups.models import (  # noqa: F401
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
from app.invitations.models import (  # noqa: F401
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
from app.leads.models import (  # noqa: F401
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
from app.messaging.models import Message, MessageStatus  # noqa: F401
from app.reports.models import (  # noqa: F401
    DailyChannel,
    DailyStat,
    DailyStore,
    DailyTotal,
    PeriodChannel,
    PeriodStat,
    PeriodStore,
    PeriodTotal,
)
from app.showroom.models import ShowroomVisit  # noqa: F401

__all__ = [name for name in dir() if not name.startswith("_")]
