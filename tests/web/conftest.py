"""Page-test helpers: fresh request globals per request, form tokens, and a CSRF-checking app."""

import html
import re

import pytest
from flask import g, request_started

from equipment_share import create_app
from equipment_share.extensions import db
from equipment_share.i18n import LANGUAGE_COOKIE

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _forget_request_globals(sender, **extra) -> None:
    g.__dict__.clear()


@pytest.fixture(autouse=True)
def fresh_request_globals(app):
    """The `app` fixture keeps one app context open, and the test client reuses it, so `g` would
    carry the signed-in user, the locale and CSRF state from one request into the next. A real
    server starts every request with an empty `g`; so do these tests."""
    request_started.connect(_forget_request_globals, app)
    yield
    request_started.disconnect(_forget_request_globals, app)


@pytest.fixture
def english(client):
    """Pages in English, so tests can look for the messages as the code spells them."""
    client.set_cookie(LANGUAGE_COOKIE, "en")
    return client


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def csrf_token(response) -> str:
    match = CSRF_INPUT.search(response.get_data(as_text=True))
    assert match, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def csrf_app(app, database_url, tmp_path):
    """A second app on the same database, with CSRF protection on as in production. Its requests
    push their own app context, as a real server does."""
    checked = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "csrf-test-secret",
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": True,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "RATELIMIT_ENABLED": False,
            # as for the `app` fixture's app: a sending thread would hold the SQLite file's lock
            # while the test goes on ("database is locked")
            "SEND_AFTER_COMMIT": False,
        }
    )
    yield checked
    with checked.app_context():
        db.engine.dispose()


@pytest.fixture
def csrf_client(csrf_app):
    return csrf_app.test_client()
