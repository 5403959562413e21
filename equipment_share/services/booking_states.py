"""Every change of a booking's state, for the booking service and the usage service alike.

The booking's row is locked before its state is checked, so requests that change one booking at
the same moment act one after the other: the second finds the state the first left, and a
transition no longer possible is refused (InvalidState) before anything is written.
"""

from equipment_share.domain.bookings import BookingAction, BookingStatus, next_status
from equipment_share.extensions import db
from equipment_share.models import Booking, User
from equipment_share.services import audit
from equipment_share.services.locks import lock_booking


def change_status(
    actor: User | None, booking: Booking, action: BookingAction, reason: str = ""
) -> BookingStatus:
    """Apply the action to the booking, audited; returns the state it left."""
    lock_booking(booking)
    old_status = booking.status
    booking.status = next_status(old_status, action)
    booking.status_reason = reason
    booking.sequence += 1
    db.session.flush()
    audit.record(
        actor,
        "booking",
        booking.id,
        action.value,
        from_state=old_status.value,
        to_state=booking.status.value,
        reason=reason,
    )
    return old_status
