"""What the API reads and writes. Input schemas check JSON types only (see fields.py); the rules
on values live in equipment_share.domain and answer 422 from the services."""

from datetime import datetime
from decimal import Decimal

import marshmallow as ma

from equipment_share.api.fields import (
    ApiSchema,
    ClockTime,
    Day,
    Instant,
    Money,
    OutputSchema,
    RecordId,
    StrictBoolean,
    WholeNumber,
    deployment_zone,
)
from equipment_share.api.pagination import PaginationArgs, page_schema
from equipment_share.domain.bookings import PURPOSE_CATEGORIES, BookingStatus
from equipment_share.domain.equipment import CATEGORIES
from equipment_share.domain.errors import N_, Message, ValidationFailed
from equipment_share.domain.fees import CHARGE_KINDS, LINE_KINDS
from equipment_share.domain.fields import check_interval
from equipment_share.domain.organizations import FIXED_KIND
from equipment_share.domain.usage import UsageKind, UsageStatus
from equipment_share.errors import STATUS_FOR_CODE
from equipment_share.models import IdleWindowKind, OrganizationKind, OrganizationStatus, Role
from equipment_share.services.catalogue import FREE_SEARCH_MAX_DAYS

ROLES = [role.value for role in Role]
ORGANIZATION_KINDS = [kind.value for kind in OrganizationKind]
ORGANIZATION_STATUSES = [status.value for status in OrganizationStatus]
WINDOW_KINDS = [kind.value for kind in IdleWindowKind]
BOOKING_STATUSES = [status.value for status in BookingStatus]
USAGE_STATUSES = [status.value for status in UsageStatus]
USAGE_KINDS = [kind.value for kind in UsageKind]


def window_problems(
    start: datetime | None, end: datetime | None, *, names: tuple[str, str], max_days: int | None
) -> dict[str, Message]:
    """A time window's problems, on the end's field: not after the start, or too long."""
    if start is None or end is None:
        return {}
    problem = check_interval(start, end, max_days=max_days)
    return {names[1]: problem} if problem is not None else {}


def one_of(values, description: str = "") -> dict:
    """Document the allowed values without refusing others at the schema: the domain does that
    (422), so an unknown category is a value problem, not a type problem."""
    return {"enum": list(values), **({"description": description} if description else {})}


# --- errors ---------------------------------------------------------------------------------


class ErrorDetailSchema(OutputSchema):
    code = ma.fields.String(metadata=one_of(sorted(STATUS_FOR_CODE)))
    message = ma.fields.String()
    details = ma.fields.Dict(
        metadata={
            "description": "validation_error and bad_request: `fields` maps field → message."
        },
    )


class ErrorSchema(OutputSchema):
    error = ma.fields.Nested(ErrorDetailSchema)


# --- organisations and users ----------------------------------------------------------------


