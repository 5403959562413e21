"""A platform manages its instruments: rate card, booking rules, photo, idle windows and the
production calendar."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from equipment_share.body_limits import body_limit, upload_limit
from equipment_share.domain.calendar_import import INVALID_FILE, MAX_CALENDAR_BYTES
from equipment_share.domain.errors import N_, InvalidState, Message, ValidationFailed
from equipment_share.extensions import db
from equipment_share.models import Equipment, IdleWindowKind, Role
from equipment_share.services.access import owned_equipment
from equipment_share.services.calendars import import_production_calendar, upcoming_runs
from equipment_share.services.equipment import (
    DEFAULT_VALUES,
    add_one_off_window,
    add_weekly_window,
    bookings_depending_on_window,
    create_equipment,
    delete_idle_window,
    equipment_values,
    find_idle_window,
    update_equipment,
)
from equipment_share.services.photos import save_photo
from equipment_share.web.forms import (
    EmptyForm,
    EquipmentForm,
    OneOffWindowForm,
    ProductionCalendarForm,
    WeeklyWindowForm,
)
from equipment_share.web.helpers import from_local, role_required, show_errors

bp = Blueprint("manage", __name__, url_prefix="/manage")
EQUIPMENT_FIELDS = [name for name in DEFAULT_VALUES] + ["name", "category", "hourly_rate"]


def _form_values(form: EquipmentForm) -> dict:
    return {name: getattr(form, name).data for name in EQUIPMENT_FIELDS}


EMPTY_FILE = N_("The file is empty: choose it again, or another file.")


def _store_photo(form: EquipmentForm, equipment: Equipment) -> None:
    upload = form.photo.data
    if upload and getattr(upload, "filename", ""):
        data = upload.read(current_app.config["MAX_PHOTO_BYTES"] + 1)
        if not data:
            raise ValidationFailed({"photo": Message(EMPTY_FILE)})
        save_photo(
            current_user,
            equipment,
            data,
            current_app.config["UPLOAD_FOLDER"],
            current_app.config["MAX_PHOTO_BYTES"],
        )


@bp.route("/equipment")
@role_required(Role.PLATFORM)
def equipment_list():
    instruments = db.session.scalars(
        select(Equipment)
        .where(Equipment.platform_id == current_user.organization_id)
        .order_by(Equipment.id)
    ).all()
    return render_template("manage/equipment_list.html", instruments=instruments)


@bp.route("/equipment/new", methods=["GET", "POST"])
@body_limit(upload_limit("MAX_PHOTO_BYTES"))
@role_required(Role.PLATFORM)
def equipment_new():
    form = EquipmentForm(data=DEFAULT_VALUES | {"hourly_rate": "", "setup_fee": "0.00"})
    if form.validate_on_submit():
        try:
            equipment = create_equipment(current_user, _form_values(form))
            _store_photo(form, equipment)
        except ValidationFailed as failure:
            db.session.rollback()
            show_errors(form, failure)
        else:
            flash(_("The instrument is published. Now add the times it is idle."), "success")
            return redirect(url_for("manage.equipment_edit", equipment_id=equipment.id))
    return render_template("manage/equipment_form.html", form=form, equipment=None)


@bp.route("/equipment/<int:equipment_id>", methods=["GET", "POST"])
@body_limit(upload_limit("MAX_PHOTO_BYTES"))
@role_required(Role.PLATFORM)
def equipment_edit(equipment_id: int):
    equipment = owned_equipment(current_user, equipment_id)
    form = EquipmentForm(data=equipment_values(equipment))
    if form.validate_on_submit():
        try:
            update_equipment(current_user, equipment, _form_values(form))
            _store_photo(form, equipment)
        except ValidationFailed as failure:
            db.session.rollback()
            equipment = owned_equipment(current_user, equipment_id)
            show_errors(form, failure)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("manage.equipment_edit", equipment_id=equipment.id))
    return render_template(
        "manage/equipment_form.html",
        form=form,
        equipment=equipment,
        weekly_form=WeeklyWindowForm(prefix="weekly"),
        once_form=OneOffWindowForm(prefix="once"),
        delete_form=EmptyForm(),
        weekly_kind=IdleWindowKind.WEEKLY,
        **_production_context(equipment),
    )


def _production_context(equipment: Equipment, **values) -> dict:
    return {
        "calendar_form": values.pop("calendar_form", None)
        or ProductionCalendarForm(prefix="production", formdata=None),
        "production_runs": upcoming_runs(equipment),
        "conflicts": values.pop("conflicts", []),
        "calendar_detail": values.pop("calendar_detail", None),
    }


@bp.route("/equipment/<int:equipment_id>/production-calendar", methods=["POST"])
@body_limit(upload_limit(MAX_CALENDAR_BYTES))
@role_required(Role.PLATFORM)
def import_calendar(equipment_id: int):
    """Replace the production runs with an uploaded .ics file; conflicting bookings are listed."""
    equipment = owned_equipment(current_user, equipment_id)
    form = ProductionCalendarForm(prefix="production")
    failure = None
    if form.validate_on_submit():
        data = form.calendar.data.read(MAX_CALENDAR_BYTES + 1)
        try:
            if not data:
                raise ValidationFailed({"calendar": Message(EMPTY_FILE)})
            result = import_production_calendar(current_user, equipment, data)
        except ValidationFailed as error:
            failure = error
        else:
            flash(_("%(count)d production runs imported.", count=result.runs), "success")
            if not result.conflicts:
                return redirect(
                    url_for("manage.equipment_edit", equipment_id=equipment.id) + "#production"
                )
            flash(
                _("Some active bookings now overlap production: settle them with the SMEs."),
                "warning",
            )
            return _edit_page(equipment, calendar_form=form, conflicts=result.conflicts)
    db.session.rollback()
    equipment = owned_equipment(current_user, equipment_id)
    detail = None
    if failure is not None:
        failure, detail = _without_parser_text(failure)
        show_errors(form, failure)
    return _edit_page(equipment, calendar_form=form, calendar_detail=detail), 422


def _without_parser_text(failure: ValidationFailed) -> tuple[ValidationFailed, str | None]:
    """The page's sentence for a file the parser refused, and the parser's own (English) words
    apart, for the platform's IT staff."""
    message = failure.fields.get("calendar")
    if message is None or message.template != INVALID_FILE:
        return failure, None
    readable = Message(
        N_(
            "The file is not a valid iCalendar (.ics) file. Export the calendar again from your "
            "calendar program (Outlook, Google Calendar, Thunderbird) and upload that file."
        )
    )
    return ValidationFailed(failure.fields | {"calendar": readable}), message.params.get("reason")


