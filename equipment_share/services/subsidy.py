"""Subsidy policies (finance) and invoices (platforms), over the database.

Pages and the API call the same functions; each takes the acting user and plain values and
returns the model object, raising domain errors (ValidationFailed, InvalidState, AlreadyClaimed,
NotFound, Forbidden) that the one error handler answers:

- `create_policy(actor, values) -> SubsidyPolicy`: finance; `values` as the API body
  (`name, valid_from, valid_to, sources | rate/annual_cap/per_claim_cap, min_claim_amount,
  eligible_categories, eligible_purposes, require_tech_sme, exclude_related_parties,
  group_caps, require_invoice, platform_reward_rate`; dates as `date`, money and rates as
  strings).
- `update_policy(actor, policy_id, values) -> SubsidyPolicy`: edits a version no claim uses
  (409 invalid_state otherwise; make a new version instead).
- `new_policy_version(actor, policy_id, values) -> SubsidyPolicy`: the next version of the
  policy's family, from its newest version.
- `policies_query(current_only=False) -> Select`, `get_policy(policy_id) -> SubsidyPolicy`,
  `policy_versions(policy) -> [SubsidyPolicy]`, `is_current(policy) -> bool`, `policy_in_use(policy_id) -> bool`,
  `policy_for_period(period_from, period_to) -> SubsidyPolicy | None`.
- `record_invoice(actor, usage_id, invoice_no, invoice_date) -> (Invoice, created)`: the
  owning platform; a number already on another record answers 409 already_claimed.
- `invoice_of(viewer, usage_id) -> Invoice`; `invoice_is_fixed(usage_id) -> bool`: the record
  is in a live claim, so its invoice no longer changes.
"""

from collections.abc import Mapping
from datetime import date

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError

from equipment_share.domain.errors import (
    N_,
    AlreadyClaimed,
    Forbidden,
    InvalidState,
    Message,
    NotFound,
    ValidationFailed,
)
from equipment_share.domain.fields import check_text
from equipment_share.domain.subsidy import LIVE_STATUSES
from equipment_share.domain.subsidy_policies import PolicySettings, read_policy
from equipment_share.extensions import db
from equipment_share.models import (
    Claim,
    ClaimedUsage,
    FundingSource,
    Invoice,
    Role,
    SubsidyPolicy,
    User,
)
from equipment_share.services import audit
from equipment_share.services.access import require_role
from equipment_share.services.usage import visible_usage

INVOICE_NO_MAX_LENGTH = 64


# --- policies ----------------------------------------------------------------------------------


def policies_query(*, current_only: bool = False) -> Select:
    """Policies, newest first; `current_only` leaves out versions a later one replaced."""
    query = select(SubsidyPolicy).order_by(SubsidyPolicy.id.desc())
    if current_only:
        successor = db.aliased(SubsidyPolicy)
        later = exists().where(successor.previous_version_id == SubsidyPolicy.id)
        query = query.where(~later)
    return query


def get_policy(policy_id: int) -> SubsidyPolicy:
    policy = db.session.get(SubsidyPolicy, policy_id)
    if policy is None:
        raise NotFound()
    return policy


def policy_versions(policy: SubsidyPolicy) -> list[SubsidyPolicy]:
    """Every version of the policy's family, oldest first."""
    return list(
        db.session.scalars(
            select(SubsidyPolicy)
            .where(SubsidyPolicy.family_id == policy.family_id)
            .order_by(SubsidyPolicy.version)
        )
    )


def is_current(policy: SubsidyPolicy) -> bool:
    return not db.session.scalar(
        select(exists().where(SubsidyPolicy.previous_version_id == policy.id))
    )


def policy_in_use(policy_id: int) -> bool:
    """A claim (of any state) was made under this version."""
    return bool(db.session.scalar(select(exists().where(Claim.policy_id == policy_id))))


def policy_for_period(period_from: date, period_to: date) -> SubsidyPolicy | None:
    """The newest current version whose dates overlap the period."""
    query = policies_query(current_only=True).where(
        SubsidyPolicy.valid_from <= period_to,
        (SubsidyPolicy.valid_to.is_(None)) | (SubsidyPolicy.valid_to >= period_from),
    )
    return db.session.scalars(query.limit(1)).first()


