"""Subsidy claim pages.

The SME's wizard: choose the period (and the policy) → the draft shows every usage record of
the period as a line, eligible or with the sentence that says why not → totals by funding
source → submit (or withdraw). Finance's queue: filters, the running totals against the year's
budgets, and on a claim's page approve, reject with a reason, record the public notice and
pay; each change is confirmed on a page of its own before it is made. Exports: the queue as
XLSX and a claim form to print.

The claims service decides every rule (who, which state, which amounts); these views load,
call it, and say how it went.
"""

from collections.abc import Callable
from datetime import date

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
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from equipment_share.domain.errors import DomainError, ValidationFailed
from equipment_share.domain.subsidy import note_message, reason_message
from equipment_share.domain.subsidy_states import ClaimStatus
from equipment_share.errors import STATUS_FOR_CODE
from equipment_share.extensions import db
from equipment_share.i18n import format_money, translate
from equipment_share.models import Role, utcnow
from equipment_share.services import claim_lists, subsidy_figures
from equipment_share.services import claims as claims_service
from equipment_share.services import subsidy as policies
from equipment_share.services.claim_exports import STATUS_WORDS, claims_filename, claims_xlsx
from equipment_share.web.forms import EmptyForm, options
from equipment_share.web.helpers import flash_refusal, id_argument, role_required, to_local
from equipment_share.web.subsidy_forms import (
    ClaimPeriodForm,
    NoticeForm,
    PaymentForm,
    RejectForm,
)

bp = Blueprint("claims", __name__)
PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIELD_LABELS = {
    "period_from": _l("From"),
    "period_to": _l("To (included)"),
    "policy_id": _l("Policy"),
    "reason": _l("Reason"),
    "notice_from": _l("Public notice from"),
    "notice_to": _l("Public notice until"),
    "paid_on": _l("Paid on"),
    "payment_reference": _l("Payment reference"),
}


@bp.app_template_global()
def claims_waiting() -> int:
    """Submitted claims waiting for finance, for the navigation's badge."""
    return subsidy_figures.claim_queue()


# --- the SME's claims and the wizard ---


@bp.route("/claims")
@role_required(Role.SME)
def mine():
    page = db.paginate(claim_lists.claims_query(current_user), per_page=PER_PAGE, error_out=False)
    return render_template("claims/mine.html", page=page)


@bp.route("/claims/new", methods=["GET", "POST"])
@role_required(Role.SME)
def new():
    form = ClaimPeriodForm()
    current = db.session.scalars(policies.policies_query(current_only=True))
    form.policy_id.choices = options(
        [
            (0, _("The policy in force for the period")),
            *((policy.id, f"{policy.name} (v{policy.version})") for policy in current),
        ]
    )
    if not form.is_submitted():
        _default_period(form)
        return _render_new(form)
    if not form.validate():
        return _render_new(form, 422)
    try:
        claim = claims_service.draft_claim(
            current_user,
            form.period_from.data,
            form.period_to.data,
            policy_id=form.policy_id.data or None,
        )
    except DomainError as refusal:
        db.session.rollback()
        _form_refusal(form, refusal)
        return _render_new(form, _status_of(refusal))
    return redirect(url_for("claims.detail", claim_id=claim.id))


def _default_period(form: ClaimPeriodForm) -> None:
    """Last month, the period an SME most often claims for."""
    today = to_local(utcnow()).date()
    last_day = today.replace(day=1).toordinal() - 1
    last = date.fromordinal(last_day)
    form.period_from.data = last.replace(day=1)
    form.period_to.data = last


def _render_new(form: ClaimPeriodForm, status: int = 200):
    return render_template("claims/new.html", form=form), status


def _form_refusal(form: FlaskForm, refusal: DomainError) -> None:
    if isinstance(refusal, ValidationFailed):
        for name, message in refusal.fields.items():
            field = getattr(form, name, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, translate(message)]
            else:
                form.form_errors.append(translate(message))
    else:
        form.form_errors.append(translate(refusal.message))


def _translated(message) -> str | None:
    return None if message is None else translate(message)


def _status_of(refusal: DomainError) -> int:
    return STATUS_FOR_CODE.get(refusal.code, 422)


@bp.route("/claims/<int:claim_id>")
@login_required
def detail(claim_id: int):
    claim = claims_service.visible_claim(current_user, claim_id)
    return render_template("claims/detail.html", claim=claim, **_claim_context(claim))


def _claim_context(claim) -> dict:
    return {
        "may": lambda action: claims_service.may_act(current_user, claim, action),
        "reason_message": lambda reason: _translated(reason_message(reason)),
        "note_message": lambda note: _translated(note_message(note)),
        "records": claim_lists.line_records(claim),
        "adjustments": claim_lists.adjustments_of(claim),
    }


# --- the changes: each confirmed on a page of its own, then made ---

ACTIONS = {
    "submit": (EmptyForm, _l("Submit the claim")),
    "withdraw": (EmptyForm, _l("Withdraw the claim")),
    "approve": (EmptyForm, _l("Approve the claim")),
    "reject": (RejectForm, _l("Reject the claim")),
    "notice": (NoticeForm, _l("Record the public notice")),
    "pay": (PaymentForm, _l("Record the payment")),
}