class OrganizationSummarySchema(OutputSchema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String(metadata=one_of(ORGANIZATION_KINDS))


class MeSchema(OutputSchema):
    id = ma.fields.Integer()
    email = ma.fields.String()
    name = ma.fields.String()
    role = ma.fields.String(metadata=one_of(ROLES))
    organization = ma.fields.Nested(OrganizationSummarySchema, allow_none=True)


def me_answer(holder) -> dict:
    """What MeSchema dumps for the token's holder, built as a plain dict: the nested schema's
    field-by-field dump was most of what GET /api/v1/me costs beyond the token check.
    tests/api/test_me_answer.py holds the two equal."""
    organization = holder.organization
    return {
        "id": holder.id,
        "email": _text(holder.email),
        "name": _text(holder.name),
        "role": _text(holder.role),
        "organization": None
        if organization is None
        else {
            "id": organization.id,
            "name": _text(organization.name),
            "kind": _text(organization.kind),
        },
    }


def _text(value) -> str | None:
    """As ma.fields.String writes it."""
    return None if value is None else str(value)


class OrganizationFieldsSchema(ApiSchema):
    name = ma.fields.String(metadata={"description": "Required when creating; unique."})
    name_en = ma.fields.String()
    uscc = ma.fields.String(
        metadata={
            "description": "Unified Social Credit Code: 18 characters with a check character; "
            "required when creating; unique.",
            "example": "91110108MA01ABCD2X",
        }
    )
    tech_sme_certified = StrictBoolean()
    tech_sme_cert_no = ma.fields.String(metadata={"description": "Required when certified."})
    industry = ma.fields.String()
    address = ma.fields.String()
    contact_name = ma.fields.String()
    contact_phone = ma.fields.String()
    description = ma.fields.String()


class OrganizationCreateSchema(OrganizationFieldsSchema):
    required_fields = ("name", "kind", "uscc")

    kind = ma.fields.String(metadata=one_of(ORGANIZATION_KINDS, "Required."))


class OrganizationUpdateSchema(OrganizationFieldsSchema):
    """No `kind`: it is fixed when the organisation is made (a platform's users are platform
    users); sending it answers 422, not the 400 of an unknown field."""

    related_organization_ids = ma.fields.List(
        RecordId(),
        metadata={"description": "Related parties; replaces the list; links are symmetric."},
    )
    status = ma.fields.String(metadata=one_of(ORGANIZATION_STATUSES))

    @ma.pre_load
    def _refuse_kind(self, data, **kwargs):
        if isinstance(data, dict) and "kind" in data:
            raise ValidationFailed({"kind": FIXED_KIND})
        return data


class OrganizationSchema(OutputSchema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    name_en = ma.fields.String()
    kind = ma.fields.String(metadata=one_of(ORGANIZATION_KINDS))
    status = ma.fields.String(metadata=one_of(ORGANIZATION_STATUSES))
    uscc = ma.fields.String(allow_none=True)
    tech_sme_certified = ma.fields.Boolean()
    tech_sme_cert_no = ma.fields.String()
    industry = ma.fields.String()
    address = ma.fields.String()
    contact_name = ma.fields.String()
    contact_phone = ma.fields.String()
    description = ma.fields.String()
    related_organization_ids = ma.fields.Pluck(
        OrganizationSummarySchema, "id", many=True, attribute="related_organizations"
    )
    created_at = Instant()


class UserCreateSchema(ApiSchema):
    required_fields = ("email", "password", "role")

    email = ma.fields.String(metadata={"description": "Required; unique."})
    password = ma.fields.String(load_only=True, metadata={"description": "8 to 200 characters."})
    role = ma.fields.String(metadata=one_of(ROLES, "Required."))
    organization_id = RecordId(
        allow_none=True,
        metadata={"description": "A platform user needs a platform, an SME user an SME."},
    )
    name = ma.fields.String()


class UserUpdateSchema(ApiSchema):
    name = ma.fields.String()
    role = ma.fields.String(metadata=one_of(ROLES))
    organization_id = RecordId(
        allow_none=True,
        metadata={"description": "A platform user needs a platform, an SME user an SME."},
    )
    active = StrictBoolean(
        metadata={"description": "false: the user's sessions and tokens stop working at once."}
    )


class UserSchema(OutputSchema):
    id = ma.fields.Integer()
    email = ma.fields.String()
    name = ma.fields.String()
    role = ma.fields.String(metadata=one_of(ROLES))
    organization_id = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()
    created_at = Instant()


# --- equipment ------------------------------------------------------------------------------


class EquipmentFieldsSchema(ApiSchema):
    """The instrument's fields; omitted ones keep their value (PATCH) or default (POST)."""

    name = ma.fields.String(
        metadata={"description": "Required when creating; 200 characters at most."}
    )
    name_en = ma.fields.String()
    category = ma.fields.String(metadata=one_of(CATEGORIES, "Required when creating."))
    model = ma.fields.String()
    location = ma.fields.String()
    description = ma.fields.String()
    timezone = ma.fields.String(
        metadata={
            "description": "IANA zone of the weekly idle windows.",
            "example": "Asia/Shanghai",
        }
    )
    hourly_rate = Money(metadata={"description": "Required when creating."})
    setup_fee = Money()
    min_charge_minutes = WholeNumber()
    billing_increment_minutes = WholeNumber()
    slot_minutes = WholeNumber(metadata={"description": "Must divide a day evenly."})
    min_booking_minutes = WholeNumber()
    max_booking_minutes = WholeNumber()
    lead_time_hours = WholeNumber()
    horizon_days = WholeNumber()
    cancellation_deadline_hours = WholeNumber()
    requires_approval = StrictBoolean()
    active = StrictBoolean()
    original_value = Money(
        allow_none=True,
        metadata={"description": "原值, for the sharing evaluation; null when unknown."},
    )
    purchase_year = WholeNumber(allow_none=True, metadata={"description": "Null when unknown."})
    keywords = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": "Aliases and abbreviations the catalogue search (`q`) also matches, "
            'e.g. ["SEM", "扫描电镜"]; replaces the list. At most 20, each at most 50 '
            "characters, without commas, semicolons or line breaks.",
        },
    )


