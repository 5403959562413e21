"""Adjustments (finance): a fee change on a usage record of a locked period, which the SME's
next claim carries as a line of its own."""

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.finance_schemas import (
    AdjustmentCreateSchema,
    AdjustmentListArgs,
    AdjustmentPageSchema,
    AdjustmentSchema,
)
from equipment_share.api.pagination import paginate
from equipment_share.services.adjustments import adjustments_query, create_adjustment

blp = ApiBlueprint(
    "api_adjustments", __name__, description="Fee adjustments to usage of locked periods."
)


@blp.route("/adjustments", methods=["POST"])
@blp.arguments(AdjustmentCreateSchema)
@blp.response(201, AdjustmentSchema)
@blp.errors(403, 404, 409, 422)
def create(values):
    """Adjust the fee of a usage record in a locked period (finance)

    409 invalid_state when the record's period is not locked (correct the record instead);
    the adjusted fee never falls below zero (422). The SME's next claim carries it.
    """
    return create_adjustment(
        current_actor(), values.get("usage_id"), values.get("fee_delta"), values.get("reason")
    )


@blp.route("/adjustments")
@blp.arguments(AdjustmentListArgs, location="query")
@blp.response(200, AdjustmentPageSchema)
def list_adjustments(args):
    """Adjustments, newest first: all for finance and admin, an SME's own; filters `usage_id`,
    `organization_id`"""
    query = adjustments_query(
        current_actor(),
        usage_id=args.pop("usage_id", None),
        organization_id=args.pop("organization_id", None),
    )
    return paginate(query, args)
