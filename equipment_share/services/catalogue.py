"""The catalogue search that the page and the API share: text, category and platform filters,
and "free between … and …"."""

from sqlalchemy import Select

from equipment_share.domain.availability import Interval
from equipment_share.extensions import db
from equipment_share.models import Equipment, Organization, OrganizationStatus, User
from equipment_share.services import idle_spans
from equipment_share.services.availability import (
    free_throughout,
    free_throughout_clauses,
    load_candidates,
)
from equipment_share.services.equipment import catalogue_query

# Longest window a "free between … and …" search may ask about (page and API).
FREE_SEARCH_MAX_DAYS = 14


def search_catalogue(
    viewer: User | None,
    *,
    text: str | None = None,
    category: str | None = None,
    platform_id: int | None = None,
    free: Interval | None = None,
) -> Select:
    """The instruments the viewer may see, filtered, in catalogue order. With `free`, only those
    open for booking (active, of an approved platform), whoever looks, that have one free
    interval covering the whole window."""
    query = catalogue_query(viewer, text=text, category=category, platform_id=platform_id)
    if free is None:
        return query
    bookable = query.where(Equipment.active, Organization.status == OrganizationStatus.APPROVED)
    connection = db.session.connection()
    if idle_spans.covers(connection, free):
        return bookable.where(*free_throughout_clauses(free, connection.dialect.name))
    # outside the spans' coverage: expand each candidate's idle windows (slower, same rule)
    free_ids = [equipment.id for equipment in free_throughout(load_candidates(bookable), free)]
    return query.where(Equipment.id.in_(free_ids))