class EquipmentCreateSchema(EquipmentFieldsSchema):
    required_fields = ("name", "category", "hourly_rate")


class EquipmentUpdateSchema(EquipmentFieldsSchema):
    pass


class EquipmentSchema(OutputSchema):
    id = ma.fields.Integer()
    platform_id = ma.fields.Integer()
    platform_name = ma.fields.String(attribute="platform.name")
    name = ma.fields.String()
    name_en = ma.fields.String()
    category = ma.fields.String(metadata=one_of(CATEGORIES))
    model = ma.fields.String()
    location = ma.fields.String()
    description = ma.fields.String()
    timezone = ma.fields.String()
    hourly_rate = Money()
    setup_fee = Money()
    min_charge_minutes = ma.fields.Integer()
    billing_increment_minutes = ma.fields.Integer()
    slot_minutes = ma.fields.Integer()
    min_booking_minutes = ma.fields.Integer()
    max_booking_minutes = ma.fields.Integer()
    lead_time_hours = ma.fields.Integer()
    horizon_days = ma.fields.Integer()
    cancellation_deadline_hours = ma.fields.Integer()
    requires_approval = ma.fields.Boolean()
    active = ma.fields.Boolean()
    original_value = Money(allow_none=True)
    purchase_year = ma.fields.Integer(allow_none=True)
    keywords = ma.fields.List(ma.fields.String())
    photo_url = ma.fields.Method(
        "photo_path",
        metadata={"type": ["string", "null"], "description": "The photo's URL path, or null."},
    )
    created_at = Instant()
    updated_at = Instant()

    @staticmethod
    def photo_path(equipment) -> str | None:
        return f"/equipment/{equipment.id}/photo" if equipment.photo_filename else None


class CatalogueArgs(PaginationArgs):
    q = ma.fields.String(
        metadata={"description": "Text in the name, model, description, place or keywords."}
    )
    category = ma.fields.String(metadata=one_of(CATEGORIES))
    platform_id = RecordId(strict=False)
    free_from = Instant(
        metadata={
            "description": "With free_to: only instruments open for booking with one free "
            f"interval covering the whole window (at most {FREE_SEARCH_MAX_DAYS} days)."
        }
    )
    free_to = Instant(metadata={"description": "With free_from; after it."})

    def value_problems(self, data: dict) -> dict[str, Message]:
        problems = super().value_problems(data)
        given = {name for name in ("free_from", "free_to") if name in data}
        if len(given) == 1:
            (missing,) = {"free_from", "free_to"} - given
            problems[missing] = Message(N_("Give free_from and free_to together, or neither."))
        if "category" in data and data["category"] not in CATEGORIES:
            # an unknown category finds nothing: say so rather than answer an empty page
            problems["category"] = Message(N_("Choose one of the categories."))
        return problems | window_problems(
            data.get("free_from"),
            data.get("free_to"),
            names=("free_from", "free_to"),
            max_days=FREE_SEARCH_MAX_DAYS,
        )


class CategorySchema(OutputSchema):
    key = ma.fields.String()
    label = ma.fields.String()


# --- idle windows ---------------------------------------------------------------------------

ONE_OFF_FIELDS = ("start", "end")
WEEKLY_FIELDS = ("weekdays", "start_time", "end_time", "overnight", "valid_from", "valid_to")


