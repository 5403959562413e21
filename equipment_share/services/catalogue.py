"""The catalogue search that the page and the API share: text, category and platform filters,
and "free between … and …"."""

from dataclasses import dataclass

from sqlalchemy import Select, func, select, union_all

from equipment_share.domain.availability import Interval
from equipment_share.extensions import db
from equipment_share.models import Equipment, Organization, OrganizationStatus, User
from equipment_share.services import idle_spans
from equipment_share.services.availability import (
    count_free_spans,
    free_throughout,
    free_throughout_clauses,
    free_throughout_to_count,
    load_candidates,
)
from equipment_share.services.equipment import catalogue_query

# Longest window a "free between … and …" search may ask about (page and API).
FREE_SEARCH_MAX_DAYS = 14


@dataclass(frozen=True)
class CatalogueSearch:
    """A search's items in catalogue order (to be paged with LIMIT and OFFSET), and the statement
    that counts them all: for the free search the two are shaped differently, since a page needs
    the first few free instruments and the count every one of them."""

    items: Select
    count: Select

    def total(self) -> int:
        return db.session.scalar(self.count)


def catalogue_search(
    viewer: User | None,
    *,
    text: str | None = None,
    category: str | None = None,
    platform_id: int | None = None,
    free: Interval | None = None,
) -> CatalogueSearch:
    """The instruments the viewer may see, filtered, in catalogue order. With `free`, only those
    open for booking (active, of an approved platform), whoever looks, that have one free
    interval covering the whole window."""
    query = catalogue_query(viewer, text=text, category=category, platform_id=platform_id)
    if free is None:
        return CatalogueSearch(query, _count(query))
    bookable = query.where(Equipment.active, Organization.status == OrganizationStatus.APPROVED)
    connection = db.session.connection()
    if idle_spans.covers(connection, free):
        dialect = connection.dialect.name
        narrowed = bool(text or category or platform_id)
        return CatalogueSearch(
            bookable.where(*free_throughout_clauses(free, dialect)),
            _count(free_throughout_to_count(bookable, free, dialect))
            if narrowed
            else count_free_spans(free, dialect, _closed_for_booking()),
        )
    # outside the spans' coverage: expand each candidate's idle windows (slower, same rule)
    free_ids = [equipment.id for equipment in free_throughout(load_candidates(bookable), free)]
    found = query.where(Equipment.id.in_(free_ids))
    return CatalogueSearch(found, _count(found))


def search_catalogue(viewer: User | None, **filters) -> Select:
    """The items of `catalogue_search` (same arguments): for callers that take a few of them."""
    return catalogue_search(viewer, **filters).items


def _closed_for_booking() -> Select:
    """The ids of the instruments not open for booking, whoever looks: inactive ones and those
    of platforms not approved (a few, through ix_equipment_inactive and the platform index)."""
    return union_all(
        select(Equipment.id).where(~Equipment.active),
        select(Equipment.id)
        .join(Equipment.platform)
        .where(Organization.status != OrganizationStatus.APPROVED),
    )


def _count(query: Select) -> Select:
    return select(func.count()).select_from(query.order_by(None).subquery())
