"""The user's own settings: language, API tokens and the secret calendar feed link."""

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from equipment_share.extensions import db
from equipment_share.i18n import LANGUAGE_COOKIE
from equipment_share.services.calendars import make_feed_secret, revoke_feed_secret
from equipment_share.services.tokens import issue_token, revoke_token
from equipment_share.web.forms import EmptyForm, TokenForm
from equipment_share.web.helpers import redirect_back

bp = Blueprint("settings", __name__)
ONE_YEAR = 365 * 24 * 3600


@bp.route("/language/<code>", methods=["POST"])
def language(code: str):
    """Switch the language; it sticks in a cookie, and on the account when signed in."""
    if code not in current_app.config["LANGUAGES"] or not EmptyForm().validate_on_submit():
        return redirect_back("catalogue.index")
    if current_user.is_authenticated:
        current_user.locale = code
    response = make_response(redirect_back("catalogue.index"))
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = issue_token(current_user, form.label.data or "")
        flash(_("Copy the token now: it is shown only once."), "warning")
    return _settings_page(form=form, new_token=new_token)


def _settings_page(*, form=None, new_token=None, feed_url=None):
    return render_template(
        "settings/settings.html",
        form=form or TokenForm(formdata=None),
        new_token=new_token,
        tokens=current_user.tokens,
        revoke_form=EmptyForm(),
        feed_url=feed_url,
    )


@bp.route("/settings/calendar-feed", methods=["POST"])
@login_required
def make_feed():
    """A new secret feed link, shown once; any previous link stops working."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("settings.settings"))
    secret = make_feed_secret(current_user)
    flash(_("Copy the calendar link now: it is shown only once."), "warning")
    return _settings_page(feed_url=url_for("calendars.feed", secret=secret, _external=True))


@bp.route("/settings/calendar-feed/revoke", methods=["POST"])
@login_required
def revoke_feed():
    if EmptyForm().validate_on_submit():
        revoke_feed_secret(current_user)
        flash(_("The calendar link is revoked."), "success")
    return redirect(url_for("settings.settings"))


@bp.route("/settings/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    if EmptyForm().validate_on_submit() and revoke_token(current_user, token_id):
        db.session.flush()
        flash(_("The token is revoked."), "success")
    return redirect(url_for("settings.settings"))
