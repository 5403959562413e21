"""Locked periods (finance): usage in a locked period can no longer be recorded, checked out,
corrected, waived or charged (409 period_locked)."""

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.finance_schemas import (
    PeriodLockCreateSchema,
    PeriodLockPageSchema,
    PeriodLockSchema,
)
from equipment_share.api.pagination import PaginationArgs, paginate
from equipment_share.services.period_locks import create_period_lock, period_locks_query

blp = ApiBlueprint(
    "api_period_locks", __name__, description="Locked periods: their usage is closed to changes."
)


@blp.route("/period-locks", methods=["POST"])
@blp.arguments(PeriodLockCreateSchema)
@blp.response(201, PeriodLockSchema)
@blp.errors(403, 422)
def create(values):
    """Lock a period (finance): its usage can no longer be recorded or changed

    Dates are inclusive and read in the deployment's zone. Waits for usage changes already
    under way; any change after it answers 409 period_locked.
    """
    return create_period_lock(current_actor(), values.get("period_from"), values.get("period_to"))


@blp.route("/period-locks")
@blp.arguments(PaginationArgs, location="query")
@blp.response(200, PeriodLockPageSchema)
@blp.errors(403)
def list_locks(args):
    """Locked periods, the latest first (finance, admin)"""
    return paginate(period_locks_query(current_actor()), args)
