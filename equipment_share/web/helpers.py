"""Small things every page blueprint needs."""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import wraps
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter

from equipment_share.domain.errors import DomainError, ValidationFailed
from equipment_share.extensions import db
from equipment_share.i18n import translate
from equipment_share.models import Role
from equipment_share.services.access import require_role

# The largest id a row can have (ids are INTEGER: 32 bits on PostgreSQL). A larger number in a
# URL or a query string names nothing, and must not reach the database driver, which refuses it.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` in URLs, up to MAX_ID: a larger number is simply not found (404)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_argument(name: str) -> int | None:
    """An id from the query string, or None when it is missing or cannot be an id."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


def role_required(*roles: Role) -> Callable:
    """Signed in, and of one of these roles (403 otherwise)."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            require_role(current_user, *roles)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def show_errors(
    form: FlaskForm, failure: ValidationFailed, field_names: dict | None = None
) -> None:
    """Put each field's message under that field; messages for fields the form lacks go on top."""
    field_names = field_names or {}
    for name, message in failure.fields.items():
        field = getattr(form, field_names.get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, translate(message)]
        else:
            form.form_errors.append(translate(message))


def flash_refusal(refusal: DomainError, labels: Mapping | None = None) -> None:
    """Say why a change was refused: each field's message with its label, or the one message."""
    if isinstance(refusal, ValidationFailed):
        for name, message in refusal.fields.items():
            field = (labels or {}).get(name, name)
            flash(_("%(field)s: %(message)s", field=field, message=translate(message)), "error")
    else:
        flash(translate(refusal.message), "error")


def apply_change(change: Callable[[], tuple[str, str]], labels: Mapping | None = None) -> bool:
    """Apply one change a button asked for and flash how it went: `change` returns its message
    and flash category. A refusal (wrong side, wrong state, bad reason) changes nothing and is
    flashed, the same on every page; the caller redirects either way."""
    try:
        message, category = change()
    except DomainError as refusal:
        db.session.rollback()
        flash_refusal(refusal, labels)
        return False
    flash(message, category)
    return True


def from_local(value: datetime) -> datetime:
    """A wall-clock time from a form, read in the deployment's time zone, as UTC."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return value.replace(tzinfo=zone).astimezone(UTC)


def to_local(value: datetime) -> datetime:
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


def redirect_back(default_endpoint: str, **values):
    """Back to the page the user came from on this site, or to a default."""
    target = request.form.get("next") or request.args.get("next")
    if target and is_local_path(target):
        return redirect(target)
    return redirect(url_for(default_endpoint, **values))


def is_local_path(target: str) -> bool:
    """A path on this site, read as a browser reads it: browsers drop tabs and line breaks and
    take a backslash for a slash, so "/\\evil.example" would lead to another host."""
    seen = "".join(target.split()).replace("\\", "/")
    return seen.startswith("/") and not seen.startswith("//")
