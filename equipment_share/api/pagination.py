"""Every list: ?page=1&per_page=50 (at most 200) -> {"items", "page", "per_page", "total"}."""

import marshmallow as ma
from sqlalchemy import Select

from equipment_share.api.fields import ApiSchema, OutputSchema
from equipment_share.domain.errors import N_, Message
from equipment_share.extensions import db

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
# Far beyond any real list, and keeps OFFSET well inside a 64-bit integer.
MAX_PAGE = 1_000_000


class PaginationArgs(ApiSchema):
    """A page number that is not a number is 400; one out of range is 422 (a value problem)."""

    page = ma.fields.Integer(
        load_default=1, metadata={"minimum": 1, "maximum": MAX_PAGE, "description": "From 1."}
    )
    per_page = ma.fields.Integer(
        load_default=DEFAULT_PER_PAGE,
        metadata={
            "minimum": 1,
            "maximum": MAX_PER_PAGE,
            "description": f"Items per page, {MAX_PER_PAGE} at most (more is refused with 422).",
        },
    )

    def value_problems(self, data: dict) -> dict[str, Message]:
        problems = super().value_problems(data)
        for name, maximum in (("page", MAX_PAGE), ("per_page", MAX_PER_PAGE)):
            if not 1 <= data[name] <= maximum:
                problems[name] = Message(
                    N_("Must be between %(min)d and %(max)d."), {"min": 1, "max": maximum}
                )
        return problems


class PageSchema(OutputSchema):
    """The envelope; a subclass adds `items = ma.fields.List(ma.fields.Nested(ItemSchema))`."""

    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    total = ma.fields.Integer()


def page_schema(item_schema: type[ma.Schema], name: str) -> type[PageSchema]:
    """A PageSchema whose items are `item_schema`; `name` is its OpenAPI component name."""
    items = ma.fields.List(ma.fields.Nested(item_schema))
    return type(f"{name}Schema", (PageSchema,), {"items": items})


def paginate(query: Select, args: dict, count: Select | None = None) -> dict:
    """One page of the query; `count`, when given, is a statement counting all its rows (shaped
    for counting, where the query is shaped for a page), else the query's rows are counted."""
    page = db.paginate(
        query, page=args["page"], per_page=args["per_page"], error_out=False, count=count is None
    )
    return {
        "items": page.items,
        "page": args["page"],
        "per_page": args["per_page"],
        "total": page.total if count is None else db.session.scalar(count),
    }


def paginate_list(items: list, args: dict) -> dict:
    page, per_page = args["page"], args["per_page"]
    start = (page - 1) * per_page
    return {
        "items": items[start : start + per_page],
        "page": page,
        "per_page": per_page,
        "total": len(items),
    }
