"""A user's own settings: API tokens, shown once and revocable."""

import hashlib
import re

import pytest

from equipment_share.extensions import db
from equipment_share.models import ApiToken
from equipment_share.services.tokens import issue_token, user_for_token
from tests.conftest import count_rows

NEW_TOKEN = re.compile(r'<code class="token" id="new-token">(es_[^<]+)</code>')


@pytest.fixture
def user(make_user, login):
    user = make_user("platform")
    login(user)
    return user


def test_token_is_made_shown_once_and_works(client, user):
    response = client.post("/settings", data={"label": "实验室 LIMS"})

    assert response.status_code == 200
    token = NEW_TOKEN.search(response.text).group(1)
    stored = db.session.scalar(db.select(ApiToken))
    assert stored.label == "实验室 LIMS"
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert user_for_token(token).id == user.id

    again = client.get("/settings").text
    assert token not in again
    assert "实验室 LIMS" in again


def test_revoked_token_is_gone_and_stops_working(client, user):
    token = NEW_TOKEN.search(client.post("/settings", data={"label": "x"}).text).group(1)
    token_id = db.session.scalar(db.select(ApiToken.id))

    response = client.post(f"/settings/tokens/{token_id}/revoke")

    assert response.status_code == 302
    assert count_rows(ApiToken) == 0
    assert user_for_token(token) is None


def test_another_users_token_cannot_be_revoked(client, user, make_user):
    other = make_user("sme")
    token = issue_token(other, "theirs")
    db.session.commit()
    token_id = db.session.scalar(db.select(ApiToken.id))

    client.post(f"/settings/tokens/{token_id}/revoke")

    assert count_rows(ApiToken) == 1
    assert user_for_token(token).id == other.id


def test_settings_list_only_the_users_own_tokens(client, user, make_user):
    issue_token(make_user("sme"), "别人的令牌")
    issue_token(user, "我的令牌")
    db.session.commit()

    text = client.get("/settings").text

    assert "我的令牌" in text
    assert "别人的令牌" not in text


def test_revoking_is_post_only(client, user):
    assert client.get("/settings/tokens/1/revoke").status_code == 405


def test_each_settings_section_appears_once_in_the_page_body(client, user):
    page = client.get("/settings").text
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)

    assert "<section" not in title
    assert page.count('id="calendar-feed"') == 1
