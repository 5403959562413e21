"""Booking an instrument, and every change of a booking's state.

Each operation takes the acting user and plain values, checks the rules, writes the booking,
its audit entry and its notifications in one transaction, and raises a domain error (which
changes nothing) when a rule says no.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import and_, bindparam, exists, insert, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from equipment_share.database import note_write
from equipment_share.domain.availability import Interval, is_bookable
from equipment_share.domain.bookings import (
    ACTIVE_STATUSES,
    BookingAction,
    BookingRules,
    BookingStatus,
    can_transition,
    check_booking_rules,
    is_late_cancellation,
    parse_purpose_category,
)
from equipment_share.domain.errors import (
    N_,
    BookingConflict,
    Forbidden,
    InvalidState,
    Message,
    NotFound,
    OutsideIdleWindow,
    RuleViolation,
    ValidationFailed,
)
from equipment_share.domain.fees import RateCard, estimate_for
from equipment_share.domain.fields import check_interval, check_text, clean_reason
from equipment_share.domain.rate_cards import to_rate_card
from equipment_share.extensions import db
from equipment_share.models import (
    Booking,
    Equipment,
    IdleWindow,
    IdleWindowKind,
    MaintenanceBlock,
    Organization,
    OrganizationStatus,
    OutboxMessage,
    ProductionRun,
    RateCardVersion,
    Role,
    User,
    as_loaded,
    utcnow,
)
from equipment_share.services import audit, notifications, rate_cards, usage
from equipment_share.services.access import (
    can_see_equipment,
    is_booking_sme,
    is_party_to_booking,
    is_platform_of,
    require_platform_of,
    require_role,
)
from equipment_share.services.availability import equipment_idle_time
from equipment_share.services.booking_lists import active_bookings_overlapping
from equipment_share.services.booking_states import change_status
from equipment_share.services.locks import lock_booking, lock_equipment_for_booking
from equipment_share.services.tokens import TokenHolder

PURPOSE_MAX_LENGTH = 2000


def booking_rules(equipment: "Equipment | InstrumentToBook") -> BookingRules:
    return BookingRules(
        slot_minutes=equipment.slot_minutes,
        min_booking_minutes=equipment.min_booking_minutes,
        max_booking_minutes=equipment.max_booking_minutes,
        lead_time_hours=equipment.lead_time_hours,
        horizon_days=equipment.horizon_days,
        timezone=equipment.timezone,
    )


def booking_estimate(equipment: Equipment, interval: Interval) -> Decimal:
    """What booking the interval would cost now, if used as booked."""
    return estimate_for(interval, rate_cards.rate_card_in_force(equipment)[1])


def requested_interval(start, end) -> Interval:
    errors: dict[str, Message] = {}
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime) or value.tzinfo is None:
            errors[name] = Message(N_("A date and time is required."))
    if not errors and (problem := check_interval(start, end)) is not None:
        errors["end"] = problem
    if errors:
        raise ValidationFailed(errors)
    return Interval(start, end)


def conflict_error(equipment_id: int, interval: Interval) -> BookingConflict:
    clashes = active_bookings_overlapping(equipment_id, interval)
    return BookingConflict(
        N_("The slot overlaps another booking of this instrument."),
        details={"conflicts": [Interval(clash.start_at, clash.end_at) for clash in clashes]},
    )


# What can stand in a slot's way besides idle time, in the order a refusal names it.
BLOCKERS = (("production", ProductionRun), ("maintenance", MaintenanceBlock), ("booking", Booking))


def _overlaps_requested_slot(kind: str, table):
    """Whether anything of this kind overlaps [:start, :end) of instrument :equipment_id."""
    query = select(table.id).where(
        table.equipment_id == bindparam("equipment_id"),
        table.start_at < bindparam("end"),
        table.end_at > bindparam("start"),
    )
    if table is Booking:
        query = query.where(Booking.status.in_(ACTIVE_STATUSES))
    return exists(query).label(kind)


def _check_bookable(instrument: "InstrumentToBook", interval: Interval, blockers: set[str]) -> None:
    if not is_bookable(interval, equipment_idle_time(instrument, interval)):
        raise OutsideIdleWindow(N_("The instrument is not offered at that time."))
    if blockers & {"production", "maintenance"}:
        raise OutsideIdleWindow(
            N_("The instrument is busy with production or maintenance at that time.")
        )
    if "booking" in blockers:
        raise conflict_error(instrument.id, interval)


# What booking reads of the instrument (its row has many more columns: description, photo,
# calendar settings ...), of its idle windows, and of the rate card version in force.
INSTRUMENT_READS = (
    "id",
    "platform_id",
    "timezone",
    "active",
    "requires_approval",
    "slot_minutes",
    "min_booking_minutes",
    "max_booking_minutes",
    "lead_time_hours",
    "horizon_days",
    *rate_cards.LISTED_FIELDS,
)
WINDOW_READS = (
    "kind",
    "weekdays",
    "start_time",
    "end_time",
    "valid_from",
    "valid_to",
    "start_at",
    "end_at",
)
CARD_READS = ("id", *rate_cards.STORED_FIELDS)


class PlatformStanding(NamedTuple):
    """The instrument's platform as `can_see_equipment` asks it: whether it is approved."""

    status: OrganizationStatus
    is_approved = Organization.is_approved  # the model's own rule


