"""iCalendar for the site: secret feed links, feeds of bookings and idle time, production imports.

Feeds are read by calendar clients that send no language, so their fixed texts are bilingual.
Each feed is stamped (DTSTAMP) with the time its content last changed rather than the time it is
served, so an unchanged feed keeps its bytes and its ETag. The same one-booking calendar is
served at /bookings/<id>.ics and attached to every mail about the booking
(services/booking_calendar.py).
"""

import hashlib
import secrets
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate
from operator import attrgetter, itemgetter
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import BigInteger, delete, func, insert, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.functions import FunctionElement

from equipment_share.domain.availability import Interval, Span, free_spans
from equipment_share.domain.bookings import ACTIVE_STATUSES, BookingStatus
from equipment_share.domain.calendar_export import (
    EPOCH,
    Feed,
    FeedWriter,
    epoch_microseconds,
    utc_text,
)
from equipment_share.domain.calendar_import import ProductionRun as ParsedRun
from equipment_share.domain.calendar_import import parse_production_calendar
from equipment_share.domain.errors import Forbidden
from equipment_share.extensions import db
from equipment_share.i18n import DEFAULT_LOCALE
from equipment_share.models import (
    Booking,
    Equipment,
    IdleWindow,
    MaintenanceBlock,
    Organization,
    ProductionRun,
    Role,
    User,
    utcnow,
)
from equipment_share.services.access import owns_equipment
from equipment_share.services.availability import blocks_by_equipment, equipment_idle_time
from equipment_share.services.booking_calendar import STATUS_OF, booking_texts, event_words
from equipment_share.services.booking_lists import (
    active_bookings_overlapping,
    visible_bookings_query,
)
from equipment_share.services.locks import lock_equipment_for_booking
from equipment_share.services.page_fingerprints import instrument_fingerprint

PAST = timedelta(days=30)
BOOKED = "已预约 / Booked"
AVAILABLE = "可预约 / Available"
ENDED_STATUSES = (BookingStatus.CANCELLED, BookingStatus.REJECTED)


# ---------------------------------------------------------------------------------------------
# Secret feed links


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def make_feed_secret(user: User) -> str:
    """A new secret for the user's feed link; the previous link stops working."""
    secret = secrets.token_urlsafe(24)
    user.calendar_feed_hash = _digest(secret)
    db.session.flush()
    return secret


def revoke_feed_secret(user: User) -> None:
    user.calendar_feed_hash = None
    db.session.flush()


def user_for_feed_secret(secret: str) -> User | None:
    if not secret:
        return None
    user = db.session.scalar(
        select(User)
        .options(joinedload(User.organization))  # is_active reads it: one query, not two
        .where(User.calendar_feed_hash == _digest(secret))
    )
    if user is None or not user.is_active:
        return None
    return user


# ---------------------------------------------------------------------------------------------
# Export


def _day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _latest(*stamps: datetime | None) -> datetime:
    return max(stamp for stamp in stamps if stamp is not None)


