"""The public catalogue: search instruments, read one, see its idle time."""

from datetime import datetime, timedelta
from itertools import groupby
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory
from flask_babel import gettext as _
from flask_login import current_user

from equipment_share.domain.availability import Interval
from equipment_share.domain.equipment import CATEGORIES
from equipment_share.extensions import db
from equipment_share.models import Equipment
from equipment_share.services.access import owns_equipment, visible_equipment
from equipment_share.services.availability import free_throughout, load_candidates
from equipment_share.services.equipment import (
    approved_platforms,
    catalogue_query,
    equipment_idle_time,
    upcoming_window,
)
from equipment_share.web.helpers import from_local, id_argument, to_local

bp = Blueprint("catalogue", __name__)
PER_PAGE = 24
FREE_SEARCH_DAYS = 14
INPUT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


def _viewer():
    return current_user if current_user.is_authenticated else None


@bp.route("/")
def index():
    text = request.args.get("q", "").strip()[:100]
    category = request.args.get("category") or None
    platform_id = id_argument("platform_id")
    free_from = request.args.get("free_from", "").strip()[:30] or None
    free_to = request.args.get("free_to", "").strip()[:30] or None
    query = catalogue_query(_viewer(), text=text, category=category, platform_id=platform_id)
    window, window_error = _free_window(free_from, free_to)
    if window is not None:
        free = free_throughout(load_candidates(query), window)
        query = query.where(Equipment.id.in_([equipment.id for equipment in free]))
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
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
    if end <= start:
        return None, _("The end must be after the start.")
    if end - start > timedelta(days=FREE_SEARCH_DAYS):
        return None, _("Search for free time of at most %(days)d days.", days=FREE_SEARCH_DAYS)
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
