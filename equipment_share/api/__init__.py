"""The JSON API under /api/v1, documented by flask-smorest as OpenAPI 3.1.

Errors are answered by equipment_share.errors (one handler for pages and API alike), so the
flask-smorest Api registers none of its own.
"""

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
    ERROR_SCHEMA = ErrorSchema

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
