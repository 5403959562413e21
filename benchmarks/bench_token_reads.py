"""Reads under writes: gunicorn with 4 workers, 12 clients reading GET /api/v1/me with many API
tokens (each token's first use records its last-used time) while 4 clients PATCH an instrument,
for a minute; counts the answers that are not 200 (must be 0).

    python benchmarks/bench_token_reads.py [--database-url URL] [--seconds 60]

Without --database-url the database is a fresh SQLite file in a temporary directory (the case
that failed: "database is locked" on reads). A PostgreSQL URL is used in a scratch schema,
dropped at the end (see bench_booking.py). Exit status 1 if any request failed.
"""

import argparse
import secrets
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench_booking import Server, _organization, scratch_database  # noqa: E402

from equipment_share import create_app  # noqa: E402
from equipment_share.database import upgrade_schema  # noqa: E402
from equipment_share.extensions import db  # noqa: E402
from equipment_share.models import Equipment, OrganizationKind, Role, User  # noqa: E402
from equipment_share.services import rate_cards  # noqa: E402
from equipment_share.services.tokens import issue_token  # noqa: E402
from tests.concurrency.mixed_load import run_mixed_load  # noqa: E402

READERS = 12
WRITERS = 4
TOKENS_PER_READER = 200


def seed() -> tuple[int, dict, list[list[str]]]:
    """An instrument, its platform's token, and TOKENS_PER_READER tokens for each reader."""
    platform = _organization("Bench platform", OrganizationKind.PLATFORM, 1)
    sme = _organization("Bench SME", OrganizationKind.SME, 2)
    manager = User(email="platform@bench.example", role=Role.PLATFORM, organization=platform)
    manager.password_hash = "!"
    equipment = Equipment(
        platform=platform, name="Bench instrument", category="other", hourly_rate="100.00"
    )
    db.session.add_all([manager, equipment])
    db.session.flush()
    rate_cards.start_version(None, equipment)
    writer = {"Authorization": f"Bearer {issue_token(manager, 'bench')}"}
    readers = []
    for number in range(READERS):
        user = User(email=f"reader{number}@bench.example", role=Role.SME, organization=sme)
        user.password_hash = "!"
        db.session.add(user)
        readers.append([issue_token(user, "bench") for _ in range(TOKENS_PER_READER)])
    db.session.commit()
    return equipment.id, writer, readers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=float, default=60)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        scratch = scratch_database(options.database_url, Path(directory))
        instance, secret_key = Path(directory) / "instance", secrets.token_hex(16)
        server = None
        try:
            app = create_app({"DATABASE_URL": scratch.url, "SECRET_KEY": secret_key})
            with app.app_context():
                upgrade_schema()
                equipment_id, writer, readers = seed()
                db.session.remove()
                db.engine.dispose()
            server = Server(scratch.url, instance, secret_key, Path(directory) / "gunicorn.log")
            server.wait_until_ready(writer)
            print(
                f"{scratch.description}; gunicorn 4 workers; {READERS} readers, {WRITERS} writers"
            )
            result = run_mixed_load(
                server.port, readers, writer, equipment_id, writers=WRITERS, seconds=options.seconds
            )
            print(result.summary())
            for failure in result.failures:
                print("  ", failure)
            return 1 if result.errors else 0
        finally:
            if server is not None:
                server.stop()
            scratch.drop()


if __name__ == "__main__":
    sys.exit(main())