class IdleWindowCreateSchema(ApiSchema):
    """One-off `{start, end}` or weekly `{weekdays, start_time, end_time, valid_from?, valid_to?}`;
    `kind` may be given, otherwise it follows from the fields."""

    kind = ma.fields.String(metadata=one_of(WINDOW_KINDS))
    start = Instant()
    end = Instant()
    weekdays = ma.fields.List(
        WholeNumber(), metadata={"description": "0 = Monday … 6 = Sunday.", "example": [0, 2, 4]}
    )
    start_time = ClockTime(metadata={"description": "Local time of the instrument's zone."})
    end_time = ClockTime(
        metadata={"description": "Before start_time (with `overnight`): ends the next day."}
    )
    overnight = ma.fields.Boolean(
        metadata={
            "description": "true: the window runs past midnight, its end_time before its "
            "start_time; false: it does not, and an end_time before start_time is refused "
            "(422). Left out: an end_time before start_time means the next day."
        }
    )
    valid_from = Day(allow_none=True)
    valid_to = Day(allow_none=True)


class IdleWindowSchema(OutputSchema):
    """A weekly window has weekdays, start_time, end_time, valid_from, valid_to;
    a one-off window has start and end."""

    optional_fields = (*WEEKLY_FIELDS, *ONE_OFF_FIELDS)

    id = ma.fields.Integer()
    kind = ma.fields.String(metadata=one_of(WINDOW_KINDS))
    weekdays = ma.fields.List(ma.fields.Integer(), attribute="weekday_numbers")
    start_time = ClockTime()
    end_time = ClockTime()
    overnight = ma.fields.Boolean(metadata={"description": "Ends the next day."})
    valid_from = Day(allow_none=True)
    valid_to = Day(allow_none=True)
    start = Instant(attribute="start_at")
    end = Instant(attribute="end_at")

    @ma.post_dump
    def _only_this_kinds_fields(self, data: dict, **kwargs) -> dict:
        unused = WEEKLY_FIELDS if data["kind"] == IdleWindowKind.ONCE else ONE_OFF_FIELDS
        return {name: value for name, value in data.items() if name not in unused}


class IdleWindowDeleteArgs(ApiSchema):
    force = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "1: cancel the upcoming bookings that depend on the window (their "
            "parties are notified), then remove it. Without it such a window is not removed (409)."
        },
    )


# --- availability and bookings --------------------------------------------------------------


class IntervalSchema(OutputSchema):
    start = Instant()
    end = Instant()


class AvailabilityArgs(ApiSchema):
    keep_query_reads = True  # api/parsing.py: everyone asks for the same weeks

    from_ = Instant(
        data_key="from", metadata={"description": "Default: now; the window is 31 days at most."}
    )
    to = Instant(metadata={"description": "Default: 7 days after `from`."})


class AvailabilitySchema(OutputSchema):
    free = ma.fields.List(
        ma.fields.Nested(IntervalSchema),
        metadata={"description": "Idle time not taken by production, maintenance or bookings."},
    )
    busy = ma.fields.List(
        ma.fields.Nested(IntervalSchema),
        metadata={"description": "Production runs, maintenance and active bookings in idle time."},
    )


def availability_answer(availability) -> dict:
    """What AvailabilitySchema dumps, built as a plain dict (dumping a week's intervals field
    by field was a tenth of an uncached week's CPU). tests/api/test_availability_answer.py
    holds the two equal."""
    zone = deployment_zone()

    def intervals(listed) -> list[dict]:
        return [
            {"start": _instant(interval.start, zone), "end": _instant(interval.end, zone)}
            for interval in listed
        ]

    return {"free": intervals(availability.free), "busy": intervals(availability.busy)}


class BookingCreateSchema(ApiSchema):
    required_fields = ("equipment_id", "start", "end")

    equipment_id = RecordId(metadata={"description": "Required."})
    start = Instant(metadata={"description": "Required; on the instrument's slot grid."})
    end = Instant(metadata={"description": "Required; after start."})
    purpose = ma.fields.String(metadata={"description": "What the instrument is used for."})
    purpose_category = ma.fields.String(
        metadata=one_of(
            PURPOSE_CATEGORIES,
            "What kind of use (default research); subsidy policies may restrict it.",
        )
    )


class ReasonSchema(ApiSchema):
    required_fields = ("reason",)

    reason = ma.fields.String(metadata={"description": "Required; told to the other party."})


