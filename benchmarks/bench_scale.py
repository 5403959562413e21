"""National scale: 100,000 instruments on 2,000 platforms and 10,000,000 bookings over two years,
on PostgreSQL. Times the cross-platform "free between … and …" search, one instrument's week,
the catalogue's first page and booking creation, through the Flask test client, and prints the
search's EXPLAIN (ANALYZE, BUFFERS) (its page and its count).

    python benchmarks/bench_scale.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test \
        [--instruments 100000] [--platforms 2000] [--bookings 10000000] \
        [--keep-schema SCHEMA | --reuse-schema SCHEMA [--analyze]]

`--keep-schema SCHEMA` seeds into that (new) schema and leaves it in place; `--reuse-schema
SCHEMA` measures a schema so kept without seeding (a minute instead of the seed's hour), after
the daily `refresh-idle-spans` if its coverage has gone stale, and with `--analyze` after a fresh
ANALYZE (new random samples: the plan should not change with them). Measuring writes a few
bookings, rate-card versions and a token into the kept schema; nothing else changes.

Without either, seeds a scratch schema of that database (dropped at the end) with COPY straight
through the driver: instruments idle on weekdays 08:00-18:00 (60 %), every day 08:00-20:00 (25 %) or on
evenings and weekends (15 %), in Asia/Shanghai; bookings of two hours at 09:00 or 14:00 local on
distinct days of each instrument (generated in the database with INSERT … SELECT), a year back and a year ahead (past ones completed or
cancelled, future ones confirmed or pending). The bookings' indexes and exclusion constraint are
dropped for the load and built again after it, as a bulk import would. The idle spans are
written by the real `refresh-idle-spans --full` code, then clustered by time, as a deployment
does once after its first full build, and the schema's tables are vacuumed and analysed (what
autovacuum would do after a bulk load); connections run with `jit = off`.
Not run in CI: at full size it took about an hour on this project's 2-core machine under load
15–20 (the bookings' GiST indexes 23 min, the first full refresh 32 min, CLUSTER 13 min).
"""

import argparse
import logging
import os
import random
import re
import secrets
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_booking import APPLICATION_NAME, Scratch, scratch_database  # noqa: E402
from bench_dashboard import load  # noqa: E402
from sqlalchemy import create_engine, event, select, text  # noqa: E402
from sqlalchemy.dialects import postgresql  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from equipment_share import create_app  # noqa: E402
from equipment_share.database import upgrade_schema  # noqa: E402
from equipment_share.domain.availability import Interval  # noqa: E402
from equipment_share.extensions import db  # noqa: E402
from equipment_share.models import (  # noqa: E402
    Equipment,
    IdleWindow,
    Organization,
    Role,
    User,
)
from equipment_share.services import bookings, idle_spans, rate_cards  # noqa: E402
from equipment_share.services.catalogue import catalogue_search  # noqa: E402
from equipment_share.services.tokens import issue_token  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
CATEGORIES = (
    "chemical_analysis",
    "microscopy",
    "spectroscopy",
    "thermal_analysis",
    "chromatography",
    "mechanical_testing",
    "environmental",
    "materials",
)
GOALS_MS = {"free search": 300, "instrument week": 10, "catalogue page (HTML)": 50}


