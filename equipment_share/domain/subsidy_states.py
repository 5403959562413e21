"""Subsidy claims: their states and kinds of line, and why a line may earn no subsidy.

Kept apart from the subsidy rules (domain/subsidy.py) so that the models import only these
names.
"""

import enum


class ClaimStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"


# Claims whose subsidy counts against the annual caps and whose usage records are claimed.
LIVE_STATUSES = frozenset({ClaimStatus.SUBMITTED, ClaimStatus.APPROVED, ClaimStatus.PAID})


class ClaimLineKind(enum.StrEnum):
    USAGE = "usage"
    ADJUSTMENT = "adjustment"


class IneligibleReason(enum.StrEnum):
    NOT_TECH_SME = "not_tech_sme"
    RELATED_PARTY = "related_party"
    CATEGORY = "category"
    PURPOSE = "purpose"
    OUTSIDE_POLICY = "outside_policy"
    NO_INVOICE = "no_invoice"
    CAP_REACHED = "cap_reached"
    NOT_CONFIRMED = "not_confirmed"
