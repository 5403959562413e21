"""The catalogue and the instruments a platform publishes."""

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.fields import ID_CONVERTER as ID
from equipment_share.api.pagination import PaginationArgs, paginate, paginate_list
from equipment_share.api.schemas import (
    CatalogueArgs,
    CategoryPageSchema,
    EquipmentCreateSchema,
    EquipmentPageSchema,
    EquipmentSchema,
    EquipmentUpdateSchema,
)
from equipment_share.domain.availability import Interval
from equipment_share.domain.equipment import CATEGORIES
from equipment_share.i18n import translate
from equipment_share.services.access import owned_equipment, visible_equipment
from equipment_share.services.catalogue import catalogue_search
from equipment_share.services.equipment import create_equipment, update_equipment

blp = ApiBlueprint("equipment", __name__, description="Instruments, their rates and booking rules.")


@blp.route("/equipment")
@blp.arguments(CatalogueArgs, location="query")
@blp.response(200, EquipmentPageSchema)
def catalogue(args):
    """The catalogue: active instruments of approved platforms, plus a platform's own

    With `free_from` and `free_to`: only the instruments open for booking that have one free
    interval covering the whole window.
    """
    free_from, free_to = args.pop("free_from", None), args.pop("free_to", None)
    search = catalogue_search(
        current_actor(),
        text=args.pop("q", None),
        category=args.pop("category", None),
        platform_id=args.pop("platform_id", None),
        free=Interval(free_from, free_to) if free_from is not None else None,
    )
    return paginate(search.items, args, search.count)


@blp.route("/equipment", methods=["POST"])
@blp.arguments(EquipmentCreateSchema)
@blp.response(201, EquipmentSchema)
@blp.errors(403, 422)
def create(values):
    """Publish an instrument (platform); omitted fields take their defaults"""
    return create_equipment(current_actor(), values)


@blp.route(f"/equipment/<{ID}:equipment_id>")
@blp.response(200, EquipmentSchema)
@blp.errors(404)
def get(equipment_id):
    """One instrument"""
    return visible_equipment(current_actor(), equipment_id)


@blp.route(f"/equipment/<{ID}:equipment_id>", methods=["PATCH"])
@blp.arguments(EquipmentUpdateSchema, required=False)  # no body changes nothing
@blp.response(200, EquipmentSchema)
@blp.errors(403, 404, 422)
def update(changes, equipment_id):
    """Edit an instrument (its platform); omitted fields keep their value"""
    actor = current_actor()
    return update_equipment(actor, owned_equipment(actor, equipment_id), changes)


@blp.route("/categories")
@blp.arguments(PaginationArgs, location="query")
@blp.response(200, CategoryPageSchema)
def categories(page_args):
    """The instrument categories: the keys the API speaks, with labels in the reader's language"""
    items = [{"key": key, "label": translate(label)} for key, label in CATEGORIES.items()]
    return paginate_list(items, page_args)
