"""Who may see and do what. Every view and API handler asks here, never decides itself."""

from equipment_share.domain.errors import N_, Forbidden, NotFound
from equipment_share.extensions import db
from equipment_share.models import Booking, Equipment, Organization, Role, User


def require_role(actor: User | None, *roles: Role) -> None:
    if actor is None or actor.role not in roles:
        raise Forbidden()


def is_admin(actor: User | None) -> bool:
    return actor is not None and actor.role == Role.ADMIN


def owns_equipment(actor: User | None, equipment: Equipment) -> bool:
    return (
        actor is not None
        and actor.role == Role.PLATFORM
        and actor.organization_id == equipment.platform_id
    )


def is_platform_of(actor: User | None, booking: Booking) -> bool:
    """Staff of the platform that owns the booked instrument."""
    return owns_equipment(actor, booking.equipment)


def is_booking_sme(actor: User | None, booking: Booking) -> bool:
    """Staff of the enterprise that made the booking."""
    return (
        actor is not None
        and actor.role == Role.SME
        and actor.organization_id == booking.organization_id
    )


def is_party_to_booking(actor: User | None, booking: Booking) -> bool:
    return is_booking_sme(actor, booking) or is_platform_of(actor, booking)


def require_platform_of(actor: User | None, booking: Booking) -> None:
    if not is_platform_of(actor, booking):
        raise Forbidden(N_("Only the platform that owns the instrument may do this."))


def require_booking_sme(actor: User | None, booking: Booking) -> None:
    if not is_booking_sme(actor, booking):
        raise Forbidden(N_("Only the enterprise that made the booking may do this."))


def can_see_equipment(viewer: User | None, equipment: Equipment) -> bool:
    """Public when active on an approved platform; otherwise only its owner and the operators."""
    if equipment.active and equipment.platform.is_approved:
        return True
    if viewer is None:
        return False
    return owns_equipment(viewer, equipment) or viewer.role in (Role.ADMIN, Role.FINANCE)


def visible_equipment(viewer: User | None, equipment_id: int, *, options=()) -> Equipment:
    """The instrument when the viewer may see it, else 404; `options` are loader options for
    what the caller reads next (e.g. `WITH_PLATFORM_AND_WINDOWS`)."""
    equipment = db.session.get(Equipment, equipment_id, options=options)
    if equipment is None or not can_see_equipment(viewer, equipment):
        raise NotFound()
    return equipment


def owned_equipment(actor: User | None, equipment_id: int) -> Equipment:
    """The instrument, for its owning platform: 404 when invisible, 403 when only visible."""
    equipment = visible_equipment(actor, equipment_id)
    if not owns_equipment(actor, equipment):
        raise Forbidden()
    return equipment


def can_see_organization(viewer: User | None, organization: Organization) -> bool:
    if viewer is None:
        return False
    if viewer.role in (Role.ADMIN, Role.FINANCE):
        return True
    return viewer.organization_id == organization.id or (
        organization.kind == "platform" and organization.is_approved
    )


def visible_organization(viewer: User | None, organization_id: int) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None or not can_see_organization(viewer, organization):
        raise NotFound()
    return organization


def can_see_booking(viewer: User | None, booking: Booking) -> bool:
    """The booking SME, the owning platform, and the operators; nobody else knows it exists."""
    if viewer is None:
        return False
    if viewer.role in (Role.ADMIN, Role.FINANCE):
        return True
    return is_party_to_booking(viewer, booking)


def visible_booking(viewer: User | None, booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or not can_see_booking(viewer, booking):
        raise NotFound()
    return booking


def sees_whose_time(viewer: User | None, equipment: Equipment) -> bool:
    """Who booked an instrument's time and why it is busy: its platform and the operators.
    Everyone else sees only that it is busy (and an SME its own bookings)."""
    return owns_equipment(viewer, equipment) or (
        viewer is not None and viewer.role in (Role.ADMIN, Role.FINANCE)
    )


def is_own_enterprise(viewer: User | None, organization_id: int) -> bool:
    """A booking made by the viewer's own enterprise (its row, without loading the booking)."""
    return (
        viewer is not None and viewer.role == Role.SME and viewer.organization_id == organization_id
    )
