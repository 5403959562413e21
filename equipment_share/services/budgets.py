"""Budgets per year and funding source, and pro-rata scaling (动态调整) of approved claims to them.

Service functions (pages and API call the same ones):
- `create_budget(actor, year, source, amount) -> Budget` (finance; one per year and source)
- `budgets_query(viewer, year=None) -> Select` (finance, admin)
- `visible_budget(viewer, budget_id) -> Budget`
- `prorate(actor, budget, apply) -> Prorata`: preview (finance, admin), or apply under a lock
  (finance)

The claims scaled are the approved, unpaid claims of the budget's year that take subsidy from a
source of the budget's name. What they may share is the budget less what paid claims of that year
already took from the source. When they ask for more, each claim's share from the source is
scaled by available ÷ asked, exact to the fen (domain/subsidy.prorate: largest remainder over
claims, then over each claim's lines), and the line, source and claim totals are rewritten so
they still sum exactly. Applying twice changes nothing the second time: the claims then fit.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, func, select, type_coerce
from sqlalchemy.exc import IntegrityError

from equipment_share.domain.errors import N_, InvalidState, Message, NotFound, ValidationFailed
from equipment_share.domain.fields import check_money, check_text, collect, parse_money
from equipment_share.domain.subsidy import from_fen, to_fen
from equipment_share.domain.subsidy import prorate as prorate_to_budget
from equipment_share.domain.subsidy_states import ClaimStatus
from equipment_share.extensions import db
from equipment_share.models import (
    Budget,
    Claim,
    ClaimLineSource,
    ClaimSource,
    FundingSource,
    Money,
    Role,
    User,
)
from equipment_share.services import audit, fund_mail
from equipment_share.services.access import require_role
from equipment_share.services.locks import lock_row

MIN_YEAR, MAX_YEAR = 2000, 2100
SOURCE_MAX_LENGTH = 100


# --- budgets --------------------------------------------------------------------------------


def check_budget(year, source: str | None, amount) -> dict[str, Message]:
    year_problem = None
    if year is None:
        year_problem = Message(N_("This field is required."))
    elif isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        year_problem = Message(
            N_("Must be between %(min)d and %(max)d."), {"min": MIN_YEAR, "max": MAX_YEAR}
        )
    return collect(
        {
            "year": year_problem,
            "source": check_text(source, SOURCE_MAX_LENGTH, required=True),
            "amount": check_money(amount),
        }
    )


def create_budget(actor: User, year, source: str | None, amount) -> Budget:
    require_role(actor, Role.FINANCE)
    if problems := check_budget(year, source, amount):
        raise ValidationFailed(problems)
    budget = Budget(
        year=year, source=source.strip(), amount=parse_money(amount), created_by_id=actor.id
    )
    taken = select(Budget.id).where(Budget.year == year, Budget.source == budget.source)
    if db.session.scalar(taken) is not None:
        raise _budget_exists(budget)
    db.session.add(budget)
    try:
        db.session.flush()  # the unique constraint decides between two requests at once
    except IntegrityError:
        db.session.rollback()
        raise _budget_exists(budget) from None
    audit.record(
        actor,
        "budget",
        budget.id,
        "create",
        to_state="open",
        changes={
            "year": {"from": None, "to": year},
            "source": {"from": None, "to": budget.source},
            "amount": {"from": None, "to": f"{budget.amount:.2f}"},
        },
    )
    return budget


def _budget_exists(budget: Budget) -> InvalidState:
    return InvalidState(
        N_("There is already a budget for %(source)s in %(year)d."),
        details={"year": budget.year, "source": budget.source},
        source=budget.source,
        year=budget.year,
    )


def budgets_query(viewer: User, year: int | None = None) -> Select:
    require_role(viewer, Role.FINANCE, Role.ADMIN)
    query = select(Budget).order_by(Budget.year.desc(), Budget.source, Budget.id)
    return query if year is None else query.where(Budget.year == year)


def visible_budget(viewer: User, budget_id: int) -> Budget:
    require_role(viewer, Role.FINANCE, Role.ADMIN)
    budget = db.session.get(Budget, budget_id)
    if budget is None:
        raise NotFound()
    return budget


# --- pro rata -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimScaling:
    claim: Claim
    before: Decimal
    after: Decimal


@dataclass(frozen=True)
class Prorata:
    budget: Budget
    applied: bool
    # the budget less what paid claims of the year took from the source
    available: Decimal
    factor: Decimal
    total_before: Decimal
    total_after: Decimal
    claims: list[ClaimScaling]

    @property
    def over_budget(self) -> bool:
        return self.total_before > self.available


def paid_from_source(year: int, source: str) -> Decimal:
    return db.session.scalar(
        select(type_coerce(func.coalesce(func.sum(ClaimSource.subsidy), 0), Money))
        .join(Claim, Claim.id == ClaimSource.claim_id)
        .join(FundingSource, FundingSource.id == ClaimSource.source_id)
        .where(Claim.year == year, Claim.status == ClaimStatus.PAID, FundingSource.name == source)
    )


def _approved_claims(year: int, source: str, lock: bool) -> list[Claim]:
    query = (
        select(Claim)
        .join(ClaimSource, ClaimSource.claim_id == Claim.id)
        .join(FundingSource, FundingSource.id == ClaimSource.source_id)
        .where(
            Claim.year == year, Claim.status == ClaimStatus.APPROVED, FundingSource.name == source
        )
        .order_by(Claim.id)
    )
    if lock:
        query = query.with_for_update(of=Claim)
    return list(db.session.scalars(query).unique())


def _source_parts(claim: Claim, source: str) -> list[ClaimLineSource]:
    """The claim's line amounts from the source, in line order."""
    return [part for line in claim.lines for part in line.sources if part.source.name == source]


