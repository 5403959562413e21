"""Subsidy: policies with their funding sources, invoices, claims and their lines, budgets,
locked periods and adjustments.

Money is exact (`Money`: integer fen) and rates are exact (`Rate`: integer ten-thousandths).
Two rules live in the database itself: an invoice number belongs to one usage record
(unique), and a usage record is in at most one live claim (`ClaimedUsage`, keyed by the record).
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from equipment_share.domain.subsidy_states import ClaimLineKind, ClaimStatus
from equipment_share.models.base import Base, Money, Rate, UTCDateTime, utcnow
from equipment_share.models.organizations import Organization, enum_column


class SubsidyPolicy(Base):
    """One version of a subsidy policy. A version used by a claim is never edited: a new
    version (same `family_id`, next `version`, `previous_version_id` pointing back) replaces it.

    `eligible_categories` and `eligible_purposes` are lists of instrument categories and
    booking purpose categories, or null for all.
    """

    __tablename__ = "subsidy_policies"
    __table_args__ = (
        UniqueConstraint("family_id", "version", name="uq_subsidy_policies_family_version"),
        CheckConstraint("min_claim_amount >= 0", name="min_claim_not_negative"),
        CheckConstraint("valid_to IS NULL OR valid_from <= valid_to", name="valid_from_le_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # the id of the family's first version (for the first version itself: its own id)
    family_id: Mapped[int | None] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(default=1)
    previous_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("subsidy_policies.id", ondelete="RESTRICT")
    )
    name: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    min_claim_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    eligible_categories: Mapped[list | None] = mapped_column(JSON)
    eligible_purposes: Mapped[list | None] = mapped_column(JSON)
    require_tech_sme: Mapped[bool] = mapped_column(default=True)
    exclude_related_parties: Mapped[bool] = mapped_column(default=True)
    # caps count across related enterprises as one group
    group_caps: Mapped[bool] = mapped_column(default=False)
    require_invoice: Mapped[bool] = mapped_column(default=False)
    platform_reward_rate: Mapped[Decimal | None] = mapped_column(Rate)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sources: Mapped[list["FundingSource"]] = relationship(
        back_populates="policy", cascade="all, delete-orphan", order_by="FundingSource.position"
    )

    def __repr__(self) -> str:
        return f"<SubsidyPolicy {self.id} {self.name!r} v{self.version}>"


class FundingSource(Base):
    """A fund that pays part of the eligible fee (e.g. provincial, city), in the policy's order.

    The name identifies the fund across policy versions: annual caps and budgets count by it.
    """

    __tablename__ = "funding_sources"
    __table_args__ = (
        UniqueConstraint("policy_id", "position", name="uq_funding_sources_policy_position"),
        UniqueConstraint("policy_id", "name", name="uq_funding_sources_policy_name"),
        CheckConstraint("rate >= 0 AND rate <= 10000", name="rate_between_0_and_1"),
        CheckConstraint("annual_cap >= 0", name="annual_cap_not_negative"),
        CheckConstraint(
            "per_claim_cap IS NULL OR per_claim_cap >= 0", name="per_claim_cap_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("subsidy_policies.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(100))
    rate: Mapped[Decimal] = mapped_column(Rate)
    annual_cap: Mapped[Decimal] = mapped_column(Money)
    per_claim_cap: Mapped[Decimal | None] = mapped_column(Money)

    policy: Mapped[SubsidyPolicy] = relationship(back_populates="sources")

    def __repr__(self) -> str:
        return f"<FundingSource {self.id} {self.name!r} {self.rate}>"


class Invoice(Base):
    """The invoice (发票) a platform issued for one usage record's fee."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    usage_id: Mapped[int] = mapped_column(
        ForeignKey("usage_records.id", ondelete="RESTRICT"), unique=True
    )
    invoice_no: Mapped[str] = mapped_column(String(64), unique=True)
    invoice_date: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Claim(Base):
    """An SME's claim for the subsidy on its confirmed usage of one period (within one year).

    Totals are the exact sums of the lines. `cap_key` is the organisation's or its group's key
    under which the subsidy counts against the annual caps, fixed at submission.
    """

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint("period_from <= period_to", name="period_from_le_to"),
        CheckConstraint("subsidy >= 0", name="subsidy_not_negative"),
        Index("ix_claims_organization_year", "organization_id", "year"),
        Index("ix_claims_cap_key_year", "cap_key", "year"),
        Index("ix_claims_status_year", "status", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    policy_id: Mapped[int] = mapped_column(
        ForeignKey("subsidy_policies.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[ClaimStatus] = mapped_column(enum_column(ClaimStatus), default=ClaimStatus.DRAFT)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    year: Mapped[int]
    total_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    eligible_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    subsidy: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    # why the whole claim earns less or nothing (e.g. below the policy's minimum claim amount)
    subsidy_note: Mapped[str] = mapped_column(String(40), default="")
    cap_key: Mapped[str | None] = mapped_column(String(64))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    notice_from: Mapped[date | None] = mapped_column(Date)
    notice_to: Mapped[date | None] = mapped_column(Date)
    paid_on: Mapped[date | None] = mapped_column(Date)
    payment_reference: Mapped[str] = mapped_column(String(100), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship()
    policy: Mapped[SubsidyPolicy] = relationship()
    lines: Mapped[list["ClaimLine"]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="ClaimLine.position"
    )
    sources: Mapped[list["ClaimSource"]] = relationship(
        back_populates="claim",
        cascade="all, delete-orphan",
        order_by="ClaimSource.position",
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"<Claim {self.id} org {self.organization_id} {self.status} {self.subsidy}>"


class ClaimLine(Base):
    """One usage record of the claim (or one adjustment it carries): its fee, the part that is
    eligible, its subsidy, or why it earns none."""

    __tablename__ = "claim_lines"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'usage' AND usage_id IS NOT NULL AND adjustment_id IS NULL) OR "
            "(kind = 'adjustment' AND adjustment_id IS NOT NULL)",
            name="usage_or_adjustment",
        ),
        Index("ix_claim_lines_claim_position", "claim_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[ClaimLineKind] = mapped_column(
        enum_column(ClaimLineKind), default=ClaimLineKind.USAGE
    )
    usage_id: Mapped[int | None] = mapped_column(
        ForeignKey("usage_records.id", ondelete="RESTRICT"), index=True
    )
    adjustment_id: Mapped[int | None] = mapped_column(
        ForeignKey("adjustments.id", ondelete="RESTRICT"), index=True
    )
    # the platform whose instrument was used: platform rewards are reported by it
    platform_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    # an adjustment's fee may be negative
    fee: Mapped[Decimal] = mapped_column(Money)
    eligible_fee: Mapped[Decimal] = mapped_column(Money)
    subsidy: Mapped[Decimal] = mapped_column(Money)
    ineligible_reason: Mapped[str | None] = mapped_column(String(20))

    claim: Mapped[Claim] = relationship(back_populates="lines")
    # loaded together with the lines they belong to: one query for a claim's lines' sources
    sources: Mapped[list["ClaimLineSource"]] = relationship(
        back_populates="line",
        cascade="all, delete-orphan",
        order_by="ClaimLineSource.source_id",
        lazy="selectin",
    )


class ClaimLineSource(Base):
    """A line's subsidy from one funding source; a line's sources sum to its subsidy."""

    __tablename__ = "claim_line_sources"

    line_id: Mapped[int] = mapped_column(
        ForeignKey("claim_lines.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("funding_sources.id", ondelete="RESTRICT"), primary_key=True
    )
    subsidy: Mapped[Decimal] = mapped_column(Money)

    line: Mapped[ClaimLine] = relationship(back_populates="sources")
    source: Mapped[FundingSource] = relationship()


class ClaimSource(Base):
    """A claim's subsidy from one funding source: the sum of its lines' from that source."""

    __tablename__ = "claim_sources"
    __table_args__ = (CheckConstraint("subsidy >= 0", name="subsidy_not_negative"),)

    claim_id: Mapped[int] = mapped_column(
        ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("funding_sources.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    subsidy: Mapped[Decimal] = mapped_column(Money)

    claim: Mapped[Claim] = relationship(back_populates="sources")
    source: Mapped[FundingSource] = relationship()


class ClaimedUsage(Base):
    """A usage record in a live (submitted, approved or paid) claim: inserted at submission,
    deleted on withdrawal or rejection. Its key makes a second live claim of a record
    impossible, whatever the application does."""

    __tablename__ = "claimed_usage"

    usage_id: Mapped[int] = mapped_column(
        ForeignKey("usage_records.id", ondelete="RESTRICT"), primary_key=True
    )
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)


class CapLock(Base):
    """One row per (cap key, year), locked while a claim is submitted under that key, so that
    two submissions check the annual caps one after the other."""

    __tablename__ = "cap_locks"

    cap_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)


class Budget(Base):
    """The money a funding source has for claims of one year."""

    __tablename__ = "budgets"
    __table_args__ = (
        UniqueConstraint("year", "source", name="uq_budgets_year_source"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    # a funding source's name
    source: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Money)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PeriodLock(Base):
    """A closed period (dates inclusive): its usage can no longer be recorded or changed."""

    __tablename__ = "period_locks"
    __table_args__ = (CheckConstraint("period_from <= period_to", name="period_from_le_to"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Adjustment(Base):
    """A later finding on a usage record of a locked period: a fee change that the SME's next
    claim carries as a line of its own (`claim_id` set once a submitted claim carries it)."""

    __tablename__ = "adjustments"
    __table_args__ = (
        CheckConstraint("fee_delta <> 0", name="fee_delta_not_zero"),
        Index("ix_adjustments_organization_claim", "organization_id", "claim_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    usage_id: Mapped[int] = mapped_column(
        ForeignKey("usage_records.id", ondelete="RESTRICT"), index=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    fee_delta: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text, default="")
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
