"""From a "free between … and …" search to a booking: whether a window can be booked, and, when
a search finds nothing free, the nearest windows that can: on the searched day at other hours,
on the next days, and on similar instruments (the same category) for the window itself.

The same rules as the booking service: idle time minus production, maintenance and bookings
(services/availability.py), then the instrument's booking rules (domain/bookings.py).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from equipment_share.domain.availability import Interval, compute_availability, is_bookable
from equipment_share.domain.bookings import check_booking_rules
from equipment_share.domain.errors import N_, Message, RuleViolation
from equipment_share.domain.suggestions import (
    LATER_DAYS,
    booking_length,
    is_bookable_window,
    nearest_later,
    nearest_on_day,
)
from equipment_share.models import Equipment, Organization, OrganizationStatus, User, utcnow
from equipment_share.services.availability import (
    blocks_by_equipment,
    equipment_availability,
    equipment_idle_time,
    load_candidates,
)
from equipment_share.services.bookings import booking_rules
from equipment_share.services.catalogue import search_catalogue
from equipment_share.services.equipment import catalogue_query

# The instruments of a search looked at for other hours and days (the first in catalogue order),
# and how many suggestions each group shows.
MAX_CANDIDATES = 50
PER_GROUP = 5

NOT_OPEN = Message(N_("The instrument is not open for booking."))
NOT_FREE = Message(N_("This time is not free: part of it is booked, or not offered."))


@dataclass(frozen=True)
class Suggestion:
    equipment: Equipment
    interval: Interval


@dataclass(frozen=True)
class Suggestions:
    same_day: list[Suggestion] = field(default_factory=list)
    later_days: list[Suggestion] = field(default_factory=list)
    similar: list[Suggestion] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.same_day or self.later_days or self.similar)


def window_problem(
    equipment: Equipment, window: Interval, now: datetime | None = None
) -> Message | None:
    """Why the window cannot be booked now (the first reason the booking service would give,
    but a clash with a booking made in between), or None when it can."""
    if not equipment.active:
        return NOT_OPEN
    try:
        check_booking_rules(window, booking_rules(equipment), now or utcnow())
    except RuleViolation as violation:
        return violation.message
    if not is_bookable(window, equipment_availability(equipment, window).free):
        return NOT_FREE
    return None


def suggest_free_windows(
    viewer: User | None,
    window: Interval,
    *,
    text: str | None = None,
    category: str | None = None,
    platform_id: int | None = None,
    now: datetime | None = None,
) -> Suggestions:
    """For a search (its filters and window) that found nothing free: the window of the same
    length nearest to the searched hours on the searched day and on the first later day that has
    one, per instrument the search matches, nearest first; and the instruments of the same
    category (the searched one, else those of the matches) free for the window itself."""
    now = now or utcnow()
    matching = catalogue_query(viewer, text=text, category=category, platform_id=platform_id)
    candidates = load_candidates(
        matching.where(Equipment.active, Organization.status == OrganizationStatus.APPROVED).limit(
            MAX_CANDIDATES
        )
    )
    if not candidates:
        return Suggestions()
    same_day, later_days = _other_times(candidates, window, now)
    categories = {category} if category else {equipment.category for equipment in candidates}
    return Suggestions(
        same_day=sorted(same_day, key=lambda found: _nearness(found, window))[:PER_GROUP],
        later_days=sorted(later_days, key=lambda found: (found.interval.start, found.equipment.id))[
            :PER_GROUP
        ],
        similar=_similar(viewer, window, categories, {e.id for e in candidates}, now),
    )


def _nearness(found: Suggestion, window: Interval) -> tuple[timedelta, int]:
    return abs(found.interval.start - window.start), found.equipment.id


def _other_times(
    candidates: list[Equipment], window: Interval, now: datetime
) -> tuple[list[Suggestion], list[Suggestion]]:
    # one statement for the blocks of every candidate, over the searched day and the days after
    span = Interval(window.start - timedelta(days=1), window.start + timedelta(days=LATER_DAYS + 2))
    blocks = blocks_by_equipment([equipment.id for equipment in candidates], span)
    same_day, later_days = [], []
    for equipment in candidates:
        rules = booking_rules(equipment)
        length = booking_length(window.end - window.start, rules)
        if length is None:
            continue
        free = compute_availability(
            equipment_idle_time(equipment, span), blocks[equipment.id], span
        ).free
        local = window.start.astimezone(ZoneInfo(equipment.timezone))
        day, wanted = local.date(), local.time()
        if (found := nearest_on_day(free, day, wanted, length, rules, now)) is not None:
            same_day.append(Suggestion(equipment, found))
        if (found := nearest_later(free, day, wanted, length, rules, now)) is not None:
            later_days.append(Suggestion(equipment, found))
    return same_day, later_days


def _similar(
    viewer: User | None,
    window: Interval,
    categories: set[str],
    exclude: set[int],
    now: datetime,
) -> list[Suggestion]:
    query = (
        search_catalogue(viewer, free=window)
        .where(Equipment.category.in_(categories), Equipment.id.not_in(exclude))
        .limit(MAX_CANDIDATES)
    )
    found = []
    for equipment in load_candidates(query):
        rules = booking_rules(equipment)
        # free throughout is known; the rules (lead time, grid, length) are checked here
        if is_bookable_window(window, [window], rules, now):
            found.append(Suggestion(equipment, window))
        if len(found) == PER_GROUP:
            break
    return found
