"""Mail to an SME when finance changes its money outside a claim's own steps: an approved claim
scaled pro rata to a budget, or an adjustment recorded on its usage. Written to the outbox in the
change's own transaction; bilingual (Chinese first), like the claim mails."""

from decimal import Decimal

from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.i18n import format_money, format_money_code
from equipment_share.models import Adjustment, Budget, Claim, OutboxMessage, Role, User
from equipment_share.services.notices import (
    adjustment_params,
    announce,
    claim_params,
    organization_users,
)
from equipment_share.services.notifications import OUTBOX_WRITTEN


def _sme_recipients(organization_id: int) -> list[str]:
    emails = db.session.scalars(
        select(User.email).where(
            User.organization_id == organization_id,
            User.role == Role.SME,
            User.active.is_(True),
        )
    )
    return sorted(set(emails))


def _queue(organization_id: int, subject: str, lines: list[str]) -> list[OutboxMessage]:
    body = "\n".join(lines) + "\n"
    messages = [
        OutboxMessage(recipient=email, subject=subject, body=body)
        for email in _sme_recipients(organization_id)
    ]
    db.session.add_all(messages)
    db.session.info[OUTBOX_WRITTEN] = True
    return messages


def claim_prorated(claim: Claim, budget: Budget, before: Decimal) -> list[OutboxMessage]:
    params = claim_params(claim) | {"before": str(before)}
    announce(
        "claim_prorated",
        "claim",
        claim.id,
        params,
        organization_users(claim.organization_id, Role.SME),
    )
    subject = (
        f"【仪器共享】补贴申报按预算调整 第 {claim.id} 号 / "
        f"Subsidy claim no. {claim.id} scaled to the budget"
    )
    return _queue(
        claim.organization_id,
        subject,
        [
            f"{budget.year} 年“{budget.source}”资金预算不足以支付全部已批准申报，"
            f"第 {claim.id} 号申报的补贴按比例调整：",
            f"{format_money(before, 'zh_CN')} → {format_money(claim.subsidy, 'zh_CN')}",
            "",
            f"The {budget.year} budget of '{budget.source}' does not cover every approved claim; "
            f"claim no. {claim.id} was scaled pro rata:",
            f"{format_money_code(before)} → {format_money_code(claim.subsidy)}",
        ],
    )


def adjustment_recorded(adjustment: Adjustment) -> list[OutboxMessage]:
    announce(
        "adjustment_recorded",
        "usage",
        adjustment.usage_id,
        adjustment_params(adjustment),
        organization_users(adjustment.organization_id, Role.SME),
    )
    subject = (
        f"【仪器共享】费用调整 使用记录第 {adjustment.usage_id} 号 / "
        f"Fee adjustment on usage record no. {adjustment.usage_id}"
    )
    return _queue(
        adjustment.organization_id,
        subject,
        [
            f"财政部门对已锁定期间的使用记录第 {adjustment.usage_id} 号作了费用调整："
            f"{format_money(adjustment.fee_delta, 'zh_CN')}",
            f"原因：{adjustment.reason}",
            "您的下一次补贴申报将把此项作为单独一行带入。",
            "",
            f"Finance adjusted the fee of usage record no. {adjustment.usage_id} (a locked period) "
            f"by {format_money_code(adjustment.fee_delta)}.",
            f"Reason: {adjustment.reason}",
            "Your next subsidy claim carries it as a line of its own.",
        ],
    )
