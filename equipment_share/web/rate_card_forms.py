"""The form for a new rate card version: base rates, rate-window rows, item rows and the
no-show and late-cancellation charges. It types what the browser sends; the rate-card rules
(domain/rate_cards.py) decide what is valid."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.utils import unset_value
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from equipment_share.domain.rate_cards import CHARGE_NAMES, MAX_ITEMS, MAX_RATE_WINDOWS
from equipment_share.web.forms import WEEKDAYS, TranslatedForm, options

RATE_WINDOW_ROWS = 4
ITEM_ROWS = 8
CHARGE_KINDS = options(
    [
        ("", _l("none")),
        ("fixed", _l("fixed amount (CNY)")),
        ("percent", _l("percent of the estimated fee")),
    ]
)


class Rows(FieldList):
    """A list of rows padded with blank ones up to `min_entries`.

    WTForms 3.3 renumbers the submitted rows from 0 and then pads by reading the form data again
    under the new numbers, so a form sent with a gap (rows 0 and 2) would get row 2 twice.
    """

    def process(self, formdata, data=unset_value, extra_filters=None):
        wanted, self.min_entries = self.min_entries, 0
        super().process(formdata, data, extra_filters)
        self.min_entries = wanted
        while len(self.entries) < wanted:
            self._add_entry(None)


class RateWindowRow(TranslatedForm):
    weekdays = SelectMultipleField(
        _l("Weekdays (none ticked: every day)"),
        choices=options(WEEKDAYS),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    start = StringField(_l("From"))
    end = StringField(_l("To"))
    hourly_rate = StringField(_l("Hourly rate (CNY)"))


class ItemRow(TranslatedForm):
    code = StringField(_l("Code"))
    label = StringField(_l("Label"))
    unit_price = StringField(_l("Unit price (CNY)"))


class RateCardForm(FlaskForm):
    effective_from = DateField(_l("In force from"), validators=[InputRequired()])
    hourly_rate = StringField(_l("Hourly rate (CNY)"))
    setup_fee = StringField(_l("Setup fee (CNY)"))
    min_charge_minutes = IntegerField(_l("Minimum charge (minutes)"), validators=[InputRequired()])
    billing_increment_minutes = IntegerField(
        _l("Billing increment (minutes)"), validators=[InputRequired()]
    )
    # a version with more rows than the blank form offers is shown whole when pre-filled
    rate_windows = Rows(
        FormField(RateWindowRow), min_entries=RATE_WINDOW_ROWS, max_entries=MAX_RATE_WINDOWS
    )
    items = Rows(FormField(ItemRow), min_entries=ITEM_ROWS, max_entries=MAX_ITEMS)
    no_show_fee_kind = SelectField(_l("No-show charge"), choices=CHARGE_KINDS, default="")
    no_show_fee_value = StringField(_l("Amount or percent"))
    late_cancellation_fee_kind = SelectField(
        _l("Late-cancellation charge"), choices=CHARGE_KINDS, default=""
    )
    late_cancellation_fee_value = StringField(_l("Amount or percent"))


# each list on the form, and the fields of one of its rows
ROW_FIELDS = {
    "rate_windows": ("weekdays", "start", "end", "hourly_rate"),
    "items": ("code", "label", "unit_price"),
}


def _text(value) -> str:
    return (value or "").strip()


def _row_values(row: FormField, names: tuple[str, ...]) -> dict:
    values = {name: _text(row.form[name].data) for name in names if name != "weekdays"}
    if "weekdays" in names:
        values["weekdays"] = list(row.form.weekdays.data or []) or None
    return values


def rate_card_values(form: RateCardForm) -> tuple[dict, dict[str, Field]]:
    """The card as the rules read it, and the form field each of their error keys belongs to.

    Blank rows are left out, so the rules number only the rows they see: their key
    ``rate_windows.1.start`` may belong to the form's fourth row.
    """
    values = {
        "hourly_rate": _text(form.hourly_rate.data),
        "setup_fee": _text(form.setup_fee.data),
        "min_charge_minutes": form.min_charge_minutes.data,
        "billing_increment_minutes": form.billing_increment_minutes.data,
    }
    fields: dict[str, Field] = {name: form[name] for name in (*values, "effective_from")}
    for list_name, names in ROW_FIELDS.items():
        values[list_name] = []
        for row in form[list_name]:
            row_values = _row_values(row, names)
            if not any(row_values.values()):
                continue
            key = f"{list_name}.{len(values[list_name])}"
            fields.update({f"{key}.{name}": row.form[name] for name in names})
            fields[key] = row.form[names[1]]
            values[list_name].append(row_values)
    for name in CHARGE_NAMES:
        kind = form[f"{name}_kind"].data
        amount = _text(form[f"{name}_value"].data)
        values[name] = {"kind": kind, "value": amount} if kind else None
        fields[name] = form[f"{name}_value"]
    return values, fields


def form_data(values: dict) -> dict:
    """A stored version's values (version_values) as the form's initial data."""
    data = {
        name: values.get(name)
        for name in ("hourly_rate", "setup_fee", "min_charge_minutes", "billing_increment_minutes")
    }
    data["rate_windows"] = [
        {
            "weekdays": window.get("weekdays") or [],
            "start": window["start"],
            "end": window["end"],
            "hourly_rate": window["hourly_rate"],
        }
        for window in values.get("rate_windows") or []
    ]
    data["items"] = [dict(item) for item in values.get("items") or []]
    for name in CHARGE_NAMES:
        kind, amount = values.get(f"{name}_kind"), values.get(f"{name}_value")
        data[f"{name}_kind"] = kind or ""
        data[f"{name}_value"] = str(amount) if kind and amount is not None else ""
    return data
