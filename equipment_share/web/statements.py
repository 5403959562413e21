"""The fee statement page and its XLSX and CSV downloads.

SME and platform users see their own organisation's statement; finance and the administrators
choose the organisation. The period is whole local days, the last one included (unless chosen,
the month of the organisation's latest usage, else the current month), so a finance officer types the month as she says it: 1 to 31 March.
"""

from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import Optional

from equipment_share.domain.errors import ValidationFailed
from equipment_share.domain.statements import Statement, month_of, period_of_days
from equipment_share.errors import error_page
from equipment_share.i18n import select_locale
from equipment_share.models import Role, utcnow
from equipment_share.services.statement_exports import (
    export_filename,
    statement_csv,
    statement_xlsx,
)
from equipment_share.services.statements import (
    OPERATORS,
    latest_activity,
    statement_for,
    statement_organization,
    statement_organizations,
)
from equipment_share.web.helpers import id_argument, role_required, show_errors
from equipment_share.web.usage import KIND_LABELS, STATUS_LABELS

bp = Blueprint("statements", __name__)
STATEMENT_ROLES = (Role.SME, Role.PLATFORM, Role.FINANCE, Role.ADMIN)
DOWNLOADS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
# the domain names the period's fields as the API does
FIELD_NAMES = {"from": "from_"}


class PeriodForm(FlaskForm):
    """A GET form: the period's first and last day (both included)."""

    class Meta:
        csrf = False

    from_ = DateField(_l("From"), name="from", validators=[Optional()])
    to = DateField(_l("To (included)"), validators=[Optional()])


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _default_month(organization_id: int | None) -> tuple[date, date]:
    """The month of the organisation's latest usage, or the current month when it has none
    (or none is chosen): a statement opens on the most recent period with data."""
    latest = None
    if organization_id is not None:
        latest = latest_activity(statement_organization(current_user, organization_id))
    return month_of((latest or utcnow()).astimezone(_zone()).date())


def _period_form(organization_id: int | None) -> PeriodForm:
    """The requested days; a day left out is the default month's first or last."""
    first, last = _default_month(organization_id)
    form = PeriodForm(formdata=request.args)
    form.validate()
    if form.from_.data is None and not form.from_.errors:
        form.from_.data = first
    if form.to.data is None and not form.to.errors:
        form.to.data = last
    return form


def _organization_id() -> int | None:
    """?organization_id=, else the user's own organisation (none for finance and admin)."""
    return id_argument("organization_id") or current_user.organization_id


def _statement(form: PeriodForm, organization_id: int | None, locale: str | None):
    """The statement asked for, or None when the form has errors (now shown on it) or no
    organisation is chosen. Another organisation's statement is NotFound (404)."""
    if organization_id is None:
        return None
    statement_organization(current_user, organization_id)
    if form.errors:
        return None
    try:
        period = period_of_days(form.from_.data, form.to.data, _zone())
        return statement_for(current_user, organization_id, period.start, period.end, locale=locale)
    except ValidationFailed as failure:
        show_errors(form, failure, FIELD_NAMES)
        return None


def _query(form: PeriodForm, organization_id: int | None) -> dict:
    """The page's own arguments, for the download links."""
    days = {"from": form.from_.data, "to": form.to.data}
    return {"organization_id": organization_id} | {
        name: day.isoformat() for name, day in days.items() if isinstance(day, date)
    }


@bp.route("/statements")
@role_required(*STATEMENT_ROLES)
def statement():
    organization_id = _organization_id()
    form = _period_form(organization_id)
    statement = _statement(form, organization_id, select_locale())
    return render_template(
        "statements/statement.html",
        form=form,
        statement=statement,
        organization_id=organization_id,
        organizations=statement_organizations(current_user),
        chooses_organization=current_user.role in OPERATORS,
        query=_query(form, organization_id),
        status_words=STATUS_LABELS,
        kind_words=KIND_LABELS,
    ), 422 if form.errors else 200


@bp.route("/statements.<any(xlsx, csv):extension>")
@role_required(*STATEMENT_ROLES)
def download(extension: str):
    """The statement as a file, in Chinese with the registered names (see statement_exports)."""
    organization_id = _organization_id()
    form = _period_form(organization_id)
    statement: Statement | None = _statement(form, organization_id, locale=None)
    if statement is None:
        if form.errors:
            messages = [error for errors in form.errors.values() for error in errors]
            return error_page(422, " ".join(map(str, messages)))
        return error_page(400, _("Choose an organisation."))
    write = statement_xlsx if extension == "xlsx" else statement_csv
    response = Response(write(statement, _zone()), mimetype=DOWNLOADS[extension])
    response.headers.set(
        "Content-Disposition",
        "attachment",
        filename=export_filename(statement, _zone(), extension),
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
