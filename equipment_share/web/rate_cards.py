"""A platform's rate cards for one instrument: every version, and a form for the next one."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import Field

from equipment_share.domain.errors import ValidationFailed
from equipment_share.extensions import db
from equipment_share.i18n import translate
from equipment_share.models import Equipment, RateCardVersion, Role, utcnow
from equipment_share.services import rate_cards
from equipment_share.services.access import owned_equipment
from equipment_share.web.helpers import role_required
from equipment_share.web.rate_card_forms import RateCardForm, form_data, rate_card_values

bp = Blueprint("rate_cards", __name__, url_prefix="/manage")


@dataclass(frozen=True)
class VersionRow:
    version: RateCardVersion
    state: str  # "in_force", "scheduled" or "superseded"
    effective_local: datetime


def _version_rows(equipment: Equipment) -> list[VersionRow]:
    now = utcnow()
    current = rate_cards.in_force(equipment, now)
    zone = ZoneInfo(equipment.timezone)
    rows = []
    for version in rate_cards.versions(equipment):
        if version.effective_from > now:
            state = "scheduled"
        elif current is not None and version.id == current.id:
            state = "in_force"
        else:
            state = "superseded"
        rows.append(VersionRow(version, state, version.effective_from.astimezone(zone)))
    return rows


def _local_today(equipment: Equipment) -> date:
    return utcnow().astimezone(ZoneInfo(equipment.timezone)).date()


def _blank_form(equipment: Equipment) -> RateCardForm:
    """Pre-filled from the version in force (or the listed rates), in force from today."""
    current = rate_cards.in_force(equipment)
    values = (
        rate_cards.version_values(current)
        if current
        else {name: getattr(equipment, name) for name in rate_cards.LISTED_FIELDS}
    )
    return RateCardForm(
        formdata=None, data=form_data(values) | {"effective_from": _local_today(equipment)}
    )


def _place_errors(form: RateCardForm, failure: ValidationFailed, fields: dict[str, Field]):
    """Each message next to the field it is about; messages about a whole list go on top."""
    for key, message in failure.fields.items():
        field = fields.get(key)
        if field is not None:
            field.errors = [*field.errors, translate(message)]
        else:
            form.form_errors.append(translate(message))


def _page(equipment: Equipment, form: RateCardForm, status: int = 200):
    return (
        render_template(
            "manage/rate_cards.html",
            equipment=equipment,
            rows=_version_rows(equipment),
            form=form,
        ),
        status,
    )


@bp.route("/equipment/<int:equipment_id>/rate-cards", methods=["GET", "POST"])
@role_required(Role.PLATFORM)
def rate_card_versions(equipment_id: int):
    equipment = owned_equipment(current_user, equipment_id)
    form = RateCardForm()
    if not form.is_submitted():
        return _page(equipment, _blank_form(equipment))
    if not form.validate():
        return _page(equipment, form, 422)
    values, fields = rate_card_values(form)
    try:
        version = rate_cards.add_version(current_user, equipment, values, form.effective_from.data)
    except ValidationFailed as failure:
        db.session.rollback()
        _place_errors(form, failure, fields)
        return _page(owned_equipment(current_user, equipment_id), form, 422)
    if version.effective_from <= utcnow():
        flash(_("The new rate card is in force from now on."), "success")
    else:
        flash(
            _(
                "The new rate card takes effect on %(date)s.",
                date=form.effective_from.data.isoformat(),
            ),
            "success",
        )
    return redirect(url_for("rate_cards.rate_card_versions", equipment_id=equipment.id))
