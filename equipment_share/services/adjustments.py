"""Adjustments: a later finding on usage of a locked period (a fee found too high or too low)
becomes a fee change of its own, never a silent edit of the record. The SME's next claim carries
it as an adjustment line (services/claims.draft_claim), judged by its usage record's facts;
the SME is told by mail.

Service functions (pages and API call the same ones):
- `create_adjustment(actor, usage_id, fee_delta, reason) -> Adjustment` (finance)
- `adjustments_query(viewer, *, usage_id=None, organization_id=None) -> Select`
  (finance and admin all, an SME its own)
- `may_adjust(actor, record) -> bool`
- `adjusted_fee(record) -> Decimal`: the record's fee with its adjustments
- `adjustable_record(viewer, usage_id) -> AdjustableRecord | None`: a record as the form shows it
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import Select, false, func, select

from equipment_share.domain.errors import N_, InvalidState, Message, NotFound, ValidationFailed
from equipment_share.domain.fields import (
    MAX_MONEY,
    REASON_MAX_LENGTH,
    REQUIRED,
    check_text,
    collect,
)
from equipment_share.extensions import db
from equipment_share.models import Adjustment, Role, UsageRecord, User
from equipment_share.services import audit, fund_mail, period_locks
from equipment_share.services.access import require_role
from equipment_share.services.locks import lock_row


def parse_fee_delta(value) -> Decimal | None:
    """A signed amount with at most two decimals, not zero; None when it is not one."""
    if value is None or isinstance(value, bool | float):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount == 0 or abs(amount) > MAX_MONEY:
        return None
    if amount.as_tuple().exponent < -2:
        return None
    return amount.quantize(Decimal("0.01"))


def check_adjustment(fee_delta, reason: str | None) -> dict[str, Message]:
    delta_problem = None
    if fee_delta is None or str(fee_delta).strip() == "":
        delta_problem = REQUIRED
    elif parse_fee_delta(fee_delta) is None:
        delta_problem = Message(
            N_("An amount other than 0, such as -120.00 or 35.50, with at most two decimals.")
        )
    return collect(
        {
            "fee_delta": delta_problem,
            "reason": check_text(reason, REASON_MAX_LENGTH, required=True),
        }
    )


def adjusted_fee(record: UsageRecord) -> Decimal:
    deltas = db.session.scalars(
        select(Adjustment.fee_delta).where(Adjustment.usage_id == record.id)
    ).all()
    return record.fee + sum(deltas, Decimal("0.00"))


@dataclass(frozen=True)
class AdjustableRecord:
    record: UsageRecord
    locked: bool
    adjusted_fee: Decimal


def may_adjust(actor: User | None, record: UsageRecord) -> bool:
    """Finance, on a record whose period is locked."""
    return (
        actor is not None
        and actor.role == Role.FINANCE
        and period_locks.is_locked(record.occurred_at)
    )


def adjustable_record(viewer: User, usage_id: int) -> AdjustableRecord | None:
    """The record with what finance needs to adjust it: whether its period is locked (only
    then can it be adjusted) and its fee with the adjustments so far."""
    require_role(viewer, Role.FINANCE, Role.ADMIN)
    record = db.session.get(UsageRecord, usage_id)
    if record is None:
        return None
    return AdjustableRecord(
        record, period_locks.is_locked(record.occurred_at), adjusted_fee(record)
    )


def create_adjustment(
    actor: User, usage_id: int | None, fee_delta, reason: str | None
) -> Adjustment:
    """Finance records a fee change on a usage record of a locked period."""
    require_role(actor, Role.FINANCE)
    problems = check_adjustment(fee_delta, reason)
    record = db.session.get(UsageRecord, usage_id) if usage_id is not None else None
    if usage_id is None:
        problems["usage_id"] = REQUIRED
    if problems:
        raise ValidationFailed(problems)
    if record is None:
        raise NotFound()
    lock_row(record)  # adjustments of one record in turn
    if not period_locks.is_locked(record.occurred_at):
        raise InvalidState(
            N_("Only usage in a locked period is adjusted; this record can still be corrected.")
        )
    delta = parse_fee_delta(fee_delta)
    if adjusted_fee(record) + delta < 0:
        raise ValidationFailed(
            {
                "fee_delta": Message(
                    N_("The fee would fall below zero: it is %(fee)s now."),
                    {"fee": f"{adjusted_fee(record):.2f}"},
                )
            }
        )
    adjustment = Adjustment(
        usage_id=record.id,
        organization_id=record.organization_id,
        fee_delta=delta,
        reason=reason.strip(),
        created_by_id=actor.id,
    )
    db.session.add(adjustment)
    db.session.flush()
    audit.record(
        actor,
        "adjustment",
        adjustment.id,
        "create",
        to_state="open",
        reason=adjustment.reason,
        changes={
            "usage_id": {"from": None, "to": record.id},
            "fee_delta": {"from": None, "to": f"{delta:.2f}"},
        },
    )
    fund_mail.adjustment_recorded(adjustment)
    return adjustment


def adjustments_query(
    viewer: User, *, usage_id: int | None = None, organization_id: int | None = None
) -> Select:
    """Newest first: every adjustment for finance and admin, an SME's own, none for platforms."""
    query = select(Adjustment).order_by(Adjustment.created_at.desc(), Adjustment.id.desc())
    if viewer.role == Role.SME:
        query = query.where(Adjustment.organization_id == viewer.organization_id)
    elif viewer.role not in (Role.FINANCE, Role.ADMIN):
        return query.where(false())
    if usage_id is not None:
        query = query.where(Adjustment.usage_id == usage_id)
    if organization_id is not None:
        query = query.where(Adjustment.organization_id == organization_id)
    return query


def count_open(organization_id: int) -> int:
    """Adjustments no submitted claim carries yet."""
    return db.session.scalar(
        select(func.count())
        .select_from(Adjustment)
        .where(Adjustment.organization_id == organization_id, Adjustment.claim_id.is_(None))
    )