class IdleWindowRead(NamedTuple):
    """An idle window's columns, which `equipment_idle_time` reads as an IdleWindow's."""

    kind: IdleWindowKind
    weekdays: str
    start_time: time | None
    end_time: time | None
    valid_from: date | None
    valid_to: date | None
    start_at: datetime | None
    end_at: datetime | None


@dataclass(frozen=True)
class InstrumentToBook:
    """What booking reads of an instrument, as plain values: the booking rules, the idle windows
    and the platform's standing answer to the same names as on an Equipment (the rules and
    access checks take either), the rate card in force already made (`card`, `card_id`)."""

    id: int
    platform_id: int
    timezone: str
    active: bool
    requires_approval: bool
    slot_minutes: int
    min_booking_minutes: int
    max_booking_minutes: int
    lead_time_hours: int
    horizon_days: int
    hourly_rate: Decimal
    setup_fee: Decimal
    min_charge_minutes: int
    billing_increment_minutes: int
    platform: PlatformStanding
    idle_windows: list[IdleWindowRead]
    card_id: int | None
    card: RateCard


EQUIPMENT, WINDOWS, CARDS = Equipment.__table__, IdleWindow.__table__, RateCardVersion.__table__
PLATFORMS = Organization.__table__

# The instrument :equipment_id with its platform's status, its idle windows (one row each, or
# one row without), the rate card in force at :at, and which kinds of busy time overlap
# [:start, :end), in one Core statement built once (a booking binds its values; SQLAlchemy
# caches the SQL). Plain rows, not ORM objects: loading an Equipment with its platform, card and
# windows through the ORM cost about a sixth of a booking's CPU (benchmarks/profile_booking.py).
INSTRUMENT_TO_BOOK = (
    select(
        *(EQUIPMENT.c[name] for name in INSTRUMENT_READS),
        PLATFORMS.c.status.label("platform_status"),
        *(CARDS.c[name].label(f"card_{name}") for name in CARD_READS),
        *(WINDOWS.c[name].label(f"window_{name}") for name in WINDOW_READS),
        *(_overlaps_requested_slot(kind, table) for kind, table in BLOCKERS),
    )
    .select_from(
        EQUIPMENT.join(PLATFORMS, PLATFORMS.c.id == EQUIPMENT.c.platform_id)
        .outerjoin(
            CARDS,
            # the equality first, so the subquery runs for this instrument's versions only
            and_(
                CARDS.c.equipment_id == EQUIPMENT.c.id,
                CARDS.c.id == rate_cards.in_force_id(bindparam("at")),
            ),
        )
        .outerjoin(WINDOWS, WINDOWS.c.equipment_id == EQUIPMENT.c.id)
    )
    .where(EQUIPMENT.c.id == bindparam("equipment_id"))
    .order_by(WINDOWS.c.id)
)


