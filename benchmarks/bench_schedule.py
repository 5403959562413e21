"""Schedule benchmark: the schedule page across 1,000 instruments (GET /schedule, the whole
request through the Flask test client), for a day and a week, as a visitor and signed in as an
enterprise with bookings of its own; and the schedule service alone (the queries and the bars,
without the page), to tell computing from rendering.

    python benchmarks/bench_schedule.py [--database-url URL] [--instruments 1000] [--requests 20]

Seeds 20 platforms and the instruments, all of one category so that one filter shows them all,
each with weekly idle windows (weekdays 08:00-12:00 and 13:00-20:00, weekends 09:00-17:00, some
overnight 22:00-06:00) and a one-off window, then over the measured week about four bookings
per instrument and day (a tenth of them the signed-in enterprise's, pending or confirmed), a
production run on every third instrument's weekdays and a maintenance block on every tenth.
Rows are loaded with COPY on PostgreSQL and executemany on SQLite (bench_dashboard.load).

Without --database-url the database is a fresh SQLite file in a temporary directory; with a
PostgreSQL URL a scratch schema of that database, dropped at the end (see bench_booking.py).
Prints min, median and p95 of the timed requests against the target (a 1,000-row day in
≤ 300 ms).
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
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_booking import scratch_database  # noqa: E402
from bench_dashboard import load  # noqa: E402
from sqlalchemy import text  # noqa: E402

from equipment_share import create_app  # noqa: E402
from equipment_share.database import upgrade_schema  # noqa: E402
from equipment_share.domain.organizations import uscc_with_check_character  # noqa: E402
from equipment_share.domain.schedule import Span  # noqa: E402
from equipment_share.extensions import db  # noqa: E402
from equipment_share.models import (  # noqa: E402
    Booking,
    Equipment,
    IdleWindow,
    MaintenanceBlock,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    ProductionRun,
    Role,
    User,
)
from equipment_share.services.schedule import schedule  # noqa: E402

TIMEZONE = ZoneInfo("Asia/Shanghai")
PLATFORMS, SMES = 20, 50
CATEGORY = "chemical_analysis"
TARGET_MS = 300
PASSWORD = "bench-password-1"
EMAIL = "sme@bench.example"


def seed(instruments: int, day: date, rng: random.Random) -> dict:
    """The catalogue and the week of `day` (Monday to Sunday), as described above."""
    started = time.perf_counter()
    platforms = [
        _organization(f"Bench platform {n}", OrganizationKind.PLATFORM, n) for n in range(PLATFORMS)
    ]
    smes = [
        _organization(f"Bench SME {n}", OrganizationKind.SME, PLATFORMS + n) for n in range(SMES)
    ]
    db.session.add_all(platforms + smes)
    db.session.flush()
    booker = User(email=EMAIL, role=Role.SME, organization=smes[0])
    booker.set_password(PASSWORD)
    db.session.add(booker)
    db.session.flush()
    sme_ids, booker_id = [sme.id for sme in smes], booker.id
    now = datetime.now(UTC)
    load(
        Equipment.__table__,
        [
            {
                "id": n + 1,
                "platform_id": platforms[n % PLATFORMS].id,
                "name": f"Bench instrument {n}",
                "name_en": f"Bench instrument {n}",
                "category": CATEGORY,
                "model": "",
                "location": "",
                "description": "",
                "timezone": "Asia/Shanghai",
                "hourly_rate": 30000,
                "setup_fee": 0,
                "min_charge_minutes": 0,
                "billing_increment_minutes": 30,
                "slot_minutes": 30,
                "min_booking_minutes": 30,
                "max_booking_minutes": 480,
                "lead_time_hours": 0,
                "horizon_days": 730,
                "requires_approval": True,
                "cancellation_deadline_hours": 24,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(instruments)
        ],
    )
    monday = day - timedelta(days=day.weekday())
    windows, bookings, runs, blocks = [], [], [], []

    sqlite = db.engine.dialect.name == "sqlite"

    def window(equipment_id, **values):
        if sqlite:  # the driver takes no time values: stored as SQLAlchemy writes them
            for name in ("start_time", "end_time"):
                if values.get(name) is not None:
                    values[name] = values[name].strftime("%H:%M:%S.%f")
        windows.append(
            {
                "id": len(windows) + 1,
                "equipment_id": equipment_id,
                "weekdays": "",
                "start_time": None,
                "end_time": None,
                "valid_from": None,
                "valid_to": None,
                "start_at": None,
                "end_at": None,
                "created_at": now,
            }
            | values
        )

    def local(on: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(on, clock(hour, minute), tzinfo=TIMEZONE).astimezone(UTC)

    for equipment_id in range(1, instruments + 1):
        weekly = dict(kind="weekly", weekdays="0,1,2,3,4")
        window(equipment_id, **weekly, start_time=clock(8), end_time=clock(12))
        window(equipment_id, **weekly, start_time=clock(13), end_time=clock(20))
        window(equipment_id, kind="weekly", weekdays="5,6", start_time=clock(9), end_time=clock(17))
        if equipment_id % 4 == 0:
            window(
                equipment_id, kind="weekly", weekdays="2,4", start_time=clock(22), end_time=clock(6)
            )
        one_off = monday + timedelta(days=rng.randrange(7))
        window(equipment_id, kind="once", start_at=local(one_off, 20), end_at=local(one_off, 22))
        for offset in range(7):
            on = monday + timedelta(days=offset)
            first = 9 if offset >= 5 else 8
            for hour in rng.sample(range(first, first + 8), 4):
                mine = rng.random() < 0.1
                bookings.append(
                    _booking(
                        len(bookings) + 1,
                        equipment_id,
                        sme_ids[0] if mine else rng.choice(sme_ids[1:]),
                        booker_id,
                        local(on, hour),
                        local(on, hour, 30 if rng.random() < 0.5 else 59),
                        rng.choice(("pending", "confirmed")),
                        now,
                    )
                )
            if equipment_id % 3 == 0 and offset < 5:
                runs.append(
                    {
                        "id": len(runs) + 1,
                        "equipment_id": equipment_id,
                        "start_at": local(on, 16),
                        "end_at": local(on, 18),
                        "summary": "生产",
                        "source_uid": f"run-{equipment_id}-{offset}",
                    }
                )
        if equipment_id % 10 == 0:
            on = monday + timedelta(days=rng.randrange(5))
            blocks.append(
                {
                    "id": len(blocks) + 1,
                    "equipment_id": equipment_id,
                    "start_at": local(on, 13),
                    "end_at": local(on, 15),
                    "reason": "校准",
                    "created_at": now,
                }
            )
    load(IdleWindow.__table__, windows)
    load(Booking.__table__, bookings)
    load(ProductionRun.__table__, runs)
    load(MaintenanceBlock.__table__, blocks)
    if db.engine.dialect.name == "postgresql":
        for table in ("equipment", "idle_windows", "bookings", "production_runs"):
            db.session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 100000000)")
            )
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {
        "seconds": time.perf_counter() - started,
        "windows": len(windows),
        "bookings": len(bookings),
        "runs": len(runs),
        "blocks": len(blocks),
    }


def _booking(booking_id, equipment_id, organization_id, booker_id, start, end, status, now):
    return {
        "id": booking_id,
        "equipment_id": equipment_id,
        "organization_id": organization_id,
        "booked_by_id": booker_id,
        "start_at": start,
        "end_at": end,
        "status": status,
        "purpose": "",
        "purpose_category": "research",
        "hourly_rate": 30000,
        "setup_fee": 0,
        "min_charge_minutes": 0,
        "billing_increment_minutes": 30,
        "estimated_fee": 30000,
        "status_reason": "",
        "late_cancellation": False,
        "sequence": 0,
        "created_at": now,
        "updated_at": now,
    }


def _organization(name: str, kind: OrganizationKind, number: int) -> Organization:
    return Organization(
        name=name,
        kind=kind,
        status=OrganizationStatus.APPROVED,
        uscc=uscc_with_check_character(f"91141100MC{number:07d}"),
    )


def timed(call, repeats: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of this process per call, after one warm-up call."""
    call()
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--instruments", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per row")
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    rng = random.Random(args.seed)
    load_before = os.getloadavg()[0]
    directory = Path(tempfile.mkdtemp(prefix="equipment_share_bench_schedule_"))
    os.environ["EQUIPMENT_SHARE_INSTANCE"] = str(directory / "instance")
    scratch = scratch_database(args.database_url, directory)
    # a Tuesday two weeks ahead: nothing is cut by "now"
    today = datetime.now(TIMEZONE).date()
    day = today + timedelta(days=14 + (1 - today.weekday()) % 7)
    failures = 0
    try:
        app = create_app(
            {
                "DATABASE_URL": scratch.url,
                "SECRET_KEY": secrets.token_hex(16),
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            print(f"database: {scratch.description}", flush=True)
            upgrade_schema()
            seeded = seed(args.instruments, day, rng)
            print(
                f"seeded {args.instruments:,} instruments, {seeded['windows']:,} idle windows, "
                f"{seeded['bookings']:,} bookings, {seeded['runs']:,} production runs and "
                f"{seeded['blocks']:,} maintenance blocks in {seeded['seconds']:.1f} s",
                flush=True,
            )
            visitor, member = app.test_client(), app.test_client()
            signed_in = member.post("/login", data={"email": EMAIL, "password": PASSWORD})
            assert signed_in.status_code == 302, "sign-in failed"
            sme = db.session.scalar(db.select(User).where(User.email == EMAIL))
            query = f"/schedule?category={CATEGORY}&date={day}"
            rows = []
            for label, call, target in (
                ("day page, visitor", lambda: _ok(visitor.get(query), args.instruments), True),
                ("day page, enterprise", lambda: _ok(member.get(query), args.instruments), True),
                (
                    "week page, enterprise",
                    lambda: _ok(member.get(f"{query}&span=week"), args.instruments),
                    False,
                ),
                (
                    "day, service only (queries + bars)",
                    lambda: _service(sme, day, Span.DAY),
                    False,
                ),
                (
                    "week, service only (queries + bars)",
                    lambda: _service(sme, day, Span.WEEK),
                    False,
                ),
            ):
                durations, cpu = timed(call, args.requests)
                rows.append((label, durations, statistics.median(cpu), target))
                print(f"  {label}: median {statistics.median(durations):.0f} ms", flush=True)
            db.session.remove()
            db.engine.dispose()
        print()
        print(
            f"{scratch.description}; {os.cpu_count()} CPUs; Python {platform.python_version()}; "
            f"{datetime.now(TIMEZONE):%Y-%m-%d %H:%M %Z}; {args.instruments:,} rows; "
            f"load average before/after {load_before:.1f}/{os.getloadavg()[0]:.1f}"
        )
        print(f"{'measurement':<38} {'target':>9} {'median':>9} {'p95':>9} {'min':>9} {'CPU':>9}")
        for label, durations, cpu, target in rows:
            median = statistics.median(durations)
            goal = f"≤ {TARGET_MS} ms" if target else "–"
            missed = " MISSED" if target and median > TARGET_MS else ""
            print(
                f"{label:<38} {goal:>9} {median:>6.0f} ms {p95(durations):>6.0f} ms "
                f"{min(durations):>6.0f} ms {cpu:>6.0f} ms{missed}"
            )
    except AssertionError as failure:
        print(f"failed: {failure}", file=sys.stderr)
        failures += 1
    finally:
        scratch.drop()
        shutil.rmtree(directory, ignore_errors=True)
    return 1 if failures else 0


def _service(viewer, day: date, span: Span) -> None:
    result = schedule(viewer, day=day, span=span, tz=TIMEZONE, category=CATEGORY)
    assert len(result.rows) == min(result.total, 1000)
    db.session.rollback()


def _ok(response, instruments: int):
    assert response.status_code == 200, (
        f"{response.status_code}: {response.get_data(as_text=True)[:300]}"
    )
    assert response.get_data(as_text=True).count('class="sched-row" id="row-') == min(
        instruments, 1000
    ), "not every row was drawn"
    return response


if __name__ == "__main__":
    sys.exit(main())
