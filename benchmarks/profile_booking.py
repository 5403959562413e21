"""Where a booking's CPU goes in the app: seed as bench_booking.py does, then book slots through
Flask's test client (the whole request: token, schema, service, answer) under cProfile, and
print the functions that cost most.

    python benchmarks/profile_booking.py [--database-url URL] [--bookings 1000] [--top 40]

The database is a scratch schema (PostgreSQL) or a temporary SQLite file, dropped afterwards.
Reports the process's CPU per booking without the profiler first (a cProfile run costs about
twice as much), which on SQLite includes the database's own work.
"""

import argparse
import cProfile
import io
import logging
import os
import pstats
import random
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_booking import creation_slots, iso, scratch_database, seed  # noqa: E402

from equipment_share import create_app  # noqa: E402
from equipment_share.database import upgrade_schema  # noqa: E402
from equipment_share.extensions import db  # noqa: E402


def book(client, headers: dict, slots, count: int) -> None:
    for _ in range(count):
        equipment_id, start, end = next(slots)
        body = {"equipment_id": equipment_id, "start": iso(start), "end": iso(end)}
        body["purpose"] = "benchmark"
        answer = client.post("/api/v1/bookings", json=body, headers=headers)
        if answer.status_code != 201:
            raise SystemExit(f"booking refused: {answer.status_code} {answer.get_data(True)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--instruments", type=int, default=200)
    parser.add_argument("--seeded-bookings", type=int, default=20_000)
    parser.add_argument("--bookings", type=int, default=1000, help="bookings timed, then profiled")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--stats-file", help="also write the cProfile stats here (pstats, snakeviz)"
    )
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="equipment_share_profile_"))
    scratch = scratch_database(args.database_url, directory)
    try:
        os.environ["EQUIPMENT_SHARE_INSTANCE"] = str(directory / "instance")
        # as bench_booking.py's workers: mail and notices are left to `flask send-mail`, so no
        # sender thread runs in this process (its CPU would be counted as the bookings')
        config = {"DATABASE_URL": scratch.url, "SECRET_KEY": secrets.token_hex(16)}
        app = create_app(config | {"SEND_AFTER_COMMIT": False})
        # the request log is written as a worker writes it, but not to the screen
        for handler in logging.getLogger("equipment_share").handlers:
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (open for the whole run)
        with app.app_context():
            upgrade_schema()
            seeded = seed(args.instruments, args.seeded_bookings, random.Random(20261201))
            db.session.remove()
        headers = {"Authorization": f"Bearer {seeded.token}"}
        slots = creation_slots(seeded)
        client = app.test_client()
        book(client, headers, slots, 20)  # warm up: imports, caches, prepared statements

        started = time.process_time()
        book(client, headers, slots, args.bookings)
        per_booking = (time.process_time() - started) / args.bookings
        print(
            f"{scratch.description}: {per_booking * 1000:.2f} ms of CPU per booking (no profiler)"
        )

        profiler = cProfile.Profile(time.process_time)  # CPU, not the waits on the database
        profiler.enable()
        book(client, headers, slots, args.bookings)
        profiler.disable()
        if args.stats_file:
            profiler.dump_stats(args.stats_file)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(
            "equipment_share|marshmallow|flask|werkzeug", args.top
        )
        print(out.getvalue())
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        scratch.drop()
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
