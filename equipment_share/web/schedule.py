"""The schedule across instruments: a day or a week, instruments as rows, free, busy and own
time as bars; a free bar links to the booking form (start filled, no JavaScript needed).

A day may have 1,000 rows and several thousand bars, so each bar reaches the template as four
ready strings (classes, link, title, text): every word is translated once per page, and the
instruments' links are put together from one `url_for` each (a `url_for` and a `gettext` per bar
cost more than the rest of the page)."""

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.equipment import CATEGORIES
from equipment_share.domain.schedule import MINUTES_PER_DAY, Axis, Bar, BarKind, Row, Span
from equipment_share.i18n import select_locale
from equipment_share.models import User, utcnow
from equipment_share.services.bookings import may_book
from equipment_share.services.equipment import approved_platforms
from equipment_share.services.schedule import schedule
from equipment_share.web.helpers import MAX_ID, id_argument
from equipment_share.web.labels import label

bp = Blueprint("schedule", __name__)
# How far from today the schedule may be paged (beyond it, today is shown), as the week view.
REACH = timedelta(days=2 * 366)


@dataclass(frozen=True, slots=True)
class RowView:
    id: int
    name: str
    platform: str
    week_href: str
    bars: Markup


@bp.route("/schedule")
def index():
    # the user itself, not the proxy: it is asked about on every row
    viewer = current_user._get_current_object() if current_user.is_authenticated else None
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    today = utcnow().astimezone(tz).date()
    span = Span.WEEK if request.args.get("span") == Span.WEEK else Span.DAY
    category = request.args.get("category")
    filters = {
        "platform_id": id_argument("platform_id"),
        "category": category if category in CATEGORIES else None,
        "span": span.value,
    }
    result = schedule(
        viewer,
        day=_requested_day(today),
        span=span,
        tz=tz,
        platform_id=filters["platform_id"],
        category=filters["category"],
        page=request.args.get("page", 1, type=int),
    )
    return render_template(
        "schedule/index.html",
        schedule=result,
        axis=result.axis,
        rows=_present(result.rows, result.axis, viewer),
        today=today,
        filters=filters,
        categories=CATEGORIES,
        platforms=approved_platforms(),
    )


def _requested_day(today: date) -> date:
    """?date=YYYY-MM-DD, or today when it is missing, wrong or far off."""
    try:
        day = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return today
    return day if abs(day - today) <= REACH else today


def _url_around_id(endpoint: str, name: str) -> tuple[str, str]:
    """An endpoint's URL cut around its id: put any id between the two halves."""
    head, tail = url_for(endpoint, **{name: MAX_ID}).split(str(MAX_ID))
    return head, tail


def _present(rows: list[Row], axis: Axis, viewer: User | None) -> list[RowView]:
    """Each row's bars as one piece of HTML: an <a> (free and bookable, or a booking the viewer
    may open) or a <span>, with its classes, link, title and text. Written here rather than in
    the template because a 1,000-row day has some 8,000 bars, and escaping four values per bar
    in Jinja cost more than working out the bars; so every value is escaped here, once: the
    translated words once per page, the names that come from users once per bar, while
    classes, links and times are made of digits, dates and this app's own paths."""
    locale = select_locale()
    first_day = axis.days[0].isoformat()
    week_head, week_tail = _url_around_id("bookings.week", "equipment_id")
    book_head, book_tail = _url_around_id("bookings.new", "equipment_id")
    booking_head, booking_tail = _url_around_id("bookings.detail", "booking_id")
    words = {
        BarKind.FREE: escape(_("free")),
        BarKind.BUSY: escape(_("busy")),
        BarKind.PRODUCTION: escape(_("production")),
        BarKind.MAINTENANCE: escape(_("maintenance")),
    }
    book_title = escape(_("Book: free"))
    mine_title = escape(_("Your booking"))
    statuses = {status.value: escape(label(status)) for status in BookingStatus}
    views = []
    for row in rows:
        instrument = row.instrument
        # visitors may follow a free bar to sign in; signed-in users only if they may book
        links = viewer is None or may_book(viewer, instrument)
        book = f"{book_head}{instrument.id}{book_tail}"
        bars = []
        for bar in row.bars:
            when = bar_time(bar, axis)
            kind = bar.kind
            css = f"bar {kind.value} c-{bar.column} s-{bar.span}"
            word = words.get(kind)
            if kind == BarKind.FREE and links and bar.book_start is not None:
                start, end = axis.input_text(bar.book_start), axis.input_text(bar.book_end)
                bars.append(
                    f'<a class="{css}" href="{book}?start={start}&amp;end={end}" '
                    f'title="{book_title} {when}">{word}</a>'
                )
            elif kind in (BarKind.MINE, BarKind.BOOKED):
                status = statuses.get(bar.status) or escape(bar.status)
                who = mine_title if kind == BarKind.MINE else escape(bar.organization_name)
                bars.append(
                    f'<a class="{css} status-{escape(bar.status)}" '
                    f'href="{booking_head}{bar.booking_id}{booking_tail}" '
                    f'title="{who} {when}: {status}">'
                    f"{status if kind == BarKind.MINE else who}</a>"
                )
            elif kind == BarKind.BUSY:
                bars.append(f'<span class="{css}" title="{word} {when}"></span>')
            else:
                bars.append(f'<span class="{css}" title="{word} {when}">{word}</span>')
        views.append(
            RowView(
                instrument.id,
                instrument.display_name(locale),
                instrument.platform_display_name(locale),
                f"{week_head}{instrument.id}{week_tail}?start={first_day}",
                Markup("".join(bars)),  # nosec B704  # every part is escaped above
            )
        )
    return views


def bar_time(bar: Bar, axis: Axis) -> str:
    """A bar's time on the axis's clock: "10:00–12:30"; in a week with the date ("12-08 10:00–
    12:30"); with the end's date too when it ends on another day (midnight is "24:00")."""
    start_day, end_day = bar.start // MINUTES_PER_DAY, (bar.end - 1) // MINUTES_PER_DAY
    if start_day != end_day:
        return f"{axis.local_text(bar.start, True)}–{axis.local_text(bar.end, True)}"
    end_minute = bar.end - end_day * MINUTES_PER_DAY
    end = f"{end_minute // 60:02d}:{end_minute % 60:02d}"
    return f"{axis.local_text(bar.start, axis.span == Span.WEEK)}–{end}"