def seed(args, rng: random.Random) -> dict:
    started = time.perf_counter()
    now = datetime.now(UTC)
    load(
        Organization.__table__,
        [_organization(f"平台{number}", "platform", now) for number in range(1, args.platforms + 1)]
        + [_organization("基准测试企业", "sme", now)],
    )
    sme_id = db.session.scalar(text("SELECT id FROM organizations WHERE kind = 'sme'"))
    platform_ids = db.session.scalars(
        text("SELECT id FROM organizations WHERE kind = 'platform' ORDER BY id")
    ).all()
    user = User(
        email="sme@bench.example",
        name="SME",
        password_hash="!",
        role=Role.SME,
        organization_id=sme_id,
    )
    db.session.add(user)
    db.session.flush()
    load(
        Equipment.__table__,
        [_instrument(number, platform_ids, rng, now) for number in range(args.instruments)],
    )
    equipment_ids = db.session.scalars(text("SELECT id FROM equipment ORDER BY id")).all()
    load(IdleWindow.__table__, [row for id_ in equipment_ids for row in _idle(id_, rng, now)])
    db.session.commit()
    print(f"  organisations, instruments, idle windows: {time.perf_counter() - started:.0f} s")

    stamp = time.perf_counter()
    _load_bookings(equipment_ids, args.bookings, sme_id, user.id)
    print(f"  {args.bookings:,} bookings (INSERT … SELECT): {time.perf_counter() - stamp:.0f} s")

    stamp = time.perf_counter()
    spans = idle_spans.refresh_all(now)
    spans_seconds = time.perf_counter() - stamp
    print(f"  refresh-idle-spans: {spans:,} spans in {spans_seconds:.0f} s")
    stamp = time.perf_counter()
    # as a deployment does once after the first full build (README, "National scale")
    db.session.execute(text("CLUSTER idle_spans USING ix_idle_spans_range"))
    print(f"  CLUSTER idle_spans: {time.perf_counter() - stamp:.0f} s")
    db.session.commit()
    stamp = time.perf_counter()
    vacuum_analyze()
    print(f"  VACUUM (ANALYZE): {time.perf_counter() - stamp:.0f} s")
    return {
        "user": user,
        "equipment_ids": equipment_ids,
        "seconds": time.perf_counter() - started,
        "spans": spans,
        "spans_seconds": spans_seconds,
    }


def _organization(name: str, kind: str, now: datetime) -> dict:
    return {
        "name": name,
        "name_en": "",
        "kind": kind,
        "status": "approved",
        "tech_sme_certified": kind == "sme",
        "tech_sme_cert_no": "",
        "industry": "",
        "address": "",
        "contact_name": "",
        "contact_phone": "",
        "description": "",
        "created_at": now,
    }


def _instrument(number: int, platform_ids: list[int], rng: random.Random, now) -> dict:
    return {
        "platform_id": platform_ids[number % len(platform_ids)],
        "name": f"仪器{number:06d}",
        "name_en": f"Instrument {number}",
        "category": rng.choice(CATEGORIES),
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
        "horizon_days": 400,
        "requires_approval": False,
        "cancellation_deadline_hours": 24,
        "active": True,
        "created_at": now - timedelta(days=800),
        "updated_at": now,
    }


def _idle(equipment_id: int, rng: random.Random, now) -> list[dict]:
    draw = rng.random()
    if draw < 0.60:
        rules = [("0,1,2,3,4", 8, 18)]
    elif draw < 0.85:
        rules = [("0,1,2,3,4,5,6", 8, 20)]
    else:
        rules = [("0,1,2,3,4", 18, 23), ("5,6", 0, 0)]  # 00:00-00:00 is the whole day
    return [
        {
            "equipment_id": equipment_id,
            "kind": "weekly",
            "weekdays": weekdays,
            "start_time": f"{start:02d}:00:00",
            "end_time": f"{end:02d}:00:00",
            "valid_from": None,
            "valid_to": None,
            "start_at": None,
            "end_at": None,
            "created_at": now,
        }
        for weekdays, start, end in rules
    ]


