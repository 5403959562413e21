"""The request hooks of Flask-WTF (CSRF) and Flask-Login (the remember-me cookie) are the
pages' business: they skip the API's requests, which authenticate by bearer token and have no
session (security.init_for_pages). Flask-Limiter's are tested with the sign-in limits."""

from flask_wtf.csrf import CSRFProtect


def test_the_csrf_check_runs_for_pages_and_not_for_the_api(
    app, client, make_user, api_headers, paths_calling
):
    checked = paths_calling(CSRFProtect, "protect")
    app.config["WTF_CSRF_ENABLED"] = True
    headers = api_headers(make_user("sme"))

    page = client.post("/login", data={"email": "someone@example.com", "password": "x"})
    api = client.get("/api/v1/me", headers=headers)

    assert page.status_code == 400  # no CSRF token
    assert api.status_code == 200
    assert checked == ["/login"]


def test_the_remember_cookie_hook_skips_the_api(app, client, make_user, api_headers):
    # Flask-Login would write "_remember" into the API's null session (a 500) if it ran there
    app.config["REMEMBER_COOKIE_REFRESH_EACH_REQUEST"] = True

    response = client.get("/api/v1/me", headers=api_headers(make_user("sme")))

    assert response.status_code == 200
    assert client.get("/login").status_code == 200
