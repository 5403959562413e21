"""Fee statements: an SME's fees owed, or a platform's fees earned, in a period."""

import marshmallow as ma

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.fields import (
    ApiSchema,
    Instant,
    Money,
    OutputSchema,
    RecordId,
    Unreadable,
)
from equipment_share.api.schemas import one_of
from equipment_share.domain.errors import N_, Message
from equipment_share.domain.fields import REQUIRED
from equipment_share.domain.statements import MAX_PERIOD_DAYS, SETTLEMENT_STATUSES, Party
from equipment_share.domain.usage import UsageKind
from equipment_share.services.statements import statement_for

# "statements" is the page's blueprint; a Flask blueprint name (and OpenAPI tag) is unique.
blp = ApiBlueprint(
    "api_statements", __name__, description="Fee statements of an organisation for a period."
)

UNREADABLE_BOUND = Message(
    N_("A date like 2026-03-01 or a date and time like 2026-03-01T09:00:00+08:00 is required.")
)
PERIOD_DESCRIPTION = (
    "A date (local midnight in the deployment's time zone) or a date and time (ISO 8601; "
    "without an offset, read in the deployment's time zone)."
)


class PeriodBound(ma.fields.String):
    """A date (its local midnight) or an instant, read as Instant reads an instant: a string
    field, so the document does not promise only date-times."""

    def __init__(self, **kwargs):
        metadata = {"example": "2026-03-01"} | kwargs.pop("metadata", {})
        super().__init__(metadata=metadata, **kwargs)
        self.instant = Instant()

    def _deserialize(self, value, attr, data, **kwargs):
        moment = self.instant.deserialize(value, attr, data, **kwargs)
        return Unreadable(UNREADABLE_BOUND) if isinstance(moment, Unreadable) else moment


class StatementArgs(ApiSchema):
    required_fields = ("organization_id", "from_", "to")

    organization_id = RecordId(
        strict=False, metadata={"description": "Required: the SME or platform."}
    )
    from_ = PeriodBound(
        data_key="from",
        metadata={"description": f"Required; included. {PERIOD_DESCRIPTION}"},
    )
    to = PeriodBound(
        metadata={
            "description": f"Required; excluded: to=2026-04-01 ends the statement at the end "
            f"of 31 March. {PERIOD_DESCRIPTION} At most {MAX_PERIOD_DAYS} days after `from`."
        }
    )

    def value_problems(self, data: dict) -> dict[str, Message]:
        return {
            self.client_name(name): REQUIRED
            for name in ("organization_id", "from_", "to")
            if data.get(name) is None
        }


class StatementLineSchema(OutputSchema):
    usage_id = ma.fields.Integer()
    booking_id = ma.fields.Integer()
    kind = ma.fields.String(
        metadata=one_of(
            [kind.value for kind in UsageKind],
            "The use itself, or a no-show or late-cancellation charge.",
        )
    )
    status = ma.fields.String(metadata=one_of([status.value for status in SETTLEMENT_STATUSES]))
    equipment_id = ma.fields.Integer()
    equipment_name = ma.fields.String()
    counterparty_id = ma.fields.Integer(
        metadata={"description": "The platform on an SME's statement, the SME on a platform's."}
    )
    counterparty_name = ma.fields.String()
    occurred_at = Instant(
        metadata={
            "description": "What the period is matched against: the actual start, else "
            "the booked start."
        }
    )
    actual_start = Instant(allow_none=True, metadata={"description": "Null for a charge."})
    actual_end = Instant(allow_none=True)
    billable_minutes = ma.fields.Integer()
    fee = Money()


class GroupTotalsSchema(OutputSchema):
    subtotal = Money(metadata={"description": "The sum of the group's lines."})
    usage_ids = ma.fields.List(
        ma.fields.Pluck(StatementLineSchema, "usage_id"),
        attribute="lines",
        metadata={"description": "The group's lines, by occurred_at."},
    )


class InstrumentGroupSchema(GroupTotalsSchema):
    equipment_id = ma.fields.Integer(attribute="id")
    equipment_name = ma.fields.String(attribute="name")


class CounterpartyGroupSchema(GroupTotalsSchema):
    counterparty_id = ma.fields.Integer(attribute="id")
    counterparty_name = ma.fields.String(attribute="name")
    instruments = ma.fields.List(
        ma.fields.Nested(InstrumentGroupSchema),
        attribute="subgroups",
        metadata={"description": "On an SME's statement, per instrument; on a platform's, empty."},
    )


class StatusTotalsSchema(OutputSchema):
    recorded = Money()
    disputed = Money()
    confirmed = Money()


class StatementSchema(OutputSchema):
    organization_id = ma.fields.Integer()
    organization_name = ma.fields.String()
    kind = ma.fields.String(
        attribute="party",
        metadata=one_of(
            [party.value for party in Party],
            "sme: fees the SME owes; platform: fees the platform earned.",
        ),
    )
    from_ = Instant(data_key="from", attribute="period.start")
    to = Instant(attribute="period.end", metadata={"description": "Excluded."})
    lines = ma.fields.List(
        ma.fields.Nested(StatementLineSchema),
        metadata={"description": "By occurred_at; records still in progress are left out."},
    )
    groups = ma.fields.List(
        ma.fields.Nested(CounterpartyGroupSchema),
        metadata={"description": "By platform (SME) or by SME (platform), with subtotals."},
    )
    total_fee = Money(attribute="total", metadata={"description": "The sum of the lines."})
    totals_by_status = ma.fields.Nested(
        StatusTotalsSchema, metadata={"description": "The lines' fees by status."}
    )
    in_progress_count = ma.fields.Integer(
        attribute="in_progress",
        metadata={"description": "Records in the period still in progress: no fee yet."},
    )


@blp.route("/statements")
@blp.arguments(StatementArgs, location="query")
@blp.response(200, StatementSchema)
@blp.errors(404, 422)
def statement(args):
    """The fee statement of an organisation for [from, to) (the organisation's own users,
    finance, admin): an SME's fees by platform and instrument, a platform's by SME

    Another organisation's statement answers 404. `from` and `to` are dates (local midnight
    in the deployment's time zone) or ISO 8601 date-times; `to` is excluded, so a month is
    `from=2026-03-01&to=2026-04-01`. A record belongs to the period its `occurred_at` (the
    actual start, or the booked start of a charge) falls in.
    """
    return statement_for(current_actor(), args["organization_id"], args["from_"], args["to"])
