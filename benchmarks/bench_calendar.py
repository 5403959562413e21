"""Calendar benchmark: the iCalendar feed of an instrument with 10,000 bookings and the personal
feed of the SME that made them, each through the Flask test client (the whole request: routing,
loading, building, ETag), once with the bookings spread over two years and once with all of
them inside the feed; then the import of a production calendar of 1,000 recurring events over
a 90-day booking horizon, through services.calendars.import_production_calendar: first
imports (the runs deleted before each, untimed), then the same file again.

    python benchmarks/bench_calendar.py [--database-url URL] [--bookings 10000] [--events 1000]
                                        [--feeds-only | --import-only]

Without --database-url the database is a fresh SQLite file in a temporary directory. With a
PostgreSQL URL everything is created in a scratch schema (bench_<random>) of that database and
the schema is dropped at the end, as bench_booking.py does. Prints min and median over the
repeats, with the target, the process's CPU and (PostgreSQL on this machine) the CPU of the
server backends; exit status 1 only if a request or an import failed.
"""

import argparse
import os
import platform
import random
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_booking import APPLICATION_NAME, cpu_seconds, scratch_database  # noqa: E402
from sqlalchemy import create_engine, delete, func, insert, make_url, select, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from equipment_share import create_app  # noqa: E402
from equipment_share.database import upgrade_schema  # noqa: E402
from equipment_share.domain.availability import Interval  # noqa: E402
from equipment_share.domain.bookings import BookingStatus  # noqa: E402
from equipment_share.domain.calendar_import import parse_production_calendar  # noqa: E402
from equipment_share.domain.organizations import uscc_with_check_character  # noqa: E402
from equipment_share.extensions import db  # noqa: E402
from equipment_share.models import (  # noqa: E402
    Booking,
    Equipment,
    IdleWindow,
    IdleWindowKind,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    ProductionRun,
    Role,
    User,
)
from equipment_share.services.calendars import (  # noqa: E402
    import_production_calendar,
    make_feed_secret,
)

TIMEZONE = ZoneInfo("Asia/Shanghai")
INSERT_CHUNK = 5_000
SPREAD_HORIZON_DAYS = 60  # the default
DENSE_HORIZON_DAYS = 365  # long enough for all of the dense instrument's bookings to be shown
DENSE_SLOT_MINUTES = 50  # one booking every 50 minutes, around the clock
IMPORT_HORIZON_DAYS = 90
FEED_TARGET_MS = 300
IMPORT_TARGET_MS = 1000
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


# --- the report ---------------------------------------------------------------------------


@dataclass
class Timings:
    wall: list[float]  # seconds per call
    cpu: list[float]  # this process's CPU seconds per call: all the work with SQLite, all but
    # the server's with PostgreSQL; other load on the machine barely changes it
    server: list[float] = field(default_factory=list)  # PostgreSQL: its backends' CPU seconds


@dataclass
class Row:
    label: str
    target_ms: float | None
    timings: Timings
    note: str = ""

    def cells(self) -> list[str]:
        wall, cpu, server = self.timings.wall, self.timings.cpu, self.timings.server
        median = statistics.median(wall)
        if self.target_ms is None:
            target, result = "-", "info"
        else:
            target = f"<= {self.target_ms:g} ms"
            result = "pass" if median * 1000 <= self.target_ms else "FAIL"
        return [
            self.label,
            target,
            milliseconds(min(wall)),
            milliseconds(median),
            milliseconds(statistics.median(cpu)),
            milliseconds(statistics.median(server)) if server else "-",
            result,
        ]


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        label, target, fastest, median, cpu, server, result = row.cells()
        print(
            f"  {label}: min {fastest}, median {median}, CPU {cpu}, server CPU {server}"
            f" ({target}) {result}",
            flush=True,
        )

    def print(self, header: str) -> None:
        titles = ["measurement", "target", "min", "median", "CPU", "server CPU", "result"]
        table = [row.cells() for row in self.rows]
        widths = [max(len(cell) for cell in column) for column in zip(titles, *table, strict=True)]
        print()
        print(header)
        print("  ".join(title.ljust(width) for title, width in zip(titles, widths, strict=True)))
        print("  ".join("-" * width for width in widths))
        for row, cells in zip(self.rows, table, strict=True):
            line = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
            note = f"{len(row.timings.wall)} samples" + (f"; {row.note}" if row.note else "")
            print(f"{line.rstrip()}  ({note})")
        for failure in self.failures:
            print(f"ERROR: {failure}")


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def time_calls(
    call: Callable[[], object],
    count: int,
    warm_up: int = 1,
    before: Callable[[], object] | None = None,
) -> Timings:
    """Time `count` calls after `warm_up` untimed ones; `before` runs untimed before each."""
    for _ in range(warm_up):
        if before:
            before()
        call()
    timings = Timings([], [])
    for _ in range(count):
        if before:
            before()
        server_started = SERVER.cpu()
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        timings.wall.append(time.perf_counter() - started)
        timings.cpu.append(time.process_time() - cpu_started)
        if SERVER.engine is not None:
            timings.server.append(_cpu_spent(server_started, SERVER.cpu()))
    return timings


