"""Forms of the subsidy pages: a policy with its funding-source rows, a claim's period, and the
finance officer's decisions (reject, public notice, payment).

Rates are typed as percentages ("30" for 30%), as the policies print them; the view turns
them into the fractions the services take. A policy form always has SOURCE_ROWS source rows,
so it works without JavaScript: empty rows are left out.
"""

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from equipment_share.domain.bookings import PURPOSE_CATEGORIES
from equipment_share.web.forms import TranslatedForm, category_choices, options
from equipment_share.web.labels import PURPOSES

SOURCE_ROWS = 3
HUNDRED = Decimal(100)


def checkboxes(label, choices) -> SelectMultipleField:
    return SelectMultipleField(
        label, choices=choices, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()
    )


class SourceRow(TranslatedForm):
    """One funding source: left empty, the row is not a source."""

    name = StringField(_l("Fund"))
    rate_percent = StringField(_l("Rate (per cent of the eligible fee)"))
    annual_cap = StringField(_l("Annual cap per enterprise (CNY)"))
    per_claim_cap = StringField(_l("Cap per claim (CNY, optional)"))

    def is_empty(self) -> bool:
        return not any((field.data or "").strip() for field in self)


class PolicyForm(FlaskForm):
    name = StringField(_l("Policy name"))
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])
    valid_to = DateField(_l("Valid until (optional)"), validators=[Optional()])
    sources = FieldList(FormField(SourceRow), min_entries=SOURCE_ROWS, max_entries=SOURCE_ROWS)
    min_claim_amount = StringField(_l("Minimum claim amount (CNY)"), default="0.00")
    eligible_categories = checkboxes(_l("Instrument categories that count"), category_choices)
    eligible_purposes = checkboxes(
        _l("Kinds of use that count"),
        options((value, PURPOSES[value]) for value in PURPOSE_CATEGORIES),
    )
    require_tech_sme = BooleanField(_l("Only certified tech SMEs"), default=True)
    exclude_related_parties = BooleanField(
        _l("Use of a related party's instruments does not count"), default=True
    )
    group_caps = BooleanField(_l("Related enterprises share one cap"))
    require_invoice = BooleanField(_l("An invoice is required for each fee"))
    platform_reward_percent = StringField(
        _l("Platform reward (per cent of the subsidy paid, optional)")
    )


def fraction(percent: str | None) -> str | None:
    """ "30" (per cent) as "0.3"; text that is no number goes through unchanged, for the service
    to name; empty is None."""
    text = (percent or "").strip().rstrip("%").strip()
    if not text:
        return None
    try:
        return str(Decimal(text) / HUNDRED)
    except InvalidOperation:
        return text


def percent(rate: Decimal | None) -> str:
    """A stored rate (0.3) as the form shows it (30)."""
    if rate is None:
        return ""
    return f"{(rate * HUNDRED).normalize():f}"


def policy_values(form: PolicyForm) -> dict:
    """The form as the API's policy body (shared/API.md), for the policy service."""
    return {
        "name": form.name.data or "",
        "valid_from": form.valid_from.data,
        "valid_to": form.valid_to.data,
        "sources": [
            {
                "name": (row.form.name.data or "").strip(),
                "rate": fraction(row.form.rate_percent.data),
                "annual_cap": (row.form.annual_cap.data or "").strip() or None,
                "per_claim_cap": (row.form.per_claim_cap.data or "").strip() or None,
            }
            for row in form.sources
            if not row.form.is_empty()
        ],
        "min_claim_amount": (form.min_claim_amount.data or "").strip() or "0.00",
        # nothing ticked: every category / kind of use counts
        "eligible_categories": list(form.eligible_categories.data or []) or None,
        "eligible_purposes": list(form.eligible_purposes.data or []) or None,
        "require_tech_sme": form.require_tech_sme.data,
        "exclude_related_parties": form.exclude_related_parties.data,
        "group_caps": form.group_caps.data,
        "require_invoice": form.require_invoice.data,
        "platform_reward_rate": fraction(form.platform_reward_percent.data),
    }


def fill_from_policy(form: PolicyForm, policy) -> None:
    """A new version's form starts as a copy of the version it replaces."""
    form.name.data = policy.name
    form.valid_from.data = policy.valid_from
    form.valid_to.data = policy.valid_to
    for row, source in zip(form.sources, policy.sources, strict=False):
        row.form.name.data = source.name
        row.form.rate_percent.data = percent(source.rate)
        row.form.annual_cap.data = f"{source.annual_cap:.2f}"
        row.form.per_claim_cap.data = (
            "" if source.per_claim_cap is None else f"{source.per_claim_cap:.2f}"
        )
    form.min_claim_amount.data = f"{policy.min_claim_amount:.2f}"
    form.eligible_categories.data = list(policy.eligible_categories or [])
    form.eligible_purposes.data = list(policy.eligible_purposes or [])
    form.require_tech_sme.data = policy.require_tech_sme
    form.exclude_related_parties.data = policy.exclude_related_parties
    form.group_caps.data = policy.group_caps
    form.require_invoice.data = policy.require_invoice
    form.platform_reward_percent.data = percent(policy.platform_reward_rate)


class ClaimPeriodForm(FlaskForm):
    period_from = DateField(_l("From"), validators=[InputRequired()])
    period_to = DateField(_l("To (included)"), validators=[InputRequired()])
    policy_id = SelectField(_l("Policy"), coerce=int, validate_choice=False)


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the enterprise reads it)"))


class NoticeForm(FlaskForm):
    notice_from = DateField(_l("Public notice from"), validators=[InputRequired()])
    notice_to = DateField(_l("Public notice until"), validators=[InputRequired()])


class PaymentForm(FlaskForm):
    paid_on = DateField(_l("Paid on"), validators=[InputRequired()])
    payment_reference = StringField(_l("Payment reference"))


class InvoiceForm(FlaskForm):
    invoice_no = StringField(_l("Invoice number"))
    invoice_date = DateField(_l("Invoice date"), validators=[InputRequired()])