class BookingListArgs(PaginationArgs):
    status = ma.fields.String(metadata=one_of(BOOKING_STATUSES))
    equipment_id = RecordId(strict=False)
    from_ = Instant(
        data_key="from", metadata={"description": "Bookings ending after this instant."}
    )
    to = Instant(metadata={"description": "Bookings starting before this instant."})

    def value_problems(self, data: dict) -> dict[str, Message]:
        problems = super().value_problems(data)
        if "status" in data and data["status"] not in BOOKING_STATUSES:
            problems["status"] = Message(
                N_("Choose one of: %(choices)s."), {"choices": ", ".join(BOOKING_STATUSES)}
            )
        return problems | window_problems(
            data.get("from_"), data.get("to"), names=("from", "to"), max_days=None
        )


class BookingSchema(OutputSchema):
    id = ma.fields.Integer()
    equipment_id = ma.fields.Integer()
    organization_id = ma.fields.Integer()
    start = Instant(attribute="start_at")
    end = Instant(attribute="end_at")
    status = ma.fields.String(metadata=one_of(BOOKING_STATUSES))
    estimated_fee = Money()
    purpose = ma.fields.String()
    purpose_category = ma.fields.String(metadata=one_of(PURPOSE_CATEGORIES))
    hourly_rate = Money(metadata={"description": "The rate card frozen when booked."})
    setup_fee = Money()
    late_cancellation = ma.fields.Boolean()
    status_reason = ma.fields.String(
        metadata={"description": "Why it was rejected or cancelled; empty otherwise."}
    )
    rate_card_id = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "The rate card version frozen on the booking (null: older)."},
    )
    usage_id = ma.fields.Function(
        lambda booking: booking.usage_record.id if booking.usage_record else None,
        metadata={
            "type": ["integer", "null"],
            "description": "The booking's usage record (use or charge), or null.",
        },
    )
    created_at = Instant()
    updated_at = Instant()


def booking_answer(booking) -> dict:
    """What BookingSchema dumps for a booking, built as a plain dict: the schema's field-by-field
    dump cost more CPU than building the dict (benchmarks/profile_booking.py), on the path of
    every booking made. tests/api/test_booking_answer.py holds the two equal on a corpus."""
    zone = deployment_zone()
    usage_record = booking.usage_record
    return {
        "id": booking.id,
        "equipment_id": booking.equipment_id,
        "organization_id": booking.organization_id,
        "start": _instant(booking.start_at, zone),
        "end": _instant(booking.end_at, zone),
        "status": str(booking.status),
        "estimated_fee": _money(booking.estimated_fee),
        "purpose": str(booking.purpose),
        "purpose_category": str(booking.purpose_category),
        "hourly_rate": _money(booking.hourly_rate),
        "setup_fee": _money(booking.setup_fee),
        "late_cancellation": bool(booking.late_cancellation),
        "status_reason": str(booking.status_reason),
        "rate_card_id": booking.rate_card_id,
        "usage_id": usage_record.id if usage_record else None,
        "created_at": _instant(booking.created_at, zone),
        "updated_at": _instant(booking.updated_at, zone),
    }


def _instant(value: datetime | None, zone) -> str | None:
    """As Instant writes it."""
    return None if value is None else value.astimezone(zone).isoformat(timespec="seconds")


def _money(value) -> str | None:
    """As Money writes it."""
    return None if value is None else f"{Decimal(value):.2f}"


# --- usage records --------------------------------------------------------------------------


class Quantity(ma.fields.Field):
    """How many of an item: a decimal string ("2.5") or a JSON integer; a fractional JSON number
    is refused (floats are not exact). Whether the amount is acceptable is the domain's call."""

    def __init__(self, **kwargs):
        metadata = {"type": ["string", "integer"], "example": "2"} | kwargs.pop("metadata", {})
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ma.ValidationError(
                'A quantity is a decimal string such as "2.5" or a whole number.'
            )
        return value


class UsageItemSchema(ApiSchema):
    required_fields = ("code", "quantity")

    code = ma.fields.String(metadata={"description": "An item code of the frozen rate card."})
    quantity = Quantity(metadata={"description": "At least 0, at most three decimals."})


