"""The HTML pages: one blueprint per area."""

from flask import Flask, current_app

from equipment_share.extensions import csrf, login_manager
from equipment_share.i18n import select_locale
from equipment_share.web import (
    admin,
    audit,
    auth,
    bookings,
    calendars,
    catalogue,
    manage,
    rate_cards,
    settings,
    statements,
    usage,
)
from equipment_share.web.forms import WEEKDAYS, EmptyForm
from equipment_share.web.helpers import IdConverter
from equipment_share.web.labels import label

BLUEPRINT_MODULES = (
    auth,
    catalogue,
    bookings,
    usage,
    calendars,
    manage,
    rate_cards,
    admin,
    audit,
    settings,
    statements,
)


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    auth.init_login(login_manager, app)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    for module in BLUEPRINT_MODULES:
        app.register_blueprint(module.bp)
    app.context_processor(_template_helpers)
    app.jinja_env.globals["label"] = label


def _template_helpers() -> dict:
    return {
        "languages": current_app.config["LANGUAGES"],
        "current_locale": select_locale(),
        "language_form": EmptyForm(),
        "weekday_names": dict(WEEKDAYS),
    }
