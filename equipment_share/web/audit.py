"""The audit log for the operators: every change, newest first, filtered, in the reader's words
(web/audit_words.py); the same filtered entries as XLSX or CSV; and the chain's head.

Verifying the whole hash chain on each page view would read the whole table, so the page shows
the head only and points to `flask --app equipment_share verify-audit`.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from equipment_share.extensions import db
from equipment_share.models import Role, utcnow
from equipment_share.services import audit
from equipment_share.services.audit_exports import audit_csv, audit_filename, audit_xlsx
from equipment_share.services.audit_lists import (
    MAX_EXPORT_ENTRIES,
    AuditFilters,
    audit_entries,
    count_entries,
    entries_in_batches,
    names_for,
    object_types,
)
from equipment_share.web.audit_words import (
    OBJECT_TYPES,
    export_headers,
    export_row,
    readable_entries,
)
from equipment_share.web.forms import Parsed, TranslatedForm, options
from equipment_share.web.helpers import MAX_ID, role_required, to_local

bp = Blueprint("audit", __name__)
PER_PAGE = 50
HEAD_HASH_DIGITS = 12
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTER_NAMES = ("object_type", "object_id", "user", "start", "end")


class AuditFilterForm(TranslatedForm):
    """Read from the query string; a value that does not parse is shown as an error and ignored."""

    object_type = SelectField(_l("Object"), validators=[Optional()], validate_choice=False)
    object_id = IntegerField(
        _l("Object no."), validators=[Parsed(), Optional(), NumberRange(min=1, max=MAX_ID)]
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
    """The filters as typed, for the pager's and the exports' links."""
    return {name: request.args[name] for name in FILTER_NAMES if request.args.get(name)}


def _filter_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.object_type.choices = options(
        [("", _l("All objects"))]
        + [(name, OBJECT_TYPES.get(name, name)) for name in object_types()]
    )
    form.validate()
    return form


def _is_admin() -> bool:
    return current_user.role == Role.ADMIN


@bp.route("/audit")
@role_required(Role.ADMIN, Role.FINANCE)
def entries():
    form = _filter_form()
    page = db.paginate(
        audit_entries(current_user, _filters(form)), per_page=PER_PAGE, error_out=False
    )
    head_position, head_hash = audit.head()
    return render_template(
        "audit/entries.html",
        form=form,
        page=page,
        args=_query_args(),
        rows=readable_entries(page.items, names_for(page.items), admin=_is_admin()),
        head_position=head_position,
        head_hash=head_hash[:HEAD_HASH_DIGITS],
    )


@bp.route("/audit.xlsx")
@role_required(Role.ADMIN, Role.FINANCE)
def export_xlsx():
    return _export("xlsx")


@bp.route("/audit.csv")
@role_required(Role.ADMIN, Role.FINANCE)
def export_csv():
    return _export("csv")


def _export(extension: str):
    """The entries the page's filters select, all pages of them, in the page's words."""
    form = _filter_form()
    query = audit_entries(current_user, _filters(form))
    total = count_entries(query)
    if total > MAX_EXPORT_ENTRIES:
        flash(
            _(
                "%(count)d entries match: at most %(limit)d can be exported at once. "
                "Narrow the filters (a shorter period, one object type).",
                count=total,
                limit=MAX_EXPORT_ENTRIES,
            ),
            "error",
        )
        return redirect(url_for("audit.entries", **_query_args()))
    rows = _export_rows(query)
    if extension == "xlsx":
        body, mimetype = (
            audit_xlsx(_("Audit log"), _filters_text(form), export_headers(), rows),
            XLSX,
        )
    else:
        body, mimetype = audit_csv(export_headers(), rows), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers.set("Content-Disposition", "attachment", filename=audit_filename(extension))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _export_rows(query):
    admin = _is_admin()
    for batch in entries_in_batches(query):
        for entry in readable_entries(batch, names_for(batch), links=False, admin=admin):
            yield export_row(entry)


def _filters_text(form: AuditFilterForm) -> str:
    """What the file holds: the filters that applied, and when it was made."""
    parts = []
    for field in (form.object_type, form.object_id, form.user, form.start, form.end):
        if field.errors or not field.data:
            continue
        value = field.data
        if field.name == "object_type":
            value = {choice.value: choice.label for choice in field.choices}.get(value, value)
        parts.append(f"{field.label.text}: {value}")
    made = to_local(utcnow()).strftime("%Y-%m-%d %H:%M")
    return _(
        "Filters: %(filters)s. Exported %(when)s.",
        filters="; ".join(parts) if parts else _("none"),
        when=made,
    )