def _done_message(action: str, claim) -> str:
    messages = {
        "submit": _(
            "The claim is submitted: %(amount)s is reserved for you until finance decides.",
            amount=format_money(claim.subsidy),
        ),
        "withdraw": _("The claim is withdrawn; its usage records can be claimed again."),
        "approve": _("The claim is approved."),
        "reject": _("The claim is rejected; the enterprise can claim its records again."),
        "notice": _("The public notice dates are recorded."),
        "pay": _("The payment is recorded: the claim is paid."),
    }
    return messages[action]


def _change(action: str, claim, form) -> Callable[[], object]:
    changes = {
        "submit": lambda: claims_service.submit(current_user, claim.id),
        "withdraw": lambda: claims_service.withdraw(current_user, claim.id),
        "approve": lambda: claims_service.approve(current_user, claim.id),
        "reject": lambda: claims_service.reject(current_user, claim.id, form.reason.data or ""),
        "notice": lambda: claims_service.record_notice(
            current_user, claim.id, form.notice_from.data, form.notice_to.data
        ),
        "pay": lambda: claims_service.pay(
            current_user, claim.id, form.paid_on.data, form.payment_reference.data or ""
        ),
    }
    return changes[action]


@bp.route(
    "/claims/<int:claim_id>/<any(submit, withdraw, approve, reject, notice, pay):action>",
    methods=["GET", "POST"],
)
@login_required
def act(claim_id: int, action: str):
    claim = claims_service.visible_claim(current_user, claim_id)
    form_class, title = ACTIONS[action]
    form = form_class()
    if request.method == "GET":
        if action == "pay" and form.paid_on.data is None:
            form.paid_on.data = to_local(utcnow()).date()
        return _render_confirm(claim, action, form, title)
    if not form.validate_on_submit():
        return _render_confirm(claim, action, form, title, 422)
    try:
        changed = _change(action, claim, form)()
    except ValidationFailed as refusal:
        db.session.rollback()
        _form_refusal(form, refusal)
        return _render_confirm(claim, action, form, title, 422)
    except DomainError as refusal:
        db.session.rollback()
        flash_refusal(refusal, FIELD_LABELS)
        return redirect(url_for("claims.detail", claim_id=claim_id))
    flash(_done_message(action, changed or claim), "success")
    return redirect(url_for("claims.detail", claim_id=claim_id))


def _render_confirm(claim, action: str, form, title, status: int = 200):
    return render_template(
        "claims/confirm.html", claim=claim, action=action, form=form, title=title
    ), status


# --- finance's queue and the exports ---


def _filters() -> claim_lists.ClaimFilters:
    status = request.args.get("status") or None
    year = request.args.get("year", type=int)
    return claim_lists.ClaimFilters(
        status=ClaimStatus(status) if status in set(ClaimStatus) else None,
        year=year if year is not None and 2000 <= year <= 2100 else None,
        platform_id=id_argument("platform_id"),
        organization_id=id_argument("organization_id"),
    )


def _filter_args(filters: claim_lists.ClaimFilters) -> dict:
    values = {
        "status": filters.status.value if filters.status else None,
        "year": filters.year,
        "platform_id": filters.platform_id,
        "organization_id": filters.organization_id,
    }
    return {name: value for name, value in values.items() if value is not None}


@bp.route("/finance/claims")
@role_required(Role.FINANCE, Role.ADMIN)
def queue():
    filters = _filters()
    budget_year = filters.year or to_local(utcnow()).year
    page = db.paginate(
        claim_lists.claims_query(current_user, filters), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "claims/queue.html",
        page=page,
        filters=filters,
        args=_filter_args(filters),
        total=claim_lists.filtered_total(current_user, filters),
        budget_year=budget_year,
        sources=subsidy_figures.by_source(budget_year),
        years=sorted({*claim_lists.claim_years(current_user), budget_year}, reverse=True),
        smes=claim_lists.claimant_organizations(current_user),
        platforms=claim_lists.claimed_platforms(current_user),
        statuses=list(ClaimStatus),
    )


@bp.route("/finance/claims.xlsx")
@role_required(Role.FINANCE, Role.ADMIN)
def queue_xlsx():
    filters = _filters()
    claims = claim_lists.claims_for_export(current_user, filters)
    response = Response(claims_xlsx(claims, filters, _zone_name()), mimetype=XLSX)
    response.headers.set("Content-Disposition", "attachment", filename=claims_filename(filters))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _zone_name() -> str:
    return current_app.config["TIMEZONE"]


@bp.route("/claims/<int:claim_id>/form")
@login_required
def printable(claim_id: int):
    """The claim form (申报表) to print or save as PDF from the browser, in Chinese."""
    claim = claims_service.visible_claim(current_user, claim_id)
    with force_locale("zh_CN"):  # the reasons' sentences too, whatever the page language
        return render_template(
            "claims/print.html",
            claim=claim,
            status_words=STATUS_WORDS,
            printed_on=to_local(utcnow()).date().isoformat(),
            **_claim_context(claim),
        )