class epoch_us(FunctionElement):  # noqa: N801 (used like a SQL function)
    """A UTC instant column as whole microseconds since 1970, computed by the database: the
    feeds read thousands and write them without building a datetime per value."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_us, "sqlite")
def _epoch_us_sqlite(element, compiler, **kw):
    # SQLAlchemy stores UTC as 'YYYY-MM-DD HH:MM:SS.ffffff': the whole seconds, then the
    # fraction (strftime would round it to milliseconds, and ...59.9999995 to the next second).
    column = compiler.process(element.clauses, **kw)
    return (
        f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000"
        f" + CAST(substr({column}, 21, 6) AS INTEGER))"
    )


@compiles(epoch_us, "postgresql")
def _epoch_us_postgresql(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"


# Moves every fingerprint ETag when the feeds' text changes for the same rows (a new release).
FEED_FORMAT = "feeds 2"


def _equipment_window(equipment: Equipment, start: datetime) -> Interval:
    return _feed_window(equipment.horizon_days, start)


def _feed_window(horizon_days: int, start: datetime) -> Interval:
    return Interval(start - PAST, start + timedelta(days=horizon_days + 1))


# Each instrument's booking horizon as this process last saw it, for `public_feed_etag`.
_horizons: dict[int, int] = {}


def _fingerprint_etag(*values) -> str:
    text = "\n".join(str(value) for value in (FEED_FORMAT, *values))
    return f'"{hashlib.sha256(text.encode()).hexdigest()}"'


def equipment_feed_etag(equipment: Equipment, now: datetime | None = None) -> str:
    """The instrument feed's ETag from what it is made of, without building it: the day (the
    window moves daily) and the fingerprint of the instrument's window that the public pages
    use too (its row, its idle windows, and the bookings, production runs and maintenance in
    the window). A 304 costs that one query."""
    start = _day_start(now or utcnow())
    _horizons[equipment.id] = equipment.horizon_days
    fingerprint = instrument_fingerprint(equipment.id, _equipment_window(equipment, start))
    return _fingerprint_etag("equipment", start.isoformat(), *fingerprint.values)


def public_feed_etag(equipment_id: int, now: datetime | None = None) -> str | None:
    """The instrument feed's ETag from the fingerprint query alone, without loading the
    instrument and its platform: when the instrument is public (active on an approved platform,
    so anyone may read its feed) and this process has seen its horizon; None otherwise.

    A horizon seen before a change cannot give a false 304: the ETag holds the window, so it
    only equals one `equipment_feed_etag` gave if the horizon was the same then, and the
    instrument's `updated_at`, so that nothing changed since."""
    horizon_days = _horizons.get(equipment_id)
    if horizon_days is None:
        return None
    start = _day_start(now or utcnow())
    fingerprint = instrument_fingerprint(equipment_id, _feed_window(horizon_days, start))
    if fingerprint is None or not fingerprint.public:
        return None
    return _fingerprint_etag("equipment", start.isoformat(), *fingerprint.values)


def user_feed_etag(user: User, now: datetime | None = None) -> str:
    """The personal feed's ETag in one query: the day, and the bookings it shows (how many, the
    latest change) with their instruments' latest change. An organisation renamed shows by the
    next day (the day is part of the ETag) or at the next change of a booking."""
    since = _day_start(now or utcnow()) - PAST
    shown = _user_bookings_query(user, since)
    if shown is None:
        return _fingerprint_etag("user", user.id, "nothing", since.isoformat())
    shown = shown.order_by(None)
    equipment_ids = shown.with_only_columns(Booking.equipment_id).distinct()
    row = db.session.execute(
        select(
            shown.with_only_columns(func.count()).scalar_subquery(),
            shown.with_only_columns(func.max(Booking.updated_at)).scalar_subquery(),
            shown.with_only_columns(func.sum(Booking.id)).scalar_subquery(),
            select(func.max(Equipment.updated_at))
            .where(Equipment.id.in_(equipment_ids))
            .scalar_subquery(),
        )
    ).one()
    return _fingerprint_etag(
        "user", user.id, user.role.value, user.organization_id, since.isoformat(), *row
    )


def equipment_feed(equipment: Equipment, now: datetime | None = None) -> Feed:
    """Active bookings as anonymous busy blocks and free idle time as transparent events."""
    start = _day_start(now or utcnow())
    window = _equipment_window(equipment, start)
    rows = _busy_blocks(equipment.id, window)
    stamp = _latest(
        start,
        equipment.updated_at,
        *(window.created_at for window in equipment.idle_windows),
        _instant(max((row.updated_at for row in rows), default=None)),
    )
    writer = FeedWriter(name=equipment.name, tz=ZoneInfo(equipment.timezone), now=stamp)
    busy, free = writer.details(BOOKED), writer.details(AVAILABLE, transparent=True)
    events = [
        writer.event(
            start_at,
            end_at,
            f"booking-{booking_id}@equipment-share",
            sequence=sequence,
            status=STATUS_OF.get(status, "CONFIRMED"),
            last_modified=updated_at,
            details=busy,
            plain_uid=True,  # digits between ASCII words, 48 characters at most
        )
        for booking_id, start_at, end_at, status, sequence, updated_at in rows
    ]
    for begins, ends in _free_time(equipment, window, rows):
        uid = f"idle-{equipment.id}-{utc_text(begins)}@equipment-share"
        events.append(writer.event(begins, ends, uid, details=free, plain_uid=True))
    body = writer.calendar(events)
    return Feed(body, stamp, f"equipment-{equipment.id}.ics", _idle_time_version(equipment))


