"""CPU per request of the pages side_by_side.sh measures, in-process, with ratios to the app's
own static file: the figure that stays put on a shared machine, where wrk's requests per second
swing with the other jobs (the side-by-side run reports those).

    python benchmarks/bench_pages.py [--requests 300]

A fresh SQLite instance with the demo data (as side_by_side.sh builds it), the Flask test
client, and the process's own CPU time (time.process_time) over N requests per URL, after a
warm-up: the week page (next week, anonymous), the availability API for that week and the
catalogue (anonymous), GET /api/v1/me with sme1's token, and static/js/week.js. The pages and
the API answer from the page cache after the first request (as under wrk: the same URL again),
so these are the figures of a cache hit: the fingerprint's query and the hooks. The test client's own cost is in every figure, the static
file's included, so a ratio to it understates how much cheaper the baseline is through gunicorn.
"""

import argparse
import logging
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:
        os.environ["EQUIPMENT_SHARE_INSTANCE"] = instance
        os.environ.setdefault("SECRET_KEY", "bench-pages")
        from equipment_share import create_app
        from equipment_share.database import upgrade_schema
        from equipment_share.demo_data import load_demo_data
        from equipment_share.extensions import db
        from equipment_share.models import User
        from equipment_share.services.tokens import issue_token

        app = create_app()
        # the request log is written as in production, to a file nobody reads
        devnull = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run
        for handler in logging.getLogger("equipment_share").handlers:
            handler.setStream(devnull)
        with app.app_context():
            upgrade_schema()
            load_demo_data()
            sme = db.session.scalar(db.select(User).where(User.email == "sme1@lvliang.example"))
            token = issue_token(sme, "bench")
            db.session.commit()
        today = date.today()
        monday = today + timedelta(days=7 - today.weekday())
        week = f"from={monday}T00:00:00%2B08:00&to={monday + timedelta(days=7)}T00:00:00%2B08:00"
        targets = [
            ("week page (HTML, anon)", f"/equipment/1/week?start={monday}", {}),
            (
                "availability API (week)",
                f"/api/v1/equipment/1/availability?{week}",
                {"Authorization": f"Bearer {token}"},
            ),
            ("catalogue page (HTML, anon)", "/", {}),
            ("/api/v1/me", "/api/v1/me", {"Authorization": f"Bearer {token}"}),
            ("static file", "/static/js/week.js", {}),
        ]
        client = app.test_client()
        cost = {}
        for name, url, headers in targets:
            for _ in range(20):
                response = client.get(url, headers=headers)
                assert response.status_code == 200, (url, response.status_code)
                response.close()
            started = time.process_time()
            for _ in range(arguments.requests):
                client.get(url, headers=headers).close()
            cost[name] = (time.process_time() - started) / arguments.requests * 1000
        baseline = cost["static file"]
        print(f"{arguments.requests} requests each, load average {os.getloadavg()[0]:.1f}")
        for name, milliseconds in cost.items():
            print(
                f"{name:30} {milliseconds:6.2f} ms CPU   static/this {baseline / milliseconds:5.2f}"
            )


if __name__ == "__main__":
    main()
