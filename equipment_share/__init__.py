"""equipment_share: sharing idle research instruments with SMEs."""

import gc
import os
from contextlib import suppress
from pathlib import Path
from weakref import WeakSet

from flask import Flask

from equipment_share import config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class EquipmentShare(Flask):
    """Flask, remembering which functions are not coroutines: Flask asks inspect about every
    request hook and the view on every request (some 24 times per API request, about 2% of
    `/api/v1/me`). Held weakly, so a function made for one request is forgotten with it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._plain_functions: WeakSet = WeakSet()

    def ensure_sync(self, func):
        if func in self._plain_functions:
            return func
        made = super().ensure_sync(func)
        if made is func:
            with suppress(TypeError):  # not weakly referable: asked about every time
                self._plain_functions.add(func)
        return made


def create_app(test_config: dict | None = None) -> Flask:
    app = EquipmentShare(
        __name__,
        instance_path=os.environ.get("EQUIPMENT_SHARE_INSTANCE", str(PROJECT_ROOT / "instance")),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    _configure(app, test_config)

    from equipment_share import (
        api,
        body_limits,
        cli,
        database,
        errors,
        i18n,
        logs,
        request_text,
        security,
        unchanged_reads,
        web,
    )
    from equipment_share.services import idle_spans, notifications

    idle_spans.register()

    logs.init_app(app)
    body_limits.init_app(app)  # first: before any hook reads the body
    request_text.init_app(app)  # next: no other hook should see text the database cannot store
    database.init_app(app)
    unchanged_reads.init_app(app)
    notifications.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    web.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    errors.init_app(app)
    if not app.testing:
        # The app's objects (some 150,000) live as long as the process: keep them out of the
        # collector's full passes, which walk every object (80 ms each on a loaded 2-core
        # machine; a 10,000-event feed triggers several). Not in tests: they make an app each.
        gc.freeze()
    return app


def _configure(app: Flask, test_config: dict | None) -> None:
    """Defaults, then instance/config.py, then the environment, then the test dict."""
    instance_path = Path(app.instance_path)
    instance_path.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(config.environment_settings())
    app.config.from_prefixed_env()
    if test_config:
        app.config.from_mapping(test_config)
    app.config.setdefault("DATABASE_URL", config.sqlite_url(instance_path))
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config.engine_options(
        app.config["DATABASE_URL"], app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    )
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.load_secret_key(instance_path)
    app.config.setdefault("UPLOAD_FOLDER", str(instance_path / "uploads"))
