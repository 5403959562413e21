from datetime import datetime
from decimal import Decimal

from sqlalchemy import DDL, CheckConstraint, ForeignKey, Index, String, Text, event, func, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from equipment_share.domain.bookings import ACTIVE_STATUSES, BookingStatus, PurposeCategory
from equipment_share.models.base import Base, Money, UTCDateTime, utcnow
from equipment_share.models.equipment import Equipment, range_index
from equipment_share.models.organizations import Organization, enum_column
from equipment_share.models.users import User

ACTIVE_STATUS_SQL = ", ".join(f"'{status.value}'" for status in sorted(ACTIVE_STATUSES))


class Booking(Base):
    """An SME's claim on a slot of an instrument, with the rate card frozen when it was made.

    On PostgreSQL an exclusion constraint makes overlapping active bookings of one instrument
    impossible, whatever the application does; on SQLite the booking service takes the write
    lock before it checks and inserts.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="start_before_end"),
        ExcludeConstraint(
            ("equipment_id", "="),
            (func.tstzrange(text("start_at"), text("end_at"), "[)"), "&&"),
            name="ex_bookings_no_overlap",
            using="gist",
            where=text(f"status IN ({ACTIVE_STATUS_SQL})"),
        ).ddl_if(dialect="postgresql"),
        Index("ix_bookings_equipment_time", "equipment_id", "start_at", "end_at"),
        # Written tstzrange(start_at, end_at) (two arguments, '[)' by default), not as the
        # exclusion constraint writes it: an index on (equipment_id, range) can answer "which
        # bookings overlap this window" too, by reading all of it, and at 10 M bookings the
        # planner chose it, being smaller (2-3 s). The free search writes the range this way,
        # so that only this index matches (`services/availability.py`, `not_blocked`). It
        # carries the columns that search reads: an index-only scan where the table is vacuumed.
        Index(
            "ix_bookings_active_span",
            func.tstzrange(text("start_at"), text("end_at")),
            postgresql_using="gist",
            postgresql_include=["equipment_id", "start_at", "end_at"],
            postgresql_where=text(f"status IN ({ACTIVE_STATUS_SQL})"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    booked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[BookingStatus] = mapped_column(enum_column(BookingStatus), index=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    # what the use is for: subsidy policies may count only some purposes (R&D, not certification)
    purpose_category: Mapped[PurposeCategory] = mapped_column(
        enum_column(PurposeCategory),
        default=PurposeCategory.RESEARCH,
        server_default=PurposeCategory.RESEARCH.value,
    )
    # the rate card in force when the booking was made
    hourly_rate: Mapped[Decimal] = mapped_column(Money)
    setup_fee: Mapped[Decimal] = mapped_column(Money)
    min_charge_minutes: Mapped[int]
    billing_increment_minutes: Mapped[int]
    # the full rate card version (rate windows, items, no-show and late-cancellation charges)
    rate_card_id: Mapped[int | None] = mapped_column(
        ForeignKey("rate_cards.id", ondelete="RESTRICT")
    )
    estimated_fee: Mapped[Decimal] = mapped_column(Money)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    late_cancellation: Mapped[bool] = mapped_column(default=False)
    # grows on every change: iCalendar SEQUENCE and cheap change detection
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    equipment: Mapped[Equipment] = relationship()
    organization: Mapped[Organization] = relationship()
    booked_by: Mapped[User] = relationship()

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def __repr__(self) -> str:
        return (
            f"<Booking {self.id} {self.equipment_id} {self.start_at}–{self.end_at} {self.status}>"
        )


class ProductionRun(Base):
    """Time the instrument is busy with the platform's own production (filled from .ics imports)."""

    __tablename__ = "production_runs"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="start_before_end"),
        range_index("ix_production_runs_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(
        ForeignKey("equipment.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(String(300), default="")
    source_uid: Mapped[str] = mapped_column(String(300), default="")


class MaintenanceBlock(Base):
    """Time the platform takes the instrument out of service."""

    __tablename__ = "maintenance_blocks"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="start_before_end"),
        range_index("ix_maintenance_blocks_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(
        ForeignKey("equipment.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The exclusion constraint compares equipment ids with "=" inside a GiST index.
event.listen(
    Booking.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),
)
