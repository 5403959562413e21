"""The query reads ApiParser keeps (api/parsing.py) are what webargs reads every time: the same
values or the same error, on a corpus of queries, read the first time and again, in two zones."""

from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.schemas import AvailabilityArgs

QUERIES = [
    "",
    "from=2026-12-01T00:00:00%2B08:00&to=2026-12-08T00:00:00%2B08:00",
    "from=2026-12-01T00:00:00%2B08:00",
    "to=2026-12-08T00:00:00Z",
    "from=2026-12-01T09:30:00&to=2026-12-02T09:30:00",  # read in the deployment's zone
    "from=2026-12-01&to=2026-12-02",
    "from=%202026-12-01T00:00:00Z%20",
    "from=2026-12-01T00:00:00.123456-05:00",
    "from=tomorrow",
    "from=",
    "from=0001-01-01T00:00:00Z",
    "from=2999-12-31T23:59:59-08:00",
    "from=2026-12-01T00:00:00Z&from=2026-12-02T00:00:00Z",
    "from=2026-12-01T00:00:00Z&colour=red",
    "to=2026-12-01T00:00:00Z&from=2026-12-08T00:00:00Z",
    "From=2026-12-01T00:00:00Z",
]


class ReadEveryTime(AvailabilityArgs):
    keep_query_reads = False


def outcome(read):
    try:
        return "read", read()
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        return type(error).__name__, str(error), getattr(error, "details", None)


def test_a_kept_read_is_what_webargs_reads(app):
    parser = ApiBlueprint.ARGUMENTS_PARSER
    kept, every_time = AvailabilityArgs(), ReadEveryTime()
    for zone in ("Asia/Shanghai", "America/New_York"):
        app.config["TIMEZONE"] = zone
        for query in QUERIES:
            with app.test_request_context(f"/?{query}"):
                expected = outcome(lambda: parser.parse(every_time, location="query"))
                first = outcome(lambda: parser.parse(kept, location="query"))
                again = outcome(lambda: parser.parse(kept, location="query"))

            assert first == expected, (zone, query)
            assert again == expected, (zone, query)


def test_a_kept_read_is_a_copy(app):
    parser = ApiBlueprint.ARGUMENTS_PARSER
    schema = AvailabilityArgs()
    with app.test_request_context("/?from=2026-12-01T00:00:00Z"):
        parser.parse(schema, location="query").clear()

        assert set(parser.parse(schema, location="query")) == {"from_"}
