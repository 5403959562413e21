from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from equipment_share.domain.usage import UsageKind, UsageStatus
from equipment_share.models.base import Base, Money, UTCDateTime, utcnow
from equipment_share.models.bookings import Booking
from equipment_share.models.organizations import enum_column


class UsageRecord(Base):
    """What a booking was actually used for and what it costs, priced by its frozen rate card.

    One per booking: the use itself, or the no-show or late-cancellation charge. `lines` is the
    fee statement (money as decimal strings); `fee` is their sum. Corrections change the record
    in place; the audit log keeps every earlier value.
    """

    __tablename__ = "usage_records"
    __table_args__ = (
        CheckConstraint("fee >= 0", name="fee_not_negative"),
        CheckConstraint("billable_minutes >= 0", name="billable_not_negative"),
        Index("ix_usage_records_sme_period", "organization_id", "occurred_at"),
        Index("ix_usage_records_platform_period", "platform_id", "occurred_at"),
        Index("ix_usage_records_equipment_period", "equipment_id", "occurred_at"),
        # city-wide metrics over a period read this index alone, never the wide rows
        Index(
            "ix_usage_records_metrics",
            "occurred_at",
            "platform_id",
            "organization_id",
            "status",
            "kind",
            "actual_minutes",
            "fee",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="RESTRICT"), unique=True
    )
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"))
    # the SME that used the instrument and the platform that owns it, for statements
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    platform_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    kind: Mapped[UsageKind] = mapped_column(enum_column(UsageKind), default=UsageKind.USAGE)
    status: Mapped[UsageStatus] = mapped_column(enum_column(UsageStatus), index=True)
    actual_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actual_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the instant a statement period is matched against: the actual start, else the booked start
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actual_minutes: Mapped[int] = mapped_column(default=0)
    billable_minutes: Mapped[int] = mapped_column(default=0)
    fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    lines: Mapped[list] = mapped_column(JSON, default=list)
    items: Mapped[list] = mapped_column(JSON, default=list)
    overrun: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    corrections: Mapped[int] = mapped_column(default=0)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # confirmed by the daily job because the SME did not answer in time
    confirmed_automatically: Mapped[bool] = mapped_column(default=False)
    # when the status last changed: the auto-confirmation clock starts here
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    booking: Mapped[Booking] = relationship(backref=backref("usage_record", uselist=False))

    @property
    def auto_confirmed(self) -> bool:
        return self.status == UsageStatus.CONFIRMED and self.confirmed_automatically

    def __repr__(self) -> str:
        return f"<UsageRecord {self.id} booking {self.booking_id} {self.kind} {self.status}>"
