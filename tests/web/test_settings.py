"""A user's own settings: API tokens, shown once and revocable."""

import hashlib
import re

import pytest

from equipment_share.extensions import db
from equipment_share.models import ApiToken, Organization
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

    response = client.post(f"/settings/tokens/{token_id}/revoke")

    assert response.status_code == 404  # as for a token that does not exist
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


# --- the organisation's contact details ----------------------------------------------------

CONTACT = {
    "address": "吕梁市离石区滨河北中路 9 号",
    "contact_name": "李主任",
    "contact_phone": "0358-1234567",
}


@pytest.mark.parametrize("role", ["platform", "sme"])
def test_staff_edit_their_organisations_contact_details(client, english, make_user, login, role):
    user = make_user(role)
    login(user)
    name, uscc = user.organization.name, user.organization.uscc

    assert 'href="/settings/organization"' in client.get("/settings").text
    response = client.post(
        "/settings/organization", data=CONTACT | {"name": "Renamed", "uscc": "X"}
    )

    assert response.status_code == 302
    db.session.commit()
    organization = db.session.get(Organization, user.organization_id)
    assert {key: getattr(organization, key) for key in CONTACT} == CONTACT
    assert (organization.name, organization.uscc) == (name, uscc)  # the admin's to change
    page = client.get("/settings/organization").text
    assert "李主任" in page and uscc in page


def test_a_bad_contact_detail_is_shown_and_changes_nothing(client, english, make_user, login):
    user = make_user("sme")
    login(user)

    response = client.post("/settings/organization", data=CONTACT | {"contact_phone": "9" * 51})

    assert response.status_code == 422
    assert "50" in response.text
    db.session.commit()
    assert db.session.get(Organization, user.organization_id).contact_phone == ""


@pytest.mark.parametrize("role", ["admin", "finance"])
def test_operators_have_no_organisation_page(client, make_user, login, role):
    login(make_user(role))

    assert client.get("/settings/organization").status_code == 403
    assert client.post("/settings/organization", data=CONTACT).status_code == 403