def _busy_blocks(equipment_id: int, window: Interval):
    """The active bookings the instrument feed shows, as rows with their instants in epoch
    microseconds: a busy instrument's feed has thousands, and neither Booking objects nor
    datetimes are built for them."""
    return _rows(
        select(
            Booking.id,
            epoch_us(Booking.start_at).label("start_at"),
            epoch_us(Booking.end_at).label("end_at"),
            Booking.status,
            Booking.sequence,
            epoch_us(Booking.updated_at).label("updated_at"),
        ).where(
            Booking.equipment_id == equipment_id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at < window.end,
            Booking.end_at > window.start,
        )
    )


def _rows(statement) -> list:
    """The statement's rows, run on the session's connection: for thousands of rows of plain
    columns the ORM's result handling costs a sixth to a quarter of the CPU (the instrument
    feed's 8,400 bookings: 45 -> 39 ms on SQLite, 19 -> 14 ms on PostgreSQL). Pending changes
    are flushed first, as the session's execute would."""
    db.session.flush()
    return db.session.connection().execute(statement).all()


def _free_time(equipment: Equipment, window: Interval, bookings) -> list[Span]:
    """Idle time minus production, maintenance and the bookings already read for the feed
    (services.availability.equipment_availability, without reading the bookings again), in
    epoch microseconds: the bookings' instants as the query gave them, no Interval each."""
    blocks = blocks_by_equipment([equipment.id], window, (ProductionRun, MaintenanceBlock))
    busy = [_span(interval) for interval in blocks[equipment.id]]
    busy += map(_BOOKING_SPAN, bookings)
    idle = [_span(interval) for interval in equipment_idle_time(equipment, window)]
    return free_spans(idle, busy, _span(window))


_BOOKING_SPAN = itemgetter(1, 2)  # (start_at, end_at) of a _busy_blocks row


def _span(interval: Interval) -> Span:
    return epoch_microseconds(interval.start), epoch_microseconds(interval.end)


def _instant(microseconds: int | None) -> datetime | None:
    """An epoch_us value back as an aware UTC datetime."""
    if microseconds is None:
        return None
    return EPOCH + timedelta(microseconds=microseconds)


def _idle_time_version(equipment: Equipment) -> str:
    """The instrument's idle windows (ids and values, so also their count) and its last change.

    Adding a window moves the feed's Last-Modified (its created_at); withdrawing one leaves no
    row to date the change by, so this digest moves the ETag instead.
    """
    parts = [f"equipment {equipment.id} {equipment.updated_at.isoformat()}"]
    windows = sorted(equipment.idle_windows, key=attrgetter("id"))
    parts += [_window_text(window) for window in windows]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _window_text(window: IdleWindow) -> str:
    values = (
        window.kind.value,
        window.weekdays,
        window.start_time,
        window.end_time,
        window.valid_from,
        window.valid_to,
        window.start_at,
        window.end_at,
        window.created_at,
    )
    return f"{window.id} " + " ".join("-" if value is None else str(value) for value in values)


def _user_bookings_query(user: User, since: datetime):
    """An SME's organisation's bookings or a platform's instruments' bookings, from 30 days ago;
    those cancelled or rejected are kept for 30 days after the change, so clients drop them."""
    if user.role not in (Role.SME, Role.PLATFORM):
        return None
    return visible_bookings_query(user, start=since).where(
        or_(Booking.status.not_in(ENDED_STATUSES), Booking.updated_at >= since)
    )


def user_feed(user: User, now: datetime | None = None) -> Feed:
    start = _day_start(now or utcnow())
    query = _user_bookings_query(user, start - PAST)
    rows = [] if query is None else _rows(_feed_columns(query))
    stamp = _latest(start - PAST, _instant(max((row.updated_at for row in rows), default=None)))
    name = user.organization.name if user.organization else user.email
    zone = ZoneInfo(current_app.config["TIMEZONE"])  # the feed spans instruments
    writer = FeedWriter(name=name, tz=zone, now=stamp)
    texts = _BookingTexts(writer, user, rows)
    events = [
        writer.event(
            start_at,
            end_at,
            f"booking-{booking_id}@equipment-share",
            sequence=sequence,
            status=STATUS_OF.get(status, "CONFIRMED"),
            last_modified=updated_at,
            details=texts.details(status, purpose, reason, equipment_id, organization_id),
            plain_uid=True,  # digits between ASCII words, 48 characters at most
        )
        for (
            booking_id,
            start_at,
            end_at,
            status,
            sequence,
            updated_at,
            purpose,
            reason,
            equipment_id,
            organization_id,
        ) in rows
    ]
    return Feed(writer.calendar(events), stamp, "bookings.ics")


