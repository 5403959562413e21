"""Audit log benchmark: seed a large log (booking, usage and claim entries with the values the
services write), then time the audit page (first page, a filtered page, a deep page) and the
XLSX and CSV exports of every entry, in-process, as finance, in Chinese.

    python benchmarks/bench_audit.py [--entries 100000] [--repeat 3]

The database is a fresh SQLite file in a temporary directory, removed at the end. The entries
are inserted in bulk (their hashes are not a valid chain: the page does not verify it).
"""

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import insert  # noqa: E402

from equipment_share import create_app  # noqa: E402
from equipment_share.database import upgrade_schema  # noqa: E402
from equipment_share.extensions import db  # noqa: E402
from equipment_share.models import AuditEntry, Role, User  # noqa: E402

PASSWORD = "bench-password-1"
KINDS = (
    ("booking", "approve", "pending", "confirmed", {}),
    (
        "usage",
        "dispute",
        "recorded",
        "disputed",
        {"status": {"from": "recorded", "to": "disputed"}},
    ),
    (
        "usage",
        "record",
        "",
        "recorded",
        {
            "fee": {"from": None, "to": "1234.50"},
            "billable_minutes": {"from": None, "to": 120},
            "actual_start": {"from": None, "to": "2026-03-02T01:00:00+00:00"},
        },
    ),
    ("claim", "approve", "submitted", "approved", {}),
)


def seed(count: int) -> None:
    finance = User(email="finance@bench.example", role=Role.FINANCE, name="财务")
    finance.set_password(PASSWORD)
    db.session.add(finance)
    db.session.flush()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for position in range(1, count + 1):
        object_type, action, from_state, to_state, changes = KINDS[position % len(KINDS)]
        rows.append(
            {
                "position": position,
                "created_at": start + timedelta(minutes=position),
                "actor_id": finance.id,
                "object_type": object_type,
                "object_id": position // 4 + 1,
                "action": action,
                "from_state": from_state,
                "to_state": to_state,
                "reason": "十一点半就离开了" if action == "dispute" else "",
                "changes": changes,
                "previous_hash": "0" * 64,
                "entry_hash": "0" * 64,
            }
        )
        if len(rows) == 5000:
            db.session.execute(insert(AuditEntry), rows)
            rows = []
    if rows:
        db.session.execute(insert(AuditEntry), rows)
    db.session.commit()


def timed(call, repeat: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = call()
        size = len(response.get_data())
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="equipment_share_bench_audit_"))
    os.environ["EQUIPMENT_SHARE_INSTANCE"] = str(directory / "instance")
    try:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{directory / 'bench.sqlite3'}",
                "SECRET_KEY": secrets.token_hex(16),
                "WTF_CSRF_ENABLED": False,
            }
        )
        with app.app_context():
            upgrade_schema()
            started = time.perf_counter()
            seed(args.entries)
            print(f"seeded {args.entries:,} entries in {time.perf_counter() - started:.1f} s")
            client = app.test_client()
            client.set_cookie("language", "zh_CN")
            signed_in = client.post(
                "/login", data={"email": "finance@bench.example", "password": PASSWORD}
            )
            assert signed_in.status_code == 302, "sign-in failed"
            last_page = (args.entries + 49) // 50
            for label, path in (
                ("GET /audit (first page of 50)", "/audit"),
                ("GET /audit?object_type=usage", "/audit?object_type=usage"),
                (f"GET /audit?page={last_page} (the oldest)", f"/audit?page={last_page}"),
                (f"GET /audit.csv ({args.entries:,} entries)", "/audit.csv"),
                (f"GET /audit.xlsx ({args.entries:,} entries)", "/audit.xlsx"),
            ):
                seconds, size = timed(lambda path=path: client.get(path), args.repeat)
                print(f"{label}: median {seconds * 1000:,.0f} ms, {size / 1024:,.0f} KiB")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
