"""Forms for recording and settling use. They parse what the browser sends; the usage service
decides what is valid (times within the booking, quantities, required reasons)."""

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, StringField, TextAreaField
from wtforms.validators import InputRequired

from equipment_share.domain.fees import CatalogueItem
from equipment_share.i18n import format_money

# The first is how a value is written into the input: what a datetime-local input shows.
INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class ItemQuantities:
    """One quantity field per item of the booking's frozen rate card: item_0, item_1 ..., in
    the card's order, so a page and the view that reads it agree on the names."""

    item_codes: tuple[str, ...] = ()

    def item_fields(self) -> list:
        return [self[item_field(index)] for index in range(len(self.item_codes))]

    def item_entries(self) -> list[dict]:
        """As the usage service reads them; an empty field is none of that item."""
        return [
            {"code": code, "quantity": (field.data or "").strip() or "0"}
            for code, field in zip(self.item_codes, self.item_fields(), strict=True)
        ]

    def item_error_fields(self) -> dict[str, str]:
        """The service's error keys (items.<index>.quantity) mapped to this form's fields."""
        return {
            f"items.{index}.{part}": item_field(index)
            for index in range(len(self.item_codes))
            for part in ("code", "quantity")
        }


def item_field(index: int) -> str:
    return f"item_{index}"


def with_items(form_class: type[FlaskForm], items: Mapping[str, CatalogueItem]) -> type:
    """The form class with a quantity field for each catalogue item."""

    class WithItems(form_class, ItemQuantities):
        item_codes = tuple(items)

    for index, item in enumerate(items.values()):
        label = _l(
            "%(item)s (%(price)s each)", item=item.label, price=format_money(item.unit_price)
        )
        # FormMeta registers a field set on the class, as if it were declared there
        setattr(WithItems, item_field(index), StringField(label, default="0"))
    return WithItems


class CheckOutForm(FlaskForm):
    note = TextAreaField(_l("Note (what was measured, anything unusual)"))


class UsageTimesForm(FlaskForm):
    """Actual times as the instrument's local wall-clock time."""

    actual_start = DateTimeLocalField(
        _l("Actual start"), validators=[InputRequired()], format=INPUT_FORMATS
    )
    actual_end = DateTimeLocalField(
        _l("Actual end"), validators=[InputRequired()], format=INPUT_FORMATS
    )
    note = TextAreaField(_l("Note (what was measured, anything unusual)"))


class CorrectionForm(UsageTimesForm):
    reason = StringField(_l("Reason for the correction (the enterprise sees it)"))
