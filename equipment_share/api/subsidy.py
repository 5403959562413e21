"""Subsidy: policies (finance), invoices (platforms), and claims from draft to paid."""

from sqlalchemy.orm import selectinload

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.fields import ID_CONVERTER as ID
from equipment_share.api.pagination import paginate
from equipment_share.api.schemas import ReasonSchema
from equipment_share.api.subsidy_schemas import (
    ClaimCreateSchema,
    ClaimListArgs,
    ClaimPageSchema,
    ClaimSchema,
    InvoiceInSchema,
    InvoiceSchema,
    NoticeSchema,
    PaySchema,
    PolicyInSchema,
    PolicyListArgs,
    PolicyPageSchema,
    PolicySchema,
)
from equipment_share.domain.subsidy import ClaimStatus
from equipment_share.models import Claim, ClaimSource, SubsidyPolicy
from equipment_share.services import claims, subsidy

blp = ApiBlueprint(
    "api_subsidy",
    __name__,
    description="Subsidy policies and their versions, invoices of usage records, and claims.",
)


def _policy_view(policy: SubsidyPolicy) -> SubsidyPolicy:
    policy.current = subsidy.is_current(policy)
    policy.in_use = subsidy.policy_in_use(policy.id)
    return policy


# --- policies ----------------------------------------------------------------------------------


@blp.route("/subsidy-policies")
@blp.arguments(PolicyListArgs, location="query")
@blp.response(200, PolicyPageSchema)
def list_policies(args):
    """Subsidy policies, newest first (anyone signed in); `current=true` leaves out replaced
    versions"""
    query = subsidy.policies_query(current_only=args.pop("current", False)).options(
        selectinload(SubsidyPolicy.sources)
    )
    page = paginate(query, args)
    page["items"] = [_policy_view(policy) for policy in page["items"]]
    return page


@blp.route(f"/subsidy-policies/<{ID}:policy_id>")
@blp.response(200, PolicySchema)
@blp.errors(404)
def get_policy(policy_id):
    """One policy version"""
    return _policy_view(subsidy.get_policy(policy_id))


@blp.route("/subsidy-policies", methods=["POST"])
@blp.arguments(PolicyInSchema)
@blp.response(201, PolicySchema)
@blp.errors(403, 422)
def create_policy(values):
    """A new policy (finance): one or more funding sources, or the shorthand `rate`,
    `annual_cap`, `per_claim_cap` for one"""
    return _policy_view(subsidy.create_policy(current_actor(), values))


@blp.route(f"/subsidy-policies/<{ID}:policy_id>", methods=["PATCH"])
@blp.arguments(PolicyInSchema, required=False)  # no body changes nothing
@blp.response(200, PolicySchema)
@blp.errors(403, 404, 409, 422)
def update_policy(values, policy_id):
    """Change a version no claim uses yet (finance); 409 invalid_state once one does: make a
    new version instead"""
    return _policy_view(subsidy.update_policy(current_actor(), policy_id, values))


@blp.route(f"/subsidy-policies/<{ID}:policy_id>/versions", methods=["POST"])
@blp.arguments(PolicyInSchema, required=False)  # no body: the same terms again
@blp.response(201, PolicySchema)
@blp.errors(403, 404, 409, 422)
def new_version(values, policy_id):
    """The policy's next version (finance): its newest version's settings, the given ones over
    them; claims made under earlier versions keep theirs"""
    return _policy_view(subsidy.new_policy_version(current_actor(), policy_id, values))


# --- invoices ----------------------------------------------------------------------------------


@blp.route(f"/usage/<{ID}:usage_id>/invoice", methods=["POST"])
@blp.arguments(InvoiceInSchema)
@blp.response(201, InvoiceSchema)
@blp.alt_response(200, schema=InvoiceSchema, description="The record's invoice was replaced.")
@blp.errors(403, 404, 409, 422)
def record_invoice(values, usage_id):
    """Record the invoice (发票) issued for a usage record's fee (the instrument's platform)

    An invoice number belongs to one record: 409 already_claimed when another has it. A
    record's invoice may be replaced (200) until a submitted claim holds the record.
    """
    invoice, created = subsidy.record_invoice(
        current_actor(), usage_id, values.get("invoice_no"), values.get("invoice_date")
    )
    return invoice, 201 if created else 200