def create_policy(actor: User, values: Mapping) -> SubsidyPolicy:
    require_role(actor, Role.FINANCE)
    settings = read_policy(values)
    policy = SubsidyPolicy(created_by_id=actor.id)
    _apply(policy, settings)
    db.session.add(policy)
    db.session.flush()
    policy.family_id = policy.id
    audit.record(actor, "subsidy_policy", policy.id, "create", changes=_snapshot(policy))
    return policy


def update_policy(actor: User, policy_id: int, values: Mapping) -> SubsidyPolicy:
    """Change a version in place: only while no claim uses it."""
    require_role(actor, Role.FINANCE)
    policy = _locked_policy(policy_id)
    if policy_in_use(policy.id):
        raise InvalidState(
            N_("A claim uses this policy: make a new version instead of editing it."),
            details={"policy_id": policy.id},
        )
    settings = read_policy(_merged(policy, values))
    before = _snapshot(policy)
    _apply(policy, settings)
    db.session.flush()
    audit.record(
        actor,
        "subsidy_policy",
        policy.id,
        "update",
        changes=audit.value_changes(before, _snapshot(policy)),
    )
    return policy


def new_policy_version(actor: User, policy_id: int, values: Mapping) -> SubsidyPolicy:
    """The next version of the family: the newest version's settings with `values` over them."""
    require_role(actor, Role.FINANCE)
    base = _locked_policy(policy_id)
    newest = db.session.scalars(
        select(SubsidyPolicy)
        .where(SubsidyPolicy.family_id == base.family_id)
        .order_by(SubsidyPolicy.version.desc())
        .limit(1)
        .with_for_update()
    ).one()
    settings = read_policy(_merged(newest, values))
    policy = SubsidyPolicy(
        family_id=newest.family_id,
        version=newest.version + 1,
        previous_version_id=newest.id,
        created_by_id=actor.id,
    )
    _apply(policy, settings)
    db.session.add(policy)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise InvalidState(N_("Another version of this policy was made just now.")) from None
    audit.record(
        actor,
        "subsidy_policy",
        policy.id,
        "new_version",
        changes={"version": policy.version}
        | audit.value_changes(_snapshot(newest), _snapshot(policy)),
    )
    return policy


def _locked_policy(policy_id: int) -> SubsidyPolicy:
    policy = get_policy(policy_id)
    db.session.refresh(policy, with_for_update=True)
    return policy


def _merged(policy: SubsidyPolicy, values: Mapping) -> dict:
    """The version's settings as plain values, with the given ones over them."""
    current = {
        "name": policy.name,
        "valid_from": policy.valid_from,
        "valid_to": policy.valid_to,
        "min_claim_amount": f"{policy.min_claim_amount:.2f}",
        "eligible_categories": policy.eligible_categories,
        "eligible_purposes": policy.eligible_purposes,
        "require_tech_sme": policy.require_tech_sme,
        "exclude_related_parties": policy.exclude_related_parties,
        "group_caps": policy.group_caps,
        "require_invoice": policy.require_invoice,
        "platform_reward_rate": (
            None if policy.platform_reward_rate is None else str(policy.platform_reward_rate)
        ),
        "sources": [
            {
                "name": source.name,
                "rate": str(source.rate),
                "annual_cap": f"{source.annual_cap:.2f}",
                "per_claim_cap": (
                    None if source.per_claim_cap is None else f"{source.per_claim_cap:.2f}"
                ),
            }
            for source in policy.sources
        ],
    }
    if any(name in values for name in ("rate", "annual_cap", "per_claim_cap")):
        current.pop("sources")
    return current | dict(values)


def _apply(policy: SubsidyPolicy, settings: PolicySettings) -> None:
    policy.name = settings.name
    policy.valid_from = settings.valid_from
    policy.valid_to = settings.valid_to
    policy.min_claim_amount = settings.min_claim_amount
    policy.eligible_categories = settings.eligible_categories
    policy.eligible_purposes = settings.eligible_purposes
    policy.require_tech_sme = settings.require_tech_sme
    policy.exclude_related_parties = settings.exclude_related_parties
    policy.group_caps = settings.group_caps
    policy.require_invoice = settings.require_invoice
    policy.platform_reward_rate = settings.platform_reward_rate
    policy.sources.clear()
    db.session.flush()
    for position, source in enumerate(settings.sources):
        policy.sources.append(
            FundingSource(
                position=position,
                name=source.name,
                rate=source.rate,
                annual_cap=source.annual_cap,
                per_claim_cap=source.per_claim_cap,
            )
        )


