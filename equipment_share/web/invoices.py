"""The invoice (发票) a platform issued for a usage record's fee, on the booking's page: the
platform records its number and date; the enterprise and finance see it. A number already on
another record is refused with a message that says so."""

from flask import Blueprint
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from equipment_share.domain.errors import Message, NotFound, ValidationFailed
from equipment_share.models import Invoice, Role, UsageRecord, User
from equipment_share.services import subsidy
from equipment_share.services.subsidy import invoice_of, record_invoice
from equipment_share.services.usage import visible_usage
from equipment_share.web.helpers import apply_change, redirect_back
from equipment_share.web.subsidy_forms import InvoiceForm

bp = Blueprint("invoices", __name__)
FIELD_LABELS = {"invoice_no": _l("Invoice number"), "invoice_date": _l("Invoice date")}


@bp.app_template_global()
def usage_invoice(record: UsageRecord) -> Invoice | None:
    try:
        return invoice_of(current_user, record.id)
    except NotFound:
        return None


@bp.app_template_global()
def may_record_invoice(actor: User, record: UsageRecord) -> bool:
    """The platform whose instrument was used issues the invoice, once the fee is known."""
    return (
        actor.is_authenticated
        and actor.role == Role.PLATFORM
        and actor.organization_id == record.platform_id
        and record.actual_end is not None
    )


@bp.app_template_global()
def invoice_is_fixed(invoice: Invoice | None) -> bool:
    """An invoice of a record in a submitted, approved or paid claim can no longer change."""
    return invoice is not None and subsidy.invoice_is_fixed(invoice.usage_id)


@bp.app_template_global()
def invoice_form(invoice: Invoice | None) -> InvoiceForm:
    form = InvoiceForm(formdata=None)
    if invoice is not None:
        form.invoice_no.data, form.invoice_date.data = invoice.invoice_no, invoice.invoice_date
    return form


@bp.route("/usage/<int:usage_id>/invoice", methods=["POST"])
@login_required
def record(usage_id: int):
    usage = visible_usage(current_user, usage_id)
    form = InvoiceForm()

    def change():
        if not form.validate():
            # the date field's own message ("Not a valid date value.") names no field
            raise _form_refusal(form)
        invoice, created = record_invoice(
            current_user, usage.id, form.invoice_no.data, form.invoice_date.data
        )
        message = _("Invoice %(number)s of %(day)s is recorded for this fee.")
        if not created:
            message = _("The invoice is changed to %(number)s of %(day)s.")
        return (
            message % {"number": invoice.invoice_no, "day": invoice.invoice_date.isoformat()},
            "success",
        )

    apply_change(change, FIELD_LABELS)
    return redirect_back("bookings.detail", booking_id=usage.booking_id, _anchor="invoice")


def _form_refusal(form: InvoiceForm) -> ValidationFailed:
    return ValidationFailed(
        {name: Message(str(errors[0])) for name, errors in form.errors.items() if errors}
    )
