"""All core tables; importing this module registers them on ``Base.metadata``."""
from core.models.accountability import (
    COMPLAINT_CATEGORIES, COMPLAINT_STATUSES, SCORE_PARTS, Complaint, Inspection, OperatorScore, OperatorStars,
)
from core.models.audit import AuditEvent
from core.models.booking import BOOKING_STATUSES, Booking, IdempotentRequest, Rating
from core.models.community import Community, Space
from core.models.fund import (
    DONOR_KINDS, PROPOSAL_STATUSES, FundGift, FundTransfer, InKindDonation, Proposal, ProposalVote, ReconciliationNote,
)
from core.models.jobs import JOB_RUN_STATUSES, OUTBOX_STATUSES, JobRun, OutboxTask
from core.models.ledger import ClosedPeriod, JournalEntry, JournalLine, LedgerHead
from core.models.listing import Closure, Listing, Schedule, Slot
from core.models.needs import (
    NEED_STATUSES, ORDER_STATUSES, SPONSOR_KINDS, Need, NeedSupport, OrderRating, ServiceOrder,
)
from core.models.notification import Notification, NotificationPreferences
from core.models.outcome import OutcomePhoto, ProjectOutcome
from core.models.operator import DONATION_KINDS, OPERATOR_STATUSES, TAKING_BOOKINGS, Agreement, Operator
from core.models.payment import OperatorCost, Payment, PaymentEvent, ProviderStatement, Refund, ProviderStatementLine
from core.models.waitlist import WAITLIST_LIVE, WAITLIST_STATUSES, WaitlistEntry
from core.models.volunteering import (
    HOURS_KINDS, TASK_KINDS, TASK_STATUSES, VOLUNTEER_STATUSES, Volunteer, VolunteerHours, VolunteerTask,
)
from core.models.user import RESIDENT_STATUSES, ROLES, ApiToken, Helper, ResidentProfile, RoleGrant, User, VerifiedAttribute

__all__ = [
    "COMPLAINT_CATEGORIES", "COMPLAINT_STATUSES", "SCORE_PARTS", "TAKING_BOOKINGS",
    "Complaint", "Inspection", "OperatorScore", "OperatorStars",
    "BOOKING_STATUSES", "DONATION_KINDS", "DONOR_KINDS", "OPERATOR_STATUSES", "PROPOSAL_STATUSES",
    "RESIDENT_STATUSES", "ROLES", "JOB_RUN_STATUSES", "OUTBOX_STATUSES",
    "FundGift", "FundTransfer", "Helper", "InKindDonation", "Proposal", "ProposalVote", "ReconciliationNote",
    "Agreement", "ApiToken", "AuditEvent", "Booking", "ClosedPeriod", "Closure", "Community", "IdempotentRequest", "JobRun", "JournalEntry",
    "JournalLine", "LedgerHead", "Listing", "Notification", "NotificationPreferences", "Operator", "OperatorCost", "OutboxTask", "Payment", "PaymentEvent", "ProviderStatement", "Rating", "Refund", "ResidentProfile",
    "NEED_STATUSES", "ORDER_STATUSES", "SPONSOR_KINDS", "Need", "NeedSupport", "OrderRating", "ServiceOrder",
    "HOURS_KINDS", "TASK_KINDS", "TASK_STATUSES", "VOLUNTEER_STATUSES", "Volunteer", "VolunteerHours", "VolunteerTask",
    "OutcomePhoto", "ProjectOutcome", "RoleGrant", "Schedule", "Slot", "Space", "ProviderStatementLine", "User", "VerifiedAttribute",
    "WAITLIST_LIVE", "WAITLIST_STATUSES", "WaitlistEntry",
]
