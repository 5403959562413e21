"""Budgets per year and funding source (finance), and pro-rata scaling of approved claims to
them: preview with {apply: false}, apply with {apply: true}."""

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.fields import ID_CONVERTER as ID
from equipment_share.api.finance_schemas import (
    BudgetCreateSchema,
    BudgetListArgs,
    BudgetPageSchema,
    BudgetSchema,
    ProrataSchema,
    ProrateSchema,
)
from equipment_share.api.pagination import paginate
from equipment_share.services.budgets import (
    budgets_query,
    create_budget,
    prorate,
    visible_budget,
)

blp = ApiBlueprint(
    "api_budgets", __name__, description="Budgets per year and funding source, and pro rata."
)


@blp.route("/budgets", methods=["POST"])
@blp.arguments(BudgetCreateSchema)
@blp.response(201, BudgetSchema)
@blp.errors(403, 409, 422)
def create(values):
    """The fund a funding source has for claims of one year (finance); one per year and source"""
    return create_budget(
        current_actor(), values.get("year"), values.get("source"), values.get("amount")
    )


@blp.route("/budgets")
@blp.arguments(BudgetListArgs, location="query")
@blp.response(200, BudgetPageSchema)
@blp.errors(403)
def list_budgets(args):
    """Budgets, the latest year first (finance, admin); filter `year`"""
    return paginate(budgets_query(current_actor(), args.pop("year", None)), args)


@blp.route(f"/budgets/<{ID}:budget_id>")
@blp.response(200, BudgetSchema)
@blp.errors(403, 404)
def get(budget_id):
    """One budget (finance, admin)"""
    return visible_budget(current_actor(), budget_id)


@blp.route(f"/budgets/<{ID}:budget_id>/prorate", methods=["POST"])
@blp.arguments(ProrateSchema, required=False)  # no body: a preview
@blp.response(200, ProrataSchema)
@blp.errors(403, 404)
def prorate_claims(values, budget_id):
    """Scale approved, unpaid claims of the year down to the budget (finance)

    When they ask the source for more than the budget less what was paid this year, each claim's
    share is scaled by available ÷ asked, exact to the fen, its lines still summing to it.
    `apply: false` previews; `apply: true` applies under a lock; applying again changes nothing.
    """
    actor = current_actor()
    return prorate(actor, visible_budget(actor, budget_id), bool(values.get("apply")))