def _snapshot(policy: SubsidyPolicy) -> dict:
    return {
        "name": policy.name,
        "valid_from": policy.valid_from,
        "valid_to": policy.valid_to,
        "min_claim_amount": policy.min_claim_amount,
        "eligible_categories": policy.eligible_categories,
        "eligible_purposes": policy.eligible_purposes,
        "require_tech_sme": policy.require_tech_sme,
        "exclude_related_parties": policy.exclude_related_parties,
        "group_caps": policy.group_caps,
        "require_invoice": policy.require_invoice,
        "platform_reward_rate": policy.platform_reward_rate,
        "sources": [
            {
                "name": source.name,
                "rate": source.rate,
                "annual_cap": source.annual_cap,
                "per_claim_cap": source.per_claim_cap,
            }
            for source in policy.sources
        ],
    }


# --- invoices ----------------------------------------------------------------------------------


def invoice_of(viewer: User | None, usage_id: int) -> Invoice:
    record = visible_usage(viewer, usage_id)
    invoice = db.session.scalar(select(Invoice).where(Invoice.usage_id == record.id))
    if invoice is None:
        raise NotFound()
    return invoice


def record_invoice(
    actor: User, usage_id: int, invoice_no: str | None, invoice_date: date | None
) -> tuple[Invoice, bool]:
    """The platform records the invoice issued for a record's fee; `created` is False when it
    replaces the record's earlier invoice (allowed while no live claim holds the record)."""
    record = visible_usage(actor, usage_id)
    if actor.role != Role.PLATFORM or actor.organization_id != record.platform_id:
        raise Forbidden()
    errors = {}
    if (message := check_text(invoice_no, INVOICE_NO_MAX_LENGTH, required=True)) is not None:
        errors["invoice_no"] = message
    if not isinstance(invoice_date, date):
        errors["invoice_date"] = Message(N_("A date like 2026-12-01 is required."))
    if errors:
        raise ValidationFailed(errors)
    number = invoice_no.strip()
    db.session.refresh(record, with_for_update=True)
    taken = db.session.scalar(
        select(Invoice).where(Invoice.invoice_no == number, Invoice.usage_id != record.id)
    )
    if taken is not None:
        raise _number_taken(number)
    invoice = db.session.scalar(select(Invoice).where(Invoice.usage_id == record.id))
    created = invoice is None
    if not created:
        if _claimed_live(record.id):
            raise InvalidState(
                N_("The record is in a submitted claim: its invoice can no longer change.")
            )
        before = {"invoice_no": invoice.invoice_no, "invoice_date": invoice.invoice_date}
        invoice.invoice_no, invoice.invoice_date = number, invoice_date
    else:
        before = {}
        invoice = Invoice(
            usage_id=record.id,
            invoice_no=number,
            invoice_date=invoice_date,
            recorded_by_id=actor.id,
        )
        db.session.add(invoice)
    try:
        db.session.flush()
    except IntegrityError:
        # the same number written for another record at the same moment
        db.session.rollback()
        raise _number_taken(number) from None
    audit.record(
        actor,
        "usage",
        record.id,
        "invoice" if created else "invoice_change",
        changes=audit.value_changes(
            before, {"invoice_no": invoice.invoice_no, "invoice_date": invoice.invoice_date}
        ),
    )
    return invoice, created


def _number_taken(number: str) -> AlreadyClaimed:
    return AlreadyClaimed(
        N_("Invoice number %(number)s is already recorded for another usage record."),
        details={"invoice_no": number},
        number=number,
    )


def invoice_is_fixed(usage_id: int) -> bool:
    """The record is in a live claim, which was computed with its invoice: the invoice stays."""
    return _claimed_live(usage_id)


def _claimed_live(usage_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists()
                .where(ClaimedUsage.usage_id == usage_id)
                .where(ClaimedUsage.claim_id == Claim.id)
                .where(Claim.status.in_(LIVE_STATUSES))
            )
        )
    )
