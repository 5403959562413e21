"""The audit log for the operators: every change, newest first, filtered; and the chain's head.

Verifying the whole hash chain on each page view would read the whole table, so the page shows
the head only and points to `flask --app equipment_share verify-audit`.
"""

import json
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, Form, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from equipment_share.extensions import db
from equipment_share.models import Role
from equipment_share.services import audit
from equipment_share.services.audit_lists import (
    AuditFilters,
    actors,
    audit_entries,
    booking_ids,
    object_types,
)
from equipment_share.web.forms import options
from equipment_share.web.helpers import MAX_ID, role_required, to_local

bp = Blueprint("audit", __name__)
PER_PAGE = 50
HEAD_HASH_DIGITS = 12
# how json_value writes an instant: ISO 8601 in UTC
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$")

OBJECT_TYPES = {
    "booking": _l("Booking"),
    "usage": _l("Usage record"),
    "rate_card": _l("Rate card"),
    "equipment": _l("Instrument"),
}
ACTIONS = {
    "create": _l("created"),
    "revise": _l("revised"),
    "approve": _l("approved"),
    "reject": _l("rejected"),
    "cancel": _l("cancelled"),
    "no_show": _l("marked as no-show"),
    "complete": _l("completed"),
    "check_in": _l("checked in"),
    "check_out": _l("checked out"),
    "record": _l("use recorded"),
    "charge": _l("charged"),
    "confirm": _l("confirmed"),
    "auto_confirm": _l("confirmed automatically"),
    "dispute": _l("disputed"),
    "correct": _l("corrected"),
    "waive": _l("waived"),
    "apply_rate_card": _l("listed rates follow the rate card in force"),
}


class AuditFilterForm(Form):
    """Read from the query string; a value that does not parse is shown as an error and ignored."""

    object_type = SelectField(_l("Object"), validators=[Optional()], validate_choice=False)
    object_id = IntegerField(
        _l("Object no."), validators=[Optional(), NumberRange(min=1, max=MAX_ID)]
    )
    user = StringField(_l("User (e-mail or id)"))
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("Until"), validators=[Optional()])


def _filters(form: AuditFilterForm) -> AuditFilters:
    def valid(name: str):
        field = getattr(form, name)
        return None if field.errors else field.data

    start, end = valid("start"), valid("end")
    return AuditFilters(
        object_type=form.object_type.data or None,
        object_id=valid("object_id"),
        actor=(form.user.data or "").strip()[:254] or None,
        start=_local_midnight(start) if start else None,
        end=_local_midnight(end + timedelta(days=1)) if end else None,
    )


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))


def _query_args() -> dict:
    """The filters as typed, for the pager's links."""
    return {
        name: request.args[name]
        for name in ("object_type", "object_id", "user", "start", "end")
        if request.args.get(name)
    }


def change_lines(changes: dict) -> list[tuple[str, str | None, str]]:
    """(field, old, new) for an entry's changes; old is None when the entry records a value
    rather than a change (a new rate card lists its values)."""
    lines = []
    for name, value in changes.items():
        if isinstance(value, dict) and set(value) == {"from", "to"}:
            old, new = _shown(value["from"]), _shown(value["to"])
            if old != new:  # e.g. a note that went from none to empty
                lines.append((name, old, new))
        else:
            lines.append((name, None, _shown(value)))
    return lines


def _shown(value) -> str:
    """A value kept in `changes` as the reader wants it: instants in local time, lists as JSON."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if isinstance(value, str) and INSTANT.match(value):
        return to_local(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


@bp.route("/audit")
@role_required(Role.ADMIN, Role.FINANCE)
def entries():
    form = AuditFilterForm(request.args)
    types = object_types()
    form.object_type.choices = options(
        [("", _l("All objects"))] + [(name, OBJECT_TYPES.get(name, name)) for name in types]
    )
    form.validate()
    page = db.paginate(
        audit_entries(current_user, _filters(form)), per_page=PER_PAGE, error_out=False
    )
    head_position, head_hash = audit.head()
    return render_template(
        "audit/entries.html",
        form=form,
        page=page,
        args=_query_args(),
        actors=actors(page.items),
        booking_ids=booking_ids(page.items),
        object_types=OBJECT_TYPES,
        actions=ACTIONS,
        change_lines=change_lines,
        head_position=head_position,
        head_hash=head_hash[:HEAD_HASH_DIGITS],
    )
