"""The operator's pages: approve organisations, edit them and their related parties, add users."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, select

from equipment_share.domain.errors import ValidationFailed
from equipment_share.extensions import db
from equipment_share.models import Organization, OrganizationStatus, Role, User
from equipment_share.services.organizations import (
    EDITABLE_FIELDS,
    create_organization,
    get_organization,
    organization_values,
    require_rejection_reason,
    set_status,
    update_organization,
)
from equipment_share.services.users import (
    create_user,
    get_user,
    unlock_user,
    update_user,
    user_values,
)
from equipment_share.web.forms import EmptyForm, OrganizationForm, UserEditForm, UserForm, options
from equipment_share.web.helpers import flash_refusal, role_required, show_errors
from equipment_share.web.labels import label

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _all_organizations() -> list[Organization]:
    pending_first = case((Organization.status == OrganizationStatus.PENDING, 0), else_=1)
    return list(db.session.scalars(select(Organization).order_by(pending_first, Organization.name)))


def _organization_form(organization: Organization | None = None) -> OrganizationForm:
    data = None
    if organization is not None:
        data = organization_values(organization) | {
            "related_organization_ids": [other.id for other in organization.related_organizations]
        }
    form = OrganizationForm(data=data)
    form.related_organization_ids.choices = options(
        (other.id, other.name)
        for other in _all_organizations()
        if organization is None or other.id != organization.id
    )
    return form


@bp.route("/organizations")
@role_required(Role.ADMIN)
def organizations():
    return render_template(
        "admin/organizations.html", organizations=_all_organizations(), action_form=EmptyForm()
    )


@bp.route("/organizations/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def organization_new():
    form = _organization_form()
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in EDITABLE_FIELDS}
        try:
            organization = create_organization(current_user, values)
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(_("Organisation created and approved."), "success")
            return redirect(url_for("admin.organization_edit", organization_id=organization.id))
    return render_template("admin/organization_form.html", form=form, organization=None)


@bp.route("/organizations/<int:organization_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def organization_edit(organization_id: int):
    organization = get_organization(organization_id)
    form = _organization_form(organization)
    if form.validate_on_submit():
        changes = {name: getattr(form, name).data for name in EDITABLE_FIELDS}
        changes["related_organization_ids"] = form.related_organization_ids.data
        try:
            update_organization(current_user, organization, changes)
        except ValidationFailed as failure:
            db.session.rollback()
            show_errors(form, failure)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.organization_edit", organization_id=organization.id))
    return render_template(
        "admin/organization_form.html",
        form=form,
        organization=organization,
        action_form=EmptyForm(),
    )


@bp.route("/organizations/<int:organization_id>/status", methods=["POST"])
@role_required(Role.ADMIN)
def organization_status(organization_id: int):
    organization = get_organization(organization_id)
    if EmptyForm().validate_on_submit():
        try:
            status = OrganizationStatus(request.form.get("status"))
        except ValueError:
            flash(_("Unknown status."), "error")
        else:
            try:
                reason = request.form.get("reason", "")
                if status == OrganizationStatus.REJECTED:
                    reason = require_rejection_reason(reason)
                set_status(current_user, organization, status, reason)
            except ValidationFailed as refusal:
                flash_refusal(refusal, {"reason": _("Reason")})
            else:
                flash(
                    _("%(name)s is now %(status)s.", name=organization.name, status=label(status)),
                    "success",
                )
    return redirect(request.referrer or url_for("admin.organizations"))


def _organization_choices() -> list:
    return options(
        [(0, "—")] + [(organization.id, organization.name) for organization in _all_organizations()]
    )


@bp.route("/users", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def users():
    form = UserForm()
    form.organization_id.choices = _organization_choices()
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in ("email", "name", "password", "role")}
        values["organization_id"] = form.organization_id.data or None
        try:
            user = create_user(current_user, values)
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    all_users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("admin/users.html", form=form, users=all_users, action_form=EmptyForm())


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_edit(user_id: int):
    """Edit an account, or deactivate it: its sessions and tokens stop working at once."""
    user = get_user(current_user, user_id)
    values = user_values(user) | {"organization_id": user.organization_id or 0}
    form = UserEditForm(data=values)
    form.organization_id.choices = _organization_choices()
    if form.validate_on_submit():
        changes = {name: getattr(form, name).data for name in ("name", "role", "active")}
        changes["organization_id"] = form.organization_id.data or None
        try:
            update_user(current_user, user.id, changes)
        except ValidationFailed as failure:
            db.session.rollback()
            show_errors(form, failure)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.users"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/user_form.html", form=form, user=user), status


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@role_required(Role.ADMIN)
def user_unlock(user_id: int):
    user = get_user(current_user, user_id)
    if EmptyForm().validate_on_submit():
        unlock_user(current_user, user)
        flash(_("%(email)s can sign in again.", email=user.email), "success")
    return redirect(url_for("admin.users"))