def usage_items(description: str) -> ma.fields.List:
    return ma.fields.List(ma.fields.Nested(UsageItemSchema), metadata={"description": description})


class UsageRecordCreateSchema(ApiSchema):
    required_fields = ("actual_start", "actual_end")

    actual_start = Instant(
        metadata={"description": "Required; within the booked time (at most an hour early)."}
    )
    actual_end = Instant(metadata={"description": "Required; after actual_start, not future."})
    note = ma.fields.String()
    items = usage_items("Per-sample or consumables lines of the rate card.")


class UsageCheckOutSchema(ApiSchema):
    note = ma.fields.String()
    items = usage_items("Per-sample or consumables lines of the rate card.")


class UsageCorrectionSchema(ApiSchema):
    required_fields = ("actual_start", "actual_end", "reason")

    actual_start = Instant(metadata={"description": "Required."})
    actual_end = Instant(metadata={"description": "Required."})
    reason = ma.fields.String(metadata={"description": "Required; told to the SME."})
    note = ma.fields.String(metadata={"description": "Omitted: the note stays."})
    items = usage_items("Omitted: the recorded items stay.")


class UsageListArgs(PaginationArgs):
    organization_id = RecordId(
        strict=False, metadata={"description": "The SME or the platform of the records."}
    )
    equipment_id = RecordId(strict=False)
    from_ = Instant(
        data_key="from",
        metadata={"description": "Records whose use (or booked start) is at or after this."},
    )
    to = Instant(metadata={"description": "Records whose use (or booked start) is before this."})
    status = ma.fields.String(metadata=one_of(USAGE_STATUSES))

    def value_problems(self, data: dict) -> dict[str, Message]:
        problems = super().value_problems(data)
        if "status" in data and data["status"] not in USAGE_STATUSES:
            problems["status"] = Message(
                N_("Choose one of: %(choices)s."), {"choices": ", ".join(USAGE_STATUSES)}
            )
        return problems | window_problems(
            data.get("from_"), data.get("to"), names=("from", "to"), max_days=None
        )


class FeeLineSchema(OutputSchema):
    kind = ma.fields.String(metadata=one_of(sorted(LINE_KINDS)))
    description = ma.fields.String(metadata={"description": "English; the item's label."})
    quantity = ma.fields.String(
        metadata={"description": "Hours (time), count (items), or the estimated fee (percent)."}
    )
    unit_price = ma.fields.String(
        metadata={"description": "Hourly rate, unit price, or the share (0.2 for 20%)."}
    )
    amount = Money()
    minutes = ma.fields.Integer(allow_none=True, metadata={"description": "Time lines only."})


class UsageItemOutSchema(OutputSchema):
    code = ma.fields.String()
    quantity = ma.fields.String()


class UsageRecordSchema(OutputSchema):
    id = ma.fields.Integer()
    booking_id = ma.fields.Integer()
    equipment_id = ma.fields.Integer()
    organization_id = ma.fields.Integer(metadata={"description": "The SME."})
    platform_id = ma.fields.Integer()
    kind = ma.fields.String(metadata=one_of(USAGE_KINDS))
    status = ma.fields.String(metadata=one_of(USAGE_STATUSES))
    actual_start = Instant(allow_none=True, metadata={"description": "Null for a charge."})
    actual_end = Instant(allow_none=True)
    actual_minutes = ma.fields.Integer()
    billable_minutes = ma.fields.Integer()
    fee = Money(metadata={"description": "The sum of the lines."})
    lines = ma.fields.List(ma.fields.Nested(FeeLineSchema))
    items = ma.fields.List(ma.fields.Nested(UsageItemOutSchema))
    overrun = ma.fields.Boolean(metadata={"description": "Used beyond the booked end."})
    note = ma.fields.String()
    status_reason = ma.fields.String(
        metadata={"description": "The dispute's, correction's or waiver's reason."}
    )
    corrections = ma.fields.Integer()
    confirmed_at = Instant(allow_none=True)
    auto_confirmed = ma.fields.Boolean(
        metadata={"description": "Confirmed by the deadline rather than by the SME."}
    )
    created_at = Instant()
    updated_at = Instant()


# --- rate cards -----------------------------------------------------------------------------


