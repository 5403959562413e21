"""A platform's production schedule, uploaded as an iCalendar (.ics) file."""

import marshmallow as ma
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.fields import ID_CONVERTER as ID
from equipment_share.api.fields import OutputSchema
from equipment_share.body_limits import body_limit, upload_limit
from equipment_share.domain.calendar_import import MAX_CALENDAR_BYTES
from equipment_share.services.access import owned_equipment
from equipment_share.services.calendars import import_production_calendar

blp = ApiBlueprint(
    "production_calendar", __name__, description="An instrument's production calendar."
)


class ProductionImportSchema(OutputSchema):
    runs = ma.fields.Integer(
        required=True, metadata={"description": "Production runs imported within the horizon."}
    )
    conflicting_booking_ids = ma.fields.List(
        ma.fields.Integer(),
        required=True,
        metadata={
            "description": "Active future bookings that now overlap production; not cancelled."
        },
    )


@blp.route(f"/equipment/<{ID}:equipment_id>/production-calendar", methods=["POST"])
@body_limit(upload_limit(MAX_CALENDAR_BYTES))
@blp.response(200, ProductionImportSchema)
@blp.errors(403, 404, 413, 422)
def upload(equipment_id):
    """Replace the production runs with an .ics file (the instrument's platform)

    The request body is the iCalendar file itself (`Content-Type: text/calendar`), at most
    2 MB. Its events, expanded over the instrument's horizon (RRULE, EXDATE and TZID honoured),
    become production runs that make the instrument busy; they replace those of any earlier
    upload. Active future bookings that now overlap a run are listed in
    `conflicting_booking_ids` and stay as they are. A file that cannot be read answers 422
    `validation_error` (`fields.calendar`) and changes nothing.
    """
    actor = current_actor()
    equipment = owned_equipment(actor, equipment_id)
    if (request.content_length or 0) > MAX_CALENDAR_BYTES:
        raise RequestEntityTooLarge()
    data = request.get_data(cache=True)  # read (and checked for NUL) by request_text already
    result = import_production_calendar(actor, equipment, data)
    return {
        "runs": result.runs,
        "conflicting_booking_ids": [booking.id for booking in result.conflicts],
    }
