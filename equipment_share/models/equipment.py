import enum
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from equipment_share.models.base import Base, Money, UTCDateTime, utcnow
from equipment_share.models.organizations import Organization, enum_column

KEYWORD_SEPARATOR = "\n"


class Equipment(Base):
    """A shared research instrument with its rate card and booking rules."""

    __tablename__ = "equipment"
    __table_args__ = (
        CheckConstraint("hourly_rate >= 0", name="hourly_rate_not_negative"),
        CheckConstraint("setup_fee >= 0", name="setup_fee_not_negative"),
        CheckConstraint("slot_minutes > 0", name="slot_positive"),
        CheckConstraint("min_booking_minutes <= max_booking_minutes", name="min_le_max_booking"),
        # the few instruments closed for booking, which the free search's count leaves out
        Index(
            "ix_equipment_inactive",
            "id",
            postgresql_where=text("NOT active"),
            sqlite_where=text("NOT active"),
        ),
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
    # for the national sharing evaluation (原值, 购置年份): instruments of ¥500,000 and more are scored
    original_value: Mapped[Decimal | None] = mapped_column(Money)
    purchase_year: Mapped[int | None]
    # aliases and abbreviations the catalogue search also matches ("SEM", "扫描电镜"), one a
    # line; read and written as a list through `keywords`
    keywords_text: Mapped[str] = mapped_column("keywords", Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    platform: Mapped[Organization] = relationship(back_populates="equipment")
    idle_windows: Mapped[list["IdleWindow"]] = relationship(
        back_populates="equipment",
        cascade="all, delete-orphan",
        order_by="IdleWindow.id",
    )

    @property
    def keywords(self) -> list[str]:
        return [keyword for keyword in self.keywords_text.split(KEYWORD_SEPARATOR) if keyword]

    @keywords.setter
    def keywords(self, values: list[str]) -> None:
        self.keywords_text = KEYWORD_SEPARATOR.join(values)

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

    @property
    def overnight(self) -> bool | None:
        """A weekly window that ends the next day (its end at or before its start)."""
        if self.start_time is None or self.end_time is None:
            return None
        return self.end_time <= self.start_time


def range_index(name: str, table_where: str | None = None) -> Index:
    """A GiST index over the row's time range [start_at, end_at), PostgreSQL only: it answers
    "which rows overlap (or contain) this window" across all instruments at once."""
    return Index(
        name,
        func.tstzrange(text("start_at"), text("end_at"), "[)"),
        postgresql_using="gist",
        postgresql_where=text(table_where) if table_where else None,
    ).ddl_if(dialect="postgresql")


class IdleSpan(Base):
    """An instrument's idle time, expanded from its idle windows and merged, within the span
    coverage (`IdleSpanCoverage`). Derived data: rebuilt whenever the instrument's idle windows
    or time zone change (`services/idle_spans.py`), so that the cross-platform "free between …
    and …" search is one indexed query instead of expanding every instrument's rules."""

    __tablename__ = "idle_spans"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="start_before_end"),
        Index("ix_idle_spans_equipment_start", "equipment_id", "start_at"),
        range_index("ix_idle_spans_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdleSpanCoverage(Base):
    """The one period for which idle spans exist (a single row, or none before the first
    `flask refresh-idle-spans`); searches outside it expand the idle windows instead."""

    __tablename__ = "idle_span_coverage"

    id: Mapped[int] = mapped_column(primary_key=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
