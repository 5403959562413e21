"""Sharing metrics: per instrument (platforms their own, finance and admin all) and city-wide."""

import marshmallow as ma

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.fields import ApiSchema, Instant, Money, OutputSchema, RecordId
from equipment_share.api.pagination import PaginationArgs, page_schema, paginate_list
from equipment_share.api.statements import PeriodBound
from equipment_share.domain.errors import Message
from equipment_share.domain.fields import REQUIRED
from equipment_share.domain.statements import MAX_PERIOD_DAYS
from equipment_share.services.metrics import city_metrics, equipment_metrics

blp = ApiBlueprint("metrics", __name__, description="Sharing metrics over a period.")

PERIOD = (
    "A date (local midnight in the deployment's time zone) or an ISO 8601 date-time; `to` is "
    f"excluded and at most {MAX_PERIOD_DAYS} days after `from`. A usage record counts in the "
    "period its occurred_at falls in (as on statements), a booking in the period it starts in."
)
HOURS = {"format": "decimal", "example": "12.50", "description": "Hours, to the hundredth."}
RATIO = {"format": "decimal", "example": "0.1234"}


class Hours(ma.fields.Decimal):
    def __init__(self, **kwargs):
        super().__init__(as_string=True, metadata=HOURS | kwargs.pop("metadata", {}), **kwargs)


class Ratio(ma.fields.Decimal):
    def __init__(self, description: str, **kwargs):
        super().__init__(
            as_string=True, allow_none=True, metadata=RATIO | {"description": description}
        )


class PeriodArgs(ApiSchema):
    from_ = PeriodBound(data_key="from", metadata={"description": f"Required. {PERIOD}"})
    to = PeriodBound(metadata={"description": "Required; excluded."})

    def value_problems(self, data: dict) -> dict[str, Message]:
        return {
            self.client_name(name): REQUIRED for name in ("from_", "to") if data.get(name) is None
        }


class EquipmentMetricsArgs(PeriodArgs, PaginationArgs):
    platform_id = RecordId(
        strict=False, metadata={"description": "Finance and admin: one platform's instruments."}
    )

    def value_problems(self, data: dict) -> dict[str, Message]:
        return PeriodArgs.value_problems(self, data) | PaginationArgs.value_problems(self, data)


class EquipmentMetricsSchema(OutputSchema):
    equipment_id = ma.fields.Integer()
    equipment_name = ma.fields.String(attribute="name")
    platform_id = ma.fields.Integer()
    idle_hours = Hours(
        metadata={"description": "Idle windows minus production runs and maintenance."}
    )
    booked_hours = Hours(
        metadata={"description": "Bookings pending, confirmed or completed that start in it."}
    )
    used_hours = Hours(metadata={"description": "Machine hours of recorded use."})
    shared_hours = Hours(metadata={"description": "Used by organisations other than the owner."})
    utilisation = Ratio("used_hours ÷ idle_hours; null without idle time.")
    sharing_rate = Ratio("shared_hours ÷ used_hours (共享率); null without use.")
    smes_served = ma.fields.Integer(metadata={"description": "Distinct SMEs with recorded use."})
    revenue = Money(metadata={"description": "Fees of the usage records (as on statements)."})
    subsidy = Money(metadata={"description": "subsidy_paid + subsidy_pending."})
    subsidy_paid = Money(metadata={"description": "Claim lines of paid claims."})
    subsidy_pending = Money(
        metadata={"description": "Claim lines of submitted and approved claims."}
    )
    no_shows = ma.fields.Integer(metadata={"description": "Bookings marked no-show."})


EquipmentMetricsPageSchema = page_schema(EquipmentMetricsSchema, "EquipmentMetricsPage")


class OrganizationFiguresSchema(OutputSchema):
    organization_id = ma.fields.Integer()
    name = ma.fields.String()
    fees = Money()
    used_hours = Hours(attribute="hours")
    subsidy_paid = Money()
    subsidy_pending = Money()


class SourceFiguresSchema(OutputSchema):
    source = ma.fields.String()
    budget = Money(metadata={"description": "The budget of the year the period starts in."})
    committed = Money(metadata={"description": "Submitted and approved claims, not paid yet."})
    paid = Money()
    used = Money(metadata={"description": "committed + paid."})
    left = Money(metadata={"description": "budget − used; negative when over budget."})


class CityMetricsSchema(OutputSchema):
    from_ = Instant(data_key="from", attribute="start")
    to = Instant(attribute="end")
    fees = Money(metadata={"description": "Fees of every usage record in the period."})
    used_hours = Hours()
    usage_records = ma.fields.Integer(attribute="records")
    subsidy_by_status = ma.fields.Dict(
        keys=ma.fields.String(),
        values=Money(),
        metadata={"description": "Claim status → subsidy of claim lines for usage in the period."},
    )
    subsidy_by_source = ma.fields.List(ma.fields.Nested(SourceFiguresSchema), attribute="sources")
    budget = Money()
    budget_used = Money()
    platforms = ma.fields.List(
        ma.fields.Nested(OrganizationFiguresSchema),
        attribute="top_platforms",
        metadata={"description": "Every platform with fees in the period, largest first."},
    )
    smes = ma.fields.List(
        ma.fields.Nested(OrganizationFiguresSchema),
        attribute="top_smes",
        metadata={"description": "Every SME with fees in the period, largest first."},
    )


@blp.route("/metrics/equipment")
@blp.arguments(EquipmentMetricsArgs, location="query")
@blp.response(200, EquipmentMetricsPageSchema)
@blp.errors(403, 422)
def equipment(args):
    """Sharing metrics per instrument for [from, to): a platform its own instruments, finance
    and admin all (or one platform's with platform_id); an SME none (403)"""
    metrics = equipment_metrics(
        current_actor(), args["from_"], args["to"], platform_id=args.get("platform_id")
    )
    return paginate_list(metrics, args)


@blp.route("/metrics/city")
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, CityMetricsSchema)
@blp.errors(403, 422)
def city(args):
    """City-wide fees, subsidy by claim status and funding source, budget used, and the
    figures per platform and per SME for [from, to) (finance, admin)"""
    return city_metrics(current_actor(), args["from_"], args["to"], limit=None)
