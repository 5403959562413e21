"""Usage pages: the platform checks a booking in and out or enters its actual times, and corrects
or waives a record; the enterprise confirms or disputes it.

The usage service decides who may do what and whether the times and quantities hold; these
views load, call it, and say how it went. Times are read and shown in the instrument's zone.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from equipment_share.domain.errors import DomainError, ValidationFailed
from equipment_share.domain.fees import Charge, FeeLine, RateCard
from equipment_share.domain.usage import UsageKind, UsageStatus
from equipment_share.errors import STATUS_FOR_CODE
from equipment_share.extensions import db
from equipment_share.i18n import format_money, translate
from equipment_share.models import Booking, Equipment, UsageRecord, utcnow
from equipment_share.services.access import visible_booking
from equipment_share.services.rate_cards import frozen_rate_card
from equipment_share.services.usage import (
    check_in,
    check_out,
    confirm,
    correct,
    dispute,
    may_check_in,
    may_check_out,
    may_correct,
    may_dispute,
    may_record,
    may_settle,
    may_waive,
    record_usage,
    visible_usage,
    waive,
)
from equipment_share.web.forms import EmptyForm, ReasonForm
from equipment_share.web.helpers import (
    apply_change,
    flash_refusal,
    is_local_path,
    redirect_back,
    show_errors,
)
from equipment_share.web.usage_forms import (
    CheckOutForm,
    CorrectionForm,
    UsageTimesForm,
    with_items,
)

bp = Blueprint("usage", __name__)
STATUS_LABELS = {
    UsageStatus.IN_PROGRESS: _l("in use"),
    UsageStatus.RECORDED: _l("to be confirmed"),
    UsageStatus.DISPUTED: _l("disputed"),
    UsageStatus.CONFIRMED: _l("confirmed"),
}
KIND_LABELS = {
    UsageKind.USAGE: _l("Use of the instrument"),
    UsageKind.NO_SHOW: _l("No-show charge"),
    UsageKind.LATE_CANCELLATION: _l("Late-cancellation charge"),
}
FIELD_LABELS = {
    "actual_start": _l("Actual start"),
    "actual_end": _l("Actual end"),
    "note": _l("Note"),
    "reason": _l("Reason"),
}

# What a template may ask about usage: the service's own rules, never re-derived.
for rule in (
    may_check_in,
    may_record,
    may_check_out,
    may_settle,
    may_dispute,
    may_correct,
    may_waive,
):
    bp.add_app_template_global(rule)


# --- words and numbers for the templates ---


@bp.app_template_global()
def usage_status_label(status: UsageStatus) -> str:
    return STATUS_LABELS.get(status, status)


@bp.app_template_global()
def usage_kind_label(kind: UsageKind) -> str:
    return KIND_LABELS.get(kind, kind)


@bp.app_template_filter("plain_number")
def plain_number(value: Decimal) -> str:
    """3 not 3.000, 1.5 not 1.500, 100 not 1E+2."""
    return format(Decimal(value).normalize(), "f")


@bp.app_template_filter("instrument_time")
def instrument_time(value: datetime | None, equipment: Equipment, fmt: str = "%Y-%m-%d %H:%M"):
    return to_instrument_local(value, equipment).strftime(fmt) if value else ""


@bp.app_template_global()
def describe_line(line: FeeLine, card: RateCard) -> str:
    """A fee line in the reader's words (`card`: the booking's frozen rate card)."""
    if line.kind == "time":
        return _(
            "Machine time: %(minutes)d min at %(rate)s per hour",
            minutes=line.minutes or 0,
            rate=format_money(line.unit_price),
        )
    if line.kind == "setup":
        return _("Setup fee")
    if line.kind == "item":
        return _(
            "%(item)s × %(quantity)s at %(price)s",
            item=line.description,
            quantity=plain_number(line.quantity),
            price=format_money(line.unit_price),
        )
    no_show = line.kind == "no_show"
    name = _("No-show fee") if no_show else _("Late-cancellation fee")
    charge = card.no_show_fee if no_show else card.late_cancellation_fee
    if charge is not None and charge.kind == "percent":
        return _(
            "%(charge)s: %(percent)s%% of the estimated fee %(fee)s",
            charge=name,
            percent=plain_number(charge.value),
            fee=format_money(line.quantity),
        )
    return name


@bp.app_template_global()
def describe_charge(charge: Charge | None) -> str:
    if charge is None:
        return _("none")
    if charge.kind == "percent":
        return _("%(percent)s%% of the estimated fee", percent=plain_number(charge.value))
    return format_money(charge.value)


@bp.app_template_global()
def rate_card_items(booking: Booking):
    """The items of the booking's frozen rate card, for the quantity fields of a form."""
    return frozen_rate_card(booking).items


