"""When an instrument is free: idle windows minus production runs, maintenance and bookings."""

from datetime import timedelta

from flask import jsonify
from sqlalchemy.orm import joinedload

from equipment_share import page_cache
from equipment_share.api.auth import token_holder
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.fields import ID_CONVERTER as ID
from equipment_share.api.schemas import (
    AvailabilityArgs,
    AvailabilitySchema,
    availability_answer,
    window_problems,
)
from equipment_share.domain.availability import Interval
from equipment_share.domain.errors import ValidationFailed
from equipment_share.models import Equipment
from equipment_share.services.access import visible_equipment
from equipment_share.services.availability import equipment_availability
from equipment_share.services.equipment import upcoming_window
from equipment_share.services.page_fingerprints import instrument_fingerprint

blp = ApiBlueprint("availability", __name__, description="Free and busy time of an instrument.")

# what the access check and the idle time read, in the instrument's own statement (at national
# scale each lazy load was a round trip of its own)
WITH_PLATFORM_AND_WINDOWS = (joinedload(Equipment.platform), joinedload(Equipment.idle_windows))
DEFAULT_DAYS = 7
MAX_DAYS = 31


def requested_window(args: dict) -> Interval:
    """`from` defaults to now, `to` to a week after `from`; at most MAX_DAYS long."""
    start = args.get("from_") or upcoming_window(days=DEFAULT_DAYS).start
    end = args.get("to") or start + timedelta(days=DEFAULT_DAYS)
    problems = window_problems(start, end, names=("from", "to"), max_days=MAX_DAYS)
    if problems:
        raise ValidationFailed(problems)
    return Interval(start, end)


@blp.route(f"/equipment/<{ID}:equipment_id>/availability")
# an instance, not the class: webargs would build the schema again for every request
@blp.arguments(AvailabilityArgs(), location="query")
@blp.response(200, AvailabilitySchema)
@blp.errors(404, 422)
def availability(args, equipment_id):
    """Free and busy intervals of an instrument between `from` and `to` (default: the next
    7 days; 31 days at most)"""
    # Only looking: the token check's row (role, organisation) is the viewer, no User is loaded.
    window = requested_window(args)
    if args.get("from_") and args.get("to"):
        # the same answer for everyone who may see a public instrument: kept (page_cache.py)
        fingerprint = instrument_fingerprint(equipment_id, window)
        if fingerprint is not None and fingerprint.public:
            return page_cache.cached(
                (fingerprint.values,), lambda: _availability_json(equipment_id, window)
            )
    return _availability_json(equipment_id, window)


def _availability_json(equipment_id: int, window: Interval):
    equipment = visible_equipment(token_holder(), equipment_id, options=WITH_PLATFORM_AND_WINDOWS)
    # AvailabilitySchema's answer, built directly
    return jsonify(availability_answer(equipment_availability(equipment, window)))
