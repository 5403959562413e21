"""Usage records: the platform records what a booking was used for; the SME confirms or disputes
it; the platform corrects or waives it. Every change keeps the old values in the audit log."""

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.fields import ID_CONVERTER as ID
from equipment_share.api.pagination import paginate
from equipment_share.api.schemas import (
    ReasonSchema,
    UsageCheckOutSchema,
    UsageCorrectionSchema,
    UsageListArgs,
    UsageRecordCreateSchema,
    UsageRecordPageSchema,
    UsageRecordSchema,
)
from equipment_share.domain.usage import UsageStatus
from equipment_share.services.access import visible_booking
from equipment_share.services.usage import (
    check_in,
    check_out,
    confirm,
    correct,
    dispute,
    record_usage,
    visible_usage,
    visible_usage_query,
    waive,
)

# "usage" is left to the pages; a Flask blueprint name (and OpenAPI tag) is unique.
blp = ApiBlueprint(
    "api_usage",
    __name__,
    description="Usage records of bookings: recording, confirming, disputing and correcting fees.",
)


@blp.route(f"/bookings/<{ID}:booking_id>/usage", methods=["POST"])
@blp.arguments(UsageRecordCreateSchema)
@blp.response(201, UsageRecordSchema)
@blp.errors(403, 404, 409, 422)
def record(values, booking_id):
    """Record the actual times of a confirmed booking (the instrument's platform)

    Priced by the rate card frozen on the booking; the booking becomes completed and the record
    waits for the SME to confirm it. Also closes a check-in.
    """
    actor = current_actor()
    return record_usage(
        actor,
        visible_booking(actor, booking_id),
        values.get("actual_start"),
        values.get("actual_end"),
        note=values.get("note", ""),
        items=values.get("items"),
    )


@blp.route(f"/bookings/<{ID}:booking_id>/check-in", methods=["POST"])
@blp.response(201, UsageRecordSchema)
@blp.errors(403, 404, 409, 422)
def check_in_booking(booking_id):
    """Start the clock now (the instrument's platform): a record in progress

    Possible from an hour before the booked start until its end (422 rule_violation otherwise).
    """
    actor = current_actor()
    return check_in(actor, visible_booking(actor, booking_id))


@blp.route(f"/usage/<{ID}:usage_id>/check-out", methods=["POST"])
@blp.arguments(UsageCheckOutSchema, required=False)  # no body: no items, no note
@blp.response(200, UsageRecordSchema)
@blp.errors(403, 404, 409, 422)
def check_out_record(values, usage_id):
    """Stop the clock now (the instrument's platform): the use is priced, the booking completed"""
    actor = current_actor()
    return check_out(
        actor,
        visible_usage(actor, usage_id),
        items=values.get("items"),
        note=values.get("note", ""),
    )


@blp.route(f"/usage/<{ID}:usage_id>/confirm", methods=["POST"])
@blp.response(200, UsageRecordSchema)
@blp.errors(403, 404, 409)
def confirm_record(usage_id):
    """Accept the record (the booking SME): recorded or disputed → confirmed"""
    actor = current_actor()
    return confirm(actor, visible_usage(actor, usage_id))


@blp.route(f"/usage/<{ID}:usage_id>/dispute", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, UsageRecordSchema)
@blp.errors(403, 404, 409, 422)
def dispute_record(values, usage_id):
    """Dispute the record with a reason (the booking SME): recorded → disputed"""
    actor = current_actor()
    return dispute(actor, visible_usage(actor, usage_id), values.get("reason"))


@blp.route(f"/usage/<{ID}:usage_id>/correct", methods=["POST"])
@blp.arguments(UsageCorrectionSchema)
@blp.response(200, UsageRecordSchema)
@blp.errors(403, 404, 409, 422)
def correct_record(values, usage_id):
    """New actual times (and items) with a reason (the instrument's platform)

    For a recorded or disputed record; it is priced again and goes back to recorded for the SME
    to confirm. The old values stay in the audit log.
    """
    actor = current_actor()
    return correct(
        actor,
        visible_usage(actor, usage_id),
        values.get("actual_start"),
        values.get("actual_end"),
        values.get("reason"),
        items=values.get("items"),
        note=values.get("note"),
    )


@blp.route(f"/usage/<{ID}:usage_id>/waive", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, UsageRecordSchema)
@blp.errors(403, 404, 409, 422)
def waive_record(values, usage_id):
    """Drop the charge with a reason (the instrument's platform): the fee becomes 0.00"""
    actor = current_actor()
    return waive(actor, visible_usage(actor, usage_id), values.get("reason"))


@blp.route("/usage")
@blp.arguments(UsageListArgs, location="query")
@blp.response(200, UsageRecordPageSchema)
def list_records(args):
    """Usage records, by when they happened: an SME's own, a platform's instruments', all for
    admin and finance; `organization_id` matches the SME or the platform, `from`/`to` the actual
    start (the booked start for a charge) in [from, to)"""
    status = args.pop("status", None)
    query = visible_usage_query(
        current_actor(),
        organization_id=args.pop("organization_id", None),
        equipment_id=args.pop("equipment_id", None),
        start=args.pop("from_", None),
        end=args.pop("to", None),
        status=UsageStatus(status) if status is not None else None,
    )
    return paginate(query, args)


@blp.route(f"/usage/<{ID}:usage_id>")
@blp.response(200, UsageRecordSchema)
@blp.errors(404)
def get(usage_id):
    """One usage record (its SME, the instrument's platform, admin, finance)"""
    return visible_usage(current_actor(), usage_id)
