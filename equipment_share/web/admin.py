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
    set_status,
    update_organization,
)
from equipment_share.services.users import create_user
from equipment_share.web.forms import EmptyForm, OrganizationForm, UserForm, options
from equipment_share.web.helpers import role_required, show_errors
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
            set_status(current_user, organization, status)
            flash(
                _("%(name)s is now %(status)s.", name=organization.name, status=label(status)),
                "success",
            )
    return redirect(request.referrer or url_for("admin.organizations"))


@bp.route("/users", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def users():
    form = UserForm()
    form.organization_id.choices = options(
        [(0, "—")] + [(organization.id, organization.name) for organization in _all_organizations()]
    )
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
    return render_template("admin/users.html", form=form, users=all_users)
