"""The user's own settings: language, API tokens, the secret calendar feed link, and the
contact details and group robot (WeCom, DingTalk) of the user's organisation."""

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from equipment_share.domain.errors import ValidationFailed
from equipment_share.extensions import csrf, db
from equipment_share.i18n import LANGUAGE_COOKIE
from equipment_share.models import Role
from equipment_share.services.calendars import make_feed_secret, revoke_feed_secret
from equipment_share.services.organizations import CONTACT_FIELDS, update_contact_details
from equipment_share.services.tokens import issue_token, revoke_token
from equipment_share.services.webhooks import channel_of, queue_test, remove_channel, set_channel
from equipment_share.web.forms import ContactDetailsForm, EmptyForm, TokenForm
from equipment_share.web.helpers import redirect_back, role_required, show_errors
from equipment_share.web.notices import WebhookForm

bp = Blueprint("settings", __name__)
ONE_YEAR = 365 * 24 * 3600


@bp.app_template_global()
def visitor_language_token() -> str:
    """The language switch's token for a visitor, who has no session to hold a CSRF token (so
    that public pages set no cookie and can be served from the page cache): one value per
    site, derived from its secret key."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"language switch", hashlib.sha256).hexdigest()


def _check_language_switch() -> None:
    """Signed in, the switch also changes the account: the session's CSRF token, as on every
    form. A visitor's switch changes only the visitor's own cookie: the visitor token, from a
    page of this site (a browser's Origin and Sec-Fetch-Site headers, when sent, must say so).
    Otherwise the CSRF error, as for any form without its token."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if not current_user.is_authenticated and _same_site_visitor():
        return
    csrf.protect()


def _same_site_visitor() -> bool:
    token = request.form.get("csrf_token", "")
    if not hmac.compare_digest(token, visitor_language_token()):
        return False
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        return False
    return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")


@bp.route("/language/<code>", methods=["POST"])
@csrf.exempt  # checked by _check_language_switch: a visitor has no session token
def language(code: str):
    """Switch the language; it sticks in a cookie, and on the account when signed in."""
    _check_language_switch()
    if code not in current_app.config["LANGUAGES"]:
        return redirect_back("catalogue.index")
    if current_user.is_authenticated:
        current_user.locale = code
    response = make_response(redirect_back("catalogue.index"))
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=ONE_YEAR,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
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
        # the same link for calendar apps, which subscribe to webcal:// links when clicked
        webcal_url="webcal://" + feed_url.split("://", 1)[1] if feed_url else None,
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
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("settings.settings"))
    if not revoke_token(current_user, token_id):
        abort(404)  # not the user's token: whether it exists is not revealed
    db.session.flush()
    flash(_("The token is revoked."), "success")
    return redirect(url_for("settings.settings"))


@bp.route("/settings/organization", methods=["GET", "POST"])
@role_required(Role.PLATFORM, Role.SME)
def organization():
    """The user's organisation: its registered facts to read, its contact details to edit."""
    current = current_user.organization
    form = ContactDetailsForm(data={name: getattr(current, name) for name in CONTACT_FIELDS})
    if form.validate_on_submit():
        try:
            update_contact_details(current_user, {name: form[name].data for name in CONTACT_FIELDS})
        except ValidationFailed as failure:
            db.session.rollback()
            show_errors(form, failure)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("settings.organization"))
    return _organization_page(form, _webhook_form())


def _webhook_form() -> WebhookForm:
    channel = channel_of(current_user.organization_id)
    data = {"kind": channel.kind, "url": channel.url} if channel is not None else {}
    return WebhookForm(formdata=None, data=data)


def _organization_page(form: ContactDetailsForm, webhook_form: WebhookForm):
    failed = form.errors or form.form_errors or webhook_form.errors or webhook_form.form_errors
    return render_template(
        "settings/organization.html",
        form=form,
        webhook_form=webhook_form,
        channel=channel_of(current_user.organization_id),
        organization=current_user.organization,
    ), (422 if failed else 200)


@bp.route("/settings/organization/webhook", methods=["POST"])
@role_required(Role.PLATFORM, Role.SME)
def webhook():
    """Save, remove or test the organisation's group robot."""
    current = current_user.organization
    contact_form = ContactDetailsForm(
        formdata=None, data={name: getattr(current, name) for name in CONTACT_FIELDS}
    )
    form = WebhookForm()
    if not form.validate_on_submit():
        return _organization_page(contact_form, form)
    action = request.form.get("action", "save")
    if action == "remove":
        if remove_channel(current_user):
            flash(_("The group robot is removed."), "success")
    elif action == "test":
        if queue_test(current_user) is not None:
            flash(_("A test message is queued; it is posted within a minute."), "success")
    else:
        # an empty secret field keeps the stored secret (it is never shown back)
        try:
            set_channel(current_user, form.kind.data, form.url.data, form.secret.data or None)
        except ValidationFailed as failure:
            db.session.rollback()
            show_errors(form, failure)
            return _organization_page(contact_form, form)
        flash(_("Saved."), "success")
    return redirect(url_for("settings.organization"))
