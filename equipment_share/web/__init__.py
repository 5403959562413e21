"""The HTML pages: one blueprint per area."""

from flask import Flask

from equipment_share.extensions import csrf, login_manager
from equipment_share.web.labels import label


def init_app(app: Flask) -> None:
    from equipment_share.web import admin, auth, catalogue, manage, settings

    csrf.init_app(app)
    auth.init_login(login_manager, app)
    for module in (auth, catalogue, manage, admin, settings):
        app.register_blueprint(module.bp)
    app.context_processor(_template_helpers)
    app.jinja_env.globals["label"] = label


def _template_helpers() -> dict:
    from flask import current_app
    from flask_babel import get_locale

    from equipment_share.web.forms import WEEKDAYS, EmptyForm

    return {
        "languages": current_app.config["LANGUAGES"],
        "current_locale": str(get_locale()),
        "language_form": EmptyForm(),
        "weekday_names": dict(WEEKDAYS),
    }
