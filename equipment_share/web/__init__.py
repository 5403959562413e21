"""The HTML pages: one blueprint per area."""

from functools import partial

from flask import Flask, current_app
from flask_login import current_user

from equipment_share.extensions import csrf, login_manager
from equipment_share.i18n import select_locale
from equipment_share.security import init_for_pages
from equipment_share.web import (
    admin,
    audit,
    auth,
    bookings,
    calendars,
    catalogue,
    claims,
    dashboard,
    funds,
    health,
    invoices,
    manage,
    notices,
    rate_cards,
    reports,
    schedule,
    settings,
    statements,
    subsidy_policies,
    today,
    usage,
)
from equipment_share.web.forms import WEEKDAYS, EmptyForm, invalid_attrs
from equipment_share.web.helpers import IdConverter
from equipment_share.web.labels import label, purpose_label

BLUEPRINT_MODULES = (
    health,
    auth,
    dashboard,
    reports,
    catalogue,
    bookings,
    schedule,
    today,
    usage,
    calendars,
    manage,
    rate_cards,
    admin,
    audit,
    settings,
    notices,
    statements,
    funds,
    invoices,
    subsidy_policies,
    claims,
)


def init_app(app: Flask) -> None:
    init_for_pages(app, csrf.init_app)
    init_for_pages(app, partial(auth.init_login, login_manager))
    app.url_map.converters["int"] = IdConverter  # before any route is added
    for module in BLUEPRINT_MODULES:
        app.register_blueprint(module.bp)
    app.context_processor(_template_helpers)
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["purpose_label"] = purpose_label
    app.jinja_env.globals["invalid_attrs"] = invalid_attrs


def _template_helpers() -> dict:
    return {
        "languages": current_app.config["LANGUAGES"],
        "current_locale": select_locale(),
        # formdata=None: only its CSRF token is needed, and reading the request's form here
        # would raise again on the 413 page of a body over the size limit. Only when signed in:
        # making the form writes its token into the session, and a visitor's page sets no
        # cookie (the language switch has its own token for visitors, see web/settings.py)
        "language_form": EmptyForm(formdata=None) if current_user.is_authenticated else None,
        "weekday_names": dict(WEEKDAYS),
    }
