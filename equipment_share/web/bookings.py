"""Booking pages: an instrument's week, the booking form, an SME's bookings, a platform's inbox,
one booking with its history, and the buttons that change a booking's state."""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import groupby
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from equipment_share import page_cache
from equipment_share.domain.availability import Interval
from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.errors import (
    BookingConflict,
    OutsideIdleWindow,
    RuleViolation,
    ValidationFailed,
)
from equipment_share.domain.fields import check_interval
from equipment_share.domain.usage import lines_from_data
from equipment_share.domain.week_grid import default_booking_minutes, monday_of, week_window
from equipment_share.errors import STATUS_FOR_CODE, error_page
from equipment_share.extensions import db
from equipment_share.i18n import translate
from equipment_share.models import Booking, Equipment, Role, utcnow
from equipment_share.services import booking_lists
from equipment_share.services.access import visible_booking, visible_equipment
from equipment_share.services.booking_lists import visible_bookings_query
from equipment_share.services.bookings import (
    approve,
    booking_estimate,
    booking_rules,
    cancel,
    cancels_late,
    create_booking,
    mark_no_show,
    may_book,
    may_cancel,
    may_decide,
    may_mark_no_show,
    reject,
    shows_estimate,
)
from equipment_share.services.catalogue import FREE_SEARCH_MAX_DAYS
from equipment_share.services.page_fingerprints import instrument_fingerprint, instrument_zone
from equipment_share.services.rate_cards import frozen_rate_card
from equipment_share.services.suggestions import window_problem
from equipment_share.services.week_view import week_grid, week_legend
from equipment_share.web.forms import BookingForm, ReasonForm
from equipment_share.web.helpers import (
    apply_change,
    from_local,
    id_argument,
    redirect_back,
    role_required,
    show_errors,
    to_local,
)

bp = Blueprint("bookings", __name__)
PER_PAGE = 50
# How far from this week the week view may be paged (beyond it, this week is shown).
WEEK_VIEW_REACH = timedelta(days=2 * 366)
INPUT_FORMAT = "%Y-%m-%dT%H:%M"
FIELD_LABELS = {"reason": _l("Reason"), "purpose": _l("Purpose")}
AUDIT_ACTIONS = {
    "create": _l("requested"),
    "approve": _l("approved"),
    "reject": _l("rejected"),
    "cancel": _l("cancelled"),
    "no_show": _l("marked as no-show"),
    "complete": _l("completed"),
    # the usage record's entries, shown in the same history
    "check_in": _l("checked in"),
    "check_out": _l("checked out"),
    "record": _l("recorded the use"),
    "charge": _l("charged the fee"),
    "confirm": _l("confirmed the usage record"),
    "auto_confirm": _l("usage record confirmed automatically"),
    "dispute": _l("disputed the usage record"),
    "correct": _l("corrected the usage record"),
    "waive": _l("waived the charge"),
}

# What a template may ask about a booking: the services' own rules, never re-derived.
for rule in (may_cancel, may_decide, may_mark_no_show, cancels_late, shows_estimate):
    bp.add_app_template_global(rule)


@bp.app_template_global()
def pending_bookings_count() -> int:
    """For the platform's "Bookings inbox" link in the header."""
    return booking_lists.pending_count(current_user if current_user.is_authenticated else None)


@bp.app_template_filter("datetime_input")
def datetime_input(value: datetime) -> str:
    """An instant as a datetime-local input value, in the deployment's time zone."""
    return to_local(value).strftime(INPUT_FORMAT)


def _viewer():
    return current_user if current_user.is_authenticated else None


def _requested_monday(today: date, selected: Interval | None, zone: ZoneInfo) -> date:
    """The Monday of the selected window, else of ?start=YYYY-MM-DD, or of this week when it is
    missing, wrong or far off."""
    this_monday = monday_of(today)
    try:
        first_day = (
            selected.start.astimezone(zone).date()
            if selected is not None
            # a datetime-local start without its end still picks its week
            else date.fromisoformat(request.args.get("start", "")[:10])
        )
    except ValueError:
        return this_monday
    monday = monday_of(first_day)
    return monday if abs(monday - this_monday) <= WEEK_VIEW_REACH else this_monday


