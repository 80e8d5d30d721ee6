"""All core tables; importing this module registers them on ``Base.metadata``."""
from core.models.audit import AuditEvent
from core.models.booking import BOOKING_STATUSES, TIERS, Booking, IdempotentRequest
from core.models.community import Community, Space
from core.models.listing import Listing, Slot
from core.models.operator import DONATION_KINDS, OPERATOR_STATUSES, Agreement, Operator
from core.models.user import ATTRIBUTES, ROLES, ApiToken, ResidentProfile, RoleGrant, User, VerifiedAttribute

__all__ = [
    "ATTRIBUTES", "BOOKING_STATUSES", "DONATION_KINDS", "OPERATOR_STATUSES", "ROLES", "TIERS",
    "Agreement", "ApiToken", "AuditEvent", "Booking", "Community", "IdempotentRequest", "Listing", "Operator",
    "ResidentProfile", "RoleGrant", "Slot", "Space", "User", "VerifiedAttribute",
]
