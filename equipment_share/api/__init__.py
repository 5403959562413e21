"""The JSON API under /api/v1, documented by flask-smorest as OpenAPI 3.1.

Errors are answered by equipment_share.errors (one handler for pages and API alike), so the
flask-smorest Api registers none of its own.
"""

import threading

from flask import Flask
from flask_smorest import Api

from equipment_share.api import (
    adjustments,
    availability,
    bookings,
    budgets,
    equipment,
    idle_windows,
    me,
    metrics,
    notifications,
    organizations,
    period_locks,
    platform_rewards,
    production_calendar,
    rate_cards,
    statements,
    subsidy,
    usage,
    users,
)
from equipment_share.api.auth import BEARER_CHALLENGE
from equipment_share.api.schemas import ErrorSchema
from equipment_share.extensions import csrf
from equipment_share.security import limit_api

BLUEPRINTS = (
    me.blp,
    organizations.blp,
    users.blp,
    equipment.blp,
    idle_windows.blp,
    production_calendar.blp,
    availability.blp,
    bookings.blp,
    rate_cards.blp,
    statements.blp,
    usage.blp,
    metrics.blp,
    period_locks.blp,
    subsidy.blp,
    budgets.blp,
    adjustments.blp,
    platform_rewards.blp,
    notifications.blp,
)
SECURITY_SCHEME = "bearerAuth"
# once, at import: Flask-Limiter keeps a blueprint's limits by name, for every app
for _blueprint in BLUEPRINTS:
    limit_api(_blueprint)


class JsonApi(Api):
    """The API's routes are registered with the app at once; their OpenAPI document is written
    when first read (/api/v1/openapi.json, `flask openapi print`). Turning every marshmallow
    schema into JSON Schema costs about 50 ms of CPU, which every app paid at start-up, every
    test's app included, for a document that few of them read. The document is the same:
    tests/api/test_openapi_document.py compares it with the one flask-smorest writes at
    registration."""

    ERROR_SCHEMA = ErrorSchema

    def __init__(self, app: Flask, **kwargs) -> None:
        self._undocumented: list[tuple] = []  # (blueprint, name, parameters), in order
        self._documenting = threading.Lock()
        super().__init__(app, **kwargs)

    @property
    def spec(self):
        """The document, with every registered blueprint's operations in it."""
        if self._undocumented:
            self._document_blueprints()
        return self._spec

    @spec.setter
    def spec(self, spec) -> None:
        self._spec = spec

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        """What flask-smorest's Api.register_blueprint does, the document part postponed."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def _document_blueprints(self) -> None:
        with self._documenting:
            while self._undocumented:
                blp, name, parameters = self._undocumented[0]
                blp.register_views_in_doc(
                    self, self._app, self._spec, name=name, parameters=parameters
                )
                self._spec.tag({"name": name, "description": blp.description})
                del self._undocumented[0]

    def _register_error_handlers(self) -> None:
        """flask-smorest's own handler would answer every HTTP error of the site, pages too."""


def init_app(app: Flask) -> None:
    api = JsonApi(app, spec_kwargs={"security": [{SECURITY_SCHEME: []}]})
    api.spec.components.security_scheme(
        SECURITY_SCHEME,
        {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from the settings page or `flask create-token`. "
            f"Without a valid one every operation answers 401 ({BEARER_CHALLENGE}).",
        },
    )
    for blueprint in BLUEPRINTS:
        # Bearer tokens, not cookies: a cross-site form cannot send the Authorization header.
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