def _feed_columns(query):
    """The personal feed's query as rows of the columns it writes, instants in epoch
    microseconds (no Booking objects, nor their instruments and organisations)."""
    return query.with_only_columns(
        Booking.id,
        epoch_us(Booking.start_at).label("start_at"),
        epoch_us(Booking.end_at).label("end_at"),
        Booking.status,
        Booking.sequence,
        epoch_us(Booking.updated_at).label("updated_at"),
        Booking.purpose,
        Booking.status_reason,
        Booking.equipment_id,
        Booking.organization_id,
        maintain_column_froms=True,
    ).order_by(None)


class _BookingTexts:
    """The lines from SUMMARY to END:VEVENT of the personal feed's events, written once per
    distinct text (instrument, enterprise, status, purpose, reason): many bookings share them,
    so most events escape and fold nothing."""

    def __init__(self, writer: FeedWriter, user: User, rows) -> None:
        self._writer = writer
        self._with_sme = user.role == Role.PLATFORM
        self._words = event_words(_owner_locale(user))
        self._instruments = _names(Equipment, {row.equipment_id for row in rows})
        self._organizations = _names(Organization, {row.organization_id for row in rows})
        self._written: dict[tuple, str] = {}

    def details(self, *key) -> str:
        """The lines of a booking by (status, purpose, status_reason, equipment_id,
        organization_id)."""
        text = self._written.get(key)
        if text is None:
            status, purpose, reason, equipment_id, organization_id = key
            instrument = self._instruments[equipment_id]
            summary, description = booking_texts(
                status,
                purpose,
                reason,
                instrument,
                self._organizations[organization_id],
                with_sme=self._with_sme,
                words=self._words,
            )
            text = self._writer.details(summary, description, instrument.location)
            self._written[key] = text
        return text


def _names(model, ids: set[int]) -> dict:
    """Names (and an instrument's location) by id, for the few instruments and organisations
    a feed's bookings have."""
    if not ids:
        return {}
    columns = [model.id, model.name, model.name_en]
    if model is Equipment:
        columns.append(Equipment.location)
    return {row.id: row for row in db.session.execute(select(*columns).where(model.id.in_(ids)))}


def _owner_locale(user: User) -> str:
    """The language the feed's owner chose (calendar clients send none that counts)."""
    return user.locale if user.locale in current_app.config["LANGUAGES"] else DEFAULT_LOCALE


# ---------------------------------------------------------------------------------------------
# Import


@dataclass
class ImportResult:
    runs: int
    conflicts: list[Booking] = field(default_factory=list)


def import_production_calendar(
    actor: User, equipment: Equipment, data: bytes, now: datetime | None = None
) -> ImportResult:
    """Replace the instrument's production runs with those of the file, over its horizon.

    Active future bookings that now overlap a run are returned for the platform to settle; they
    are not cancelled. A refused file (ValidationFailed) changes nothing.
    """
    if not owns_equipment(actor, equipment):
        raise Forbidden()
    now = now or utcnow()
    window = Interval(now, now + timedelta(days=equipment.horizon_days))
    runs = parse_production_calendar(data, window, ZoneInfo(equipment.timezone))
    lock_equipment_for_booking(equipment.id)  # no booking slips in while the runs change
    _replace_runs(equipment.id, runs)
    equipment.updated_at = utcnow()  # the instrument's feed changes
    db.session.flush()
    upcoming = active_bookings_overlapping(equipment.id, Interval(now, window.end))
    return ImportResult(runs=len(runs), conflicts=_overlapping(upcoming, runs))


# The columns a run is written with, in the order _run_row gives them.
RUN_COLUMNS = ("equipment_id", "start_at", "end_at", "summary", "source_uid")
_RUN_COPY = f"COPY production_runs ({', '.join(RUN_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_RUN_COPY_TYPES = ("int4", "timestamptz", "timestamptz", "varchar", "varchar")
DELETE_CHUNK = 5_000  # ids in one DELETE ... IN (a file holds 20,000 runs at most)


