"""The bell: a user's notices, newest first, to read and mark as read; and the group-robot
settings of the user's organisation (on its settings page)."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField

from equipment_share.extensions import db
from equipment_share.models import Notification
from equipment_share.services import notices
from equipment_share.services.notice_text import render
from equipment_share.web.forms import EmptyForm
from equipment_share.web.helpers import is_local_path

bp = Blueprint("notices", __name__)
PER_PAGE = 30


class WebhookForm(FlaskForm):
    kind = SelectField(
        _l("Group robot"),
        choices=[
            SelectChoice("wecom", _l("WeCom (企业微信)")),
            SelectChoice("dingtalk", _l("DingTalk (钉钉)")),
        ],
    )
    url = StringField(_l("Webhook address"))
    secret = PasswordField(_l("Signing secret (DingTalk, optional)"))


@bp.app_template_global()
def unread_notices_count() -> int:
    """For the bell in the header: one COUNT, signed-in users only."""
    return notices.unread_count(current_user if current_user.is_authenticated else None)


@bp.app_template_global()
def notice_text(notice: Notification) -> str:
    return render(notice.kind, notice.params or {})


@bp.app_template_global()
def notice_target(notice: Notification) -> str | None:
    """Where the notice's object is shown, when there is a page for it."""
    params = notice.params or {}
    if notice.object_type == "booking" and notice.object_id:
        return url_for("bookings.detail", booking_id=notice.object_id)
    if notice.object_type == "usage" and params.get("booking"):
        return url_for("bookings.detail", booking_id=params["booking"])
    if notice.object_type == "claim" and notice.object_id:
        return url_for("claims.detail", claim_id=notice.object_id)
    return None


@bp.route("/notifications")
@login_required
def index():
    unread = request.args.get("unread") == "1"
    page = db.paginate(
        notices.notices_query(current_user, unread=unread), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "notices/index.html",
        page=page,
        unread=unread,
        unread_total=notices.unread_count(current_user),
        form=EmptyForm(),
    )


@bp.route("/notifications/<int:notice_id>/read", methods=["POST"])
@login_required
def read(notice_id: int):
    """Mark one as read; with `next` (the object's page) go there, the notice's link."""
    notice = notices.own_notice(current_user, notice_id)
    if EmptyForm().validate_on_submit():
        notices.mark_read(current_user, notice.id)
    target = request.form.get("next", "")
    if target and is_local_path(target):
        return redirect(target)
    return redirect(url_for("notices.index", page=request.args.get("page", type=int)))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    if EmptyForm().validate_on_submit():
        notices.mark_all_read(current_user)
    return redirect(url_for("notices.index"))
