"""The public catalogue: search instruments, read one, see its idle time."""

from datetime import datetime
from itertools import groupby
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from equipment_share import page_cache
from equipment_share.domain.availability import Interval
from equipment_share.domain.equipment import CATEGORIES
from equipment_share.domain.errors import N_
from equipment_share.domain.fields import check_interval
from equipment_share.extensions import db
from equipment_share.i18n import translate
from equipment_share.services.access import owns_equipment, visible_equipment
from equipment_share.services.availability import equipment_idle_time
from equipment_share.services.bookings import may_book
from equipment_share.services.catalogue import FREE_SEARCH_MAX_DAYS, catalogue_search
from equipment_share.services.equipment import approved_platforms, upcoming_window
from equipment_share.services.page_fingerprints import catalogue_fingerprint
from equipment_share.services.suggestions import suggest_free_windows
from equipment_share.web.helpers import from_local, id_argument, to_local

bp = Blueprint("catalogue", __name__)
PER_PAGE = 24
INPUT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


def _viewer():
    return current_user if current_user.is_authenticated else None


@bp.route("/")
def index():
    if page_cache.for_visitor() and not (
        request.args.get("free_from") or request.args.get("free_to")
    ):
        key = (str(get_locale()), catalogue_fingerprint())
        return page_cache.cached(key, _catalogue_page)
    return _catalogue_page()


def _catalogue_page():
    text = request.args.get("q", "").strip()[:100]
    category = request.args.get("category") or None
    platform_id = id_argument("platform_id")
    free_from = request.args.get("free_from", "").strip()[:30] or None
    free_to = request.args.get("free_to", "").strip()[:30] or None
    window, window_error = _free_window(free_from, free_to)
    search = catalogue_search(
        _viewer(), text=text, category=category, platform_id=platform_id, free=window
    )
    page = db.paginate(search.items, per_page=PER_PAGE, error_out=False, count=False)
    page.total = search.total()
    viewer = _viewer()
    suggestions = (
        suggest_free_windows(viewer, window, text=text, category=category, platform_id=platform_id)
        if window is not None and page.total == 0
        else None
    )
    return render_template(
        "catalogue/index.html",
        page=page,
        categories=CATEGORIES,
        platforms=approved_platforms(),
        filters={
            "q": text,
            "category": category,
            "platform_id": platform_id,
            "free_from": free_from,
            "free_to": free_to,
        },
        window=window,
        window_error=window_error,
        suggestions=suggestions,
        # visitors may follow a booking link to sign in; signed-in users only if they may book
        can_book=lambda equipment: viewer is None or may_book(viewer, equipment),
    )


def _local_input(value: str) -> datetime | None:
    """A datetime-local value, read in the deployment's time zone; None when it is not one."""
    for input_format in INPUT_FORMATS:
        try:
            return from_local(datetime.strptime(value, input_format))
        except (ValueError, OverflowError):
            continue
    return None


def _free_window(free_from: str | None, free_to: str | None) -> tuple[Interval | None, str | None]:
    """The "free between … and …" filter: both ends or neither, in order, at most two weeks."""
    if free_from is None and free_to is None:
        return None, None
    if free_from is None or free_to is None:
        return None, _("To search for free time, give both the start and the end.")
    start, end = _local_input(free_from), _local_input(free_to)
    if start is None or end is None:
        return None, _("Give the free time as a date and a time, for example 2026-03-02 09:00.")
    problem = check_interval(
        start,
        end,
        max_days=FREE_SEARCH_MAX_DAYS,
        too_long=N_("Search for free time of at most %(days)d days."),
    )
    if problem is not None:
        return None, translate(problem)
    return Interval(start, end), None


@bp.route("/equipment/<int:equipment_id>")
def detail(equipment_id: int):
    equipment = visible_equipment(_viewer(), equipment_id)
    idle = equipment_idle_time(equipment, upcoming_window(days=14))
    idle_by_day = [
        (day, list(intervals))
        for day, intervals in groupby(idle, key=lambda interval: to_local(interval.start).date())
    ]
    return render_template(
        "catalogue/detail.html",
        equipment=equipment,
        idle_by_day=idle_by_day,
        category_label=CATEGORIES.get(equipment.category, equipment.category),
        can_manage=owns_equipment(_viewer(), equipment),
    )


@bp.route("/equipment/<int:equipment_id>/photo")
def photo(equipment_id: int):
    equipment = visible_equipment(_viewer(), equipment_id)
    if not equipment.photo_filename:
        abort(404)
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    return send_from_directory(folder, equipment.photo_filename, max_age=3600)