def _cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    # a backend that started during the call counts from zero (its start-up is part of the call)
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


class ServerCpu:
    """The CPU time of the PostgreSQL backends serving the app's connections (the server runs
    on this machine, as on the CI and benchmark hosts): with the process's own CPU, what a call
    costs whatever else loads the machine. Nothing for SQLite, which runs in the process."""

    def __init__(self) -> None:
        self.engine = None

    def watch(self, url: str) -> None:
        if make_url(url).get_backend_name() == "postgresql":
            self.engine = create_engine(url, poolclass=NullPool)
            self.connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def cpu(self) -> dict[int, float]:
        if self.engine is None:
            return {}
        pids = self.connection.scalars(
            text(
                "SELECT pid FROM pg_stat_activity WHERE application_name = :name"
                " AND datname = current_database() AND pid <> pg_backend_pid()"
            ),
            {"name": APPLICATION_NAME},
        ).all()
        return {pid: cpu_seconds([pid]) for pid in pids}

    def close(self) -> None:
        if self.engine is not None:
            self.connection.close()
            self.engine.dispose()
            self.engine = None


SERVER = ServerCpu()


# --- seeding ------------------------------------------------------------------------------


@dataclass
class FeedCase:
    """An instrument with bookings, all made by one SME whose personal feed shows them."""

    label: str
    equipment_id: int
    secret: str  # of the SME's feed link
    bookings: int


@dataclass
class Seeded:
    cases: list[FeedCase]
    import_equipment_id: int
    busy_import_equipment_id: int
    busy_bookings: int
    platform_user_id: int
    seconds: float


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, clock(0), tzinfo=TIMEZONE)


def seed(bookings: int, rng: random.Random) -> Seeded:
    """Two instruments with `bookings` each, booked by two SMEs:

    - spread: over the past year and the next (a busy instrument's history), default 60-day
      horizon, so its feed (30 days back, the horizon ahead) shows about an eighth of them;
    - dense: all within its feed (365-day horizon; about 28 a day around the clock), the worst
      case for both feeds.

    Plus an instrument without bookings to import into, and one with the dense instrument's
    density of bookings over its 90-day horizon, which the import checks for clashes.
    """
    started = time.perf_counter()
    platform_org = _organization("Bench platform", OrganizationKind.PLATFORM, 1)
    smes = [_organization(f"Bench SME {n} 新材料", OrganizationKind.SME, n) for n in (2, 3, 4)]
    db.session.add_all([platform_org, *smes])
    db.session.flush()
    platform_user = _user("platform@bench.example", Role.PLATFORM, platform_org)
    sme_users = [_user(f"sme{n}@bench.example", Role.SME, sme) for n, sme in enumerate(smes)]
    spread = _instrument(platform_org, "Instrument, bookings over two years", SPREAD_HORIZON_DAYS)
    dense = _instrument(platform_org, "Instrument, bookings all in its feed", DENSE_HORIZON_DAYS)
    quiet = _instrument(platform_org, "Import instrument", IMPORT_HORIZON_DAYS)
    busy = _instrument(platform_org, "Import instrument with bookings", IMPORT_HORIZON_DAYS)
    db.session.add_all([platform_user, *sme_users, spread, dense, quiet, busy])
    db.session.flush()
    secrets_ = [make_feed_secret(user) for user in sme_users[:2]]
    db.session.commit()

    today = datetime.now(TIMEZONE).date()
    dense_start = local_midnight(today - timedelta(days=29))
    dense_end = dense_start + timedelta(minutes=DENSE_SLOT_MINUTES * bookings)
    horizon_start = local_midnight(today + timedelta(days=1))
    horizon_end = local_midnight(today + timedelta(days=IMPORT_HORIZON_DAYS))
    spread_rows = _booking_rows(
        spread,
        sme_users[0],
        local_midnight(today - timedelta(days=365)),
        local_midnight(today + timedelta(days=365)),
        bookings,
        rng,
    )
    dense_rows = _booking_rows(dense, sme_users[1], dense_start, dense_end, bookings, rng)
    busy_count = int((horizon_end - horizon_start) / timedelta(minutes=DENSE_SLOT_MINUTES))
    busy_rows = _booking_rows(busy, sme_users[2], horizon_start, horizon_end, busy_count, rng)
    rows = spread_rows + dense_rows + busy_rows
    for chunk in range(0, len(rows), INSERT_CHUNK):
        db.session.execute(insert(Booking.__table__), rows[chunk : chunk + INSERT_CHUNK])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return Seeded(
        cases=[
            FeedCase("spread over 2 years", spread.id, secrets_[0], len(spread_rows)),
            FeedCase("all in the feed", dense.id, secrets_[1], len(dense_rows)),
        ],
        import_equipment_id=quiet.id,
        busy_import_equipment_id=busy.id,
        busy_bookings=len(busy_rows),
        platform_user_id=platform_user.id,
        seconds=time.perf_counter() - started,
    )


