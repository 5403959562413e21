"""The platform's day: who comes when today (in the deployment's zone), with the same check-in,
check-out and decision buttons as the inbox."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from equipment_share.extensions import db
from equipment_share.models import Role, utcnow
from equipment_share.services import booking_lists
from equipment_share.web.helpers import role_required

bp = Blueprint("today", __name__)
# another day may be shown (?day=YYYY-MM-DD), within this reach of today
REACH = timedelta(days=366)


def _day(today: date) -> date:
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return today
    return day if abs(day - today) <= REACH else today


@bp.route("/bookings/today")
@role_required(Role.PLATFORM)
def index():
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    now = utcnow()
    today = now.astimezone(zone).date()
    day = _day(today)
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    bookings = list(db.session.scalars(booking_lists.platform_day(current_user, start, end)))
    return render_template(
        "bookings/today.html",
        bookings=bookings,
        day=day,
        today=today,
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        now=now,
    )
