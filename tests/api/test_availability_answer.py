"""The availability API's answer is built as a plain dict (api/schemas.availability_answer), not
dumped field by field through AvailabilitySchema: on generated weeks the two are equal."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from equipment_share.api.schemas import AvailabilitySchema, availability_answer
from equipment_share.domain.availability import Availability, Interval

ZONES = [UTC, ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")]


def generated_intervals(rng: random.Random) -> list[Interval]:
    start = datetime(2026, 3, 20, tzinfo=UTC) + timedelta(
        minutes=rng.randrange(0, 60 * 24 * 30),
        seconds=rng.choice((0, 0, 59)),
        microseconds=rng.choice((0, 0, 999_999)),
    )
    intervals = []
    for _ in range(rng.randrange(0, 12)):
        end = start + timedelta(minutes=rng.randrange(1, 600))
        zone = rng.choice(ZONES)  # stored instants are UTC; a zone of their own tests the shift
        intervals.append(Interval(start.astimezone(zone), end.astimezone(zone)))
        start = end + timedelta(minutes=rng.randrange(0, 300))
    return intervals


@pytest.mark.parametrize("timezone", ["Asia/Shanghai", "Europe/Berlin", "UTC"])
def test_the_answer_is_what_the_schema_dumps(app, timezone):
    app.config["TIMEZONE"] = timezone
    rng = random.Random(timezone)
    schema = AvailabilitySchema()
    with app.app_context():
        for _ in range(200):
            availability = Availability(
                free=generated_intervals(rng), busy=generated_intervals(rng)
            )
            assert availability_answer(availability) == schema.dump(availability)
