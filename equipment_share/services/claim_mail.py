"""Mail to the SME about its claim, written to the outbox in the claim's own transaction.

Bilingual (Chinese first), like the booking mails: the recipient's language is not known.
"""

from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.i18n import format_money, format_money_code
from equipment_share.models import Claim, OutboxMessage, Role, User
from equipment_share.services.notices import announce, claim_params, finance_users
from equipment_share.services.notices import organization_users as users_of
from equipment_share.services.notifications import OUTBOX_WRITTEN

CLAIM_EVENTS = {
    "submit": ("补贴申报已提交", "Subsidy claim submitted"),
    "withdraw": ("补贴申报已撤回", "Subsidy claim withdrawn"),
    "approve": ("补贴申报已通过审核", "Subsidy claim approved"),
    "reject": ("补贴申报未通过审核", "Subsidy claim rejected"),
    "notice": ("补贴申报进入公示", "Subsidy claim in public notice"),
    "pay": ("补贴已拨付", "Subsidy paid"),
}


def _recipients(claim: Claim) -> list[str]:
    emails = db.session.scalars(
        select(User.email).where(
            User.organization_id == claim.organization_id,
            User.role == Role.SME,
            User.active.is_(True),
        )
    )
    return sorted(set(emails))


def _compose(claim: Claim, event: str) -> tuple[str, str]:
    event_zh, event_en = CLAIM_EVENTS[event]
    period = f"{claim.period_from:%Y-%m-%d} – {claim.period_to:%Y-%m-%d}"
    subject = f"【仪器共享】{event_zh} 第 {claim.id} 号 / {event_en} no. {claim.id}"
    lines = [
        f"{event_zh}：第 {claim.id} 号申报，期间 {period}",
        f"费用合计：{format_money(claim.total_fee, 'zh_CN')}，"
        f"符合条件：{format_money(claim.eligible_fee, 'zh_CN')}",
        f"补贴金额：{format_money(claim.subsidy, 'zh_CN')}",
    ]
    if claim.status_reason:
        lines.append(f"原因：{claim.status_reason}")
    if event == "notice" and claim.notice_from:
        lines.append(f"公示期：{claim.notice_from:%Y-%m-%d} 至 {claim.notice_to:%Y-%m-%d}")
    if event == "pay":
        lines.append(f"拨付日期：{claim.paid_on:%Y-%m-%d}，凭证号：{claim.payment_reference}")
    lines += [
        "",
        f"{event_en}: claim no. {claim.id}, period {period}",
        f"Fees: {format_money_code(claim.total_fee)}, "
        f"eligible: {format_money_code(claim.eligible_fee)}",
        f"Subsidy: {format_money_code(claim.subsidy)}",
    ]
    if claim.status_reason:
        lines.append(f"Reason: {claim.status_reason}")
    if event == "notice" and claim.notice_from:
        lines.append(f"Public notice: {claim.notice_from:%Y-%m-%d} to {claim.notice_to:%Y-%m-%d}")
    if event == "pay":
        lines.append(f"Paid on {claim.paid_on:%Y-%m-%d}, reference {claim.payment_reference}")
    return subject, "\n".join(lines) + "\n"


# In the app: a submitted claim to finance (its queue), a decision to the SME; a withdrawal
# needs nobody's attention beyond the mail.
NOTICES = {
    "submit": "claim_submitted",
    "approve": "claim_approved",
    "reject": "claim_rejected",
    "notice": "claim_notice",
    "pay": "claim_paid",
}


def _announce_claim(claim: Claim, event: str) -> None:
    kind = NOTICES.get(event)
    if kind is None:
        return
    recipients = finance_users() if event == "submit" else users_of(claim.organization_id, Role.SME)
    announce(kind, "claim", claim.id, claim_params(claim), recipients)


def claim_event(claim: Claim, event: str) -> list[OutboxMessage]:
    _announce_claim(claim, event)
    subject, body = _compose(claim, event)
    messages = [
        OutboxMessage(recipient=email, subject=subject, body=body) for email in _recipients(claim)
    ]
    db.session.add_all(messages)
    db.session.info[OUTBOX_WRITTEN] = True
    return messages