def _selected_window() -> Interval | None:
    """?start=…&end=… as datetime-local values (a search's window, in the deployment's zone):
    the window to offer for booking above the week; None unless both read, in order, and at
    most as long as a search may ask."""
    start, end = (_local_input(request.args.get(name, "")) for name in ("start", "end"))
    if start is None or end is None:
        return None
    if check_interval(start, end, max_days=FREE_SEARCH_MAX_DAYS) is not None:
        return None
    return Interval(start, end)


def _local_input(value: str) -> datetime | None:
    try:
        return from_local(datetime.strptime(value[:16], INPUT_FORMAT))
    except (ValueError, OverflowError):
        return None


@lru_cache(maxsize=512)
def _day_labels(locale: str, monday: date) -> tuple[tuple[str, str, str], ...]:
    """Weekday, month-day, and both, of each day of a week in a locale. Babel's date formatting
    cost about as much as the rest of the grid, and a week's labels never change."""
    days = [monday + timedelta(days=offset) for offset in range(7)]
    return tuple(
        (
            format_date(day, "EEE", locale=locale),
            format_date(day, "MM-dd", locale=locale),
            format_date(day, "MM-dd EEE", locale=locale),
        )
        for day in days
    )


@bp.route("/equipment/<int:equipment_id>/week")
def week(equipment_id: int):
    # to the minute: a visitor's page is kept for the minute it was drawn in (page_cache.py)
    now = utcnow().replace(second=0, microsecond=0)
    key = _visitor_week_key(equipment_id, now) if page_cache.for_visitor() else None
    if key is not None:
        return page_cache.cached(key, lambda: _week_page(equipment_id, now))
    return _week_page(equipment_id, now)


def _visitor_week_key(equipment_id: int, now: datetime) -> tuple | None:
    """What a visitor's week page is made of, when it may come from the cache: the minute, the
    locale and the fingerprint of the shown week. None with a selected window (its estimate
    reads the rate cards) or an instrument that is not public."""
    zone_name = instrument_zone(equipment_id)
    if zone_name is None or _selected_window() is not None:
        return None
    zone = ZoneInfo(zone_name)
    monday = _requested_monday(now.astimezone(zone).date(), None, zone)
    fingerprint = instrument_fingerprint(equipment_id, week_window(monday, zone))
    if fingerprint is None or not fingerprint.public or fingerprint.timezone != zone_name:
        return None
    return (now, str(get_locale()), fingerprint.values)


def _week_page(equipment_id: int, now: datetime):
    viewer = _viewer()
    equipment = visible_equipment(viewer, equipment_id)
    today = now.astimezone(ZoneInfo(equipment.timezone)).date()
    selected = _selected_window()
    monday = _requested_monday(today, selected, ZoneInfo(equipment.timezone))
    if selected is not None and monday != monday_of(
        selected.start.astimezone(ZoneInfo(equipment.timezone)).date()
    ):
        selected = None  # too far off to show its week
    grid = week_grid(viewer, equipment, monday, now)
    booking_minutes = default_booking_minutes(booking_rules(equipment))
    return render_template(
        "bookings/week.html",
        equipment=equipment,
        grid=grid,
        today_column=(today - grid.monday).days,
        this_monday=monday_of(today),
        booking_length=timedelta(minutes=booking_minutes),
        min_slots=booking_minutes // equipment.slot_minutes,
        legend=week_legend(viewer, equipment),
        day_labels=_day_labels(str(get_locale()), grid.monday),
        book_url=url_for("bookings.new", equipment_id=equipment.id),
        # visitors may follow a free slot to sign in; signed-in users only if they may book
        links=viewer is None or may_book(viewer, equipment),
        selected=selected,
        selected_problem=_problem_text(equipment, selected, now),
        selected_estimate=booking_estimate(equipment, selected) if selected else None,
    )


