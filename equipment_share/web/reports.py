"""The annual sharing-evaluation report of a platform: the page and its XLSX download."""

from flask import Blueprint, Response, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from equipment_share.domain.metrics import Benchmark
from equipment_share.models import Role
from equipment_share.services.reports import report_platforms, sharing_report, sharing_report_xlsx
from equipment_share.web.dashboard import deployment_zone, local_today, year_argument
from equipment_share.web.helpers import id_argument, role_required

bp = Blueprint("reports", __name__, url_prefix="/reports")
REPORT_ROLES = (Role.PLATFORM, Role.FINANCE, Role.ADMIN)
BENCHMARK_WORDS = {
    Benchmark.BELOW: _l("below the national benchmark"),
    Benchmark.WITHIN: _l("within the national benchmark"),
    Benchmark.ABOVE: _l("above the national benchmark"),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _platform_id(platforms) -> int | None:
    """?platform_id=, else the viewer's own platform, else the first one listed."""
    chosen = id_argument("platform_id")
    if chosen is not None:
        return chosen
    if current_user.role == Role.PLATFORM:
        return current_user.organization_id
    return platforms[0].id if platforms else None


@bp.route("/sharing")
@role_required(*REPORT_ROLES)
def sharing():
    year, problem = year_argument()
    platforms = report_platforms(current_user)
    platform_id = _platform_id(platforms)
    report = (
        None
        if platform_id is None
        else sharing_report(current_user, platform_id, year, deployment_zone())
    )
    return render_template(
        "reports/sharing.html",
        report=report,
        year=year,
        year_problem=problem,
        years=range(local_today().year, local_today().year - 6, -1),
        platforms=platforms,
        platform_id=platform_id,
        chooses_platform=current_user.role != Role.PLATFORM,
        benchmark_words=BENCHMARK_WORDS,
    ), 422 if problem else 200


@bp.route("/sharing.xlsx")
@role_required(*REPORT_ROLES)
def sharing_download():
    year, _problem = year_argument()
    platform_id = _platform_id(report_platforms(current_user))
    if platform_id is None:
        return Response(status=404)
    report = sharing_report(current_user, platform_id, year, deployment_zone())
    response = Response(sharing_report_xlsx(report), mimetype=XLSX)
    response.headers.set(
        "Content-Disposition", "attachment", filename=f"sharing-report-{platform_id}-{year}.xlsx"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