def _instrument_to_book(rows) -> InstrumentToBook:
    first = rows[0]
    values = {name: first[name] for name in INSTRUMENT_READS}
    if first.card_id is None:  # no version yet: the instrument's listed fields
        card = to_rate_card(
            {name: values[name] for name in rate_cards.LISTED_FIELDS}, values["timezone"]
        )
    else:
        stored = {name: first[f"card_{name}"] for name in rate_cards.STORED_FIELDS}
        card = to_rate_card(stored, values["timezone"])
    windows = [
        IdleWindowRead(*(row[f"window_{name}"] for name in WINDOW_READS))
        for row in rows
        if row.window_kind is not None
    ]
    return InstrumentToBook(
        **values,
        platform=PlatformStanding(first.platform_status),
        idle_windows=windows,
        card_id=first.card_id,
        card=card,
    )


def _lock_and_load(
    actor: User | TokenHolder, equipment_id: int, at: datetime, interval: Interval
) -> tuple[InstrumentToBook, set[str]]:
    """Lock the instrument's row, then read it with its platform, its idle windows, the rate
    card in force at `at` and what else overlaps the interval. The read comes after the lock
    (its own statement), so it sees what a transaction that held the lock committed (a
    withdrawn idle window, a booking): in one statement with the lock, PostgreSQL would read
    the joined tables as they were before it waited."""
    lock_equipment_for_booking(equipment_id)
    values = {"equipment_id": equipment_id, "at": at, "start": interval.start, "end": interval.end}
    rows = db.session.connection().execute(INSTRUMENT_TO_BOOK, values).mappings().all()
    if not rows:
        raise NotFound()
    instrument = _instrument_to_book(rows)
    if not can_see_equipment(actor, instrument):
        raise NotFound()
    blockers = {kind for kind, _ in BLOCKERS if rows[0][kind]}
    return instrument, blockers


def may_book(actor: User | None, equipment: Equipment) -> bool:
    """An SME may ask for a slot of an instrument that is open for booking."""
    return actor is not None and actor.role == Role.SME and equipment.active


def create_booking(
    actor: User | TokenHolder,
    equipment_id: int,
    start: datetime,
    end: datetime,
    purpose: str = "",
    now: datetime | None = None,
    purpose_category: str | None = None,
) -> Booking:
    """An SME books a slot: pending when the instrument needs approval, else confirmed.

    `purpose_category` is one of PurposeCategory's values (default research). The actor may be
    the API token check's TokenHolder: booking asks only its id, role and organisation."""
    require_role(actor, Role.SME)
    interval = requested_interval(start, end)
    if (message := check_text(purpose, PURPOSE_MAX_LENGTH)) is not None:
        raise ValidationFailed({"purpose": message})
    category = parse_purpose_category(purpose_category)
    actor_id, organization_id = actor.id, actor.organization_id
    now = now or utcnow()
    instrument, blockers = _lock_and_load(actor, equipment_id, now, interval)
    if not instrument.active:
        raise RuleViolation(
            N_("The instrument is not open for booking."), details={"rule": "inactive"}
        )
    check_booking_rules(interval, booking_rules(instrument), now)
    _check_bookable(instrument, interval, blockers)
    card = instrument.card
    created_at = utcnow()
    values = {
        "equipment_id": instrument.id,
        "organization_id": organization_id,
        "booked_by_id": actor_id,
        "start_at": interval.start,
        "end_at": interval.end,
        "status": (
            BookingStatus.PENDING if instrument.requires_approval else BookingStatus.CONFIRMED
        ),
        "purpose": (purpose or "").strip(),
        "purpose_category": category,
        "hourly_rate": card.hourly_rate,
        "setup_fee": card.setup_fee,
        "min_charge_minutes": card.min_charge_minutes,
        "billing_increment_minutes": card.billing_increment_minutes,
        "rate_card_id": instrument.card_id,
        "estimated_fee": estimate_for(interval, card),
        "status_reason": "",
        "late_cancellation": False,
        "sequence": 0,
        "created_at": created_at,
        "updated_at": created_at,
    }
    booking, audited = _insert_or_conflict(values, interval, actor_id)
    set_committed_value(booking, "usage_record", None)  # a new booking has none: no query
    if not audited:
        # Last: extending the audit chain serialises every writer until commit.
        audit.append(actor_id, "booking", booking.id, "create", to_state=booking.status.value)
    return booking


