"""The bell's cost: the unread count every signed-in page asks for, over a large notice table.

    python benchmarks/bench_notifications.py [--database-url URL] [--users 1000] [--per-user 200]

Writes users × per-user notices (one in ten unread), then times notices.unread_count (the
bell's one COUNT) and the list's first page for random users, and prints the query plans. Without
--database-url the database is a fresh SQLite file in a temporary directory; a PostgreSQL URL
is used in a scratch schema, dropped at the end (see bench_booking.py).
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench_booking import _organization, scratch_database  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from equipment_share import create_app  # noqa: E402
from equipment_share.database import upgrade_schema  # noqa: E402
from equipment_share.extensions import db  # noqa: E402
from equipment_share.models import Notification, OrganizationKind, Role, User, utcnow  # noqa: E402
from equipment_share.services import notices  # noqa: E402

SAMPLES = 2000


def seed(users: int, per_user: int, rng: random.Random) -> list[User]:
    sme = _organization("Bench SME", OrganizationKind.SME, 1)
    db.session.add(sme)
    people = []
    for number in range(users):
        user = User(email=f"u{number}@bench.example", role=Role.SME, organization=sme)
        user.password_hash = "!"
        people.append(user)
    db.session.add_all(people)
    db.session.commit()
    now = utcnow()
    rows = [
        {
            "user_id": user.id,
            "kind": "booking_approved",
            "object_type": "booking",
            "object_id": number,
            "params": {"equipment": "SEM", "when": "2026-12-07 09:00–10:00"},
            "created_at": now - timedelta(minutes=number),
            "read_at": None if rng.random() < 0.1 else now,
        }
        for user in people
        for number in range(per_user)
    ]
    rng.shuffle(rows)  # interleaved, as notices arrive
    for start in range(0, len(rows), 10_000):
        db.session.execute(insert(Notification), rows[start : start + 10_000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE notifications"))
    else:
        db.session.execute(text("ANALYZE"))
    db.session.commit()
    return people


def timed(function, users: list[User], rng: random.Random) -> tuple[float, float]:
    samples = []
    for _ in range(SAMPLES):
        user = rng.choice(users)
        started = time.perf_counter()
        function(user)
        samples.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def plan(statement) -> str:
    """The plan; on PostgreSQL run (EXPLAIN ANALYZE), so it shows the server's own time."""
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
    rows = db.session.execute(text(prefix + str(compiled))).all()
    return "\n".join("    " + " ".join(str(value) for value in row) for row in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--per-user", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as directory:
        scratch = scratch_database(args.database_url, Path(directory))
        try:
            app = create_app({"DATABASE_URL": scratch.url, "SECRET_KEY": "bench"})
            with app.app_context():
                upgrade_schema()
                started = time.perf_counter()
                users = seed(args.users, args.per_user, rng)
                loaded = time.perf_counter() - started
                total = args.users * args.per_user
                print(f"{scratch.description}: {total:,} notices of {args.users:,} users")
                print(f"  load average before: {os.getloadavg()[0]:.1f}")
                print(f"  loaded in {loaded:.1f} s")
                median, p95 = timed(notices.unread_count, users, rng)
                print(f"  unread count (the bell): median {median:.2f} ms, p95 {p95:.2f} ms")

                def first_page(user):
                    db.session.scalars(notices.notices_query(user).limit(30)).all()

                median, p95 = timed(first_page, users, rng)
                print(f"  list, first page of 30: median {median:.2f} ms, p95 {p95:.2f} ms")
                user = users[0]
                count = (
                    db.select(db.func.count())
                    .select_from(Notification)
                    .where(Notification.user_id == user.id, Notification.read_at.is_(None))
                )
                print("  plan of the count:\n" + plan(count))
                print("  plan of the page:\n" + plan(notices.notices_query(user).limit(30)))
                print(f"  load average after: {os.getloadavg()[0]:.1f}")
                db.session.remove()
                db.engine.dispose()
        finally:
            scratch.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
