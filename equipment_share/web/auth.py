"""Signing in and out, and SME self-registration."""

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user

from equipment_share.domain.errors import ValidationFailed
from equipment_share.security import limit_sign_in, start_session
from equipment_share.services.organizations import register_sme
from equipment_share.services.users import (
    SignInRefused,
    authenticate,
    end_sessions,
    user_for_session,
)
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
    login_manager.user_loader(user_for_session)


def refusal_message(reason: str) -> str:
    if reason == "locked":
        return _(
            "This account is locked after too many wrong passwords. "
            "Ask an administrator to unlock it."
        )
    if reason == "inactive":
        return _("Your account is not active yet: an administrator must approve your organisation.")
    return _("Wrong e-mail address or password.")


@bp.route("/login", methods=["GET", "POST"])
@limit_sign_in
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(
                form.email.data,
                form.password.data,
                lock_after=current_app.config["SIGN_IN_LOCK_AFTER"],
            )
        except SignInRefused as refusal:
            form.form_errors.append(refusal_message(refusal.reason))
        else:
            start_session()
            login_user(user)
            return redirect_back("dashboard.index")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        end_sessions(current_user)
    logout_user()
    session.clear()
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