def _replace_runs(equipment_id: int, runs: list[ParsedRun]) -> None:
    """Make the instrument's runs those of the file. The rows that the file holds again are
    kept, and only those that went are deleted and those that came are written: a plan
    exported again with a few changes (an MES's daily export) writes a few rows, not 14,000,
    whose range-index entries cost the database more than reading them all back. Kept rows
    keep their ids; a row is never updated, so the page fingerprints (count, sum and max of
    the ids) still move with every change."""
    existing = db.session.execute(
        select(
            ProductionRun.id,
            epoch_us(ProductionRun.start_at),
            epoch_us(ProductionRun.end_at),
            ProductionRun.summary,
            ProductionRun.source_uid,
        ).where(ProductionRun.equipment_id == equipment_id)
    ).all()
    if not existing:  # the first plan: nothing to match the runs with
        _write_rows([_run_row(equipment_id, run) for run in runs])
        return
    keys = [_run_key(run) for run in runs]
    wanted = Counter(keys)
    stale, kept = [], 0
    for run_id, *values in existing:
        key = tuple(values)
        if wanted[key]:
            wanted[key] -= 1
            kept += 1
        else:
            stale.append(run_id)
    if not kept:  # a new plan (or the first): no list of ids
        stale = []
        db.session.execute(delete(ProductionRun).where(ProductionRun.equipment_id == equipment_id))
    for first in range(0, len(stale), DELETE_CHUNK):
        chunk = stale[first : first + DELETE_CHUNK]
        db.session.execute(delete(ProductionRun).where(ProductionRun.id.in_(chunk)))
    new_runs = []
    for run, key in zip(runs, keys, strict=True):
        if wanted[key]:
            wanted[key] -= 1
            new_runs.append(_run_row(equipment_id, run))
    _write_rows(new_runs)


def _write_rows(rows: list[tuple]) -> None:
    """Insert the runs in the session's transaction. A file may hold 20,000: PostgreSQL takes
    them by binary COPY (a quarter of the client CPU of a pipelined executemany, and less of
    the server's), SQLite by an executemany INSERT into the table itself (20-25% less CPU than
    the ORM's bulk insert, and far less than ORM objects)."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(
            insert(ProductionRun.__table__),
            [dict(zip(RUN_COLUMNS, row, strict=True)) for row in rows],
        )
        return
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(_RUN_COPY) as copy:
        copy.set_types(_RUN_COPY_TYPES)
        for row in rows:
            copy.write_row(row)


def _run_key(run: ParsedRun) -> tuple:
    """What tells a stored run from another, as _replace_runs reads it: the instants in epoch
    microseconds (hashing integers costs less than aware datetimes)."""
    start, end = run.interval.start, run.interval.end
    return (epoch_microseconds(start), epoch_microseconds(end), run.summary[:300], run.uid[:300])


def _run_row(equipment_id: int, run: ParsedRun) -> tuple:
    # the columns are 300 characters wide (String(300)); the instants are aware UTC
    return (equipment_id, run.interval.start, run.interval.end, run.summary[:300], run.uid[:300])


def _overlapping(bookings: list[Booking], runs: list[ParsedRun]) -> list[Booking]:
    """The bookings that overlap a run, in O((bookings + runs) log runs) rather than their product.

    Among the runs that start before a booking ends, one overlaps it when the latest of their
    ends comes after the booking starts.
    """
    spans = sorted((run.interval.start, run.interval.end) for run in runs)
    starts = [start for start, _ in spans]
    latest_ends = list(accumulate((end for _, end in spans), max))
    clashing = []
    for booking in bookings:
        before_end = bisect_left(starts, booking.end_at)
        if before_end and latest_ends[before_end - 1] > booking.start_at:
            clashing.append(booking)
    return clashing


def upcoming_runs(equipment: Equipment, limit: int = 10, now: datetime | None = None):
    return list(
        db.session.scalars(
            select(ProductionRun)
            .where(
                ProductionRun.equipment_id == equipment.id, ProductionRun.end_at > (now or utcnow())
            )
            # the file's order (domain.calendar_import's), whichever import wrote the row
            .order_by(
                ProductionRun.start_at,
                ProductionRun.end_at,
                ProductionRun.source_uid,
                ProductionRun.summary,
                ProductionRun.id,
            )
            .limit(limit)
        )
    )
