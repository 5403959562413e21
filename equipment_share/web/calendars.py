"""iCalendar feeds: an instrument's busy and idle time, a user's secret feed, one booking."""

from flask import Blueprint, abort, make_response, request
from flask_login import current_user

from equipment_share.domain.calendar_export import Feed
from equipment_share.services.access import visible_booking, visible_equipment
from equipment_share.services.booking_calendar import single_booking_feed
from equipment_share.services.calendars import (
    equipment_feed,
    equipment_feed_etag,
    public_feed_etag,
    user_feed,
    user_feed_etag,
    user_for_feed_secret,
)

bp = Blueprint("calendars", __name__)
CALENDAR_TYPE = "text/calendar; charset=utf-8"


def _viewer():
    return current_user if current_user.is_authenticated else None


def _answer(feed: Feed, etag: str | None = None):
    """The feed, with `etag` (a fingerprint of its inputs) or else the hash of its bytes."""
    response = make_response(feed.body)
    response.headers["Content-Type"] = CALENDAR_TYPE
    response.headers["Content-Disposition"] = f'inline; filename="{feed.filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag((etag or feed.etag).strip('"'))
    response.last_modified = feed.last_modified
    return response.make_conditional(request)


def _unchanged(etag: str):
    """A 304 when the client holds the feed with this ETag (None: build the feed)."""
    if not request.if_none_match.contains_weak(etag.strip('"')):
        return None
    response = make_response("", 304)
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(etag.strip('"'))
    return response


@bp.route("/calendar/equipment/<int:equipment_id>.ics")
def equipment(equipment_id: int):
    if request.if_none_match:  # a public instrument's 304 in one query
        etag = public_feed_etag(equipment_id)
        if etag is not None and (not_modified := _unchanged(etag)) is not None:
            return not_modified
    instrument = visible_equipment(_viewer(), equipment_id)
    etag = equipment_feed_etag(instrument)
    if (not_modified := _unchanged(etag)) is not None:
        return not_modified
    return _answer(equipment_feed(instrument), etag)


@bp.route("/calendar/feed/<secret>.ics")
def feed(secret: str):
    user = user_for_feed_secret(secret)
    if user is None:
        abort(404)
    etag = user_feed_etag(user)
    if (not_modified := _unchanged(etag)) is not None:
        return not_modified
    return _answer(user_feed(user), etag)


@bp.route("/bookings/<int:booking_id>.ics")
def booking(booking_id: int):
    viewer = _viewer()
    found = visible_booking(viewer, booking_id)
    return _answer(single_booking_feed(viewer, found))
