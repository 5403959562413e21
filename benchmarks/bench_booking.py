"""Booking benchmark: seed a large catalogue and a year of bookings, then time availability,
the free-slot search, the week page and booking creation, in-process and through gunicorn with
4 workers; report peak worker memory, and count double bookings afterwards (must be 0).

    python benchmarks/bench_booking.py [--database-url URL] [--instruments 1000] [--bookings 100000]

Without --database-url the database is a fresh SQLite file in a temporary directory. With a
PostgreSQL URL everything is created in a scratch schema (bench_<random>) of that database and
the schema is dropped at the end, so the database's other contents are left alone. Traffic goes
only to 127.0.0.1. Exit status 1 if a double booking is found or a request failed.
"""

import argparse
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from equipment_share import create_app  # noqa: E402
from equipment_share.database import upgrade_schema  # noqa: E402
from equipment_share.domain.availability import Interval  # noqa: E402
from equipment_share.domain.bookings import ACTIVE_STATUSES, BookingStatus  # noqa: E402
from equipment_share.domain.equipment import CATEGORIES  # noqa: E402
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
from equipment_share.services.availability import (  # noqa: E402
    equipment_availability,
    free_throughout,
    load_candidates,
)
from equipment_share.services.equipment import catalogue_query  # noqa: E402
from equipment_share.services.tokens import issue_token  # noqa: E402

WORKERS = 4
CONCURRENT_CLIENTS = 16
PLATFORMS = 20
SMES = 50
PRODUCTION_RUNS_PER_INSTRUMENT = 5
TIMEZONE = ZoneInfo("Asia/Shanghai")
STARTUP_SECONDS = 180  # four workers importing the app on a busy shared machine
REQUEST_TIMEOUT_SECONDS = 60
INSERT_CHUNK = 10_000
MONDAY_TO_FRIDAY = (0, 1, 2, 3, 4)
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)
# (share of instruments, weekly idle windows). Every pattern offers Mon-Fri 08:00-20:00, where
# the seeded bookings and the benchmark's own bookings are placed.
IDLE_PATTERNS = (
    (0.4, [(MONDAY_TO_FRIDAY, clock(8), clock(20))]),
    (0.3, [(EVERY_DAY, clock(8), clock(20))]),
    (0.2, [(MONDAY_TO_FRIDAY, clock(8), clock(20)), ((5,), clock(9), clock(17))]),
    (0.1, [(EVERY_DAY, clock(0), clock(0))]),  # 00:00-24:00
)
# Booking creation through HTTP uses the week starting this many days ahead; seeding keeps it
# free of bookings and production runs.
BENCH_WEEK_OFFSET_DAYS = 7
# Names the benchmark's PostgreSQL connections, to find their server processes' CPU time.
APPLICATION_NAME = "equipment_share_bench"


# --- measurements and the report ----------------------------------------------------------


@dataclass
class Row:
    label: str
    target: str = "-"
    median: str = "n/a"
    p95: str = ""
    result: str = "info"
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        print(f"  {row.label}: {row.median} (p95 {row.p95 or '-'}) {row.result}", flush=True)
        return row

    def print(self, header: str) -> None:
        titles = ["measurement", "target", "median", "p95", "result"]
        table = [[row.label, row.target, row.median, row.p95, row.result] for row in self.rows]
        widths = [
            max(len(str(cell)) for cell in column) for column in zip(titles, *table, strict=True)
        ]
        print()
        print(header)
        print("  ".join(title.ljust(width) for title, width in zip(titles, widths, strict=True)))
        print("  ".join("-" * width for width in widths))
        for row, cells in zip(self.rows, table, strict=True):
            line = "  ".join(
                str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)
            )
            print(line.rstrip() + (f"  ({row.note})" if row.note else ""))
        for failure in self.failures:
            print(f"ERROR: {failure}")


