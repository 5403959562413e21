from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from equipment_share.models.base import Base, Money, UTCDateTime, utcnow
from equipment_share.models.equipment import Equipment


class RateCardVersion(Base):
    """What an instrument costs from `effective_from` on, until the next version takes over.

    Versions are never edited once bookings may point at them: a change is a new version.
    `rate_windows` is a list of {weekdays, start, end, hourly_rate} in the instrument's local time;
    `items` a list of {code, label, unit_price}; money in JSON is a decimal string.
    The no-show and late-cancellation charges are a kind ("fixed" or "percent") and a value.
    """

    __tablename__ = "rate_cards"
    __table_args__ = (
        UniqueConstraint("equipment_id", "effective_from"),
        CheckConstraint("hourly_rate >= 0", name="hourly_rate_not_negative"),
        CheckConstraint("setup_fee >= 0", name="setup_fee_not_negative"),
        CheckConstraint("billing_increment_minutes >= 1", name="increment_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(
        ForeignKey("equipment.id", ondelete="CASCADE"), index=True
    )
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    hourly_rate: Mapped[Decimal] = mapped_column(Money)
    setup_fee: Mapped[Decimal] = mapped_column(Money)
    min_charge_minutes: Mapped[int]
    billing_increment_minutes: Mapped[int]
    rate_windows: Mapped[list] = mapped_column(JSON, default=list)
    items: Mapped[list] = mapped_column(JSON, default=list)
    no_show_fee_kind: Mapped[str | None] = mapped_column(String(10))
    no_show_fee_value: Mapped[Decimal | None] = mapped_column(Money)
    late_cancellation_fee_kind: Mapped[str | None] = mapped_column(String(10))
    late_cancellation_fee_value: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    equipment: Mapped[Equipment] = relationship()

    def __repr__(self) -> str:
        return f"<RateCardVersion {self.id} of {self.equipment_id} from {self.effective_from}>"