def _problem_text(equipment: Equipment, selected: Interval | None, now) -> str | None:
    if selected is None:
        return None
    problem = window_problem(equipment, selected, now)
    return translate(problem) if problem is not None else None


def _form_interval(form: BookingForm) -> Interval | None:
    """The form's start and end as an interval, when both are given and in order."""
    if form.start.data is None or form.end.data is None:
        return None
    try:
        start, end = from_local(form.start.data), from_local(form.end.data)
    except (OverflowError, ValueError):
        return None
    return Interval(start, end) if start < end else None


def _render_form(equipment: Equipment, form: BookingForm, status: int = 200, conflicts=()):
    interval = _form_interval(form)
    estimate = booking_estimate(equipment, interval) if interval is not None else None
    return (
        render_template(
            "bookings/form.html",
            equipment=equipment,
            form=form,
            conflicts=conflicts,
            estimate=estimate,
            minutes=interval.minutes if interval is not None else None,
        ),
        status,
    )


@bp.route("/equipment/<int:equipment_id>/book", methods=["GET", "POST"])
@login_required
def new(equipment_id: int):
    equipment = visible_equipment(current_user, equipment_id)
    if not may_book(current_user, equipment):
        if current_user.role != Role.SME:
            return error_page(403, _("Only enterprise (SME) users can book instruments."))
        return error_page(403, _("The instrument is not open for booking."))
    if request.method == "GET":
        return _render_form(equipment, BookingForm(formdata=request.args))
    form = BookingForm()
    if not form.validate_on_submit():
        return _render_form(equipment, form, 422)
    try:
        start, end = from_local(form.start.data), from_local(form.end.data)
    except (OverflowError, ValueError):
        form.form_errors.append(_("The date is out of range."))
        return _render_form(equipment, form, 422)
    try:
        booking = create_booking(
            current_user,
            equipment.id,
            start,
            end,
            form.purpose.data or "",
            purpose_category=form.purpose_category.data,
        )
    except ValidationFailed as failure:
        db.session.rollback()
        show_errors(form, failure)
        return _render_form(equipment, form, 422)
    except (BookingConflict, OutsideIdleWindow, RuleViolation) as refusal:
        db.session.rollback()
        form.form_errors.append(translate(refusal.message))
        return _render_form(
            equipment,
            form,
            STATUS_FOR_CODE[refusal.code],
            conflicts=refusal.details.get("conflicts", []),
        )
    if booking.status == BookingStatus.PENDING:
        flash(_("Your booking request is sent. It is pending the platform's approval."), "success")
    else:
        flash(_("Your booking is confirmed."), "success")
    return redirect(url_for("bookings.detail", booking_id=booking.id))


@bp.route("/bookings")
@role_required(Role.SME, Role.FINANCE, Role.ADMIN)
def mine():
    if current_user.role != Role.SME:
        return redirect(url_for("bookings.everything", **request.args))
    now = utcnow()
    page = db.paginate(
        booking_lists.organization_bookings(current_user, now), per_page=PER_PAGE, error_out=False
    )
    sections = _sections(page.items, lambda booking: booking_lists.sme_section(booking, now))
    return render_template("bookings/mine.html", page=page, sections=sections)


