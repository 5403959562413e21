"""Small things every page blueprint needs."""

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from zoneinfo import ZoneInfo

from flask import current_app, redirect, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter

from equipment_share.domain.errors import ValidationFailed
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
