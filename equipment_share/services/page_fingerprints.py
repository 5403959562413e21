"""Fingerprints of what the public pages are made of, one aggregate query each, so that a page
rendered before can be served again without building it (page_cache.py), the way the
calendar feeds answer 304 (services/calendars.equipment_feed_etag).

A fingerprint must move with every change that changes the page. The database notes every
change to an instrument's bookings, idle windows, production runs and maintenance
(models/instrument_changes.py); instruments carry `updated_at`; platforms have no `updated_at`,
so their names and status are read as they are. The whole catalogue has a revision token of its
own, kept by the database.
"""

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, true

from equipment_share import unchanged_reads
from equipment_share.domain.availability import Interval
from equipment_share.extensions import db
from equipment_share.models import CatalogueRevision, Equipment, InstrumentChange, Organization
from equipment_share.models.organizations import OrganizationStatus

# Each instrument's time zone, as last seen: the week page's window depends on it, and the
# fingerprint that checks it must know the window first (see `instrument_zone`).
_zones: dict[int, str] = {}


def forget_zones() -> None:
    _zones.clear()


@dataclass(frozen=True)
class InstrumentFingerprint:
    timezone: str
    public: bool  # active on an approved platform: the same answer for everyone who may look
    values: tuple


def instrument_zone(equipment_id: int) -> str | None:
    """The instrument's time zone as last seen by this process (one query the first time).
    A stale one is harmless: the fingerprint reads the zone again and `instrument_fingerprint`
    callers refuse to use a cache when the two differ."""
    zone = _zones.get(equipment_id)
    if zone is None:
        zone = db.session.scalar(select(Equipment.timezone).where(Equipment.id == equipment_id))
        if zone is not None:
            _zones[equipment_id] = zone
    return zone


def _instrument_statement():
    """The fingerprint's one statement, built once (building it cost as much as running it)."""
    equipment_id = bindparam("equipment_id")
    changes = (
        select(
            func.count().label("changes"),
            func.sum(InstrumentChange.id).label("changes_sum"),
            func.max(InstrumentChange.id).label("latest_change"),
        )
        .where(InstrumentChange.equipment_id == equipment_id)
        .subquery()
    )
    return (
        select(
            Equipment.timezone,
            Equipment.active,
            Equipment.updated_at,
            Organization.status,
            Organization.name,
            Organization.name_en,
            *changes.c,
        )
        .join(Organization, Organization.id == Equipment.platform_id)
        .join(changes, true())
        .where(Equipment.id == equipment_id)
    )


INSTRUMENT = _instrument_statement()


def instrument_fingerprint(equipment_id: int, window: Interval) -> InstrumentFingerprint | None:
    """What an instrument's free and busy time in the window is made of, in one query: the
    instrument's row and its platform's, and the database's notes of changes to its bookings
    (any status: a cancellation frees time), idle windows, production runs and maintenance
    (models/instrument_changes.py). A change outside the window moves it too: one index read
    instead of aggregates over the window's rows. None when there is no such instrument."""
    row = unchanged_reads.kept(("instrument", equipment_id), lambda: _instrument_row(equipment_id))
    if row is None:
        return None
    timezone, active, _updated, platform_status, *_ = row
    _zones[equipment_id] = timezone
    return InstrumentFingerprint(
        timezone=timezone,
        public=bool(active) and platform_status == OrganizationStatus.APPROVED,
        values=(equipment_id, window.start, window.end, *row),
    )


def _instrument_row(equipment_id: int):
    return db.session.connection().execute(INSTRUMENT, {"equipment_id": equipment_id}).first()


CATALOGUE = select(CatalogueRevision.token).where(CatalogueRevision.id == 1)


def catalogue_fingerprint() -> tuple:
    """What the public catalogue is made of: its instruments and every platform's names and
    status, as the catalogue's revision token (models/catalogue.py), which the database
    replaces on every change to either; one row, however large the catalogue."""
    return (unchanged_reads.kept(("catalogue",), _catalogue_token),)


def _catalogue_token():
    return db.session.connection().execute(CATALOGUE).scalar()
