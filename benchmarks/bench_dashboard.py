"""Dashboard benchmark: the finance dashboard (GET /dashboard?year=, the whole request through
the Flask test client, signed in as finance) over a year with 500,000 usage records, and the
city metrics API over the same year.

    python benchmarks/bench_dashboard.py [--database-url URL] [--records 500000]

Seeds 20 platforms with 200 instruments, 1,000 SMEs, one booking and one usage record per
record asked for, spread over the year (80 % confirmed, the rest recorded or disputed; one in
ten a no-show charge), and two claims per SME under a policy with two funding sources: the first
half-year's paid, the second's submitted or approved, a line per confirmed record (so about
400,000 claim lines), with budgets for both sources. Rows are loaded with COPY on PostgreSQL and
executemany on SQLite, straight through the driver (the ORM would take minutes).

Without --database-url the database is a fresh SQLite file in a temporary directory; with a
PostgreSQL URL a scratch schema of that database, dropped at the end (see bench_booking.py).
Prints min and median over the repeats against the target (1 s).
"""

import argparse
import json
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
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_booking import scratch_database  # noqa: E402
from sqlalchemy import text  # noqa: E402

from equipment_share import create_app  # noqa: E402
from equipment_share.database import upgrade_schema  # noqa: E402
from equipment_share.domain.organizations import uscc_with_check_character  # noqa: E402
from equipment_share.extensions import db  # noqa: E402
from equipment_share.models import (  # noqa: E402
    Booking,
    Budget,
    Claim,
    ClaimLine,
    ClaimSource,
    Equipment,
    FundingSource,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Role,
    SubsidyPolicy,
    UsageRecord,
    User,
)
from equipment_share.services.tokens import issue_token  # noqa: E402

TIMEZONE = ZoneInfo("Asia/Shanghai")
YEAR = 2026
PLATFORMS, INSTRUMENTS, SMES = 20, 200, 1_000
SOURCES = (("省级资金", Decimal("0.30")), ("市级资金", Decimal("0.20")))
TARGET_MS = 1000
PASSWORD = "bench-password-1"


# --- bulk loading straight through the driver ---------------------------------------------


def load(table, rows: list[dict]) -> None:
    """Insert plain rows (every NOT NULL column given) with COPY or executemany."""
    if not rows:
        return
    columns = list(rows[0])
    connection = db.session.connection().connection.driver_connection
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(columns)
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([_postgres(row[name]) for name in columns])
    else:
        marks = ", ".join("?" for _ in columns)
        connection.executemany(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})",
            [[_sqlite(row[name]) for name in columns] for row in rows],
        )


def _sqlite(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, list):
        return json.dumps(value)
    return value


def _postgres(value):
    if isinstance(value, list):
        return json.dumps(value)
    return value


def fen(amount: Decimal) -> int:
    return int(amount * 100)


# --- seeding ------------------------------------------------------------------------------