BOOKINGS, OUTBOX = Booking.__table__, OutboxMessage.__table__
INSERT_BOOKING = insert(BOOKINGS).returning(BOOKINGS.c.id)
EVENT_COLUMNS = tuple(column.name for column in OUTBOX.c if column.name not in ("id", "booking_id"))


def _booked_in_one_statement():
    """PostgreSQL: the booking's INSERT, its event's outbox row and its audit entry, which
    locks the audit chain's head, in one statement: `:name` binds each column of the booking,
    `:event_name` each of the outbox row but its booking_id, the new booking's, and
    audit.following_values the entry's.

    Each statement cost the worker about 0.3 ms of CPU (benchmarks/profile_booking.py), and
    this was four. The chain serialises writers from this statement, the booking's last, until
    commit."""
    booking = (
        insert(BOOKINGS)
        .values(
            {column.name: bindparam(column.name) for column in BOOKINGS.c if column.name != "id"}
        )
        .returning(BOOKINGS.c.id)
        .cte("new_booking")
    )
    event_values = (bindparam(f"event_{name}", type_=OUTBOX.c[name].type) for name in EVENT_COLUMNS)
    event = (
        insert(OUTBOX)
        .from_select([*EVENT_COLUMNS, "booking_id"], select(*event_values, booking.c.id))
        .returning(OUTBOX.c.id)
        .cte("new_event")
    )
    head = audit.LOCK_HEAD.cte("chain_head")  # no row before the chain's first entry
    entry = audit.entry_following(head, booking.c.id)
    return select(
        booking.c.id, event.c.id.label("event_id"), entry.c.id.label("entry_id")
    ).select_from(booking.join(event, true()).outerjoin(entry, true()))


BOOKED_IN_ONE_STATEMENT = _booked_in_one_statement()
# Where it runs; elsewhere (SQLite: no INSERT in a WITH) the general path, which
# tests/services/test_booked_in_one_statement.py holds equal to it.
ONE_STATEMENT_DIALECTS = frozenset({"postgresql"})


def _insert_or_conflict(values: dict, interval: Interval, actor_id: int) -> tuple[Booking, bool]:
    """Write the booking and its "booked" event's outbox row (on PostgreSQL in one statement
    that also appends its audit entry, when the chain has a head: then True), and return the
    booking as a persistent Booking holding the values written. Not through the unit of work,
    whose flush of one new row cost about as much CPU as the statement itself
    (benchmarks/profile_booking.py), so `values` names every column.

    The database has the last word: PostgreSQL's exclusion constraint refuses an overlap."""
    session = db.session
    connection = session.connection()
    event = notifications.booking_event_values(values["status"], "booked", None)
    audited = False
    try:
        if connection.dialect.name in ONE_STATEMENT_DIALECTS:
            parameters = values | {f"event_{name}": value for name, value in event.items()}
            entry = audit.following_values(
                actor_id, "booking", "create", to_state=values["status"].value
            )
            row = connection.execute(BOOKED_IN_ONE_STATEMENT, parameters | entry).one()
            booking_id, audited = row.id, row.entry_id is not None
        else:
            booking_id = connection.execute(INSERT_BOOKING, values).scalar_one()
            connection.execute(notifications.APPEND_EVENT, event | {"booking_id": booking_id})
    except IntegrityError as error:
        session.rollback()
        if "ex_bookings_no_overlap" in str(error.orig):
            raise conflict_error(values["equipment_id"], interval) from None
        raise
    notifications.note_event_written()
    booking = as_loaded(Booking, {"id": booking_id, **values})
    session.add(booking)  # persistent, nothing to flush
    note_write(session)  # the INSERTs wrote, outside the unit of work
    return booking, audited