class RateWindowInputSchema(ApiSchema):
    required_fields = ("start", "end", "hourly_rate")

    weekdays = ma.fields.List(
        WholeNumber(),
        allow_none=True,
        metadata={"description": "0 = Monday … 6 = Sunday; null or omitted: every day."},
    )
    start = ma.fields.String(metadata={"description": "HH:MM, local time.", "example": "18:00"})
    end = ma.fields.String(
        metadata={
            "description": "HH:MM; at or before start: ends the next day.",
            "example": "08:00",
        }
    )
    hourly_rate = Money()


class RateCardItemInputSchema(ApiSchema):
    required_fields = ("code", "label", "unit_price")

    code = ma.fields.String(metadata={"description": "Letters, digits, '.', '_', '-'."})
    label = ma.fields.String()
    unit_price = Money()


class ChargeInputSchema(ApiSchema):
    required_fields = ("kind", "value")

    kind = ma.fields.String(metadata=one_of(sorted(CHARGE_KINDS)))
    value = Money(metadata={"description": "An amount, or a percentage of the estimated fee."})


class RateCardCreateSchema(ApiSchema):
    required_fields = (
        "hourly_rate",
        "setup_fee",
        "min_charge_minutes",
        "billing_increment_minutes",
    )

    effective_from = Day(
        metadata={"description": "Local midnight of this day; today or omitted: at once."}
    )
    hourly_rate = Money(metadata={"description": "Required."})
    setup_fee = Money(metadata={"description": "Required."})
    min_charge_minutes = WholeNumber(metadata={"description": "Required; 0 to 1440."})
    billing_increment_minutes = WholeNumber(metadata={"description": "Required; 1 to 1440."})
    rate_windows = ma.fields.List(
        ma.fields.Nested(RateWindowInputSchema),
        metadata={"description": "Other hourly rates by local time; the first listed wins."},
    )
    items = ma.fields.List(ma.fields.Nested(RateCardItemInputSchema))
    no_show_fee = ma.fields.Nested(ChargeInputSchema, allow_none=True)
    late_cancellation_fee = ma.fields.Nested(ChargeInputSchema, allow_none=True)


class RateWindowSchema(OutputSchema):
    weekdays = ma.fields.List(ma.fields.Integer(), allow_none=True)
    start = ma.fields.String()
    end = ma.fields.String()
    hourly_rate = Money()


class RateCardItemSchema(OutputSchema):
    code = ma.fields.String()
    label = ma.fields.String()
    unit_price = Money()


class ChargeSchema(OutputSchema):
    kind = ma.fields.String(metadata=one_of(sorted(CHARGE_KINDS)))
    value = Money()


class RateCardSchema(OutputSchema):
    id = ma.fields.Integer()
    equipment_id = ma.fields.Integer()
    effective_from = Instant()
    in_force = ma.fields.Boolean(
        metadata={"description": "The version new bookings get now (one per instrument)."}
    )
    hourly_rate = Money()
    setup_fee = Money()
    min_charge_minutes = ma.fields.Integer()
    billing_increment_minutes = ma.fields.Integer()
    rate_windows = ma.fields.List(ma.fields.Nested(RateWindowSchema))
    items = ma.fields.List(ma.fields.Nested(RateCardItemSchema))
    no_show_fee = ma.fields.Nested(ChargeSchema, allow_none=True)
    late_cancellation_fee = ma.fields.Nested(ChargeSchema, allow_none=True)
    created_at = Instant()


# --- pages ----------------------------------------------------------------------------------

OrganizationPageSchema = page_schema(OrganizationSchema, "OrganizationPage")
UserPageSchema = page_schema(UserSchema, "UserPage")
EquipmentPageSchema = page_schema(EquipmentSchema, "EquipmentPage")
IdleWindowPageSchema = page_schema(IdleWindowSchema, "IdleWindowPage")
CategoryPageSchema = page_schema(CategorySchema, "CategoryPage")
BookingPageSchema = page_schema(BookingSchema, "BookingPage")
UsageRecordPageSchema = page_schema(UsageRecordSchema, "UsageRecordPage")
RateCardPageSchema = page_schema(RateCardSchema, "RateCardPage")
