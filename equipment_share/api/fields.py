"""The base schema and the fields of the JSON API.

Schemas check JSON *types* only: a number where a string belongs is the client's bug and answers
400 bad_request. Whether a value is acceptable (a rate not negative, a known category, an end
after its start) is the domain's business and answers 422 validation_error, from the same
validators the web forms use. Strings that must be read as something (a time, a date) sit in
between: a string is the right type, so one that does not read as a time is a value problem.
Such a field yields `Unreadable`, and `ApiSchema` turns every one of them into a single
ValidationFailed once the types are known to be right.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import current_app

from equipment_share.domain.errors import N_, Message, ValidationFailed

MONEY_EXAMPLE = "360.00"
# Ids are INTEGER columns: PostgreSQL refuses a larger number outright (an error, not "no row").
MAX_ID = 2**31 - 1
# For routes: /equipment/<{ID}:equipment_id>; a larger id matches no route, so answers 404.
ID_CONVERTER = f"int(min=1, max={MAX_ID})"
CLOCK_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
# Instants and dates the API reads: wider than any schedule or report, and far enough inside
# datetime's own range (years 1 to 9999) that the services' arithmetic of days, weeks and
# zones cannot overflow (from=0001-01-01T00:00:00Z answered 500 with an OverflowError).
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)
EARLIEST = datetime.combine(EARLIEST_DAY, time(0), tzinfo=UTC)
LATEST = datetime.combine(LATEST_DAY, time(23, 59, 59), tzinfo=UTC)
OUT_OF_RANGE = Message(
    N_("Only dates from %(first)d to %(last)d are accepted."),
    {"first": EARLIEST_DAY.year, "last": LATEST_DAY.year},
)


def not_a_string(example: str) -> ma.ValidationError:
    return ma.ValidationError(f"Not a string: send it as text, e.g. {example}.")


def deployment_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


@dataclass(frozen=True)
class Unreadable:
    """A string that does not read as the value its field wants."""

    message: Message


class ApiSchema(ma.Schema):
    """A request body or query: unknown fields refused, value problems reported together.

    `required_fields` are documented as required (so a generated client sends them) but not
    enforced here (partial loading): a missing one answers 422 validation_error from the
    handler or the domain, after the access checks, so the answer to someone who may not act
    stays 403 or 404 whatever the body holds.
    """

    class Meta:
        unknown = ma.RAISE

    required_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.required_fields:
            self.fields[name].required = True

    def load(self, data, *, many=None, partial=None, unknown=None):
        # the required fields are partial at load only: the document (apispec) still lists
        # them, and the others keep their defaults
        if partial is not True:
            partial = (*(partial or ()), *self.required_fields)
        return super().load(data, many=many, partial=partial, unknown=unknown)

    @ma.post_load
    def _refuse_bad_values(self, data: dict, **kwargs) -> dict:
        unreadable = {
            name: found.message
            for name, value in data.items()
            if (found := _first_unreadable(value)) is not None
        }
        readable = {name: value for name, value in data.items() if name not in unreadable}
        problems = self.value_problems(readable) | {
            self.client_name(name): message for name, message in unreadable.items()
        }
        if problems:
            raise ValidationFailed(problems)
        return data

    def client_name(self, name: str) -> str:
        """The name the client sends a field under (`from` for the attribute `from_`)."""
        field = self.fields.get(name)
        return (field.data_key if field is not None else None) or name

    def value_problems(self, data: dict) -> dict[str, Message]:
        """Checks that belong to the API itself (paging limits), not to the domain; keyed by
        the names the client sends."""
        return {}


class OutputSchema(ma.Schema):
    """What the API answers: every field always present (null where allowed); fields may be
    added later, so the documented objects stay open (additionalProperties)."""

    class Meta:
        unknown = ma.INCLUDE

    # Fields that only some objects carry (documented as optional).
    optional_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = name not in self.optional_fields


def _first_unreadable(value) -> Unreadable | None:
    if isinstance(value, list):
        return next((item for item in value if isinstance(item, Unreadable)), None)
    return value if isinstance(value, Unreadable) else None


class WholeNumber(ma.fields.Integer):
    """A JSON integer: no strings, floats or booleans."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)


class RecordId(ma.fields.Integer):
    """The id of a row: a JSON integer in a body (strict), digits in a query string.

    An id no row can have (0, negative, beyond the column) is an unknown record: 422.
    """

    def __init__(self, *, strict: bool = True, **kwargs):
        metadata = {"minimum": 1, "maximum": MAX_ID} | kwargs.pop("metadata", {})
        super().__init__(strict=strict, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        if number is not None and not 1 <= number <= MAX_ID:
            return Unreadable(Message(N_("There is no record with this id.")))
        return number


class StrictBoolean(ma.fields.Boolean):
    """JSON true or false only: not 1, "yes" or "on"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Money(ma.fields.String):
    """CNY as a decimal string with two places; JSON numbers are refused (floats are not money).

    The string itself is checked by the domain (not negative, at most two decimals).
    """

    def __init__(self, **kwargs):
        metadata = {"format": "decimal", "example": MONEY_EXAMPLE} | kwargs.pop("metadata", {})
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ma.ValidationError(
                f'Money is a decimal string such as "{MONEY_EXAMPLE}", never a JSON number.'
            )
        return value

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{Decimal(value):.2f}"


class Instant(ma.fields.DateTime):
    """ISO 8601; out with the deployment's offset, in read in the deployment's zone if naive."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise not_a_string('"2026-12-01T09:00:00+08:00"')
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return Unreadable(
                Message(N_("A date and time like 2026-12-01T09:00:00+08:00 is required."))
            )
        if not EARLIEST_DAY <= moment.date() <= LATEST_DAY:
            return Unreadable(OUT_OF_RANGE)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=deployment_zone())
        moment = moment.astimezone(UTC)
        return moment if EARLIEST <= moment <= LATEST else Unreadable(OUT_OF_RANGE)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(deployment_zone()).isoformat(timespec="seconds")


class Day(ma.fields.Date):
    """A calendar date, YYYY-MM-DD."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise not_a_string('"2026-12-01"')
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            return Unreadable(Message(N_("A date like 2026-12-01 is required.")))
        return day if EARLIEST_DAY <= day <= LATEST_DAY else Unreadable(OUT_OF_RANGE)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.isoformat()


class ClockTime(ma.fields.String):
    """A wall-clock time, HH:MM (00:00 to 23:59)."""

    def __init__(self, **kwargs):
        metadata = {"pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "09:00"}
        super().__init__(metadata=metadata | kwargs.pop("metadata", {}), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise not_a_string('"09:00"')
        if not CLOCK_TIME.fullmatch(value.strip()):
            return Unreadable(Message(N_("A time like 09:00 is required.")))
        return time.fromisoformat(value.strip())

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.strftime("%H:%M")
