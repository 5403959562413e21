"""Schemas of finance's own resources: budgets and pro rata, locked periods, adjustments and
platform rewards. Kept apart from schemas.py (policies, claims, invoices live there) so each
area reads on its own; the OpenAPI document includes both."""

import marshmallow as ma

from equipment_share.api.fields import (
    ApiSchema,
    Day,
    Instant,
    Money,
    OutputSchema,
    RecordId,
    StrictBoolean,
    WholeNumber,
)
from equipment_share.api.pagination import PaginationArgs, page_schema

# --- locked periods -------------------------------------------------------------------------


class PeriodLockCreateSchema(ApiSchema):
    period_from = Day(metadata={"description": "Required; the first day locked (local date)."})
    period_to = Day(metadata={"description": "Required; the last day locked, inclusive."})


class PeriodLockSchema(OutputSchema):
    id = ma.fields.Integer()
    period_from = Day()
    period_to = Day()
    created_by_id = ma.fields.Integer(allow_none=True)
    created_at = Instant()


PeriodLockPageSchema = page_schema(PeriodLockSchema, "PeriodLockPage")


# --- budgets and pro rata -------------------------------------------------------------------


class BudgetCreateSchema(ApiSchema):
    year = WholeNumber(metadata={"description": "Required; the claims' year."})
    source = ma.fields.String(
        metadata={"description": "Required; a funding source's name, as in the policies."}
    )
    amount = Money(metadata={"description": "Required; the fund available that year."})


class BudgetSchema(OutputSchema):
    id = ma.fields.Integer()
    year = ma.fields.Integer()
    source = ma.fields.String()
    amount = Money()
    created_by_id = ma.fields.Integer(allow_none=True)
    created_at = Instant()


BudgetPageSchema = page_schema(BudgetSchema, "BudgetPage")


# a year the database can hold (a 30-digit year overflowed the SQLite driver: a 500)
YEARS = ma.validate.Range(min=2000, max=2200)


class BudgetListArgs(PaginationArgs):
    year = ma.fields.Integer(validate=YEARS, metadata={"description": "Budgets of this year only."})


class ProrateSchema(ApiSchema):
    apply = StrictBoolean(
        load_default=False,
        metadata={"description": "false (default) previews; true applies the scaling."},
    )


class ClaimScalingSchema(OutputSchema):
    id = ma.fields.Integer(attribute="claim.id")
    organization_id = ma.fields.Integer(attribute="claim.organization_id")
    before = Money(metadata={"description": "The claim's subsidy from the source before."})
    after = Money(metadata={"description": "After scaling (the same in a preview within budget)."})


class ProrataSchema(OutputSchema):
    budget_id = ma.fields.Integer(attribute="budget.id")
    applied = ma.fields.Boolean(metadata={"description": "Whether this request changed claims."})
    available = Money(
        metadata={"description": "The budget less what paid claims of the year took."}
    )
    factor = ma.fields.Decimal(
        as_string=True,
        # a decimal string, as money is (apispec would document a number)
        metadata={
            "type": "string",
            "description": "available ÷ asked, to six places; 1 within budget.",
        },
    )
    total_before = Money()
    total_after = Money()
    claims = ma.fields.List(ma.fields.Nested(ClaimScalingSchema))


# --- adjustments ----------------------------------------------------------------------------


class AdjustmentCreateSchema(ApiSchema):
    usage_id = RecordId(metadata={"description": "Required; a usage record of a locked period."})
    fee_delta = Money(
        metadata={
            "example": "-120.00",
            "description": "Required; the fee change, negative or positive, not zero.",
        }
    )
    reason = ma.fields.String(metadata={"description": "Required; the finding, told to the SME."})


class AdjustmentSchema(OutputSchema):
    id = ma.fields.Integer()
    usage_id = ma.fields.Integer()
    organization_id = ma.fields.Integer(metadata={"description": "The SME whose claim carries it."})
    fee_delta = Money()
    reason = ma.fields.String()
    claim_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The submitted claim carrying it, once one does."}
    )
    created_by_id = ma.fields.Integer(allow_none=True)
    created_at = Instant()


AdjustmentPageSchema = page_schema(AdjustmentSchema, "AdjustmentPage")


class AdjustmentListArgs(PaginationArgs):
    usage_id = RecordId(strict=False)
    organization_id = RecordId(strict=False)


# --- platform rewards -----------------------------------------------------------------------


class PlatformRewardArgs(PaginationArgs):
    year = ma.fields.Integer(
        validate=YEARS,
        metadata={"description": "Claims of this year (default: this year, deployment zone)."},
    )
    platform_id = RecordId(strict=False)


class PolicyRewardSchema(OutputSchema):
    policy_id = ma.fields.Integer()
    policy_name = ma.fields.String()
    policy_version = ma.fields.Integer()
    rate = ma.fields.Decimal(
        as_string=True,
        allow_none=True,
        metadata={"type": "string", "description": "The policy's reward rate."},
    )
    subsidy_paid = Money()
    reward = Money(metadata={"description": "rate × subsidy paid, rounded half-up to the fen."})


class PlatformRewardSchema(OutputSchema):
    platform_id = ma.fields.Integer()
    platform_name = ma.fields.String()
    year = ma.fields.Integer()
    subsidy_paid = Money(
        metadata={"description": "Subsidy of paid claims of the year for use of its instruments."}
    )
    reward = Money()
    policies = ma.fields.List(ma.fields.Nested(PolicyRewardSchema))


PlatformRewardPageSchema = page_schema(PlatformRewardSchema, "PlatformRewardPage")