def p95(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def timing_row(label: str, samples: list[float], limit_ms: float | None, note: str = "") -> Row:
    median = statistics.median(samples)
    if limit_ms is None:
        target, result = "-", "info"
    else:
        target = f"<= {limit_ms:g} ms"
        result = "pass" if median * 1000 <= limit_ms else "FAIL"
    note = f"{len(samples)} samples" + (f"; {note}" if note else "")
    return Row(label, target, milliseconds(median), milliseconds(p95(samples)), result, note)


def time_calls(call: Callable, prepare: Callable[[], tuple], count: int) -> list[float]:
    """Time `call(*prepare())`, leaving the preparation out of the time."""
    samples = []
    for _ in range(count):
        arguments = prepare()
        started = time.perf_counter()
        call(*arguments)
        samples.append(time.perf_counter() - started)
    return samples


# --- the scratch database -----------------------------------------------------------------


@dataclass
class Scratch:
    url: str  # what the app and gunicorn connect to
    description: str
    drop: Callable[[], None]


def scratch_database(url: str | None, directory: Path) -> Scratch:
    if url is None:
        path = directory / "bench.sqlite3"
        return Scratch(
            f"sqlite:///{path}", f"SQLite {sqlite3.sqlite_version} (file in a temp dir)", _noop
        )
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and Path(parsed.database).exists():
            sys.exit(f"{parsed.database} exists; give a new file (it is not deleted afterwards)")
        return Scratch(url, f"SQLite {sqlite3.sqlite_version} ({parsed.database})", _noop)
    if parsed.get_backend_name() != "postgresql":
        sys.exit(f"unsupported database: {parsed.get_backend_name()}")
    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(parsed)
    with admin.begin() as connection:
        version = connection.execute(text("SHOW server_version")).scalar()
        connection.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    scoped = parsed.update_query_dict(
        {"options": f"-csearch_path={schema}", "application_name": APPLICATION_NAME}
    )
    return Scratch(
        scoped.render_as_string(hide_password=False),
        f"PostgreSQL {version} (scratch schema {schema} in {parsed.database})",
        drop,
    )


def _noop() -> None:
    pass


# --- seeding ------------------------------------------------------------------------------


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), tzinfo=TIMEZONE)


@dataclass
class Seeded:
    equipment_ids: list[int]
    sme_user_id: int
    token: str
    bench_week: list[date]  # the weekdays kept free for booking creation
    year: list[date]
    search_days: list[date]  # weekdays of the coming 8 weeks, with seeded bookings
    seconds: float = 0.0


def seed(instruments: int, bookings: int, rng: random.Random) -> Seeded:
    started = time.perf_counter()
    today = datetime.now(TIMEZONE).date()
    first_free = today + timedelta(days=BENCH_WEEK_OFFSET_DAYS)
    kept_free = {first_free + timedelta(days=offset) for offset in range(7)}
    year = [
        day
        for offset in range(-182, 183)
        if (day := today + timedelta(days=offset)) not in kept_free
    ]
    platforms = [
        _organization(f"Bench platform {n}", OrganizationKind.PLATFORM, n) for n in range(PLATFORMS)
    ]
    smes = [
        _organization(f"Bench SME {n}", OrganizationKind.SME, PLATFORMS + n) for n in range(SMES)
    ]
    db.session.add_all(platforms + smes)
    db.session.flush()
    sme_users = [
        User(email=f"sme{n}@bench.example", role=Role.SME, organization=sme, password_hash="!")
        for n, sme in enumerate(smes)
    ]
    db.session.add_all(sme_users)

    categories = list(CATEGORIES)
    patterns = [pattern for share, pattern in IDLE_PATTERNS for _ in range(round(share * 100))]
    equipment = []
    for n in range(instruments):
        item = Equipment(
            platform=platforms[n % PLATFORMS],
            name=f"Bench instrument {n}",
            category=categories[n % len(categories)],
            model=f"Model {n % 37}",
            location=f"Building {n % 11}",
            hourly_rate=Decimal(rng.choice([120, 300, 600, 1200])),
            setup_fee=Decimal(rng.choice([0, 50, 200])),
            slot_minutes=30,
            min_booking_minutes=30,
            max_booking_minutes=480,
            lead_time_hours=rng.choice([0, 24]),
            horizon_days=60,
            requires_approval=rng.random() < 0.3,
        )
        for weekdays, start, end in patterns[n % len(patterns)]:
            item.idle_windows.append(
                IdleWindow(
                    kind=IdleWindowKind.WEEKLY,
                    weekdays=",".join(map(str, weekdays)),
                    start_time=start,
                    end_time=end,
                )
            )
        equipment.append(item)
    db.session.add_all(equipment)
    db.session.flush()
    equipment_ids = [item.id for item in equipment]
    user_ids = [(user.organization_id, user.id) for user in sme_users]
    bench_user = sme_users[0]
    token = issue_token(bench_user, "benchmark")
    db.session.commit()

    booking_rows, run_rows = _booking_rows(equipment, bookings, year, user_ids, rng)
    for table, rows in ((Booking.__table__, booking_rows), (ProductionRun.__table__, run_rows)):
        for chunk in range(0, len(rows), INSERT_CHUNK):
            db.session.execute(insert(table), rows[chunk : chunk + INSERT_CHUNK])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return Seeded(
        equipment_ids=equipment_ids,
        sme_user_id=bench_user.id,
        token=token,
        bench_week=sorted(day for day in kept_free if day.weekday() < 5),
        year=year,
        search_days=[
            day for day in year if day.weekday() < 5 and today < day <= today + timedelta(weeks=8)
        ],
        seconds=time.perf_counter() - started,
    )


