"""The public catalogue: search instruments, read one, see its idle time."""

from itertools import groupby
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory
from flask_login import current_user

from equipment_share.domain.equipment import CATEGORIES
from equipment_share.extensions import db
from equipment_share.services.access import owns_equipment, visible_equipment
from equipment_share.services.equipment import (
    approved_platforms,
    catalogue_query,
    equipment_idle_time,
    upcoming_window,
)
from equipment_share.web.helpers import id_argument, to_local

bp = Blueprint("catalogue", __name__)
PER_PAGE = 24


def _viewer():
    return current_user if current_user.is_authenticated else None


@bp.route("/")
def index():
    text = request.args.get("q", "").strip()[:100]
    category = request.args.get("category") or None
    platform_id = id_argument("platform_id")
    query = catalogue_query(_viewer(), text=text, category=category, platform_id=platform_id)
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template(
        "catalogue/index.html",
        page=page,
        categories=CATEGORIES,
        platforms=approved_platforms(),
        filters={"q": text, "category": category, "platform_id": platform_id},
    )


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
