"""Who may open which page: anonymous visitors sign in first, wrong roles get 403."""

import pytest

from equipment_share.extensions import db
from equipment_share.models import Equipment, Organization, OrganizationStatus

PLATFORM_PAGES = ["/manage/equipment", "/manage/equipment/new"]
ADMIN_PAGES = ["/admin/organizations", "/admin/organizations/new", "/admin/users"]


@pytest.mark.parametrize("url", [*PLATFORM_PAGES, *ADMIN_PAGES, "/settings"])
def test_anonymous_visitor_is_sent_to_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("role", "url"),
    [
        *[("sme", url) for url in PLATFORM_PAGES + ADMIN_PAGES],
        *[("platform", url) for url in ADMIN_PAGES],
        *[("finance", url) for url in PLATFORM_PAGES + ADMIN_PAGES],
        *[("admin", url) for url in PLATFORM_PAGES],
    ],
)
def test_wrong_role_is_forbidden(client, make_user, login, role, url):
    login(make_user(role))

    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    ("role", "urls"),
    [
        ("platform", [*PLATFORM_PAGES, "/settings"]),
        ("admin", [*ADMIN_PAGES, "/settings"]),
        ("sme", ["/", "/settings"]),
        ("finance", ["/", "/settings"]),
    ],
)
def test_right_role_gets_the_page(client, make_user, login, role, urls):
    login(make_user(role))

    for url in urls:
        assert client.get(url).status_code == 200, url


def test_sme_cannot_publish_an_instrument(client, make_user, login):
    login(make_user("sme"))

    response = client.post(
        "/manage/equipment/new", data={"name": "偷偷发布", "category": "other", "hourly_rate": "1"}
    )

    assert response.status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(Equipment)) == 0


def test_platform_cannot_approve_an_organisation(client, make_org, make_user, login):
    pending = make_org("sme", status=OrganizationStatus.PENDING)
    login(make_user("platform"))

    response = client.post(f"/admin/organizations/{pending.id}/status", data={"status": "approved"})

    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Organization, pending.id).status == OrganizationStatus.PENDING


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("platform", "/manage/equipment/99999"),
        ("platform", "/manage/equipment/99999999999999999999"),
        ("admin", "/admin/organizations/99999"),
        ("admin", "/admin/organizations/abc"),
    ],
)
def test_unknown_ids_are_not_found(client, make_user, login, role, url):
    login(make_user(role))

    assert client.get(url).status_code == 404