def _load_bookings(equipment_ids, total, sme_id, user_id) -> None:
    """Each instrument's share of the bookings on distinct days, with the bookings' indexes,
    exclusion constraint and foreign keys dropped for the load and made again after it."""
    definitions = db.session.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'bookings' "
            "AND schemaname = current_schema() AND indexname NOT IN ('pk_bookings', 'ex_bookings_no_overlap')"
        )
    ).all()
    # the exclusion constraint and the foreign keys (checked row by row otherwise)
    constraints = db.session.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'bookings'::regclass AND contype IN ('x', 'f')"
        )
    ).all()
    for name, _ in constraints:
        db.session.execute(text(f"ALTER TABLE bookings DROP CONSTRAINT {name}"))
    for name, _ in definitions:
        db.session.execute(text(f"DROP INDEX {name}"))
    # Generated in the database: distinct days per instrument, since 97 and 730 are coprime.
    db.session.execute(
        text(
            """
            INSERT INTO bookings (equipment_id, organization_id, booked_by_id, start_at, end_at,
                status, purpose, purpose_category, hourly_rate, setup_fee, min_charge_minutes,
                billing_increment_minutes, estimated_fee, status_reason, late_cancellation,
                sequence, created_at, updated_at)
            SELECT equipment_id, :sme, :user, start_at, start_at + interval '2 hours',
                CASE WHEN day_offset < 0
                     THEN CASE WHEN draw = 0 THEN 'cancelled' ELSE 'completed' END
                     ELSE CASE WHEN draw < 2 THEN 'pending' ELSE 'confirmed' END END,
                '', 'research', 30000, 0, 0, 30, 60000, '', false, 0, now(), now()
            FROM (
                SELECT e.id AS equipment_id, ((e.id * 7919 + k * 97) % 730) - 365 AS day_offset,
                    (e.id * 31 + k * 17) % 10 AS draw,
                    ((CAST(:today AS date) + ((e.id * 7919 + k * 97) % 730) - 365)
                        + make_interval(hours => CASE WHEN (e.id + k) % 2 = 0 THEN 9 ELSE 14 END))
                        AT TIME ZONE 'Asia/Shanghai' AS start_at
                FROM equipment e CROSS JOIN generate_series(1, :per) AS k
            ) AS generated
            """
        ),
        {
            "sme": sme_id,
            "user": user_id,
            "today": datetime.now(SHANGHAI).date(),
            "per": total // len(equipment_ids),
        },
    )
    db.session.commit()
    stamp = time.perf_counter()
    for _, definition in definitions:
        db.session.execute(text(definition))
    for name, definition in constraints:
        db.session.execute(text(f"ALTER TABLE bookings ADD CONSTRAINT {name} {definition}"))
    db.session.commit()
    print(
        f"  bookings' indexes, exclusion constraint and foreign keys: {time.perf_counter() - stamp:.0f} s"
    )


def timed(label: str, calls, repeats: int) -> dict:
    durations, cpu = [], []
    for _ in range(repeats):
        call = next(calls)
        started, cpu_started = time.perf_counter(), time.process_time()
        response = call()
        durations.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        assert response.status_code in (200, 201), (label, response.status_code)
    durations.sort()
    row = {
        "label": label,
        "p50": statistics.median(durations),
        "p95": durations[max(0, int(len(durations) * 0.95) - 1)],
        "cpu": statistics.median(cpu),
        "repeats": repeats,
    }
    goal = GOALS_MS.get(label)
    verdict = "" if goal is None else (" goal met" if row["p95"] <= goal else " MISS")
    print(
        f"  {label:<22} p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms"
        f"  (app CPU p50 {row['cpu']:5.1f} ms)" + (f"  (goal {goal} ms){verdict}" if goal else "")
    )
    return row


def windows(rng: random.Random):
    """Two-hour windows on weekday mornings and afternoons within the next 60 days."""
    today = datetime.now(SHANGHAI).date()
    while True:
        day = today + timedelta(days=rng.randint(1, 60))
        if day.weekday() > 4:
            continue
        start = datetime(*day.timetuple()[:3], rng.choice((9, 10, 14, 15)), tzinfo=SHANGHAI)
        yield Interval(start, start + timedelta(hours=2))


def measure(app, seeded: dict, rng: random.Random, repeats: int) -> None:
    client = app.test_client()
    token = issue_token(seeded["user"], "bench")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    free_windows = windows(rng)
    ids = seeded["equipment_ids"]

    def search():
        while True:
            window = next(free_windows)
            query = {"free_from": window.start.isoformat(), "free_to": window.end.isoformat()}
            yield lambda query=query: client.get(
                "/api/v1/equipment", query_string=query, headers=headers
            )

    def week():
        while True:
            start = datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
            start += timedelta(days=rng.randint(0, 50))
            query = {"from": start.isoformat(), "to": (start + timedelta(days=7)).isoformat()}
            equipment_id = rng.choice(ids)
            yield lambda query=query, equipment_id=equipment_id: client.get(
                f"/api/v1/equipment/{equipment_id}/availability",
                query_string=query,
                headers=headers,
            )

    def first_page():
        while True:
            yield lambda: client.get("/api/v1/equipment", headers=headers)

    def catalogue_page():
        while True:
            yield lambda: client.get("/")

    print("timings (Flask test client, one client, whole request):")
    timed("free search", search(), repeats)
    timed("instrument week", week(), repeats * 3)
    timed("catalogue API page 1", first_page(), repeats)
    timed("catalogue page (HTML)", catalogue_page(), repeats)
    _booking_creation(seeded, rng, repeats)
    _explain(next(free_windows))


