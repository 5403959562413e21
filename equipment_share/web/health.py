"""Probes for the process manager and the load balancer: /healthz (the process answers) and
/readyz (the database answers and its schema is the newest migration)."""

from flask import Blueprint, current_app
from sqlalchemy.exc import SQLAlchemyError

from equipment_share.database import migration_head, schema_revision

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}


@bp.route("/readyz")
def readyz():
    try:
        revision = schema_revision()
    except SQLAlchemyError as error:
        current_app.logger.warning("readiness: database unreachable: %s", type(error).__name__)
        return {"status": "unavailable", "database": "unreachable"}, 503
    head = migration_head()
    if revision != head:
        return {
            "status": "unavailable",
            "database": "ok",
            "migrations": {"database": revision, "code": head},
        }, 503
    return {"status": "ok", "database": "ok", "migrations": {"database": revision, "code": head}}
