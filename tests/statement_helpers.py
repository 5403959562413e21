"""Usage records for statement tests, priced and written by the usage service itself.

Bookings are written straight into the table (confirmed, in the past): the booking rules are not
under test here, and the usage service needs a booking whose time has come.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from equipment_share.domain.bookings import BookingStatus
from equipment_share.extensions import db
from equipment_share.models import Booking, Equipment, UsageRecord, User
from equipment_share.services import bookings, rate_cards, usage
from tests.clock import SHANGHAI

# make_equipment(hourly_rate=RATE, setup_fee=SETUP): two hours cost 360.00
RATE, SETUP = "150.00", "60.00"


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def confirmed_booking(sme_user: User, equipment: Equipment, start: datetime, hours=2) -> Booking:
    booking = Booking(
        equipment=equipment,
        organization_id=sme_user.organization_id,
        booked_by_id=sme_user.id,
        start_at=start,
        end_at=start + timedelta(hours=hours),
        status=BookingStatus.CONFIRMED,
        rate_card_id=rate_cards.in_force(equipment).id,
        hourly_rate=equipment.hourly_rate,
        setup_fee=equipment.setup_fee,
        min_charge_minutes=equipment.min_charge_minutes,
        billing_increment_minutes=equipment.billing_increment_minutes,
        estimated_fee=Decimal("0.00"),
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def recorded_use(
    platform_user: User, sme_user: User, equipment: Equipment, start: datetime, hours=2
) -> UsageRecord:
    """A use recorded after the fact by the platform: status recorded, priced."""
    booking = confirmed_booking(sme_user, equipment, start, hours)
    end = start + timedelta(hours=hours)
    record = usage.record_usage(platform_user, booking, start, end, now=end + timedelta(hours=1))
    db.session.commit()
    return record


def confirmed_use(platform_user, sme_user, equipment, start, hours=2) -> UsageRecord:
    record = recorded_use(platform_user, sme_user, equipment, start, hours)
    usage.confirm(sme_user, record, now=start + timedelta(days=1))
    db.session.commit()
    return record


def disputed_use(platform_user, sme_user, equipment, start, hours=2) -> UsageRecord:
    record = recorded_use(platform_user, sme_user, equipment, start, hours)
    usage.dispute(sme_user, record, "We used it for one hour only.")
    db.session.commit()
    return record


def use_in_progress(platform_user, sme_user, equipment, start) -> UsageRecord:
    booking = confirmed_booking(sme_user, equipment, start)
    record = usage.check_in(platform_user, booking, now=start)
    db.session.commit()
    return record


def no_show_charge(platform_user, sme_user, equipment, start, fee="90.00") -> UsageRecord:
    """The booking service's no-show charge: no actual times, at the booked start."""
    values = rate_cards.version_values(rate_cards.in_force(equipment))
    values |= {"no_show_fee": {"kind": "fixed", "value": fee}}
    version = rate_cards.add_version(platform_user, equipment, values, None)
    booking = confirmed_booking(sme_user, equipment, start)
    booking.rate_card_id = version.id
    bookings.mark_no_show(platform_user, booking, now=start + timedelta(hours=1))
    db.session.commit()
    return booking.usage_record
