"""Bookings: an SME asks for a slot; the platform approves or rejects; either side cancels."""

from flask import jsonify
from sqlalchemy.orm import selectinload

from equipment_share.api.auth import current_actor, holder_acts, token_holder
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.fields import ID_CONVERTER as ID
from equipment_share.api.pagination import paginate
from equipment_share.api.schemas import (
    BookingCreateSchema,
    BookingListArgs,
    BookingPageSchema,
    BookingSchema,
    ReasonSchema,
    booking_answer,
)
from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.errors import N_, Message, ValidationFailed
from equipment_share.domain.fields import REQUIRED
from equipment_share.models import Booking, Role
from equipment_share.services.access import require_role, visible_booking
from equipment_share.services.booking_lists import visible_bookings_query
from equipment_share.services.bookings import (
    approve,
    cancel,
    create_booking,
    mark_no_show,
    reject,
)

# "bookings" is the pages' blueprint; a Flask blueprint name (and OpenAPI tag) is unique.
blp = ApiBlueprint(
    "api_bookings", __name__, description="Booking an instrument, and every change of a booking."
)

REQUIRED_TIME = Message(N_("A date and time is required."))


# The schema made once, not per request (webargs makes one from a class each time).
@blp.route("/bookings", methods=["POST"])
@holder_acts  # booking asks only the actor's id, role and organisation
@blp.arguments(BookingCreateSchema())
@blp.response(201, BookingSchema)
@blp.errors(403, 404, 409, 422)
def create(values):
    """Book a slot (SME): pending when the instrument requires approval, else confirmed

    Refusals: 409 booking_conflict (`details.conflicts` lists the clashing intervals),
    422 outside_idle_window, 422 rule_violation (`details.rule` names the rule), 404 for an
    instrument the SME cannot see.
    """
    actor = token_holder()
    require_role(actor, Role.SME)
    missing = {
        name: REQUIRED if name == "equipment_id" else REQUIRED_TIME
        for name in ("equipment_id", "start", "end")
        if values.get(name) is None
    }
    if missing:
        raise ValidationFailed(missing)
    booking = create_booking(
        actor,
        values["equipment_id"],
        values["start"],
        values["end"],
        values.get("purpose", ""),
        purpose_category=values.get("purpose_category"),
    )
    return jsonify(booking_answer(booking)), 201  # BookingSchema's answer, built directly


@blp.route("/bookings")
@blp.arguments(BookingListArgs, location="query")
@blp.response(200, BookingPageSchema)
def list_bookings(args):
    """Bookings, by start: an SME's own organization's, a platform's instruments', all for
    admin and finance; `from`/`to` keep those overlapping [from, to)"""
    status = args.pop("status", None)
    query = visible_bookings_query(
        current_actor(),
        status=BookingStatus(status) if status is not None else None,
        equipment_id=args.pop("equipment_id", None),
        start=args.pop("from_", None),
        end=args.pop("to", None),
    )
    # each booking shows its usage_id: one query for the page, not one per booking
    return paginate(query.options(selectinload(Booking.usage_record)), args)


@blp.route(f"/bookings/<{ID}:booking_id>")
@blp.response(200, BookingSchema)
@blp.errors(404)
def get(booking_id):
    """One booking (its SME, the instrument's platform, admin, finance)"""
    return visible_booking(current_actor(), booking_id)


@blp.route(f"/bookings/<{ID}:booking_id>/approve", methods=["POST"])
@blp.response(200, BookingSchema)
@blp.errors(403, 404, 409)
def approve_booking(booking_id):
    """Approve a pending booking (the instrument's platform): pending → confirmed"""
    actor = current_actor()
    return approve(actor, visible_booking(actor, booking_id))


@blp.route(f"/bookings/<{ID}:booking_id>/reject", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, BookingSchema)
@blp.errors(403, 404, 409, 422)
def reject_booking(values, booking_id):
    """Reject a pending booking with a reason (the instrument's platform): pending → rejected"""
    actor = current_actor()
    return reject(actor, visible_booking(actor, booking_id), values.get("reason"))


@blp.route(f"/bookings/<{ID}:booking_id>/cancel", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, BookingSchema)
@blp.errors(403, 404, 409, 422)
def cancel_booking(values, booking_id):
    """Cancel an active booking with a reason (its SME or the instrument's platform)"""
    actor = current_actor()
    return cancel(actor, visible_booking(actor, booking_id), values.get("reason"))


@blp.route(f"/bookings/<{ID}:booking_id>/no-show", methods=["POST"])
@blp.response(200, BookingSchema)
@blp.errors(403, 404, 409, 422)
def no_show(booking_id):
    """Mark a confirmed booking that has started as a no-show (the instrument's platform)"""
    actor = current_actor()
    return mark_no_show(actor, visible_booking(actor, booking_id))
