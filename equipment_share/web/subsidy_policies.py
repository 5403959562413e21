"""Subsidy policy pages: every signed-in user reads the policies in plain words; finance
creates them and, once a claim uses one, makes a new version instead of editing it."""

import re

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from equipment_share.domain.errors import DomainError, ValidationFailed
from equipment_share.extensions import db
from equipment_share.i18n import translate
from equipment_share.models import Role
from equipment_share.services import subsidy as policies
from equipment_share.web.helpers import role_required
from equipment_share.web.policy_words import policy_sentences
from equipment_share.web.subsidy_forms import PolicyForm, fill_from_policy, policy_values

bp = Blueprint("subsidy_policies", __name__)
# "sources.1.rate" or "sources[1].rate": a source row's field, as the service names it
SOURCE_FIELD = re.compile(r"^sources\W*(\d+)\W*(\w+)?")
SOURCE_FIELDS = {"rate": "rate_percent"}
POLICY_FIELDS = {"platform_reward_rate": "platform_reward_percent"}


@bp.route("/subsidy/policies")
@login_required
def index():
    return render_template(
        "subsidy/policies.html",
        policies=db.session.scalars(policies.policies_query(current_only=True)).all(),
        may_edit=current_user.role == Role.FINANCE,
        sentences=policy_sentences,
    )


@bp.route("/subsidy/policies/<int:policy_id>")
@login_required
def detail(policy_id: int):
    policy = policies.get_policy(policy_id)
    return render_template(
        "subsidy/policy.html",
        policy=policy,
        sentences=policy_sentences(policy),
        versions=policies.policy_versions(policy),
        is_used=policies.policy_in_use(policy.id),
        is_current=policies.is_current(policy),
        may_edit=current_user.role == Role.FINANCE,
    )


@bp.route("/subsidy/policies/new", methods=["GET", "POST"])
@role_required(Role.FINANCE)
def new():
    form = PolicyForm()
    if not form.is_submitted():
        return _render_form(form)
    if not form.validate():
        return _render_form(form, status=422)
    try:
        policy = policies.create_policy(current_user, policy_values(form))
    except ValidationFailed as failure:
        db.session.rollback()
        _show_errors(form, failure)
        return _render_form(form, status=422)
    flash(_("The policy is published."), "success")
    return redirect(url_for("subsidy_policies.detail", policy_id=policy.id))


@bp.route("/subsidy/policies/<int:policy_id>/edit", methods=["GET", "POST"])
@role_required(Role.FINANCE)
def edit(policy_id: int):
    """A version no claim uses is edited in place; a used one gets a new version instead."""
    previous = policies.get_policy(policy_id)
    in_use = policies.policy_in_use(previous.id)
    form = PolicyForm()
    if not form.is_submitted():
        fill_from_policy(form, previous)
        return _render_form(form, previous, in_use)
    if not form.validate():
        return _render_form(form, previous, in_use, status=422)
    change = policies.new_policy_version if in_use else policies.update_policy
    try:
        policy = change(current_user, previous.id, policy_values(form))
    except ValidationFailed as failure:
        db.session.rollback()
        _show_errors(form, failure)
        return _render_form(form, previous, in_use, status=422)
    except DomainError as refusal:
        db.session.rollback()
        form.form_errors.append(translate(refusal.message))
        return _render_form(form, previous, in_use, status=409)
    if in_use:
        message = _("Version %(version)d of the policy is published.", version=policy.version)
    else:
        message = _("The policy is changed.")
    flash(message, "success")
    return redirect(url_for("subsidy_policies.detail", policy_id=policy.id))


def _render_form(form: PolicyForm, previous=None, in_use: bool = False, status: int = 200):
    return render_template(
        "subsidy/policy_form.html", form=form, previous=previous, in_use=in_use
    ), status


def _show_errors(form: PolicyForm, failure: ValidationFailed) -> None:
    """Each message under its field; a source row's under that row's field."""
    rows = [row.form for row in form.sources if not row.form.is_empty()]
    for name, message in failure.fields.items():
        field = _field_for(form, rows, name)
        text = translate(message)
        if field is None:
            form.form_errors.append(text)
        else:
            field.errors = [*field.errors, text]


def _field_for(form: PolicyForm, rows: list, name: str):
    match = SOURCE_FIELD.match(name)
    if match is None:
        # "sources" itself (none given, two of one name) is said above the form
        return None if name == "sources" else getattr(form, POLICY_FIELDS.get(name, name), None)
    index, part = int(match.group(1)), match.group(2)
    if index >= len(rows) or part is None:
        return None
    return getattr(rows[index], SOURCE_FIELDS.get(part, part), None)
