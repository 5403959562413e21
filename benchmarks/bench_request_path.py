"""CPU per request of the API's request path, in process: demo data on SQLite, Flask's test
client, the app as gunicorn makes it (not in testing mode) less its request log lines, the rate
limit raised out of the way.

    python benchmarks/bench_request_path.py [--requests 2000] [--repeats 5] [--profile me]

Prints the CPU time (time.process_time) per request of GET /api/v1/me (the token check),
a public instrument's week from GET /api/v1/equipment/1/availability (the page cache's answer),
the same without a window (the next 7 days, never cached: the whole path) and a static file through the app (the framework's own cost), the best of --repeats loops of
--requests each; the test client's own work is in every figure. --calls adds the Python function
calls per request of each (cProfile over --requests more: steady on a loaded machine, where CPU
time is not). --profile NAME prints cProfile's top functions for one of them (me, availability,
uncached-week, static). For paired runs of two versions, run it with PYTHONPATH=<the other checkout> from
outside both.
"""

import argparse
import cProfile
import io
import logging
import os
import pstats
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "equipment_share"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", action="store_true", help="function calls per request")
    parser.add_argument("--profile", choices=["me", "availability", "uncached-week", "static"])
    options = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="bench_request_path_")
    os.environ.update(
        EQUIPMENT_SHARE_INSTANCE=instance,
        SECRET_KEY="bench-request-path",
        API_RATE_LIMIT_PER_TOKEN="1000000 per minute",
    )
    for command in (["init-db"], ["demo-data"]):
        subprocess.run([*FLASK, *command], check=True, capture_output=True)
    created = subprocess.run(
        [*FLASK, "create-token", "sme1@lvliang.example"], check=True, capture_output=True, text=True
    )
    token = created.stdout.strip().splitlines()[-1]

    from equipment_share import create_app

    app = create_app()
    # the request log lines would go to this terminal: not what is measured
    logging.getLogger("equipment_share").setLevel(logging.WARNING)
    client = app.test_client()
    monday = date.today() + timedelta(days=7 - date.today().weekday())
    window = f"from={monday}T00:00:00%2B08:00&to={monday + timedelta(days=7)}T00:00:00%2B08:00"
    bearer = {"Authorization": f"Bearer {token}"}
    requests = {
        "me": ("/api/v1/me", bearer),
        "availability": (f"/api/v1/equipment/1/availability?{window}", bearer),
        # without a window the answer is not kept: the whole path, as a week not seen before
        "uncached-week": ("/api/v1/equipment/1/availability", bearer),
        "static": ("/static/js/week.js", {}),
    }
    print(f"load average {os.getloadavg()[0]:.2f}; {options.requests} requests x {options.repeats}")
    for name, (url, headers) in requests.items():
        for _ in range(200):  # warm: compiled statements, the page cache
            response = client.get(url, headers=headers)
            assert response.status_code == 200, (name, response.status_code)
        loops = []
        for _ in range(options.repeats):
            started = time.process_time()
            for _ in range(options.requests):
                client.get(url, headers=headers)
            loops.append((time.process_time() - started) / options.requests * 1e6)
        calls = ""
        if options.calls:
            calls = f"; {calls_per_request(client, url, headers, options.requests):.0f} calls"
        print(
            f"{name:13s} {min(loops):7.0f} µs CPU/request (loops: {', '.join(f'{v:.0f}' for v in loops)}){calls}"
        )
    if options.profile:
        url, headers = requests[options.profile]
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(options.requests):
            client.get(url, headers=headers)
        profile.disable()
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(60)
        print(text.getvalue())
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


def calls_per_request(client, url: str, headers: dict, requests: int) -> float:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        client.get(url, headers=headers)
    profile.disable()
    return pstats.Stats(profile).total_calls / requests


if __name__ == "__main__":
    sys.exit(main())
