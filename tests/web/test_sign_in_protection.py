"""Sign-in protection: rate limits (in memory and in Redis), lockout and unlock, sessions that
end on the server at sign-out, are renewed at sign-in and expire when idle."""

import os
import socket
import time

import pytest
from flask_limiter import Limiter

from equipment_share import create_app
from equipment_share.extensions import db, limiter
from equipment_share.i18n import LANGUAGE_COOKIE
from tests.conftest import PASSWORD
from tests.web.conftest import page_text

pytestmark = pytest.mark.usefixtures("english")

# a database of its own on the machine's Redis, emptied of rate-limit counts before each test;
# one per pytest-xdist worker (gw0 -> 14, gw1 -> 13, ...): emptying a database shared with another
# worker wiped its counts mid-test
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_URL = os.environ.get(
    "RATELIMIT_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{14 - _WORKER % 14}"
)
TOO_MANY = "Too many attempts in a short time."
LOCKED = "This account is locked after too many wrong passwords."


def redis_is_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def storage_uri(name: str) -> str:
    if name == "redis" and not redis_is_reachable():
        if os.environ.get("CI"):
            pytest.fail("CI runs the rate-limit tests on Redis: start redis-server")
        pytest.skip("no Redis on 127.0.0.1:6379")
    return {"memory": "memory://", "redis": REDIS_URL}[name]