def _organization(name: str, kind: OrganizationKind, number: int) -> Organization:
    return Organization(
        name=name,
        kind=kind,
        status=OrganizationStatus.APPROVED,
        uscc=uscc_with_check_character(f"91141100MA{number:07d}"),
    )


def _user(email: str, role: Role, organization: Organization) -> User:
    return User(email=email, role=role, organization=organization, password_hash="!")


def _instrument(platform_org: Organization, name: str, horizon_days: int) -> Equipment:
    equipment = Equipment(
        platform=platform_org,
        name=name,
        name_en=name,
        category="chemical_analysis",
        location="Building 3, room 201",
        hourly_rate=Decimal("300.00"),
        setup_fee=Decimal("0.00"),
        horizon_days=horizon_days,
    )
    equipment.idle_windows.append(  # around the clock, every day
        IdleWindow(
            kind=IdleWindowKind.WEEKLY,
            weekdays="0,1,2,3,4,5,6",
            start_time=clock(0),
            end_time=clock(0),
        )
    )
    return equipment


def _booking_rows(
    equipment: Equipment,
    user: User,
    start: datetime,
    end: datetime,
    count: int,
    rng: random.Random,
) -> list[dict]:
    """`count` bookings between start and end, one in each of `count` equal slots, filling 60 to
    100% of it (so some follow each other without a gap, and none overlap). Past ones are
    mostly completed, future ones mostly confirmed; some of either cancelled."""
    now = datetime.now(UTC)
    slot_minutes = max(5, int((end - start).total_seconds()) // 60 // count)
    rows = []
    for number in range(count):
        booking_start = start + timedelta(minutes=slot_minutes * number)
        minutes = max(5, int(slot_minutes * rng.uniform(0.6, 1.0)) // 5 * 5)
        booking_end = booking_start + timedelta(minutes=minutes)
        draw = rng.random()
        if booking_end < now:
            status = BookingStatus.COMPLETED if draw < 0.9 else BookingStatus.CANCELLED
        elif draw < 0.8:
            status = BookingStatus.CONFIRMED
        else:
            status = BookingStatus.PENDING if draw < 0.92 else BookingStatus.CANCELLED
        # the last change: days before the start, or recently (cancellations stay in the feed)
        changed = min(now, booking_start) - timedelta(days=rng.randrange(1, 20))
        rows.append(
            {
                "equipment_id": equipment.id,
                "organization_id": user.organization_id,
                "booked_by_id": user.id,
                "start_at": booking_start,
                "end_at": booking_end,
                "status": status,
                "purpose": "XRD phase analysis, 3 samples",
                "hourly_rate": equipment.hourly_rate,
                "setup_fee": equipment.setup_fee,
                "min_charge_minutes": equipment.min_charge_minutes,
                "billing_increment_minutes": equipment.billing_increment_minutes,
                "estimated_fee": equipment.hourly_rate * minutes / 60,
                "status_reason": "plans changed" if status == BookingStatus.CANCELLED else "",
                "late_cancellation": False,
                "sequence": 0 if status == BookingStatus.PENDING else 1,
                "created_at": changed - timedelta(days=1),
                "updated_at": changed,
            }
        )
    return rows


# --- the production calendar --------------------------------------------------------------


def production_calendar(events: int, rng: random.Random) -> bytes:
    """An MES-style export: weekly series in Asia/Shanghai (a fifth on two days a week), begun
    up to a year ago; every fourth with two EXDATEs in the coming weeks, every tenth ending
    (UNTIL) within the horizon."""
    today = datetime.now(TIMEZONE).date()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Bench MES//Production plan//EN",
        "BEGIN:VTIMEZONE",
        "TZID:Asia/Shanghai",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0800",
        "TZOFFSETTO:+0800",
        "TZNAME:CST",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]
    for number in range(events):
        first = today + timedelta(days=rng.randrange(-365, 30))
        hour = rng.choice([0, 4, 8, 12, 16, 20])
        start = datetime.combine(first, clock(hour))
        end = start + timedelta(hours=rng.choice([1, 2, 4]))
        days = [WEEKDAYS[first.weekday()]]
        if number % 5 == 0:
            days.append(WEEKDAYS[(first.weekday() + 3) % 7])
        rule = f"FREQ=WEEKLY;BYDAY={','.join(days)}"
        if number % 10 == 0:
            last = today + timedelta(days=rng.randrange(14, IMPORT_HORIZON_DAYS))
            rule += f";UNTIL={last:%Y%m%d}T235959Z"
        lines += [
            "BEGIN:VEVENT",
            f"UID:batch-{number}@mes.bench.example",
            f"DTSTAMP:{datetime.now(UTC):%Y%m%dT%H%M%SZ}",
            f"DTSTART;TZID=Asia/Shanghai:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID=Asia/Shanghai:{end:%Y%m%dT%H%M%S}",
            f"RRULE:{rule}",
            f"SUMMARY:Production batch {number} / 生产批次 {number}",
        ]
        if number % 4 == 0:
            skipped = [_next_occurrence(start, today + timedelta(weeks=weeks)) for weeks in (1, 3)]
            values = ",".join(f"{instant:%Y%m%dT%H%M%S}" for instant in skipped)
            lines.append(f"EXDATE;TZID=Asia/Shanghai:{values}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _next_occurrence(start: datetime, after: date) -> datetime:
    """The series' first weekly occurrence (on DTSTART's weekday) on or after the day."""
    day = after + timedelta(days=(start.weekday() - after.weekday()) % 7)
    return datetime.combine(day, start.time())


# --- measurements -------------------------------------------------------------------------


def measure_feeds(report: Report, app, seeded: Seeded, repeats: int) -> None:
    # Outside any app context, so each request pushes its own and starts with an empty session,
    # as a request to a server does.
    client = app.test_client()

    def get(url: str, headers: dict | None = None, expect: int = 200):
        response = client.get(url, headers=headers or {})
        if response.status_code != expect:
            report.failures.append(f"GET {url}: {response.status_code}, expected {expect}")
        return response

    for case in seeded.cases:
        instrument_url = f"/calendar/equipment/{case.equipment_id}.ics"
        first = get(instrument_url)
        events, busy = first.data.count(b"BEGIN:VEVENT"), first.data.count(b"TRANSP:OPAQUE")
        timings = time_calls(partial(get, instrument_url), repeats)
        report.add(
            Row(
                f"(a) instrument feed, {case.bookings:,} bookings {case.label}",
                FEED_TARGET_MS,
                timings,
                f"shows {busy} bookings + {events - busy} free intervals, "
                f"{len(first.data) / 1e6:.1f} MB, {cpu_per_event(timings, events)}",
            )
        )
        etag = {"If-None-Match": first.headers["ETag"]}
        report.add(
            Row(
                "    the same, unchanged: If-None-Match, 304",
                None,
                time_calls(partial(get, instrument_url, etag, 304), repeats),
                "answered from the fingerprint query alone (services.calendars.public_feed_etag)",
            )
        )
        personal_url = f"/calendar/feed/{case.secret}.ics"
        personal = get(personal_url)
        events = personal.data.count(b"BEGIN:VEVENT")
        timings = time_calls(partial(get, personal_url), repeats)
        report.add(
            Row(
                "    the SME's personal feed",
                FEED_TARGET_MS,
                timings,
                f"shows {events} bookings, {len(personal.data) / 1e6:.1f} MB, "
                f"{cpu_per_event(timings, events)}",
            )
        )


def cpu_per_event(timings: Timings, events: int) -> str:
    """The median CPU of a feed divided by its events (what a feed of N events will cost)."""
    return f"{statistics.median(timings.cpu) / max(events, 1) * 1e6:.1f} µs CPU per event, fixed costs included"


def measure_import(
    report: Report, app, seeded: Seeded, data: bytes, events: int, repeats: int
) -> None:
    def parse_only() -> None:
        now = datetime.now(UTC)
        parse_production_calendar(
            data, Interval(now, now + timedelta(days=IMPORT_HORIZON_DAYS)), TIMEZONE
        )

    conflicts: list[int] = []  # of each import, to report the last

    def import_into(equipment_id: int) -> Callable[[], None]:
        def run() -> None:
            with app.app_context():  # a fresh session, as in a request
                actor = db.session.get(User, seeded.platform_user_id)
                equipment = db.session.get(Equipment, equipment_id)
                result = import_production_calendar(actor, equipment, data)
                db.session.commit()
                conflicts.append(len(result.conflicts))

        return run

    def dropping_runs(equipment_id: int) -> Callable[[], None]:
        def drop_runs() -> None:
            with app.app_context():
                db.session.execute(
                    delete(ProductionRun).where(ProductionRun.equipment_id == equipment_id)
                )
                db.session.commit()

        return drop_runs

    size = f"{len(data) / 1e3:.0f} kB"
    timings = time_calls(
        import_into(seeded.import_equipment_id),
        repeats,
        before=dropping_runs(seeded.import_equipment_id),
    )
    report.add(
        Row(
            f"(b) import {events:,} weekly series, 90-day horizon, first import",
            IMPORT_TARGET_MS,
            timings,
            f"{size}; the instrument's runs deleted before each (untimed): every run written",
        )
    )
    timings = time_calls(import_into(seeded.import_equipment_id), repeats)
    with app.app_context():
        runs = db.session.scalar(
            select(func.count())
            .select_from(ProductionRun)
            .where(ProductionRun.equipment_id == seeded.import_equipment_id)
        )
    report.add(
        Row(
            "    the same file again (the runs replaced by the same)",
            IMPORT_TARGET_MS,
            timings,
            f"{size} -> {runs} runs; parse, replace runs, commit",
        )
    )
    report.add(
        Row(
            "    of which parsing and expanding",
            None,
            time_calls(parse_only, repeats),
            "domain.calendar_import.parse_production_calendar",
        )
    )
    busy = seeded.busy_import_equipment_id
    timings = time_calls(import_into(busy), max(3, repeats // 2), before=dropping_runs(busy))
    report.add(
        Row(
            "    first import into an instrument with bookings",
            IMPORT_TARGET_MS,
            timings,
            f"{seeded.busy_bookings} bookings in the horizon, {conflicts[-1]} clash with runs;"
            " its runs deleted before each (untimed)",
        )
    )
    timings = time_calls(import_into(busy), max(3, repeats // 2))
    report.add(
        Row(
            "    the same file again into that instrument",
            IMPORT_TARGET_MS,
            timings,
            f"{seeded.busy_bookings} bookings in the horizon, {conflicts[-1]} clash with runs;"
            " the same file again",
        )
    )


# --- main ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--bookings", type=int, default=10_000, help="of the feed instrument")
    parser.add_argument("--events", type=int, default=1_000, help="series in the import file")
    parser.add_argument("--repeats", type=int, default=15, help="timed calls per row")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--feeds-only", action="store_true", help="skip the import")
    parser.add_argument(
        "--import-only", action="store_true", help="skip the feeds (and seed them 1 booking)"
    )
    args = parser.parse_args()
    if args.bookings < 1 or args.events < 1 or args.repeats < 3:
        parser.error("need at least 1 booking, 1 event and 3 repeats")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on kill as on Ctrl-C

    rng = random.Random(args.seed)
    load_before = os.getloadavg()[0]
    directory = Path(tempfile.mkdtemp(prefix="equipment_share_bench_calendar_"))
    os.environ["EQUIPMENT_SHARE_INSTANCE"] = str(directory / "instance")
    scratch = scratch_database(args.database_url, directory)
    report = Report()
    try:
        SERVER.watch(scratch.url)
        app = create_app({"DATABASE_URL": scratch.url, "SECRET_KEY": secrets.token_hex(16)})
        with app.app_context():
            print(f"database: {scratch.description}", flush=True)
            upgrade_schema()
            seeded = seed(1 if args.import_only else args.bookings, rng)
            total = sum(case.bookings for case in seeded.cases) + seeded.busy_bookings
            print(f"seeded {total} bookings in {seeded.seconds:.1f} s", flush=True)
        data = production_calendar(args.events, random.Random(args.seed))  # whatever was seeded
        if not args.import_only:
            measure_feeds(report, app, seeded, args.repeats)
        if not args.feeds_only:
            measure_import(report, app, seeded, data, args.events, args.repeats)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        report.print(
            f"{scratch.description}; {os.cpu_count()} CPUs; Python {platform.python_version()}; "
            f"{datetime.now(TIMEZONE):%Y-%m-%d %H:%M %Z}; "
            f"load average before/after {load_before:.1f}/{os.getloadavg()[0]:.1f}"
        )
    finally:
        SERVER.close()
        scratch.drop()
        shutil.rmtree(directory, ignore_errors=True)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
