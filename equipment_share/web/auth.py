"""Signing in and out, and SME self-registration."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user

from equipment_share.domain.errors import ValidationFailed
from equipment_share.extensions import db
from equipment_share.models import User
from equipment_share.services.organizations import register_sme
from equipment_share.services.users import authenticate
from equipment_share.web.forms import LoginForm, RegistrationForm
from equipment_share.web.helpers import redirect_back, show_errors

bp = Blueprint("auth", __name__)

ORGANIZATION_FIELDS = (
    "name",
    "name_en",
    "uscc",
    "tech_sme_certified",
    "tech_sme_cert_no",
    "industry",
    "address",
    "contact_name",
    "contact_phone",
    "description",
)


def init_login(login_manager: LoginManager, app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.user_loader(lambda user_id: db.session.get(User, int(user_id)))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.form_errors.append(_("Wrong e-mail address or password."))
        elif not user.is_active:
            form.form_errors.append(
                _(
                    "Your account is not active yet: an administrator must approve your organisation."
                )
            )
        else:
            login_user(user)
            return redirect_back("catalogue.index")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("catalogue.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("catalogue.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        organization_values = {name: getattr(form, name).data for name in ORGANIZATION_FIELDS}
        user_values = {
            "email": form.email.data,
            "password": form.password.data,
            "name": form.user_name.data,
        }
        try:
            register_sme(organization_values, user_values)
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(
                _(
                    "Thank you. An administrator will check your organisation; you can sign in once it is approved."
                ),
                "success",
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)