def prorate(actor: User, budget: Budget, apply: bool) -> Prorata:
    """Preview (apply=False: finance and admin) or apply (finance) the scaling of approved
    claims to the budget."""
    require_role(actor, *((Role.FINANCE,) if apply else (Role.FINANCE, Role.ADMIN)))
    if apply:
        # one apply at a time, whatever the process: the second sees the first's result
        lock_row(budget)
    claims = _approved_claims(budget.year, budget.source, lock=apply)
    available = max(budget.amount - paid_from_source(budget.year, budget.source), Decimal(0))
    parts = [_source_parts(claim, budget.source) for claim in claims]
    result = prorate_to_budget(
        [[to_fen(part.subsidy) for part in claim_parts] for claim_parts in parts], to_fen(available)
    )
    scalings = []
    for claim, claim_parts, scaled in zip(claims, parts, result.claims, strict=True):
        before = sum((part.subsidy for part in claim_parts), Decimal("0.00"))
        after = from_fen(sum(scaled))
        scalings.append(ClaimScaling(claim, before, after))
        if apply and after != before:
            _rewrite(actor, budget, claim, claim_parts, scaled, result.factor)
    applied = apply and result.total_after != result.total_before
    if applied:
        audit.record(
            actor,
            "budget",
            budget.id,
            "prorate",
            changes={
                "factor": str(result.factor),
                "claims_total": {
                    "from": f"{from_fen(result.total_before):.2f}",
                    "to": f"{from_fen(result.total_after):.2f}",
                },
            },
        )
    return Prorata(
        budget=budget,
        applied=applied,
        available=available,
        factor=result.factor,
        total_before=from_fen(result.total_before),
        total_after=from_fen(result.total_after),
        claims=scalings,
    )


def _rewrite(
    actor: User,
    budget: Budget,
    claim: Claim,
    parts: list[ClaimLineSource],
    scaled: tuple[int, ...],
    factor: Decimal,
) -> None:
    """New amounts from the source on each line; line, source and claim totals follow."""
    before = claim.subsidy
    for part, fen in zip(parts, scaled, strict=True):
        part.subsidy = from_fen(fen)
    for line in claim.lines:
        line.subsidy = sum((part.subsidy for part in line.sources), Decimal("0.00"))
    for claim_source in claim.sources:
        claim_source.subsidy = sum(
            (
                part.subsidy
                for line in claim.lines
                for part in line.sources
                if part.source_id == claim_source.source_id
            ),
            Decimal("0.00"),
        )
    claim.subsidy = sum((source.subsidy for source in claim.sources), Decimal("0.00"))
    db.session.flush()
    audit.record(
        actor,
        "claim",
        claim.id,
        "prorate",
        from_state=claim.status.value,
        to_state=claim.status.value,
        changes={
            "budget": {"year": budget.year, "source": budget.source},
            "factor": str(factor),
            "subsidy": {"from": f"{before:.2f}", "to": f"{claim.subsidy:.2f}"},
        },
    )
    fund_mail.claim_prorated(claim, budget, before)