@blp.route(f"/usage/<{ID}:usage_id>/invoice")
@blp.response(200, InvoiceSchema)
@blp.errors(404)
def get_invoice(usage_id):
    """A usage record's invoice (whoever sees the record)"""
    return subsidy.invoice_of(current_actor(), usage_id)


# --- claims ------------------------------------------------------------------------------------


@blp.route("/claims", methods=["POST"])
@blp.arguments(ClaimCreateSchema)
@blp.response(201, ClaimSchema)
@blp.errors(403, 404, 422)
def create_claim(values):
    """Draft a claim for a period (SME): every confirmed usage record of the period not in
    another live claim is a line, eligible or with its reason; adjustments not yet carried
    are lines too"""
    return claims.draft_claim(
        current_actor(), values.get("period_from"), values.get("period_to"), values.get("policy_id")
    )


@blp.route("/claims")
@blp.arguments(ClaimListArgs, location="query")
@blp.response(200, ClaimPageSchema)
@blp.errors(403)
def list_claims(args):
    """Claims, newest first, without their lines: an SME's own, all for finance and admin"""
    status = args.pop("status", None)
    query = claims.visible_claims_query(
        current_actor(),
        status=ClaimStatus(status) if status else None,
        organization_id=args.pop("organization_id", None),
        year=args.pop("year", None),
    ).options(selectinload(Claim.sources).selectinload(ClaimSource.source))
    return paginate(query, args)


@blp.route(f"/claims/<{ID}:claim_id>")
@blp.response(200, ClaimSchema)
@blp.errors(404)
def get_claim(claim_id):
    """One claim with its lines"""
    return claims.visible_claim(current_actor(), claim_id)


@blp.route(f"/claims/<{ID}:claim_id>/submit", methods=["POST"])
@blp.response(200, ClaimSchema)
@blp.errors(403, 404, 409)
def submit_claim(claim_id):
    """Submit a draft (SME): recomputed and reserved against the annual caps under a lock;
    its records are claimed (409 already_claimed when another live claim holds one)"""
    return claims.submit(current_actor(), claim_id)


@blp.route(f"/claims/<{ID}:claim_id>/withdraw", methods=["POST"])
@blp.response(200, ClaimSchema)
@blp.errors(403, 404, 409)
def withdraw_claim(claim_id):
    """Withdraw a draft or submitted claim (SME): its records and reserve are released"""
    return claims.withdraw(current_actor(), claim_id)


@blp.route(f"/claims/<{ID}:claim_id>/approve", methods=["POST"])
@blp.response(200, ClaimSchema)
@blp.errors(403, 404, 409)
def approve_claim(claim_id):
    """Approve a submitted claim (finance)"""
    return claims.approve(current_actor(), claim_id)


@blp.route(f"/claims/<{ID}:claim_id>/reject", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, ClaimSchema)
@blp.errors(403, 404, 409, 422)
def reject_claim(values, claim_id):
    """Reject a submitted claim with a reason (finance): its records are released"""
    return claims.reject(current_actor(), claim_id, values.get("reason"))


@blp.route(f"/claims/<{ID}:claim_id>/notice", methods=["POST"])
@blp.arguments(NoticeSchema)
@blp.response(200, ClaimSchema)
@blp.errors(403, 404, 409, 422)
def notice_claim(values, claim_id):
    """Record the public notice (公示) period of an approved claim (finance)"""
    return claims.record_notice(
        current_actor(), claim_id, values.get("notice_from"), values.get("notice_to")
    )


@blp.route(f"/claims/<{ID}:claim_id>/pay", methods=["POST"])
@blp.arguments(PaySchema)
@blp.response(200, ClaimSchema)
@blp.errors(403, 404, 409, 422)
def pay_claim(values, claim_id):
    """Record the payment of an approved claim (finance): approved → paid"""
    return claims.pay(
        current_actor(), claim_id, values.get("paid_on"), values.get("payment_reference")
    )
