"""Finance's pages for the money side of subsidy: budgets and pro rata, locked periods,
adjustments and platform rewards. Each view reads its form, calls one service and shows the
result; the rules live in services/budgets.py, period_locks.py, adjustments.py and
platform_rewards.py, which the API calls too."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import Optional

from equipment_share.domain.errors import DomainError, ValidationFailed
from equipment_share.extensions import db
from equipment_share.models import Role
from equipment_share.services import adjustments, budgets, period_locks, platform_rewards
from equipment_share.web.helpers import flash_refusal, id_argument, role_required, show_errors

bp = Blueprint("funds", __name__, url_prefix="/finance")
PAGE_SIZE = 50


bp.add_app_template_global(adjustments.may_adjust)
bp.add_app_template_global(period_locks.is_locked, "in_locked_period")


class BudgetForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[Optional()])
    source = StringField(_l("Funding source"))
    amount = StringField(_l("Amount (CNY)"))


class PeriodLockForm(FlaskForm):
    period_from = DateField(_l("First day"), validators=[Optional()])
    period_to = DateField(_l("Last day (included)"), validators=[Optional()])


class AdjustmentForm(FlaskForm):
    usage_id = IntegerField(_l("Usage record no."), validators=[Optional()])
    fee_delta = StringField(_l("Fee change (CNY, negative to reduce)"))
    reason = TextAreaField(_l("Reason"))


class ApplyForm(FlaskForm):
    """The apply button: only its CSRF token."""


def this_year() -> int:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).year


# --- budgets and pro rata ---------------------------------------------------------------------


def _budgets_page(form: BudgetForm, status: int = 200):
    rows = db.session.scalars(budgets.budgets_query(current_user)).all()
    paid = {row.id: budgets.paid_from_source(row.year, row.source) for row in rows}
    return render_template("funds/budgets.html", rows=rows, paid=paid, form=form), status


@bp.route("/budgets", methods=["GET", "POST"])
@role_required(Role.FINANCE, Role.ADMIN)
def budget_list():
    form = BudgetForm()
    if not form.is_submitted():
        form.year.data = this_year()
        return _budgets_page(form)
    if not form.validate():
        return _budgets_page(form, 422)
    try:
        budgets.create_budget(current_user, form.year.data, form.source.data, form.amount.data)
    except ValidationFailed as failure:
        db.session.rollback()
        show_errors(form, failure)
        return _budgets_page(form, 422)
    except DomainError as refusal:
        db.session.rollback()
        flash_refusal(refusal)
        return _budgets_page(form, 409 if refusal.code == "invalid_state" else 403)
    flash(_("The budget is recorded."), "success")
    return redirect(url_for("funds.budget_list"))


@bp.route("/budgets/<int:budget_id>/prorate", methods=["GET", "POST"])
@role_required(Role.FINANCE, Role.ADMIN)
def prorate(budget_id: int):
    """GET previews the scaling; POST (finance) applies it and shows the result."""
    budget = budgets.visible_budget(current_user, budget_id)
    form = ApplyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("The form expired; please try again."), "error")
            return redirect(url_for("funds.prorate", budget_id=budget_id))
        try:
            result = budgets.prorate(current_user, budget, apply=True)
        except DomainError as refusal:
            db.session.rollback()
            flash_refusal(refusal)
            return redirect(url_for("funds.prorate", budget_id=budget_id))
        if result.applied:
            flash(
                _(
                    "%(count)d claims were scaled by %(factor)s to the budget.",
                    count=sum(1 for row in result.claims if row.after != row.before),
                    factor=result.factor,
                ),
                "success",
            )
        else:
            flash(_("Nothing to scale: the approved claims fit the budget."), "info")
        return render_template("funds/prorate.html", result=result, form=form, applied=True)
    preview = budgets.prorate(current_user, budget, apply=False)
    return render_template("funds/prorate.html", result=preview, form=form, applied=False)


# --- locked periods ---------------------------------------------------------------------------


def _locks_page(form: PeriodLockForm, status: int = 200):
    rows = db.session.scalars(period_locks.period_locks_query(current_user)).all()
    return render_template("funds/period_locks.html", rows=rows, form=form), status


@bp.route("/period-locks", methods=["GET", "POST"])
@role_required(Role.FINANCE, Role.ADMIN)
def period_lock_list():
    form = PeriodLockForm()
    if not form.is_submitted():
        return _locks_page(form)
    if not form.validate():
        return _locks_page(form, 422)
    try:
        lock = period_locks.create_period_lock(
            current_user, form.period_from.data, form.period_to.data
        )
    except ValidationFailed as failure:
        db.session.rollback()
        show_errors(form, failure)
        return _locks_page(form, 422)
    except DomainError as refusal:
        db.session.rollback()
        flash_refusal(refusal)
        return _locks_page(form, 403)
    flash(
        _(
            "The period %(first)s to %(last)s is locked: its usage can no longer be changed.",
            first=lock.period_from.isoformat(),
            last=lock.period_to.isoformat(),
        ),
        "success",
    )
    return redirect(url_for("funds.period_lock_list"))


# --- adjustments ------------------------------------------------------------------------------


def _adjustments_page(form: AdjustmentForm, status: int = 200):
    query = adjustments.adjustments_query(current_user).limit(PAGE_SIZE * 4)
    rows = db.session.scalars(query).all()
    record = None
    if form.usage_id.data:
        record = adjustments.adjustable_record(current_user, form.usage_id.data)
    return (
        render_template("funds/adjustments.html", rows=rows, form=form, record=record),
        status,
    )


@bp.route("/adjustments", methods=["GET", "POST"])
@role_required(Role.FINANCE, Role.ADMIN)
def adjustment_list():
    form = AdjustmentForm()
    if not form.is_submitted():
        form.usage_id.data = id_argument("usage_id")
        return _adjustments_page(form)
    if not form.validate():
        return _adjustments_page(form, 422)
    try:
        adjustment = adjustments.create_adjustment(
            current_user, form.usage_id.data, form.fee_delta.data, form.reason.data
        )
    except ValidationFailed as failure:
        db.session.rollback()
        show_errors(form, failure)
        return _adjustments_page(form, 422)
    except DomainError as refusal:
        db.session.rollback()
        flash_refusal(refusal)
        return _adjustments_page(form, 409 if refusal.code == "invalid_state" else 404)
    signed = format(adjustment.fee_delta, "+.2f")
    flash(
        _(
            "The adjustment of %(amount)s is recorded; the enterprise's next claim carries it.",
            amount=signed,
        ),
        "success",
    )
    return redirect(url_for("funds.adjustment_list"))


# --- platform rewards -------------------------------------------------------------------------


@bp.route("/platform-rewards")
@role_required(Role.FINANCE, Role.ADMIN, Role.PLATFORM)
def rewards():
    year = request.args.get("year", type=int) or this_year()
    rows = platform_rewards.platform_rewards(current_user, year)
    return render_template("funds/platform_rewards.html", rows=rows, year=year)
