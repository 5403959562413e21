"""Security headers on every answer, secure cookies behind HTTPS, and templates that a CSP
without 'unsafe-inline' does not break."""

import re

import pytest

from equipment_share import PROJECT_ROOT, create_app
from equipment_share.extensions import db
from tests.conftest import PASSWORD

TEMPLATES = sorted((PROJECT_ROOT / "templates").rglob("*.html"))
INLINE_CODE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),  # a script without src
    re.compile(r"<style\b", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\son[a-z]+\s*=", re.I),  # onclick= and friends
    re.compile(r"javascript:", re.I),
]


@pytest.mark.parametrize(
    "path",
    ["/", "/login", "/no-such-page", "/api/v1/me", "/api/v1/openapi.json", "/static/css/app.css"],
)
def test_every_answer_carries_the_security_headers(client, path):
    with client.get(path) as response:
        headers = response.headers

    csp = headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP by default


def test_the_booking_forms_cannot_be_framed(client, login, make_user):
    login(make_user("platform"))

    response = client.get("/bookings/inbox")

    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_have_no_inline_scripts_or_styles(template):
    text = template.read_text()

    found = [match.group(0) for pattern in INLINE_CODE for match in pattern.finditer(text)]

    assert found == [], f"move these to static/: {found}"


@pytest.fixture
def https_app(app, database_url, tmp_path):
    served = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "https-test-secret",
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SERVED_OVER_HTTPS": True,
        }
    )
    yield served
    with served.app_context():
        db.engine.dispose()


def test_behind_https_cookies_are_secure_and_hsts_is_sent(https_app, make_user):
    user = make_user("sme")
    client = https_app.test_client()

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, base_url="https://localhost"
    )
    language = client.post("/language/en", base_url="https://localhost")

    assert response.status_code == 302
    session_cookie = response.headers["Set-Cookie"]
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert all("Secure" in cookie for cookie in language.headers.getlist("Set-Cookie"))
