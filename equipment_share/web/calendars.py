"""iCalendar feeds: an instrument's busy and idle time, a user's secret feed, one booking."""

from flask import Blueprint, abort, make_response, request
from flask_login import current_user

from equipment_share.services.access import visible_booking, visible_equipment
from equipment_share.services.calendars import (
    Feed,
    equipment_feed,
    single_booking_feed,
    user_feed,
    user_for_feed_secret,
)

bp = Blueprint("calendars", __name__)
CALENDAR_TYPE = "text/calendar; charset=utf-8"


def _viewer():
    return current_user if current_user.is_authenticated else None


def _answer(feed: Feed):
    response = make_response(feed.body)
    response.headers["Content-Type"] = CALENDAR_TYPE
    response.headers["Content-Disposition"] = f'inline; filename="{feed.filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(feed.etag.strip('"'))
    response.last_modified = feed.last_modified
    return response.make_conditional(request)


@bp.route("/calendar/equipment/<int:equipment_id>.ics")
def equipment(equipment_id: int):
    instrument = visible_equipment(_viewer(), equipment_id)
    return _answer(equipment_feed(instrument))


@bp.route("/calendar/feed/<secret>.ics")
def feed(secret: str):
    user = user_for_feed_secret(secret)
    if user is None:
        abort(404)
    return _answer(user_feed(user))


@bp.route("/bookings/<int:booking_id>.ics")
def booking(booking_id: int):
    viewer = _viewer()
    found = visible_booking(viewer, booking_id)
    return _answer(single_booking_feed(viewer, found))
