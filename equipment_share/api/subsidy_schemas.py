"""Request and response schemas of the subsidy API: policies, invoices and claims.

Money and rates are decimal strings ("360.00", "0.30"), never JSON numbers.
"""

from decimal import Decimal

import marshmallow as ma

from equipment_share.api.fields import (
    ApiSchema,
    Day,
    Instant,
    Money,
    OutputSchema,
    RecordId,
    StrictBoolean,
)
from equipment_share.api.pagination import PaginationArgs, page_schema
from equipment_share.api.schemas import one_of
from equipment_share.domain.bookings import PURPOSE_CATEGORIES
from equipment_share.domain.equipment import CATEGORIES
from equipment_share.domain.errors import N_, Message
from equipment_share.domain.subsidy import (
    ClaimLineKind,
    ClaimStatus,
    IneligibleReason,
    note_message,
    reason_message,
)
from equipment_share.i18n import translate

CLAIM_STATUSES = [status.value for status in ClaimStatus]
REASONS = [reason.value for reason in IneligibleReason]


class Rate(Money):
    """A fraction as a decimal string, such as "0.30"; JSON numbers are refused."""

    def __init__(self, **kwargs):
        metadata = {"format": "decimal", "example": "0.30"} | kwargs.pop("metadata", {})
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        text = f"{Decimal(value):.4f}".rstrip("0")
        return text + "0" * max(0, 2 - len(text.split(".")[1]))


# --- policies --------------------------------------------------------------------------------


class SourceInSchema(ApiSchema):
    name = ma.fields.String(metadata={"description": "Required, e.g. province or city."})
    rate = Rate(metadata={"description": "Required: the share of the eligible fee it pays."})
    annual_cap = Money(metadata={"description": "Required: at most this per enterprise a year."})
    per_claim_cap = Money(allow_none=True, metadata={"description": "At most this per claim."})


class PolicyInSchema(ApiSchema):
    name = ma.fields.String(metadata={"description": "Required."})
    valid_from = Day(metadata={"description": "Required: use from this date counts."})
    valid_to = Day(allow_none=True, metadata={"description": "Use until this date counts."})
    sources = ma.fields.List(
        ma.fields.Nested(SourceInSchema),
        metadata={"description": "One or more funding sources; their rates sum to at most 1."},
    )
    rate = Rate(metadata={"description": "Shorthand for one source (instead of `sources`)."})
    annual_cap = Money(metadata={"description": "Shorthand for one source."})
    per_claim_cap = Money(allow_none=True, metadata={"description": "Shorthand for one source."})
    min_claim_amount = Money(
        metadata={"description": "A claim whose subsidy is below this earns nothing."}
    )
    eligible_categories = ma.fields.List(
        ma.fields.String(metadata=one_of(sorted(CATEGORIES))),
        allow_none=True,
        metadata={"description": "Instrument categories that count; null: all."},
    )
    eligible_purposes = ma.fields.List(
        ma.fields.String(metadata=one_of(PURPOSE_CATEGORIES)),
        allow_none=True,
        metadata={"description": "Booking purposes that count; null: all."},
    )
    require_tech_sme = StrictBoolean(metadata={"description": "Default true."})
    exclude_related_parties = StrictBoolean(metadata={"description": "Default true."})
    group_caps = StrictBoolean(
        metadata={"description": "Related enterprises share the annual caps. Default false."}
    )
    require_invoice = StrictBoolean(metadata={"description": "Default false."})
    platform_reward_rate = Rate(
        allow_none=True,
        metadata={"description": "The share of subsidy paid that rewards the platform."},
    )