@bp.route("/bookings/all")
@role_required(Role.FINANCE, Role.ADMIN)
def everything():
    """Every booking, for finance and the operator: the API's list with its filters, latest
    first."""
    first_day, last_day = _date_argument("from"), _date_argument("to")
    filters = {"status": _status_argument(), "from": first_day, "to": last_day}
    query = visible_bookings_query(
        current_user,
        status=filters["status"],
        start=_local_midnight(first_day) if first_day else None,
        end=_local_midnight(last_day + timedelta(days=1)) if last_day else None,
    )
    query = query.order_by(None).order_by(Booking.start_at.desc(), Booking.id.desc())
    page = db.paginate(
        query.options(
            selectinload(Booking.usage_record),
            selectinload(Booking.organization),
            selectinload(Booking.equipment).selectinload(Equipment.platform),
        ),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "bookings/all.html", page=page, filters=filters, statuses=list(BookingStatus)
    )


def _date_argument(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(
        day, datetime.min.time(), tzinfo=ZoneInfo(current_app.config["TIMEZONE"])
    )


def _sections(bookings: list[Booking], section_of: Callable) -> list[tuple[str, list[Booking]]]:
    """A page of an ordered list, cut where the section changes, for headings between them."""
    return [(section, list(group)) for section, group in groupby(bookings, key=section_of)]


def _status_argument() -> BookingStatus | None:
    try:
        return BookingStatus(request.args.get("status", ""))
    except ValueError:
        return None


@bp.route("/bookings/inbox")
@role_required(Role.PLATFORM)
def inbox():
    now = utcnow()
    filters = {"equipment_id": id_argument("equipment_id"), "status": _status_argument()}
    page = db.paginate(
        booking_lists.inbox(current_user, now, **filters), per_page=PER_PAGE, error_out=False
    )
    sections = _sections(page.items, lambda booking: booking_lists.inbox_section(booking, now))
    return render_template(
        "bookings/inbox.html",
        page=page,
        sections=sections,
        filters=filters,
        instruments=booking_lists.platform_instruments(current_user),
        statuses=list(BookingStatus),
    )


@bp.route("/bookings/<int:booking_id>")
@login_required
def detail(booking_id: int):
    booking = visible_booking(current_user, booking_id)
    record = booking.usage_record
    return render_template(
        "bookings/detail.html",
        booking=booking,
        record=record,
        fee_lines=lines_from_data(record.lines) if record is not None else [],
        card=frozen_rate_card(booking),
        history=booking_lists.booking_history(booking),
        audit_actions=AUDIT_ACTIONS,
    )


def _change(booking_id: int, change: Callable[[Booking, str], tuple[str, str]]):
    """Load the booking (404 when the user may not see it), apply one change, say how it went,
    and go back where the button was."""
    booking = visible_booking(current_user, booking_id)
    form = ReasonForm()
    if form.validate_on_submit():
        apply_change(lambda: change(booking, form.reason.data or ""), FIELD_LABELS)
    return redirect_back("bookings.detail", booking_id=booking_id)


@bp.route("/bookings/<int:booking_id>/approve", methods=["POST"])
@login_required
def approve_booking(booking_id: int):
    def change(booking: Booking, reason: str):
        approve(current_user, booking)
        return _("The booking is confirmed."), "success"

    return _change(booking_id, change)


@bp.route("/bookings/<int:booking_id>/reject", methods=["POST"])
@login_required
def reject_booking(booking_id: int):
    def change(booking: Booking, reason: str):
        reject(current_user, booking, reason)
        return _("The booking is rejected."), "success"

    return _change(booking_id, change)


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@login_required
def cancel_booking(booking_id: int):
    def change(booking: Booking, reason: str):
        cancel(current_user, booking, reason)
        if booking.late_cancellation:
            return _(
                "The booking is cancelled. This is a late cancellation: less than %(hours)d hours before the start.",
                hours=booking.equipment.cancellation_deadline_hours,
            ), "warning"
        return _("The booking is cancelled."), "success"

    return _change(booking_id, change)


@bp.route("/bookings/<int:booking_id>/no-show", methods=["POST"])
@login_required
def no_show(booking_id: int):
    def change(booking: Booking, reason: str):
        mark_no_show(current_user, booking)
        return _("The booking is marked as a no-show."), "success"

    return _change(booking_id, change)
