"""When an instrument is offered: weekly windows in its local time, and one-off periods."""

from sqlalchemy import select

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.fields import ID_CONVERTER as ID
from equipment_share.api.pagination import PaginationArgs, paginate
from equipment_share.api.parsing import InvalidRequest
from equipment_share.api.schemas import (
    ONE_OFF_FIELDS,
    WEEKLY_FIELDS,
    IdleWindowCreateSchema,
    IdleWindowDeleteArgs,
    IdleWindowPageSchema,
    IdleWindowSchema,
)
from equipment_share.domain.errors import N_, Message, ValidationFailed
from equipment_share.models import IdleWindow, IdleWindowKind
from equipment_share.services.access import owned_equipment, visible_equipment
from equipment_share.services.equipment import (
    add_one_off_window,
    add_weekly_window,
    delete_idle_window,
)

blp = ApiBlueprint("idle_windows", __name__, description="An instrument's idle windows.")

FIELDS_OF_KIND = {IdleWindowKind.ONCE: ONE_OFF_FIELDS, IdleWindowKind.WEEKLY: WEEKLY_FIELDS}


def window_kind(values: dict) -> IdleWindowKind:
    """The kind given, or the one the fields belong to; fields of the other kind are refused."""
    if "kind" in values:
        try:
            kind = IdleWindowKind(values.pop("kind"))
        except ValueError:
            raise ValidationFailed({"kind": Message(N_("Choose weekly or once."))}) from None
    else:
        kind = IdleWindowKind.ONCE if values.keys() & set(ONE_OFF_FIELDS) else IdleWindowKind.WEEKLY
    foreign = sorted(values.keys() - set(FIELDS_OF_KIND[kind]))
    if foreign:
        raise InvalidRequest(
            N_(
                "A window is either one-off (start, end) or weekly (weekdays, start_time, end_time)."
            ),
            {name: f"Not a field of a {kind.value} window." for name in foreign},
        )
    return kind


@blp.route(f"/equipment/<{ID}:equipment_id>/idle-windows")
@blp.arguments(PaginationArgs, location="query")
@blp.response(200, IdleWindowPageSchema)
@blp.errors(404)
def list_windows(page_args, equipment_id):
    """The instrument's idle windows, weekly and one-off"""
    equipment = visible_equipment(current_actor(), equipment_id)
    query = (
        select(IdleWindow).where(IdleWindow.equipment_id == equipment.id).order_by(IdleWindow.id)
    )
    return paginate(query, page_args)


@blp.route(f"/equipment/<{ID}:equipment_id>/idle-windows", methods=["POST"])
@blp.arguments(IdleWindowCreateSchema)
@blp.response(201, IdleWindowSchema)
@blp.errors(403, 404, 422)
def create(values, equipment_id):
    """Add an idle window (the instrument's platform)"""
    actor = current_actor()
    equipment = owned_equipment(actor, equipment_id)
    if window_kind(values) == IdleWindowKind.ONCE:
        return add_one_off_window(actor, equipment, values)
    return add_weekly_window(actor, equipment, values)


@blp.route(f"/equipment/<{ID}:equipment_id>/idle-windows/<{ID}:window_id>", methods=["DELETE"])
@blp.arguments(IdleWindowDeleteArgs, location="query")
@blp.response(204)
@blp.errors(403, 404, 409)
def delete(args, equipment_id, window_id):
    """Remove an idle window (the instrument's platform)

    Refused with 409 invalid_state while upcoming active bookings depend on the window
    (`details.booking_ids`), unless `force=1`, which cancels them with notice first.
    """
    actor = current_actor()
    equipment = owned_equipment(actor, equipment_id)
    delete_idle_window(actor, equipment, window_id, force=args["force"])