def _edit_page(equipment: Equipment, **values):
    return render_template(
        "manage/equipment_form.html",
        form=EquipmentForm(data=equipment_values(equipment), formdata=None),
        equipment=equipment,
        weekly_form=WeeklyWindowForm(prefix="weekly", formdata=None),
        once_form=OneOffWindowForm(prefix="once", formdata=None),
        delete_form=EmptyForm(),
        weekly_kind=IdleWindowKind.WEEKLY,
        **_production_context(equipment, **values),
    )


@bp.route("/equipment/<int:equipment_id>/idle-windows/weekly", methods=["POST"])
@role_required(Role.PLATFORM)
def add_weekly(equipment_id: int):
    equipment = owned_equipment(current_user, equipment_id)
    form = WeeklyWindowForm(prefix="weekly")
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in form.data if name != "csrf_token"}
        try:
            add_weekly_window(current_user, equipment, values)
        except ValidationFailed as failure:
            return _rerender_with_errors(equipment, weekly_form=form, failure=failure)
        flash(_("Weekly idle window added."), "success")
        return redirect(url_for("manage.equipment_edit", equipment_id=equipment.id) + "#idle")
    return _rerender_with_errors(equipment, weekly_form=form)


@bp.route("/equipment/<int:equipment_id>/idle-windows/once", methods=["POST"])
@role_required(Role.PLATFORM)
def add_once(equipment_id: int):
    equipment = owned_equipment(current_user, equipment_id)
    form = OneOffWindowForm(prefix="once")
    if form.validate_on_submit():
        values = {"start": from_local(form.start.data), "end": from_local(form.end.data)}
        try:
            add_one_off_window(current_user, equipment, values)
        except ValidationFailed as failure:
            return _rerender_with_errors(equipment, once_form=form, failure=failure)
        flash(_("One-off idle window added."), "success")
        return redirect(url_for("manage.equipment_edit", equipment_id=equipment.id) + "#idle")
    return _rerender_with_errors(equipment, once_form=form)


@bp.route("/equipment/<int:equipment_id>/idle-windows/<int:window_id>/delete", methods=["POST"])
@role_required(Role.PLATFORM)
def delete_window(equipment_id: int, window_id: int):
    """Withdraw an idle window. While upcoming bookings depend on it, the platform is shown them
    and may withdraw it anyway (`force`), which cancels them with notice, as the API's ?force=1."""
    equipment = owned_equipment(current_user, equipment_id)
    if EmptyForm().validate_on_submit():
        force = request.form.get("force") == "1"
        try:
            cancelled = delete_idle_window(current_user, equipment, window_id, force=force)
        except InvalidState:
            db.session.rollback()
            return _confirm_withdrawal(equipment_id, window_id)
        if cancelled:
            flash(
                ngettext(
                    "Idle window removed; %(num)d booking was cancelled and its enterprise notified.",
                    "Idle window removed; %(num)d bookings were cancelled and their enterprises notified.",
                    len(cancelled),
                ),
                "warning",
            )
        else:
            flash(_("Idle window removed."), "success")
    return redirect(url_for("manage.equipment_edit", equipment_id=equipment.id) + "#idle")


def _confirm_withdrawal(equipment_id: int, window_id: int):
    """The bookings that withdrawing the window would cancel, and a button to do it anyway."""
    equipment = owned_equipment(current_user, equipment_id)
    window = find_idle_window(equipment, window_id)
    return (
        render_template(
            "manage/withdraw_window.html",
            equipment=equipment,
            window=window,
            dependent=bookings_depending_on_window(equipment, window),
            weekly_kind=IdleWindowKind.WEEKLY,
            form=EmptyForm(),
        ),
        409,
    )


def _rerender_with_errors(equipment, *, weekly_form=None, once_form=None, failure=None):
    """The instrument page again, with the submitted idle-window form showing its errors."""
    db.session.rollback()
    equipment = owned_equipment(current_user, equipment.id)
    submitted = weekly_form or once_form
    if failure is not None:
        show_errors(submitted, failure)
    return (
        render_template(
            "manage/equipment_form.html",
            form=EquipmentForm(data=equipment_values(equipment), formdata=None),
            equipment=equipment,
            weekly_form=weekly_form or WeeklyWindowForm(prefix="weekly", formdata=None),
            once_form=once_form or OneOffWindowForm(prefix="once", formdata=None),
            delete_form=EmptyForm(),
            weekly_kind=IdleWindowKind.WEEKLY,
            **_production_context(equipment),
        ),
        422,
    )