def seed(records: int, rng: random.Random) -> dict:
    started = time.perf_counter()
    platforms = [
        _organization(f"Bench platform {n}", OrganizationKind.PLATFORM, n) for n in range(PLATFORMS)
    ]
    smes = [
        _organization(f"Bench SME {n}", OrganizationKind.SME, PLATFORMS + n) for n in range(SMES)
    ]
    db.session.add_all(platforms + smes)
    db.session.flush()
    finance = User(email="finance@bench.example", role=Role.FINANCE)
    finance.set_password(PASSWORD)
    booker = User(email="sme@bench.example", role=Role.SME, organization=smes[0], password_hash="!")
    instruments = [
        Equipment(
            platform=platforms[n % PLATFORMS],
            name=f"Bench instrument {n}",
            category="chemical_analysis",
            hourly_rate=Decimal(rng.choice([120, 300, 600])),
            setup_fee=Decimal(0),
        )
        for n in range(INSTRUMENTS)
    ]
    policy = SubsidyPolicy(name="Bench policy", valid_from=date(YEAR, 1, 1))
    policy.sources = [
        FundingSource(position=n, name=name, rate=rate, annual_cap=Decimal("500000.00"))
        for n, (name, rate) in enumerate(SOURCES)
    ]
    db.session.add_all([finance, booker, *instruments, policy])
    db.session.add_all(
        Budget(year=YEAR, source=name, amount=Decimal("3000000.00")) for name, _ in SOURCES
    )
    db.session.flush()
    instrument_rows = [(item.id, item.platform_id, item.hourly_rate) for item in instruments]
    sme_ids = [sme.id for sme in smes]
    source_ids = [source.id for source in policy.sources]
    policy_id, booker_id = policy.id, booker.id
    db.session.commit()

    year_start = datetime(YEAR, 1, 1, tzinfo=TIMEZONE).astimezone(UTC)
    minutes_in_year = 365 * 24 * 60
    now = datetime.now(UTC)
    bookings, usage, claimable = [], [], []
    for n in range(1, records + 1):
        equipment_id, platform_id, rate = instrument_rows[n % INSTRUMENTS]
        sme_id = sme_ids[rng.randrange(SMES)]
        start = year_start + timedelta(minutes=rng.randrange(minutes_in_year - 600))
        hours = rng.choice((1, 2, 2, 3, 4))
        end = start + timedelta(hours=hours)
        no_show = n % 10 == 0
        fee = Decimal(90) if no_show else rate * hours
        status = rng.choices(("confirmed", "recorded", "disputed"), (80, 15, 5))[0]
        bookings.append(
            {
                "id": n,
                "equipment_id": equipment_id,
                "organization_id": sme_id,
                "booked_by_id": booker_id,
                "start_at": start,
                "end_at": end,
                "status": "no_show" if no_show else "completed",
                "purpose": "",
                "purpose_category": "research",
                "hourly_rate": fen(rate),
                "setup_fee": 0,
                "min_charge_minutes": 0,
                "billing_increment_minutes": 30,
                "estimated_fee": fen(rate * hours),
                "status_reason": "",
                "late_cancellation": False,
                "sequence": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        usage.append(
            {
                "id": n,
                "booking_id": n,
                "equipment_id": equipment_id,
                "organization_id": sme_id,
                "platform_id": platform_id,
                "kind": "no_show" if no_show else "usage",
                "status": status,
                "actual_start": None if no_show else start,
                "actual_end": None if no_show else end,
                "occurred_at": start,
                "actual_minutes": 0 if no_show else hours * 60,
                "billable_minutes": 0 if no_show else hours * 60,
                "fee": fen(fee),
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
        if status == "confirmed":
            claimable.append((n, sme_id, platform_id, fee, start))
    load(Booking.__table__, bookings)
    load(UsageRecord.__table__, usage)
    claims, claim_sources, lines = _claims(claimable, sme_ids, policy_id, source_ids, rng, now)
    load(Claim.__table__, claims)
    load(ClaimSource.__table__, claim_sources)
    load(ClaimLine.__table__, lines)
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {"seconds": time.perf_counter() - started, "lines": len(lines), "claims": len(claims)}


def _claims(claimable, sme_ids, policy_id, source_ids, rng, now):
    """Two claims per SME (first half-year paid, second submitted or approved), a line per
    confirmed record at 50 % (30 + 20) of its fee, per source as the sum of its lines."""
    half = datetime(YEAR, 7, 1, tzinfo=TIMEZONE).astimezone(UTC)
    claim_ids = {}
    claims = []
    for sme_id in sme_ids:
        for second_half in (False, True):
            claim_id = len(claims) + 1
            claim_ids[(sme_id, second_half)] = claim_id
            status = rng.choice(("submitted", "approved")) if second_half else "paid"
            claims.append(
                {
                    "id": claim_id,
                    "organization_id": sme_id,
                    "policy_id": policy_id,
                    "status": status,
                    "period_from": date(YEAR, 7 if second_half else 1, 1),
                    "period_to": date(YEAR, 12, 31) if second_half else date(YEAR, 6, 30),
                    "year": YEAR,
                    "total_fee": 0,
                    "eligible_fee": 0,
                    "subsidy": 0,
                    "subsidy_note": "",
                    "status_reason": "",
                    "payment_reference": "",
                    "paid_on": None if second_half else date(YEAR, rng.randint(7, 9), 15),
                    "created_at": now,
                    "updated_at": now,
                }
            )
    totals = {claim["id"]: [0, 0, 0] for claim in claims}  # fee, province, city (fen)
    lines = []
    for usage_id, sme_id, platform_id, fee, start in claimable:
        claim_id = claim_ids[(sme_id, start >= half)]
        province, city = fen(fee) * 30 // 100, fen(fee) * 20 // 100
        totals[claim_id][0] += fen(fee)
        totals[claim_id][1] += province
        totals[claim_id][2] += city
        lines.append(
            {
                "claim_id": claim_id,
                "position": len(lines),
                "kind": "usage",
                "usage_id": usage_id,
                "platform_id": platform_id,
                "fee": fen(fee),
                "eligible_fee": fen(fee),
                "subsidy": province + city,
            }
        )
    claim_sources = []
    for claim in claims:
        fee, province, city = totals[claim["id"]]
        claim |= {"total_fee": fee, "eligible_fee": fee, "subsidy": province + city}
        for position, (source_id, amount) in enumerate(
            zip(source_ids, (province, city), strict=True)
        ):
            claim_sources.append(
                {
                    "claim_id": claim["id"],
                    "source_id": source_id,
                    "position": position,
                    "subsidy": amount,
                }
            )
    return claims, claim_sources, lines


def _organization(name: str, kind: OrganizationKind, number: int) -> Organization:
    return Organization(
        name=name,
        kind=kind,
        status=OrganizationStatus.APPROVED,
        uscc=uscc_with_check_character(f"91141100MB{number:07d}"),
    )


# --- measuring ----------------------------------------------------------------------------


def timed(call, repeats: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of this process per call. On SQLite the queries run in
    the process, so its CPU time is the request's cost whatever else loads the machine."""
    call()  # warm up: templates compiled, caches filled
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--records", type=int, default=500_000, help="usage records in the year")
    parser.add_argument("--repeats", type=int, default=5, help="timed requests per row")
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    rng = random.Random(args.seed)
    load_before = os.getloadavg()[0]
    directory = Path(tempfile.mkdtemp(prefix="equipment_share_bench_dashboard_"))
    os.environ["EQUIPMENT_SHARE_INSTANCE"] = str(directory / "instance")
    scratch = scratch_database(args.database_url, directory)
    failures = 0
    try:
        app = create_app(
            {
                "DATABASE_URL": scratch.url,
                "SECRET_KEY": secrets.token_hex(16),
                "WTF_CSRF_ENABLED": False,
            }
        )
        with app.app_context():
            print(f"database: {scratch.description}", flush=True)
            upgrade_schema()
            seeded = seed(args.records, rng)
            print(
                f"seeded {args.records:,} usage records, {seeded['claims']:,} claims and "
                f"{seeded['lines']:,} claim lines in {seeded['seconds']:.1f} s",
                flush=True,
            )
            client = app.test_client()
            signed_in = client.post(
                "/login", data={"email": "finance@bench.example", "password": PASSWORD}
            )
            assert signed_in.status_code == 302, "sign-in failed"
            token_user = db.session.scalar(db.select(User).where(User.role == Role.FINANCE))
            token = issue_token(token_user, "bench")
            db.session.commit()
            rows = []
            for label, call in (
                (
                    f"finance dashboard GET /dashboard?year={YEAR}",
                    lambda: _ok(client.get(f"/dashboard?year={YEAR}")),
                ),
                (
                    "GET /api/v1/metrics/city for the year",
                    lambda: _ok(
                        client.get(
                            f"/api/v1/metrics/city?from={YEAR}-01-01&to={YEAR + 1}-01-01",
                            headers={"Authorization": f"Bearer {token}"},
                        )
                    ),
                ),
            ):
                durations, cpu = timed(call, args.repeats)
                rows.append(
                    (label, min(durations), statistics.median(durations), statistics.median(cpu))
                )
                print(f"  {label}: median {statistics.median(durations):.0f} ms", flush=True)
            db.session.remove()
            db.engine.dispose()
        print()
        print(
            f"{scratch.description}; {os.cpu_count()} CPUs; Python {platform.python_version()}; "
            f"{datetime.now(TIMEZONE):%Y-%m-%d %H:%M %Z}; "
            f"load average before/after {load_before:.1f}/{os.getloadavg()[0]:.1f}"
        )
        print(f"{'measurement':<45} {'target':>8} {'median':>9} {'min':>9} {'CPU':>9}")
        for label, best, median, cpu in rows:
            target = f"≤ {TARGET_MS} ms" if label.startswith("finance") else "–"
            missed = " MISSED" if label.startswith("finance") and median > TARGET_MS else ""
            print(
                f"{label:<45} {target:>8} {median:>6.0f} ms {best:>6.0f} ms {cpu:>6.0f} ms{missed}"
            )
    except AssertionError as failure:
        print(f"failed: {failure}", file=sys.stderr)
        failures += 1
    finally:
        scratch.drop()
        shutil.rmtree(directory, ignore_errors=True)
    return 1 if failures else 0


def _ok(response):
    assert response.status_code == 200, (
        f"{response.status_code}: {response.get_data(as_text=True)[:300]}"
    )
    return response


if __name__ == "__main__":
    sys.exit(main())