class SourceSchema(OutputSchema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    rate = Rate()
    annual_cap = Money()
    per_claim_cap = Money(allow_none=True)


class PolicySchema(OutputSchema):
    id = ma.fields.Integer()
    family_id = ma.fields.Integer(metadata={"description": "The id of the first version."})
    version = ma.fields.Integer()
    previous_version_id = ma.fields.Integer(allow_none=True)
    current = ma.fields.Boolean(metadata={"description": "No later version replaces it."})
    in_use = ma.fields.Boolean(metadata={"description": "A claim uses it: it cannot change."})
    name = ma.fields.String()
    valid_from = Day()
    valid_to = Day(allow_none=True)
    sources = ma.fields.List(ma.fields.Nested(SourceSchema))
    min_claim_amount = Money()
    eligible_categories = ma.fields.List(ma.fields.String(), allow_none=True)
    eligible_purposes = ma.fields.List(ma.fields.String(), allow_none=True)
    require_tech_sme = ma.fields.Boolean()
    exclude_related_parties = ma.fields.Boolean()
    group_caps = ma.fields.Boolean()
    require_invoice = ma.fields.Boolean()
    platform_reward_rate = Rate(allow_none=True)
    created_at = Instant()


PolicyPageSchema = page_schema(PolicySchema, "PolicyPage")


class PolicyListArgs(PaginationArgs):
    current = ma.fields.Boolean(
        metadata={"description": "true: only versions no later version replaces."}
    )


# --- invoices ----------------------------------------------------------------------------------


class InvoiceInSchema(ApiSchema):
    invoice_no = ma.fields.String(metadata={"description": "Required; unique."})
    invoice_date = Day(metadata={"description": "Required."})


class InvoiceSchema(OutputSchema):
    id = ma.fields.Integer()
    usage_id = ma.fields.Integer()
    invoice_no = ma.fields.String()
    invoice_date = Day()
    created_at = Instant()


# --- claims ------------------------------------------------------------------------------------


class SourceAmountSchema(OutputSchema):
    name = ma.fields.Function(lambda row: row.source.name)
    subsidy = Money()


class ClaimLineSchema(OutputSchema):
    kind = ma.fields.String(metadata=one_of([kind.value for kind in ClaimLineKind]))
    usage_id = ma.fields.Integer(allow_none=True)
    adjustment_id = ma.fields.Integer(allow_none=True)
    platform_id = ma.fields.Integer()
    fee = Money(metadata={"description": "An adjustment's may be negative."})
    eligible_fee = Money()
    subsidy = Money()
    sources = ma.fields.List(ma.fields.Nested(SourceAmountSchema))
    ineligible_reason = ma.fields.String(allow_none=True, metadata=one_of(REASONS))
    ineligible_message = ma.fields.Function(
        lambda line: (
            translate(reason_message(line.ineligible_reason)) if line.ineligible_reason else None
        ),
        metadata={"type": ["string", "null"], "description": "The reason, in words."},
    )


class ClaimSummarySchema(OutputSchema):
    id = ma.fields.Integer()
    status = ma.fields.String(metadata=one_of(CLAIM_STATUSES))
    policy_id = ma.fields.Integer()
    organization_id = ma.fields.Integer()
    period_from = Day()
    period_to = Day()
    year = ma.fields.Integer()
    total_fee = Money()
    eligible_fee = Money()
    subsidy = Money()
    sources = ma.fields.List(ma.fields.Nested(SourceAmountSchema))
    subsidy_note = ma.fields.String(
        metadata={"description": "below_minimum, or empty: why the whole claim earns nothing."}
    )
    subsidy_note_message = ma.fields.Function(
        lambda claim: translate(message) if (message := note_message(claim.subsidy_note)) else None,
        metadata={"type": ["string", "null"]},
    )
    status_reason = ma.fields.String(metadata={"description": "Why it was rejected."})
    notice_from = Day(allow_none=True)
    notice_to = Day(allow_none=True)
    paid_on = Day(allow_none=True)
    payment_reference = ma.fields.String()
    submitted_at = Instant(allow_none=True)
    decided_at = Instant(allow_none=True)
    created_at = Instant()
    updated_at = Instant()


class ClaimSchema(ClaimSummarySchema):
    lines = ma.fields.List(ma.fields.Nested(ClaimLineSchema))


ClaimPageSchema = page_schema(ClaimSummarySchema, "ClaimPage")


class ClaimCreateSchema(ApiSchema):
    period_from = Day(metadata={"description": "Required; included."})
    period_to = Day(metadata={"description": "Required; included; in the same year."})
    policy_id = RecordId(metadata={"description": "Default: the policy covering the period."})


class ClaimListArgs(PaginationArgs):
    status = ma.fields.String(metadata=one_of(CLAIM_STATUSES))
    organization_id = RecordId(strict=False)
    year = ma.fields.Integer(metadata={"minimum": 2000, "maximum": 2200})

    def value_problems(self, data: dict) -> dict[str, Message]:
        problems = super().value_problems(data)
        if "status" in data and data["status"] not in CLAIM_STATUSES:
            problems["status"] = Message(
                N_("Choose one of: %(choices)s."), {"choices": ", ".join(CLAIM_STATUSES)}
            )
        if "year" in data and not 2000 <= data["year"] <= 2200:
            problems["year"] = Message(
                N_("Must be between %(min)d and %(max)d."), {"min": 2000, "max": 2200}
            )
        return problems


class NoticeSchema(ApiSchema):
    notice_from = Day(metadata={"description": "Required: the public notice starts."})
    notice_to = Day(metadata={"description": "Required: the public notice ends."})


class PaySchema(ApiSchema):
    paid_on = Day(metadata={"description": "Required."})
    payment_reference = ma.fields.String(metadata={"description": "Required."})