def _booking_creation(seeded: dict, rng: random.Random, repeats: int) -> None:
    """Booking creation in the service, one client: its cost should not grow with the tables."""
    user = seeded["user"]
    daytime = db.session.scalars(
        text("SELECT equipment_id FROM idle_windows WHERE start_time = '08:00:00'")
    ).all()
    chosen = rng.sample(daytime, repeats)
    for equipment_id in chosen:
        if not _has_rate_card(equipment_id):  # one from an earlier run over a kept schema
            rate_cards.start_version(None, db.session.get(Equipment, equipment_id))
    db.session.commit()
    durations = []
    for equipment_id in chosen:
        day = datetime.now(SHANGHAI).date() + timedelta(days=rng.randint(2, 50))
        while day.weekday() > 4:
            day += timedelta(days=1)
        start = datetime(*day.timetuple()[:3], 11, tzinfo=SHANGHAI)  # no seeded booking at 11
        while _booked(equipment_id, start):  # by an earlier run over a kept schema
            start += timedelta(days=7)
        started = time.perf_counter()
        bookings.create_booking(user, equipment_id, start, start + timedelta(hours=1), "bench")
        db.session.commit()
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    print(
        f"  {'booking creation':<22} p50 {statistics.median(durations):7.1f} ms  "
        f"p95 {durations[int(len(durations) * 0.95) - 1]:7.1f} ms  (service call + commit)"
    )


def _has_rate_card(equipment_id: int) -> bool:
    return (
        db.session.execute(
            text("SELECT 1 FROM rate_cards WHERE equipment_id = :id"), {"id": equipment_id}
        ).first()
        is not None
    )


def _booked(equipment_id: int, start: datetime) -> bool:
    return (
        db.session.execute(
            text("SELECT 1 FROM bookings WHERE equipment_id = :id AND start_at = :start"),
            {"id": equipment_id, "start": start},
        ).first()
        is not None
    )


def _explain(window: Interval) -> None:
    """The two statements of a free search: its first page and its count (the API's `total`)."""
    search = catalogue_search(None, free=window)
    for label, statement in (("first page", search.items.limit(50)), ("count", search.count)):
        sql = str(
            statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        )
        plan = db.session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")).scalars().all()
        db.session.rollback()
        print(
            f"\nEXPLAIN (ANALYZE, BUFFERS) of the free search's {label}, "
            f"{window.start:%Y-%m-%d %H:%M}+2h:"
        )
        print("\n".join(plan))


