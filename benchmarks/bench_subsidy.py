"""Subsidy benchmark: seed SMEs with a year of confirmed usage records (bulk inserts), then time
drafting a claim per SME for the whole year (every record a line, with its per-source split):
one SME at a time as the API does (`claims.draft_claim`, for the first --one-by-one SMEs), and
all SMEs at once (`claims.draft_claims`, what `flask draft-claims` runs); and the finance
queue's totals.

    python benchmarks/bench_subsidy.py [--database-url URL] [--smes 5000] [--records 500000]

Without --database-url the database is a fresh SQLite file in a temporary directory; with a
PostgreSQL URL everything goes into a scratch schema that is dropped at the end (as
bench_booking.py does). Goal: all claims drafted in at most 30 s on either database.
"""

import argparse
import os
import platform
import random
import secrets
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_booking import scratch_database  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from equipment_share import create_app  # noqa: E402
from equipment_share.database import upgrade_schema  # noqa: E402
from equipment_share.domain.bookings import BookingStatus, PurposeCategory  # noqa: E402
from equipment_share.domain.equipment import CATEGORIES  # noqa: E402
from equipment_share.domain.organizations import uscc_with_check_character  # noqa: E402
from equipment_share.domain.usage import UsageKind, UsageStatus  # noqa: E402
from equipment_share.extensions import db  # noqa: E402
from equipment_share.models import (  # noqa: E402
    Booking,
    Claim,
    ClaimLine,
    Equipment,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Role,
    UsageRecord,
    User,
)
from equipment_share.services import claims, subsidy  # noqa: E402

TIMEZONE = ZoneInfo("Asia/Shanghai")
YEAR = 2026
PLATFORMS = 20
INSTRUMENTS = 500
SLOTS_PER_DAY = 3
INSERT_CHUNK = 10_000
GOAL_SECONDS = 30.0
FEES = [Decimal(value) for value in ("120.00", "300.00", "360.00", "600.00", "1250.50")]


