"""All models, imported here so that Alembic and create_all see every table."""

from equipment_share.models.audit import AuditChainHead, AuditEntry
from equipment_share.models.base import Base, Money, Rate, UTCDateTime, as_loaded, utcnow
from equipment_share.models.bookings import Booking, MaintenanceBlock, ProductionRun
from equipment_share.models.catalogue import CatalogueRevision
from equipment_share.models.equipment import (
    Equipment,
    IdleSpan,
    IdleSpanCoverage,
    IdleWindow,
    IdleWindowKind,
)
from equipment_share.models.instrument_changes import InstrumentChange
from equipment_share.models.notifications import (
    Notification,
    OutboxMessage,
    WebhookChannel,
    WebhookMessage,
)
from equipment_share.models.organizations import (
    Organization,
    OrganizationKind,
    OrganizationStatus,
    organization_relations,
)
from equipment_share.models.rate_cards import RateCardVersion
from equipment_share.models.subsidy import (
    Adjustment,
    Budget,
    CapLock,
    Claim,
    ClaimedUsage,
    ClaimLine,
    ClaimLineSource,
    ClaimSource,
    FundingSource,
    Invoice,
    PeriodLock,
    SubsidyPolicy,
)
from equipment_share.models.usage import UsageKind, UsageRecord, UsageStatus
from equipment_share.models.users import ApiToken, Role, User

__all__ = [
    "Adjustment",
    "Budget",
    "CapLock",
    "CatalogueRevision",
    "Claim",
    "ClaimLine",
    "ClaimLineSource",
    "ClaimSource",
    "ClaimedUsage",
    "FundingSource",
    "Invoice",
    "PeriodLock",
    "Rate",
    "SubsidyPolicy",
    "ApiToken",
    "AuditChainHead",
    "AuditEntry",
    "Booking",
    "MaintenanceBlock",
    "Notification",
    "WebhookChannel",
    "WebhookMessage",
    "OutboxMessage",
    "ProductionRun",
    "Base",
    "Equipment",
    "IdleSpan",
    "IdleSpanCoverage",
    "IdleWindow",
    "IdleWindowKind",
    "InstrumentChange",
    "Money",
    "Organization",
    "OrganizationKind",
    "OrganizationStatus",
    "RateCardVersion",
    "Role",
    "UsageKind",
    "UsageRecord",
    "UsageStatus",
    "User",
    "UTCDateTime",
    "as_loaded",
    "organization_relations",
    "utcnow",
]