def to_instrument_local(value: datetime, equipment: Equipment) -> datetime:
    return value.astimezone(ZoneInfo(equipment.timezone))


def from_instrument_local(value: datetime, equipment: Equipment) -> datetime:
    """A wall-clock time from a form, read in the instrument's time zone, as UTC."""
    return value.replace(tzinfo=ZoneInfo(equipment.timezone)).astimezone(UTC)


# --- buttons: one change, a flash, and back ---


def _act(booking: Booking, form: FlaskForm, change: Callable[[], str], labels=None):
    """Apply one change and go back where the button was, as the booking pages do."""
    if form.validate_on_submit():
        apply_change(lambda: (change(), "success"), labels or FIELD_LABELS)
    return redirect_back("bookings.detail", booking_id=booking.id)


def _recorded_message(record: UsageRecord) -> str:
    message = _(
        "Use recorded: %(minutes)d billable minutes, fee %(fee)s. The enterprise is asked to confirm it.",
        minutes=record.billable_minutes,
        fee=format_money(record.fee),
    )
    if record.overrun:
        message = " ".join((message, _("The use ran past the booked end.")))
    return message


@bp.route("/bookings/<int:booking_id>/check-in", methods=["POST"])
@login_required
def check_in_booking(booking_id: int):
    booking = visible_booking(current_user, booking_id)

    def change():
        record = check_in(current_user, booking)
        return _(
            "Checked in at %(time)s. Check out when the enterprise has finished.",
            time=instrument_time(record.actual_start, booking.equipment, "%H:%M"),
        )

    return _act(booking, EmptyForm(), change)


@bp.route("/usage/<int:usage_id>/check-out", methods=["POST"])
@login_required
def check_out_record(usage_id: int):
    record = visible_usage(current_user, usage_id)
    card = frozen_rate_card(record.booking)
    form = with_items(CheckOutForm, card.items)()

    def change():
        check_out(current_user, record, items=form.item_entries(), note=form.note.data or "")
        return _recorded_message(record)

    return _act(record.booking, form, change, _item_labels(card))


@bp.route("/usage/<int:usage_id>/confirm", methods=["POST"])
@login_required
def confirm_record(usage_id: int):
    record = visible_usage(current_user, usage_id)

    def change():
        confirm(current_user, record)
        return _(
            "You confirmed the usage record; its fee is %(fee)s.", fee=format_money(record.fee)
        )

    return _act(record.booking, EmptyForm(), change)


@bp.route("/usage/<int:usage_id>/dispute", methods=["POST"])
@login_required
def dispute_record(usage_id: int):
    record = visible_usage(current_user, usage_id)
    form = ReasonForm()

    def change():
        dispute(current_user, record, form.reason.data)
        return _("You disputed the usage record. The platform will check and correct it.")

    return _act(record.booking, form, change)


@bp.route("/usage/<int:usage_id>/waive", methods=["POST"])
@login_required
def waive_record(usage_id: int):
    record = visible_usage(current_user, usage_id)
    form = ReasonForm()

    def change():
        waive(current_user, record, form.reason.data)
        return _("The charge is waived. The enterprise is asked to confirm the record.")

    return _act(record.booking, form, change)


def _item_labels(card: RateCard) -> dict:
    """Field names of the service's errors, in the reader's words."""
    labels = dict(FIELD_LABELS)
    for index, item in enumerate(card.items.values()):
        labels[f"items.{index}.code"] = labels[f"items.{index}.quantity"] = _(
            "Quantity of %(item)s", item=item.label
        )
    return labels


# --- forms on a page of their own: entering and correcting actual times ---


def _read_times(form: UsageTimesForm, equipment: Equipment) -> tuple[datetime, datetime] | None:
    try:
        return (
            from_instrument_local(form.actual_start.data, equipment),
            from_instrument_local(form.actual_end.data, equipment),
        )
    except (OverflowError, ValueError):
        form.form_errors.append(_("The date is out of range."))
        return None