def seed(smes: int, records: int, rng: random.Random) -> list[int]:
    """Platforms, instruments, SMEs (a tenth not certified) with one user each, and `records`
    completed bookings with confirmed usage records spread over the year; returns user ids."""
    platforms = [
        _organization(f"Bench platform {n}", OrganizationKind.PLATFORM, n) for n in range(PLATFORMS)
    ]
    db.session.add_all(platforms)
    db.session.flush()
    categories = list(CATEGORIES)
    instruments = [
        Equipment(
            platform_id=platforms[n % PLATFORMS].id,
            name=f"Bench instrument {n}",
            category=categories[n % len(categories)],
            hourly_rate=Decimal("300.00"),
        )
        for n in range(INSTRUMENTS)
    ]
    db.session.add_all(instruments)
    db.session.flush()
    organization_rows = [
        {
            "name": f"Bench SME {n}",
            "name_en": "",
            "kind": OrganizationKind.SME,
            "status": OrganizationStatus.APPROVED,
            "uscc": uscc_with_check_character(f"91141100MA{PLATFORMS + n:07d}"),
            "tech_sme_certified": n % 10 != 0,
        }
        for n in range(smes)
    ]
    _bulk(Organization, organization_rows)
    sme_ids = list(
        db.session.scalars(
            select(Organization.id)
            .where(Organization.kind == OrganizationKind.SME)
            .order_by(Organization.id)
        )
    )
    _bulk(
        User,
        [
            {
                "email": f"sme{n}@bench.example",
                "role": Role.SME,
                "organization_id": sme_id,
                "password_hash": "!",
            }
            for n, sme_id in enumerate(sme_ids)
        ],
    )
    user_ids = dict(db.session.execute(select(User.organization_id, User.id)).all())
    db.session.commit()

    booking_rows, usage_rows = [], []
    first_day = date(YEAR, 1, 1)
    now = datetime.now(UTC)
    for n in range(records):
        equipment = instruments[n % INSTRUMENTS]
        slot = n // INSTRUMENTS
        day = first_day + timedelta(days=slot // SLOTS_PER_DAY)
        start = datetime.combine(day, clock(8 + 4 * (slot % SLOTS_PER_DAY)), TIMEZONE)
        end = start + timedelta(hours=2)
        sme_id = sme_ids[n % smes]
        fee = rng.choice(FEES)
        booking_rows.append(
            {
                "equipment_id": equipment.id,
                "organization_id": sme_id,
                "booked_by_id": user_ids[sme_id],
                "start_at": start,
                "end_at": end,
                "status": BookingStatus.COMPLETED,
                "purpose": "",
                "purpose_category": (
                    PurposeCategory.CERTIFICATION if n % 10 == 3 else PurposeCategory.RESEARCH
                ),
                "hourly_rate": Decimal("300.00"),
                "setup_fee": Decimal("0.00"),
                "min_charge_minutes": 0,
                "billing_increment_minutes": 30,
                "estimated_fee": fee,
                "status_reason": "",
                "late_cancellation": False,
                "sequence": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        usage_rows.append(
            {
                "equipment_id": equipment.id,
                "organization_id": sme_id,
                "platform_id": equipment.platform_id,
                "kind": UsageKind.USAGE,
                "status": UsageStatus.CONFIRMED,
                "actual_start": start,
                "actual_end": end,
                "occurred_at": start,
                "actual_minutes": 120,
                "billable_minutes": 120,
                "fee": fee,
                "lines": [],
                "items": [],
                "overrun": False,
                "note": "",
                "status_reason": "",
                "corrections": 0,
                "confirmed_automatically": False,
                "status_changed_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
    booking_ids = _bulk(Booking, booking_rows, returning=True)
    for row, booking_id in zip(usage_rows, booking_ids, strict=True):
        row["booking_id"] = booking_id
    _bulk(UsageRecord, usage_rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return [user_ids[sme_id] for sme_id in sme_ids]


def _organization(name: str, kind: OrganizationKind, number: int) -> Organization:
    return Organization(
        name=name,
        kind=kind,
        status=OrganizationStatus.APPROVED,
        uscc=uscc_with_check_character(f"91141100MA{number:07d}"),
    )


def _bulk(model, rows: list[dict], returning: bool = False) -> list[int]:
    ids = []
    for chunk in range(0, len(rows), INSERT_CHUNK):
        part = rows[chunk : chunk + INSERT_CHUNK]
        if returning:
            ids += db.session.scalars(
                insert(model).returning(model.id, sort_by_parameter_order=True), part
            ).all()
        else:
            db.session.execute(insert(model.__table__), part)
    return ids


def make_policy() -> None:
    finance = User(email="finance@bench.example", role=Role.FINANCE, password_hash="!")
    db.session.add(finance)
    db.session.flush()
    subsidy.create_policy(
        finance,
        {
            "name": "Bench voucher",
            "valid_from": date(YEAR, 1, 1),
            "valid_to": date(YEAR, 12, 31),
            "sources": [
                {"name": "province", "rate": "0.30", "annual_cap": "20000.00"},
                {
                    "name": "city",
                    "rate": "0.20",
                    "annual_cap": "10000.00",
                    "per_claim_cap": "5000.00",
                },
            ],
            "eligible_purposes": ["research", "product_testing"],
        },
    )
    db.session.commit()


def draft_all(user_ids: list[int]) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds (the database server's CPU not included)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    for user_id in user_ids:
        actor = db.session.get(User, user_id)
        claims.draft_claim(actor, date(YEAR, 1, 1), date(YEAR, 12, 31))
        db.session.commit()
        db.session.expunge_all()
    return time.perf_counter() - started, time.process_time() - cpu_started


def draft_everyone() -> tuple[float, float, int]:
    started, cpu_started = time.perf_counter(), time.process_time()
    created = claims.draft_claims(None, date(YEAR, 1, 1), date(YEAR, 12, 31))
    return time.perf_counter() - started, time.process_time() - cpu_started, len(created)


def queue_totals() -> tuple[float, list]:
    started = time.perf_counter()
    rows = db.session.execute(
        select(
            Claim.status, func.count(), func.sum(Claim.total_fee), func.sum(Claim.subsidy)
        ).group_by(Claim.status)
    ).all()
    return time.perf_counter() - started, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--smes", type=int, default=5000)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--one-by-one", type=int, default=200, help="SMEs drafted one at a time")
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    if args.smes < 1 or args.records < args.smes:
        parser.error("need at least one SME and a record per SME")
    if args.records > INSTRUMENTS * SLOTS_PER_DAY * 365:
        parser.error(f"at most {INSTRUMENTS * SLOTS_PER_DAY * 365} records fit in the year")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    load_before = os.getloadavg()[0]
    directory = Path(tempfile.mkdtemp(prefix="equipment_share_bench_"))
    os.environ["EQUIPMENT_SHARE_INSTANCE"] = str(directory / "instance")
    scratch = scratch_database(args.database_url, directory)
    try:
        app = create_app({"DATABASE_URL": scratch.url, "SECRET_KEY": secrets.token_hex(16)})
        with app.app_context():
            print(f"database: {scratch.description}", flush=True)
            upgrade_schema()
            started = time.perf_counter()
            user_ids = seed(args.smes, args.records, random.Random(args.seed))
            make_policy()
            print(
                f"seeded {args.smes} SMEs, {args.records} usage records "
                f"in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            sample = user_ids[: args.one_by_one]
            seconds, cpu_seconds = draft_all(sample)
            lines = db.session.scalar(select(func.count()).select_from(ClaimLine))
            per_claim = seconds / len(sample)
            print(
                f"one at a time: {len(sample)} claims, {lines} lines in {seconds:.1f} s "
                f"({cpu_seconds:.1f} s CPU in this process), {per_claim * 1000:.1f} ms a claim: "
                f"{args.smes} SMEs would take about {per_claim * args.smes:.0f} s",
                flush=True,
            )
            seconds, cpu_seconds, count = draft_everyone()
            lines = db.session.scalar(select(func.count()).select_from(ClaimLine)) - lines
            verdict = "met" if seconds <= GOAL_SECONDS else "MISSED"
            print(
                f"all at once: {count} claims with {lines} lines in {seconds:.1f} s "
                f"({cpu_seconds:.1f} s CPU in this process; goal {GOAL_SECONDS:.0f} s: {verdict})",
                flush=True,
            )
            query_seconds, rows = queue_totals()
            print(f"finance queue totals by status: {query_seconds * 1000:.0f} ms {rows}")
            db.session.remove()
            db.engine.dispose()
    finally:
        scratch.drop()
        shutil.rmtree(directory, ignore_errors=True)
    print(
        f"Python {platform.python_version()}, load average before {load_before:.1f}, "
        f"after {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