def _organization(name: str, kind: OrganizationKind, number: int) -> Organization:
    return Organization(
        name=name,
        kind=kind,
        status=OrganizationStatus.APPROVED,
        uscc=uscc_with_check_character(f"91320600MA{number:07d}"),
        tech_sme_certified=kind == OrganizationKind.SME,
    )


def _booking_rows(equipment, bookings: int, year: list[date], user_ids, rng: random.Random):
    """Bookings spread over the year, Mon-Fri 08:00-20:00 local, never overlapping per
    instrument: each takes one part of a day, so parts cannot clash. Production runs (a few per
    instrument) take days without bookings."""
    now = datetime.now(UTC)
    workdays = [day for day in year if day.weekday() < 5]
    per_instrument, extra = divmod(bookings, len(equipment))
    booking_rows, run_rows = [], []
    for index, item in enumerate(equipment):
        count = per_instrument + (1 if index < extra else 0)
        parts_per_day = max(1, -(-count // len(workdays)))
        part_minutes = 12 * 60 // parts_per_day
        slots = [(day, part) for day in workdays for part in range(parts_per_day)]
        chosen = rng.sample(slots, min(count, len(slots)))
        used_days = {day for day, _ in chosen}
        for day, part in chosen:
            length = min(rng.choice([60, 90, 120, 180, 240]), part_minutes)
            offset = rng.randrange(0, part_minutes - length + 1, 30) if part_minutes > length else 0
            start = local(day, 8) + timedelta(minutes=part * part_minutes + offset)
            end = start + timedelta(minutes=length)
            organization_id, user_id = rng.choice(user_ids)
            booking_rows.append(
                {
                    "equipment_id": item.id,
                    "organization_id": organization_id,
                    "booked_by_id": user_id,
                    "start_at": start,
                    "end_at": end,
                    "status": _status(end < now, rng),
                    "purpose": "R&D testing",
                    "hourly_rate": item.hourly_rate,
                    "setup_fee": item.setup_fee,
                    "min_charge_minutes": item.min_charge_minutes,
                    "billing_increment_minutes": item.billing_increment_minutes,
                    "estimated_fee": item.hourly_rate * length / 60 + item.setup_fee,
                    "status_reason": "",
                    "late_cancellation": False,
                    "sequence": 0,
                    "created_at": start - timedelta(days=7),
                    "updated_at": start - timedelta(days=7),
                }
            )
        free_days = [day for day in workdays if day not in used_days]
        for day in rng.sample(free_days, min(PRODUCTION_RUNS_PER_INSTRUMENT, len(free_days))):
            run_rows.append(
                {
                    "equipment_id": item.id,
                    "start_at": local(day, 8),
                    "end_at": local(day, 12),
                    "summary": "Production run",
                    "source_uid": f"bench-{item.id}-{day.isoformat()}",
                }
            )
    return booking_rows, run_rows


def _status(past: bool, rng: random.Random) -> BookingStatus:
    draw = rng.random()
    if past:
        if draw < 0.85:
            return BookingStatus.COMPLETED
        if draw < 0.92:
            return BookingStatus.CANCELLED
        if draw < 0.95:
            return BookingStatus.NO_SHOW
        if draw < 0.97:
            return BookingStatus.REJECTED
        return BookingStatus.CONFIRMED
    if draw < 0.82:
        return BookingStatus.CONFIRMED
    if draw < 0.92:
        return BookingStatus.PENDING
    return BookingStatus.CANCELLED


# --- windows to ask about -----------------------------------------------------------------


def random_week(seeded: Seeded, rng: random.Random) -> Interval:
    day = rng.choice(seeded.year)
    monday = day - timedelta(days=day.weekday())
    return Interval(local(monday, 0), local(monday + timedelta(days=7), 0))


def random_four_hours(seeded: Seeded, rng: random.Random) -> Interval:
    """A 4-hour window on a weekday in the coming weeks, when every instrument is offered."""
    start = local(rng.choice(seeded.search_days), rng.choice([8, 9, 10, 13, 14]))
    return Interval(start, start + timedelta(hours=4))


def iso(value: datetime) -> str:
    return value.astimezone(TIMEZONE).isoformat()


# --- in-process measurements --------------------------------------------------------------


def measure_in_process(report: Report, seeded: Seeded, samples: int, rng: random.Random):
    def availability(equipment_id: int, week: Interval) -> None:
        equipment = db.session.get(Equipment, equipment_id)
        equipment_availability(equipment, week)

    def instrument_week() -> tuple:
        db.session.remove()  # each call starts like a request: nothing cached in the session
        return rng.choice(seeded.equipment_ids), random_week(seeded, rng)

    time_calls(availability, instrument_week, 10)
    report.add(
        timing_row(
            "(a) availability, 1 instrument-week, in-process",
            time_calls(availability, instrument_week, samples),
            5,
            "load instrument + idle windows + equipment_availability",
        )
    )

    def free_search(window: Interval) -> None:
        viewer = db.session.get(User, seeded.sme_user_id)
        query = catalogue_query(viewer).where(
            Equipment.active, Organization.status == OrganizationStatus.APPROVED
        )
        free_throughout(load_candidates(query), window)

    def four_hours() -> tuple:
        db.session.remove()
        return (random_four_hours(seeded, rng),)

    time_calls(free_search, four_hours, 2)
    report.add(
        timing_row(
            "(b) free-slot search, 4 h window, in-process",
            time_calls(free_search, four_hours, max(10, samples // 10)),
            200,
            f"{len(seeded.equipment_ids)} instruments",
        )
    )
    db.session.remove()


# --- gunicorn and HTTP --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_command(port: int) -> list[str]:
    import gunicorn.config

    command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS)]
    command += ["--bind", f"127.0.0.1:{port}"]
    # Newer gunicorn opens a control socket in the home directory, shared by every server.
    if any(setting.name == "control_socket_disable" for setting in gunicorn.config.KNOWN_SETTINGS):
        command.append("--no-control-socket")
    return [*command, "equipment_share:create_app()"]


def children_of(parent_pid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == parent_pid:
                pids.append(int(entry.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def database_server_pids() -> list[int]:
    """The PostgreSQL backends serving the benchmark's connections (none for SQLite)."""
    if db.engine.dialect.name != "postgresql":
        return []
    pids = db.session.scalars(
        text(
            "SELECT pid FROM pg_stat_activity"
            " WHERE application_name = :name AND pid <> pg_backend_pid()"
        ),
        {"name": APPLICATION_NAME},
    ).all()
    db.session.commit()
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def status_kilobytes(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise KeyError(key)


class Server:
    def __init__(self, database_url: str, instance: Path, secret_key: str, log_path: Path):
        self.port = free_port()
        self.log_path = log_path
        environment = os.environ | {
            "DATABASE_URL": database_url,
            "EQUIPMENT_SHARE_INSTANCE": str(instance),
            "SECRET_KEY": secret_key,
            # as deployed with the mail timer: mail and a booking's notices are sent by
            # `flask send-mail`, not in the workers that take the bookings
            "SEND_AFTER_COMMIT": "false",
        }
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                gunicorn_command(self.port),
                cwd=PROJECT_ROOT,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_until_ready(self, headers: dict) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                status, _ = self.request("GET", "/api/v1/me", headers)
            except OSError:
                status = None
            if status == 200 and len(self.workers()) >= WORKERS:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start:\n{self.log_path.read_text()[-3000:]}")

    def workers(self) -> list[int]:
        return children_of(self.process.pid)

    def request(self, method: str, path: str, headers: dict, body=None) -> tuple[int, bytes]:
        connection = HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            payload = None if body is None else json.dumps(body)
            send_headers = headers | (
                {"Content-Type": "application/json"} if body is not None else {}
            )
            connection.request(method, path, body=payload, headers=send_headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def timed(self, method: str, path: str, headers: dict, body=None) -> tuple[int, float]:
        started = time.perf_counter()
        status, _ = self.request(method, path, headers, body)
        return status, time.perf_counter() - started

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def endpoint_exists(server: Server, path: str, headers: dict) -> bool:
    status, _ = server.request("GET", path, headers)
    return status != 404 and status != 405


def time_gets(
    server: Server, paths: Iterator[str], headers: dict, count: int, report: Report, label: str
) -> list[float]:
    samples = []
    for _ in range(count):
        path = next(paths)
        status, seconds = server.timed("GET", path, headers)
        if status != 200:
            report.failures.append(f"{label}: GET {path} answered {status}")
            break
        samples.append(seconds)
    return samples


def measure_http_reads(report: Report, server: Server, seeded: Seeded, samples: int, rng):
    headers = {"Authorization": f"Bearer {seeded.token}", "Accept-Language": "zh-CN"}

    def availability_paths():
        while True:
            week = random_week(seeded, rng)
            query = urlencode({"from": iso(week.start), "to": iso(week.end)})
            yield f"/api/v1/equipment/{rng.choice(seeded.equipment_ids)}/availability?{query}"

    def search_paths():
        while True:
            window = random_four_hours(seeded, rng)
            query = {"free_from": iso(window.start), "free_to": iso(window.end), "per_page": 200}
            yield f"/api/v1/equipment?{urlencode(query)}"

    def week_paths():
        while True:
            monday = random_week(seeded, rng).start.astimezone(TIMEZONE).date()
            yield f"/equipment/{rng.choice(seeded.equipment_ids)}/week?start={monday}"

    anonymous = {"Accept-Language": "zh-CN"}
    for label, paths, who, count, limit in (
        ("(a) availability, 1 instrument-week, HTTP", availability_paths(), headers, samples, None),
        ("(b) free-slot search, 4 h window, HTTP", search_paths(), headers, samples // 10, 200),
        ("(c) week page GET /equipment/{id}/week, HTTP", week_paths(), anonymous, samples, 20),
    ):
        if not endpoint_exists(server, next(paths), who):
            report.add(Row(label, f"<= {limit} ms" if limit else "-", "n/a", "", "n/a"))
            continue
        time_gets(server, paths, who, 2 * WORKERS, report, label)  # warm every worker
        measured = time_gets(server, paths, who, max(10, count), report, label)
        if measured:
            note = "anonymous visitor" if who is anonymous else ""
            report.add(timing_row(label, measured, limit, note))


def creation_slots(seeded: Seeded) -> Iterator[tuple[int, datetime, datetime]]:
    """Distinct one-hour slots in the week kept free, cycling over the instruments."""
    for day in seeded.bench_week:
        for hour in range(8, 20):
            for equipment_id in seeded.equipment_ids:
                yield equipment_id, local(day, hour), local(day, hour + 1)


def measure_booking_creation(
    report: Report, server: Server, seeded: Seeded, sequential: int, concurrent: int, postgres: bool
) -> None:
    headers = {"Authorization": f"Bearer {seeded.token}"}
    slots = creation_slots(seeded)
    lock = threading.Lock()
    statuses: list[int] = []

    def book_next() -> float | None:
        with lock:
            slot = next(slots, None)
        if slot is None:
            return None
        equipment_id, start, end = slot
        body = {
            "equipment_id": equipment_id,
            "start": iso(start),
            "end": iso(end),
            "purpose": "benchmark",
        }
        status, seconds = server.timed("POST", "/api/v1/bookings", headers, body)
        with lock:
            statuses.append(status)
        return seconds

    if server.request("POST", "/api/v1/bookings", headers, {})[0] in (404, 405):
        report.add(Row("(d) booking creation, HTTP", "", "n/a", "", "n/a"))
        return
    for _ in range(2 * WORKERS):  # warm every worker
        book_next()
    statuses.clear()

    started = time.perf_counter()
    latencies = [seconds for _ in range(sequential) if (seconds := book_next()) is not None]
    elapsed = time.perf_counter() - started
    report.add(
        Row(
            "(d) booking creation, sequential, HTTP",
            "-",
            f"{len(latencies) / elapsed:.0f} /s",
            milliseconds(p95(latencies)),
            "info",
            f"{len(latencies)} bookings, median latency {milliseconds(statistics.median(latencies))}",
        )
    )

    per_client = concurrent // CONCURRENT_CLIENTS
    barrier = threading.Barrier(CONCURRENT_CLIENTS)

    def client() -> list[float]:
        barrier.wait(timeout=REQUEST_TIMEOUT_SECONDS)
        return [seconds for _ in range(per_client) if (seconds := book_next()) is not None]

    workers, database = server.workers(), database_server_pids()
    cpu_before = (cpu_seconds(workers), cpu_seconds(database), time.process_time())
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONCURRENT_CLIENTS) as pool:
        results = list(pool.map(lambda _: client(), range(CONCURRENT_CLIENTS)))
    elapsed = time.perf_counter() - started
    cpu_after = (cpu_seconds(workers), cpu_seconds(database), time.process_time())
    latencies = [seconds for result in results for seconds in result]
    rate = len(latencies) / elapsed
    per_booking = [
        milliseconds((after - before) / max(1, len(latencies)))
        for before, after in zip(cpu_before, cpu_after, strict=True)
    ]
    cpu_note = f"CPU per booking: workers {per_booking[0]}"
    if database:
        cpu_note += f", PostgreSQL {per_booking[1]}"
    cpu_note += f", benchmark client {per_booking[2]}"
    report.add(
        Row(
            f"(d) booking creation, {CONCURRENT_CLIENTS} clients, HTTP",
            ">= 300 /s" if postgres else "-",
            f"{rate:.0f} /s",
            milliseconds(p95(latencies)),
            ("pass" if rate >= 300 else "FAIL") if postgres else "info",
            f"{len(latencies)} bookings, median latency "
            f"{milliseconds(statistics.median(latencies))}; {cpu_note}",
        )
    )
    refused = {status: statuses.count(status) for status in set(statuses) if status != 201}
    if refused:
        report.failures.append(f"booking creation: not every request got 201: {refused}")


def measure_worker_memory(report: Report, server: Server) -> None:
    peaks = sorted(status_kilobytes(pid, "VmHWM") / 1024 for pid in server.workers())
    report.add(
        Row(
            "(e) peak RSS (VmHWM) per gunicorn worker",
            "<= 150 MB",
            f"{max(peaks):.0f} MB",
            "",
            "pass" if max(peaks) <= 150 else "FAIL",
            "max of " + ", ".join(f"{peak:.0f}" for peak in peaks) + " MB",
        )
    )


def count_double_bookings() -> int:
    active = ", ".join(f"'{status.value}'" for status in sorted(ACTIVE_STATUSES))
    return db.session.execute(
        text(
            "SELECT count(*) FROM bookings a JOIN bookings b"
            " ON a.equipment_id = b.equipment_id AND a.id < b.id"
            " AND a.start_at < b.end_at AND b.start_at < a.end_at"
            f" WHERE a.status IN ({active}) AND b.status IN ({active})"
        )
    ).scalar_one()


# --- main ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--instruments", type=int, default=1000)
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200, help="timed calls per fast metric")
    parser.add_argument("--create-sequential", type=int, default=300)
    parser.add_argument("--create-concurrent", type=int, default=1600)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument(
        "--only-create",
        action="store_true",
        help="measure booking creation and memory only (skip the reads (a)-(c))",
    )
    args = parser.parse_args()
    if args.instruments < 1 or args.bookings < 0 or args.samples < 10:
        parser.error("need at least 1 instrument, 0 bookings and 10 samples")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on kill as on Ctrl-C

    rng = random.Random(args.seed)
    load_before = os.getloadavg()[0]  # other work on the machine skews every figure
    directory = Path(tempfile.mkdtemp(prefix="equipment_share_bench_"))
    os.environ["EQUIPMENT_SHARE_INSTANCE"] = str(directory / "instance")
    scratch = scratch_database(args.database_url, directory)
    secret_key = secrets.token_hex(16)
    server = None
    report = Report()
    try:
        app = create_app({"DATABASE_URL": scratch.url, "SECRET_KEY": secret_key})
        with app.app_context():
            print(f"database: {scratch.description}", flush=True)
            upgrade_schema()
            seeded = seed(args.instruments, args.bookings, rng)
            if db.engine.dialect.name == "postgresql":
                # planner statistics, as a database in service has them (autovacuum lags)
                db.session.commit()
                with db.engine.connect() as connection:
                    connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                        text("ANALYZE")
                    )
            booking_count = db.session.scalar(select(db.func.count()).select_from(Booking))
            print(
                f"seeded {len(seeded.equipment_ids)} instruments, {booking_count} bookings "
                f"in {seeded.seconds:.1f} s",
                flush=True,
            )
            if not args.only_create:
                measure_in_process(report, seeded, args.samples, rng)
            db.engine.dispose()

            server = Server(
                scratch.url, directory / "instance", secret_key, directory / "gunicorn.log"
            )
            server.wait_until_ready({"Authorization": f"Bearer {seeded.token}"})
            if not args.only_create:
                measure_http_reads(report, server, seeded, args.samples, rng)
            measure_booking_creation(
                report,
                server,
                seeded,
                args.create_sequential,
                args.create_concurrent,
                db.engine.dialect.name == "postgresql",
            )
            measure_worker_memory(report, server)
            server.stop()

            db.session.remove()
            doubles = count_double_bookings()
            total = db.session.scalar(select(db.func.count()).select_from(Booking))
            report.add(
                Row(
                    "double bookings afterwards",
                    "0",
                    str(doubles),
                    "",
                    "pass" if doubles == 0 else "FAIL",
                    f"{total} bookings in the database",
                )
            )
            if doubles:
                report.failures.append(f"{doubles} overlapping pairs of active bookings")
            db.session.remove()
            db.engine.dispose()
        report.print(
            f"{scratch.description}; {args.instruments} instruments, {args.bookings} bookings; "
            f"{os.cpu_count()} CPUs; Python {platform.python_version()}; "
            f"gunicorn {WORKERS} sync workers; {datetime.now(TIMEZONE):%Y-%m-%d %H:%M %Z}; "
            f"load average before/after {load_before:.1f}/{os.getloadavg()[0]:.1f}"
        )
    finally:
        if server is not None:
            server.stop()
        scratch.drop()
        shutil.rmtree(directory, ignore_errors=True)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