def _render_times_form(booking, form, card, status=200, record=None, correcting=False):
    return (
        render_template(
            "usage/times_form.html",
            booking=booking,
            record=record,
            form=form,
            card=card,
            correcting=correcting,
            next_page=_next_page(),
        ),
        status,
    )


def _next_page() -> str | None:
    target = request.form.get("next") or request.args.get("next")
    return target if target and is_local_path(target) else None


def _save_times(form, booking: Booking, card: RateCard, save: Callable, record=None):
    """Read the form, call the service, and show the form again with its errors when refused."""
    correcting = record is not None
    times = _read_times(form, booking.equipment) if form.validate_on_submit() else None
    if times is None:
        return _render_times_form(booking, form, card, 422, record, correcting)
    try:
        saved = save(*times)
    except ValidationFailed as failure:
        db.session.rollback()
        show_errors(form, failure, form.item_error_fields())
        return _render_times_form(booking, form, card, 422, record, correcting)
    except DomainError as refusal:
        db.session.rollback()
        if refusal.code in ("forbidden", "not_found", "period_locked"):
            flash_refusal(refusal)
            return redirect(url_for("bookings.detail", booking_id=booking.id))
        form.form_errors.append(translate(refusal.message))
        return _render_times_form(
            booking, form, card, STATUS_FOR_CODE.get(refusal.code, 400), record, correcting
        )
    flash(_recorded_message(saved), "success")
    return redirect_back("bookings.detail", booking_id=booking.id)


def _time_defaults(start: datetime, end: datetime, equipment: Equipment) -> dict:
    return {
        "actual_start": to_instrument_local(start, equipment).replace(tzinfo=None),
        "actual_end": to_instrument_local(end, equipment).replace(tzinfo=None),
    }


def _item_defaults(entries, codes) -> dict:
    quantities = {entry["code"]: entry["quantity"] for entry in entries or ()}
    return {
        f"item_{index}": plain_number(Decimal(quantities[code]))
        for index, code in enumerate(codes)
        if code in quantities
    }


@bp.route("/bookings/<int:booking_id>/usage", methods=["GET", "POST"])
@login_required
def record(booking_id: int):
    """The platform enters the actual times of a booking (or closes a check-in with them)."""
    booking = visible_booking(current_user, booking_id)
    card = frozen_rate_card(booking)
    form_class = with_items(UsageTimesForm, card.items)
    if request.method == "POST":
        form = form_class()

        def save(start, end):
            return record_usage(
                current_user,
                booking,
                start,
                end,
                note=form.note.data or "",
                items=form.item_entries(),
            )

        return _save_times(form, booking, card, save)
    if not may_record(current_user, booking):
        flash(_("The use of this booking cannot be recorded now."), "error")
        return redirect(url_for("bookings.detail", booking_id=booking.id))
    checked_in = booking.usage_record
    now = utcnow().replace(second=0, microsecond=0)
    start = checked_in.actual_start if checked_in is not None else booking.start_at
    form = form_class(data=_time_defaults(start, min(now, booking.end_at), booking.equipment))
    return _render_times_form(booking, form, card)[0]


@bp.route("/usage/<int:usage_id>/correct", methods=["GET", "POST"])
@login_required
def correct_record(usage_id: int):
    """The platform enters corrected times (and items) for a recorded or disputed record."""
    record = visible_usage(current_user, usage_id)
    booking = record.booking
    card = frozen_rate_card(booking)
    form_class = with_items(CorrectionForm, card.items)
    if request.method == "POST":
        form = form_class()

        def save(start, end):
            return correct(
                current_user,
                record,
                start,
                end,
                form.reason.data,
                items=form.item_entries(),
                note=form.note.data or "",
            )

        return _save_times(form, booking, card, save, record)
    if not may_correct(current_user, record):
        flash(_("This usage record cannot be corrected now."), "error")
        return redirect(url_for("bookings.detail", booking_id=booking.id))
    start = record.actual_start or booking.start_at
    end = record.actual_end or booking.end_at
    data = _time_defaults(start, end, booking.equipment) | _item_defaults(record.items, card.items)
    form = form_class(data=data | {"note": record.note})
    return _render_times_form(booking, form, card, record=record, correcting=True)[0]