def app_with_limits(database_url, tmp_path, **limits) -> object:
    """An app on the test's database with rate limits on, configured by `limits`."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "limit-test-secret",
            "DATABASE_URL": database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "RATELIMIT_ENABLED": True,
            **limits,
        }
    )


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, app, database_url, tmp_path):
    """The app with rate limits on, small ones, on the same database."""
    limited = app_with_limits(
        database_url,
        tmp_path,
        WTF_CSRF_ENABLED=False,
        RATELIMIT_STORAGE_URI=storage_uri(request.param),
        RATELIMIT_SWALLOW_ERRORS=False,
        SIGN_IN_RATE_LIMIT_PER_ACCOUNT="3 per minute",
        SIGN_IN_RATE_LIMIT_PER_ADDRESS="5 per minute",
        API_FAILED_TOKEN_LIMIT_PER_ADDRESS="4 per minute",
        API_RATE_LIMIT_PER_TOKEN="10 per minute",
    )
    limiter.reset()
    yield limited
    with limited.app_context():
        db.engine.dispose()


@pytest.fixture
def limited_client(limited_app):
    client = limited_app.test_client()
    client.set_cookie(LANGUAGE_COOKIE, "en")
    return client


def sign_in(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def test_a_flood_of_guesses_at_one_account_is_stopped(limited_client, make_user):
    user, other = make_user("sme"), make_user("sme")

    answers = [sign_in(limited_client, user.email, f"guess-{n}").status_code for n in range(3)]
    blocked = sign_in(limited_client, user.email, PASSWORD)

    assert answers == [200, 200, 200]
    assert blocked.status_code == 429
    assert TOO_MANY in page_text(blocked)
    assert "Retry-After" in blocked.headers
    # another account from the same address is still served
    assert sign_in(limited_client, other.email).status_code == 302


def test_a_flood_from_one_address_over_many_accounts_is_stopped(limited_client):
    answers = [
        sign_in(limited_client, f"nobody{n}@test.example", "guess-guess").status_code
        for n in range(6)
    ]

    assert answers == [200] * 5 + [429]


def test_failed_api_tokens_from_one_address_are_stopped(limited_client, api_headers, make_user):
    bad = {"Authorization": "Bearer es_not-a-token"}

    answers = [limited_client.get("/api/v1/me", headers=bad).status_code for _ in range(5)]

    assert answers == [401] * 4 + [429]
    blocked = limited_client.get("/api/v1/me", headers=bad)
    assert blocked.get_json()["error"]["code"] == "too_many_requests"


def test_good_api_tokens_are_not_counted_as_failures(limited_client, api_headers, make_user):
    headers = api_headers(make_user("sme"))

    answers = {limited_client.get("/api/v1/me", headers=headers).status_code for _ in range(8)}

    assert answers == {200}


def test_a_token_over_its_limit_is_stopped_at_that_endpoint(limited_client, api_headers, make_user):
    headers, other = api_headers(make_user("sme")), api_headers(make_user("sme"))

    answers = [limited_client.get("/api/v1/me", headers=headers) for _ in range(11)]

    assert [answer.status_code for answer in answers] == [200] * 10 + [429]
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers] == [
        str(left) for left in (9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0)
    ]
    assert {answer.headers["X-RateLimit-Limit"] for answer in answers} == {"10"}
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    assert int(answers[-1].headers["X-RateLimit-Reset"]) > time.time()
    assert answers[-1].get_json()["error"]["code"] == "too_many_requests"
    # each endpoint counts apart, and so does each token
    assert limited_client.get("/api/v1/notifications", headers=headers).status_code == 200
    assert limited_client.get("/api/v1/me", headers=other).status_code == 200


def test_rate_limit_headers_of_a_refused_token_describe_the_token_limit(limited_client):
    bad = {"Authorization": "Bearer es_not-a-token"}

    answers = [limited_client.get("/api/v1/me", headers=bad) for _ in range(5)]

    assert [answer.status_code for answer in answers] == [401] * 4 + [429]
    # while the address may still try, the headers describe the token's own limit; once
    # stopped, the failed-token limit that stopped it
    assert [answer.headers["X-RateLimit-Limit"] for answer in answers] == ["10"] * 4 + ["4"]
    assert answers[-1].headers["X-RateLimit-Remaining"] == "0"
    assert "WWW-Authenticate" not in answers[-1].headers


def test_the_user_is_told_about_a_lockout_and_an_admin_lifts_it(app, client, make_user):
    app.config["SIGN_IN_LOCK_AFTER"] = 3
    user, admin = make_user("sme"), make_user("admin")

    for attempt in range(3):
        sign_in(client, user.email, f"wrong-password-{attempt}")
    refused = sign_in(client, user.email, PASSWORD)

    assert refused.status_code == 200
    assert LOCKED in page_text(refused)
    sign_in(client, admin.email)
    users_page = page_text(client.get("/admin/users"))
    assert "Locked" in users_page and f"/admin/users/{user.id}/unlock" in users_page
    assert client.post(f"/admin/users/{user.id}/unlock").status_code == 302
    client.post("/logout")
    assert sign_in(client, user.email).status_code == 302


def test_only_an_admin_may_unlock(client, make_user, login):
    user = make_user("sme", locked_at=db.func.now())
    login(make_user("finance"))

    assert client.post(f"/admin/users/{user.id}/unlock").status_code == 403
    db.session.refresh(user)
    assert user.is_locked


def test_a_cookie_copied_before_sign_out_is_dead_after_it(app, client, make_user, login):
    login(make_user("platform"))
    copied = client.get_cookie("session").value
    client.post("/logout")

    thief = app.test_client()
    thief.set_cookie("session", copied)

    assert thief.get("/manage/equipment").status_code == 302  # to the sign-in page


def test_sign_in_starts_a_new_session(app, client, make_user):
    user = make_user("sme")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"

    sign_in(client, user.email)

    with client.session_transaction() as session:
        assert "planted" not in session


def test_an_idle_session_expires(app, client, make_user, login):
    app.config["SESSION_IDLE_MINUTES"] = 30
    login(make_user("platform"))
    assert client.get("/manage/equipment").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 31 * 60

    response = client.get("/manage/equipment")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_active_session_stays(app, client, make_user, login):
    app.config["SESSION_IDLE_MINUTES"] = 30
    login(make_user("platform"))
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 29 * 60

    assert client.get("/manage/equipment").status_code == 200
    with client.session_transaction() as session:
        assert int(time.time()) - session["seen"] < 60  # the visit counts as activity


def test_an_unreachable_store_falls_back_to_counting_in_memory(
    app, database_url, tmp_path, api_headers, make_user
):
    unreachable = app_with_limits(
        database_url,
        tmp_path,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",  # nothing listens there
        RATELIMIT_SWALLOW_ERRORS=False,
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        API_RATE_LIMIT_PER_TOKEN="3 per minute",
    )
    headers = api_headers(make_user("sme"))
    client = unreachable.test_client()

    answers = [client.get("/api/v1/me", headers=headers).status_code for _ in range(4)]

    with unreachable.app_context():
        db.engine.dispose()
    assert answers == [200, 200, 200, 429]


def test_flask_limiter_counts_pages_and_leaves_the_api_to_its_own_limits(
    app, database_url, tmp_path, api_headers, make_user, paths_calling
):
    """Flask-Limiter's request hooks run for pages (the app's default limit applies there) and
    not for the API, whose limits security.ApiLimits counts."""
    looked_at = paths_calling(Limiter, "_check_request_limit")
    limited = app_with_limits(
        database_url,
        tmp_path,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_DEFAULT="2 per minute",
        API_RATE_LIMIT_PER_TOKEN="3 per minute",
    )
    limiter.reset()
    headers = api_headers(make_user("sme"))
    client = limited.test_client()

    pages = [client.get("/login").status_code for _ in range(3)]
    api = [client.get("/api/v1/me", headers=headers) for _ in range(4)]

    with limited.app_context():
        db.engine.dispose()
    assert pages == [200, 200, 429]
    assert [answer.status_code for answer in api] == [200, 200, 200, 429]
    assert api[0].headers["X-RateLimit-Limit"] == "3"
    assert set(looked_at) == {"/login"}
