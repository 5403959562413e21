"""The landing page after sign-in: one dashboard per role, its charts drawn on the server.

Platforms and SMEs choose a period of whole local days (the last twelve months unless chosen);
finance chooses a year, since budgets are kept per year.
"""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from equipment_share.domain.errors import ValidationFailed
from equipment_share.domain.metrics import year_period
from equipment_share.domain.statements import month_of, period_of_days
from equipment_share.models import Role, utcnow
from equipment_share.services import dashboards
from equipment_share.web.charts import bar_chart
from equipment_share.web.helpers import show_errors
from equipment_share.web.statements import FIELD_NAMES, PeriodForm

bp = Blueprint("dashboard", __name__)
MONTHS_SHOWN = 12
FIRST_YEAR, LAST_YEAR = 2000, 2100


def deployment_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_today() -> date:
    return utcnow().astimezone(deployment_zone()).date()


def last_months(today: date, count: int = MONTHS_SHOWN) -> tuple[date, date]:
    """The first day of the month count − 1 months back, and the last day of this month."""
    first = today.replace(day=1)
    for _month in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, month_of(today)[1]


def _period_form() -> PeriodForm:
    first, last = last_months(local_today())
    form = PeriodForm(formdata=request.args)
    form.validate()
    if form.from_.data is None and not form.from_.errors:
        form.from_.data = first
    if form.to.data is None and not form.to.errors:
        form.to.data = last
    return form


def _period(form: PeriodForm):
    """The form's period, or the default one with the problem shown on the form."""
    if not form.errors:
        try:
            return period_of_days(form.from_.data, form.to.data, deployment_zone())
        except ValidationFailed as failure:
            show_errors(form, failure, FIELD_NAMES)
    first, last = last_months(local_today())
    return period_of_days(first, last, deployment_zone())


@bp.route("/dashboard")
@login_required
def index():
    view = {
        Role.PLATFORM: _platform,
        Role.SME: _sme,
        Role.FINANCE: _finance,
        Role.ADMIN: _admin,
    }[current_user.role]
    return view()


def _platform():
    form = _period_form()
    period = _period(form)
    board = dashboards.platform_dashboard(
        current_user, period.start, period.end, deployment_zone(), utcnow()
    )
    labels = [month.month.label for month in board.months]
    charts = [
        bar_chart(
            "chart-utilisation",
            _("Utilisation of published idle time by month"),
            _("Month"),
            _("Utilisation (per cent)"),
            labels,
            [
                (
                    _("Utilisation (per cent)"),
                    [_percent(month.utilisation) for month in board.months],
                )
            ],
        ),
        bar_chart(
            "chart-hours",
            _("Used and idle hours by month"),
            _("Month"),
            _("Hours"),
            labels,
            [
                (_("Idle hours"), [month.idle_hours for month in board.months]),
                (_("Used hours"), [month.used_hours for month in board.months]),
            ],
        ),
        bar_chart(
            "chart-revenue",
            _("Revenue by month"),
            _("Month"),
            _("CNY"),
            labels,
            [(_("Revenue"), [month.revenue for month in board.months])],
        ),
    ]
    return _render("dashboard/platform.html", form, board=board, charts=charts)


def _sme():
    form = _period_form()
    period = _period(form)
    board = dashboards.sme_dashboard(
        current_user, period.start, period.end, deployment_zone(), utcnow()
    )
    labels = [month.label for month in board.months]
    charts = [
        bar_chart(
            "chart-spend",
            _("Fees by month"),
            _("Month"),
            _("CNY"),
            labels,
            [(_("Fees"), board.spend_by_month)],
        ),
        bar_chart(
            "chart-sme-hours",
            _("Machine hours by month"),
            _("Month"),
            _("Hours"),
            labels,
            [(_("Used hours"), board.hours_by_month)],
        ),
    ]
    return _render("dashboard/sme.html", form, board=board, charts=charts)


def year_argument() -> tuple[int, str | None]:
    """?year=, else this year; a year that cannot be one is refused with a message."""
    value = request.args.get("year", "").strip()
    if not value:
        return local_today().year, None
    if value.isdigit() and FIRST_YEAR <= int(value) <= LAST_YEAR:
        return int(value), None
    message = _(
        "A year between %(first)d and %(last)d is required.", first=FIRST_YEAR, last=LAST_YEAR
    )
    return local_today().year, message


def _finance():
    year, problem = year_argument()
    start, end = year_period(year, deployment_zone())
    board = dashboards.finance_dashboard(current_user, year, start, end, deployment_zone())
    labels = [month.label for month in board.months]
    sources = [source.source for source in board.sources]
    charts = [
        bar_chart(
            "chart-fund",
            _("Budget, committed and paid by funding source"),
            _("Funding source"),
            _("CNY"),
            sources,
            [
                (_("Budget"), [source.budget for source in board.sources]),
                (_("Committed"), [source.committed for source in board.sources]),
                (_("Paid"), [source.paid for source in board.sources]),
            ],
        ),
        bar_chart(
            "chart-paid",
            _("Subsidy paid by month"),
            _("Month"),
            _("CNY"),
            labels,
            [(source, board.paid_in(source)) for source in sources]
            or [(_("Paid"), [0] * len(labels))],
        ),
        bar_chart(
            "chart-fees",
            _("Fees of shared use by month"),
            _("Month"),
            _("CNY"),
            labels,
            [(_("Fees"), board.fees_by_month)],
        ),
    ]
    return render_template(
        "dashboard/finance.html",
        board=board,
        charts=charts,
        year=year,
        year_problem=problem,
        years=range(local_today().year + 1, local_today().year - 5, -1),
    ), 422 if problem else 200


def _admin():
    return render_template("dashboard/admin.html", board=dashboards.admin_dashboard(current_user))


def _render(template: str, form: PeriodForm, **context):
    return render_template(template, form=form, **context), 422 if form.errors else 200


def _percent(value):
    return None if value is None else value * 100