def _without_jit(dbapi_connection, _record) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL URL")
    parser.add_argument("--instruments", type=int, default=100_000)
    parser.add_argument("--platforms", type=int, default=2_000)
    parser.add_argument("--bookings", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=40, help="timed requests per row")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument(
        "--keep-schema", metavar="SCHEMA", help="seed into this new schema and leave it in place"
    )
    parser.add_argument(
        "--reuse-schema", metavar="SCHEMA", help="measure a kept schema without seeding it"
    )
    parser.add_argument(
        "--analyze", action="store_true", help="with --reuse-schema: ANALYZE before measuring"
    )
    args = parser.parse_args()
    if args.keep_schema and args.reuse_schema:
        parser.error("--keep-schema seeds, --reuse-schema does not: give one")
    if args.analyze and not args.reuse_schema:
        parser.error("--analyze goes with --reuse-schema (seeding ends with an ANALYZE)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(args.seed)
    logging.getLogger("equipment_share").setLevel(logging.WARNING)
    directory = Path(tempfile.mkdtemp(prefix="equipment_share_bench_scale_"))
    os.environ["EQUIPMENT_SHARE_INSTANCE"] = str(directory / "instance")
    named = args.keep_schema or args.reuse_schema
    if named:
        scratch = named_schema(args.database_url, named, create=bool(args.keep_schema))
    else:
        scratch = scratch_database(args.database_url, directory)
    if "PostgreSQL" not in scratch.description:
        sys.exit(
            "the national-scale benchmark needs PostgreSQL (--database-url postgresql+psycopg://…)"
        )
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.2f}")
    print(f"database: {scratch.description}")
    try:
        app = create_app(
            {
                "DATABASE_URL": scratch.url,
                "SECRET_KEY": secrets.token_hex(16),
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            # jit = off, as docs/deployment.md sets it for the database
            event.listen(db.engine, "connect", _without_jit)
            if args.reuse_schema:
                seeded = reuse(args.analyze)
            else:
                upgrade_schema()
                print(
                    f"seeding {args.instruments:,} instruments on {args.platforms:,} platforms "
                    f"and {args.bookings:,} bookings:"
                )
                seeded = seed(args, rng)
                print(f"seeded in {seeded['seconds']:.0f} s")
            measure(app, seeded, rng, args.repeats)
    finally:
        scratch.drop()
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
        if args.keep_schema:
            print(
                f"kept schema {args.keep_schema}; measure it again with --reuse-schema "
                f"{args.keep_schema}"
            )


def named_schema(url: str, schema: str, *, create: bool) -> Scratch:
    """A schema that outlives the run: created (it must not exist) to be seeded, or reused (it
    must exist). Never dropped here: `DROP SCHEMA … CASCADE` by hand when done with it."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        sys.exit("--keep-schema and --reuse-schema need PostgreSQL")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
        sys.exit(f"schema name {schema!r}: lower-case letters, digits and _ only")
    admin = create_engine(parsed)
    with admin.begin() as connection:
        version = connection.execute(text("SHOW server_version")).scalar()
        exists = connection.execute(
            text("SELECT 1 FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}
        ).first()
        if create and exists:
            sys.exit(f"schema {schema} exists: reuse it with --reuse-schema, or drop it first")
        if not create and not exists:
            sys.exit(f"no schema {schema} in {parsed.database}: seed it with --keep-schema")
        if create:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    scoped = parsed.update_query_dict(
        {"options": f"-csearch_path={schema}", "application_name": APPLICATION_NAME}
    )
    return Scratch(
        scoped.render_as_string(hide_password=False),
        f"PostgreSQL {version} ({'new' if create else 'kept'} schema {schema} in {parsed.database})",
        lambda: None,
    )


def reuse(analyze: bool) -> dict:
    """What `seed` returns, read back from a kept schema, with its migrations brought up to date,
    its coverage moved on as the daily job does, and optionally a fresh ANALYZE."""
    upgrade_schema()
    user = db.session.scalars(select(User).where(User.email == "sme@bench.example")).one()
    equipment_ids = db.session.scalars(text("SELECT id FROM equipment ORDER BY id")).all()
    now = datetime.now(UTC)
    if idle_spans.coverage(db.session.connection()) != idle_spans.standard_period(now):
        stamp = time.perf_counter()
        spans = idle_spans.refresh_all(now)
        print(
            f"  refresh-idle-spans (daily): {spans:,} spans in {time.perf_counter() - stamp:.0f} s"
        )
    if analyze:
        stamp = time.perf_counter()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        print(f"  ANALYZE: {time.perf_counter() - stamp:.0f} s")
    print(f"reusing {len(equipment_ids):,} instruments")
    return {"user": user, "equipment_ids": equipment_ids}


def vacuum_analyze() -> None:
    """VACUUM (ANALYZE) the schema's tables, outside a transaction: the statistics, and the
    visibility map that index-only scans need (autovacuum sets it in a deployment; it is off on
    this project's test server, and it would not have caught up with a bulk load yet)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        tables = connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).all()
        connection.execute(text(f"VACUUM (ANALYZE) {', '.join(tables)}"))


if __name__ == "__main__":
    main()