def approve(actor: User, booking: Booking) -> Booking:
    require_platform_of(actor, booking)
    change_status(actor, booking, BookingAction.APPROVE)
    notifications.booking_event(booking, "approved")
    return booking


def reject(actor: User, booking: Booking, reason: str) -> Booking:
    require_platform_of(actor, booking)
    reason = clean_reason(reason)
    change_status(actor, booking, BookingAction.REJECT, reason)
    notifications.booking_event(booking, "rejected")
    return booking


def may_mark_no_show(actor: User | None, booking: Booking, now: datetime | None = None) -> bool:
    """The owning platform, once a confirmed booking has started."""
    return (
        can_transition(booking.status, BookingAction.NO_SHOW)
        and is_platform_of(actor, booking)
        and (now or utcnow()) >= booking.start_at
    )


def mark_no_show(actor: User, booking: Booking, now: datetime | None = None) -> Booking:
    require_platform_of(actor, booking)
    if (now or utcnow()) < booking.start_at:
        raise RuleViolation(
            N_("A booking can be marked as a no-show only after it has started."),
            details={"rule": "not_started"},
        )
    change_status(actor, booking, BookingAction.NO_SHOW)
    usage.charge_no_show(actor, booking)
    return booking


def may_cancel(actor: User | None, booking: Booking) -> bool:
    """The booking SME and the owning platform may cancel an active booking, until it is checked
    in (its use is then recorded: the platform checks it out or corrects the times)."""
    return (
        can_transition(booking.status, BookingAction.CANCEL)
        and booking.usage_record is None
        and is_party_to_booking(actor, booking)
    )


def shows_estimate(booking: Booking) -> bool:
    """A cancelled or rejected booking costs nothing (a late cancellation has its own charge)."""
    return booking.status not in (BookingStatus.CANCELLED, BookingStatus.REJECTED)


def may_decide(actor: User | None, booking: Booking) -> bool:
    """Approve or reject: the owning platform, while the booking is pending."""
    return can_transition(booking.status, BookingAction.APPROVE) and is_platform_of(actor, booking)


def cancels_late(actor: User | None, booking: Booking, now: datetime | None = None) -> bool:
    """Whether the actor cancelling now would be a late cancellation (only the SME's count)."""
    return is_booking_sme(actor, booking) and is_late_cancellation(
        booking.start_at, now or utcnow(), booking.equipment.cancellation_deadline_hours
    )


def cancel(actor: User, booking: Booking, reason: str, now: datetime | None = None) -> Booking:
    """Cancel with a reason; an SME cancelling after the instrument's deadline cancels late."""
    if not is_party_to_booking(actor, booking):
        raise Forbidden(N_("Only the booking enterprise or the platform may cancel it."))
    reason = clean_reason(reason)
    lock_booking(booking)
    if booking.usage_record is not None:
        raise InvalidState(
            N_("The booking is checked in: it can no longer be cancelled."),
            details={"status": booking.status.value},
        )
    late = cancels_late(actor, booking, now)
    previous = change_status(actor, booking, BookingAction.CANCEL, reason)
    booking.late_cancellation = late
    # a request never approved costs nothing to withdraw
    if late and previous == BookingStatus.CONFIRMED:
        usage.charge_late_cancellation(actor, booking)
    notifications.booking_event(booking, "cancelled", actor=actor)
    return booking
