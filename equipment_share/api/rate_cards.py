"""An instrument's rate card versions: what it costs from when on. A booking keeps the version
in force when it was made, so a new version changes only bookings made after it takes effect."""

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.fields import ID_CONVERTER as ID
from equipment_share.api.pagination import PaginationArgs, paginate_list
from equipment_share.api.schemas import RateCardCreateSchema, RateCardPageSchema, RateCardSchema
from equipment_share.domain.rate_cards import CHARGE_NAMES
from equipment_share.models import RateCardVersion
from equipment_share.services.access import owned_equipment, visible_equipment
from equipment_share.services.rate_cards import add_version, in_force, version_values, versions

blp = ApiBlueprint("api_rate_cards", __name__, description="Rate card versions of an instrument.")


def rate_card_view(version: RateCardVersion, current: RateCardVersion | None) -> dict:
    """The version as the API shows it: the charges as {kind, value} objects, and whether it is
    the one in force now."""
    values = version_values(version)
    charges = {
        name: (
            {"kind": values[f"{name}_kind"], "value": values[f"{name}_value"]}
            if values[f"{name}_kind"]
            else None
        )
        for name in CHARGE_NAMES
    }
    return (
        values
        | charges
        | {
            "id": version.id,
            "equipment_id": version.equipment_id,
            "effective_from": version.effective_from,
            "created_at": version.created_at,
            "in_force": current is not None and current.id == version.id,
        }
    )


@blp.route(f"/equipment/<{ID}:equipment_id>/rate-cards")
@blp.arguments(PaginationArgs, location="query")
@blp.response(200, RateCardPageSchema)
@blp.errors(404)
def list_rate_cards(page_args, equipment_id):
    """The instrument's rate card versions, newest first; `in_force` marks the one new bookings
    get now (later ones are scheduled)"""
    equipment = visible_equipment(current_actor(), equipment_id)
    current = in_force(equipment)
    return paginate_list(
        [rate_card_view(version, current) for version in versions(equipment)], page_args
    )


@blp.route(f"/equipment/<{ID}:equipment_id>/rate-cards", methods=["POST"])
@blp.arguments(RateCardCreateSchema)
@blp.response(201, RateCardSchema)
@blp.errors(403, 404, 422)
def create(values, equipment_id):
    """A new rate card version (the instrument's platform), from `effective_from` on

    Today or omitted: in force at once, and the instrument's listed rates follow it. Bookings
    made before keep the version they were made under. Field errors inside lists are keyed by
    path, e.g. `rate_windows.0.start`.
    """
    actor = current_actor()
    equipment = owned_equipment(actor, equipment_id)
    effective_from = values.pop("effective_from", None)
    version = add_version(actor, equipment, values, effective_from)
    return rate_card_view(version, in_force(equipment))
