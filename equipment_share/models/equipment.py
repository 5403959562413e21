import enum
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from equipment_share.models.base import Base, Money, UTCDateTime, utcnow
from equipment_share.models.organizations import Organization, enum_column


class Equipment(Base):
    """A shared research instrument with its rate card and booking rules."""

    __tablename__ = "equipment"
    __table_args__ = (
        CheckConstraint("hourly_rate >= 0", name="hourly_rate_not_negative"),
        CheckConstraint("setup_fee >= 0", name="setup_fee_not_negative"),
        CheckConstraint("slot_minutes > 0", name="slot_positive"),
        CheckConstraint("min_booking_minutes <= max_booking_minutes", name="min_le_max_booking"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(40), index=True)
    model: Mapped[str] = mapped_column(String(200), default="")
    location: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    photo_filename: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    hourly_rate: Mapped[Decimal] = mapped_column(Money)
    setup_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    min_charge_minutes: Mapped[int] = mapped_column(default=0)
    billing_increment_minutes: Mapped[int] = mapped_column(default=30)
    slot_minutes: Mapped[int] = mapped_column(default=30)
    min_booking_minutes: Mapped[int] = mapped_column(default=30)
    max_booking_minutes: Mapped[int] = mapped_column(default=480)
    lead_time_hours: Mapped[int] = mapped_column(default=24)
    horizon_days: Mapped[int] = mapped_column(default=60)
    requires_approval: Mapped[bool] = mapped_column(default=True)
    cancellation_deadline_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    platform: Mapped[Organization] = relationship(back_populates="equipment")
    idle_windows: Mapped[list["IdleWindow"]] = relationship(
        back_populates="equipment",
        cascade="all, delete-orphan",
        order_by="IdleWindow.id",
    )

    def display_name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name

    def __repr__(self) -> str:
        return f"<Equipment {self.id} {self.name!r}>"


class IdleWindowKind(enum.StrEnum):
    WEEKLY = "weekly"
    ONCE = "once"


class IdleWindow(Base):
    """Time an instrument is offered: a weekly rule in its local time, or one period in UTC."""

    __tablename__ = "idle_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(
        ForeignKey("equipment.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[IdleWindowKind] = mapped_column(enum_column(IdleWindowKind))
    # weekly: comma-separated weekdays, Monday=0
    weekdays: Mapped[str] = mapped_column(String(20), default="")
    start_time: Mapped[time | None]
    end_time: Mapped[time | None]
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    # once
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    equipment: Mapped[Equipment] = relationship(back_populates="idle_windows")

    @property
    def weekday_numbers(self) -> list[int]:
        return [int(day) for day in self.weekdays.split(",") if day != ""]
