"""One place that turns errors into answers: JSON under /api/, a page everywhere else."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from equipment_share.domain.availability import Interval
from equipment_share.domain.errors import DomainError, ValidationFailed
from equipment_share.extensions import db
from equipment_share.i18n import translate

STATUS_FOR_CODE = {
    "bad_request": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "payload_too_large": 413,
    "booking_conflict": 409,
    "invalid_state": 409,
    "period_locked": 409,
    "already_claimed": 409,
    "validation_error": 422,
    "outside_idle_window": 422,
    "rule_violation": 422,
    "too_many_requests": 429,
    "internal_error": 500,
    "service_unavailable": 503,
}
CODE_FOR_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    422: "validation_error",
    429: "too_many_requests",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def jsonable(value):
    """Details as JSON: instants with the deployment's offset, intervals as {start, end}."""
    if isinstance(value, Interval):
        return {"start": jsonable(value.start), "end": jsonable(value.end)}
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).isoformat()
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def json_error(code: str, message: str, details: dict | None = None, status: int | None = None):
    body = {"error": {"code": code, "message": message, "details": jsonable(details or {})}}
    return body, status or STATUS_FOR_CODE.get(code, 400)


def error_page(status: int, message: str):
    return render_template("errors/error.html", status=status, message=message), status


def handle_domain_error(error: DomainError):
    db.session.rollback()
    details = dict(error.details)
    if isinstance(error, ValidationFailed):
        details["fields"] = {name: translate(message) for name, message in error.fields.items()}
    status = STATUS_FOR_CODE.get(error.code, 400)
    if wants_json():
        return json_error(error.code, translate(error.message), details, status)
    return error_page(status, translate(error.message))


HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please sign in."),
    403: _l("You may not do this."),
    404: _l("There is no such page, or it is not visible to you."),
    405: _l("This address does not accept that kind of request."),
    413: _l("The upload is too large."),
    429: _l("Too many attempts in a short time. Please wait a minute and try again."),
}
# statuses whose raisers' words are not for the reader (Flask-Limiter's "10 per 1 minute")
OWN_MESSAGE_STATUSES = {429}


def http_message(error: HTTPException) -> str:
    """A message the reader understands: the raiser's own words, else ours for the status."""
    if error.code in OWN_MESSAGE_STATUSES:
        return str(HTTP_MESSAGES[error.code])
    if error.description and error.description != type(error).description:
        return error.description
    return str(HTTP_MESSAGES.get(error.code, error.name))


def handle_http_error(error: HTTPException):
    if database_unavailable(getattr(error, "original_exception", None)):
        return handle_database_unavailable(error.original_exception)
    _safe_rollback()
    status = error.code or 500
    message = http_message(error)
    if wants_json():
        code = CODE_FOR_STATUS.get(status, "internal_error" if status >= 500 else "bad_request")
        body, status = json_error(code, message, status=status)
    else:
        body, status = error_page(status, message)
    # keep what the client needs to act on, e.g. Allow on 405, WWW-Authenticate on 401
    headers = [(name, value) for name, value in error.get_headers() if name != "Content-Type"]
    return body, status, headers


def handle_csrf_error(error: CSRFError):
    db.session.rollback()
    message = gettext(
        "The form has expired or was not sent from this site. Reload the page and try again."
    )
    if wants_json():
        return json_error("bad_request", message)
    return error_page(400, message)


def database_unavailable(error: BaseException | None) -> bool:
    """The database cannot be reached (down, restarting, connections cut, the pool exhausted,
    SQLite's file locked or its disk full): a passing condition, not a bug."""
    if isinstance(error, DisconnectionError | PoolTimeoutError):
        return True
    return isinstance(error, DBAPIError) and (
        error.connection_invalidated or type(error.orig).__name__ in UNAVAILABLE_DRIVER_ERRORS
    )


# the drivers' names for "cannot reach or write the database now" (psycopg, sqlite3)
UNAVAILABLE_DRIVER_ERRORS = {
    "OperationalError",
    "InterfaceError",
    "ConnectionTimeout",
    "AdminShutdown",
    "CannotConnectNow",
}


def handle_database_unavailable(error: Exception):
    """503 without touching the database again: a standalone page in both languages (the
    reader's language may live in their account)."""
    _safe_rollback()
    current_app.logger.error("database unavailable: %s", error)
    if wants_json():
        message = "The database is not available right now. Nothing was saved; try again soon."
        details = {"request_id": g.get("request_id", "")}
        body, status = json_error("service_unavailable", message, details, 503)
        return body, status, [("Retry-After", "30")]
    page = render_template("errors/unavailable.html", request_id=g.get("request_id", ""))
    return page, 503, [("Retry-After", "30")]


def _safe_rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the pool will replace it
        current_app.logger.warning("rollback failed on a lost connection")


def handle_unexpected_error(error: Exception):
    original = getattr(error, "original_exception", None)
    if database_unavailable(error) or database_unavailable(original):
        return handle_database_unavailable(original if original is not None else error)
    _safe_rollback()
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    current_app.logger.exception("unhandled error")
    message = gettext("Something went wrong on our side. Nothing was saved; please try again.")
    if wants_json():
        return json_error(
            "internal_error", message, {"request_id": g.get("request_id", "")}, status=500
        )
    return error_page(500, message)


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
