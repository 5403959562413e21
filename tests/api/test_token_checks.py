"""Every API request asks the database about its token (on SQLite, whether it changed since
the connection last read it: unchanged_reads.py): a token revoked or deleted, or a user
deactivated, through any connection (another worker's), is refused at its very next use, also
where the answer itself comes from the per-process page cache; and GET /api/v1/me shows the
user as they are now."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, update

from equipment_share import page_cache
from equipment_share.extensions import db
from equipment_share.models import ApiToken, Organization, OrganizationStatus, User
from equipment_share.services.tokens import revoke_token
from tests.clock import at, next_weekday

TUESDAY = next_weekday(1)
WINDOW = {"from": at(TUESDAY, 0), "to": at(TUESDAY + timedelta(days=1), 0)}


@pytest.fixture(autouse=True)
def empty_page_cache():
    page_cache.clear()
    yield
    page_cache.clear()


def elsewhere(statement) -> None:
    """A change committed on a connection of its own, as another worker process would."""
    db.session.rollback()
    with db.engine.connect() as connection:
        connection.execute(statement)
        connection.commit()


def requests_served(client, headers, equipment) -> list[int]:
    """/api/v1/me and a public instrument's availability, twice each: the second answer of the
    availability comes from the page cache; a change that acts as the user (checked the other
    way: the token and its user in one statement); and a booking, which acts as the token
    check's holder, refused here for its empty body when the token is good."""
    url = f"/api/v1/equipment/{equipment.id}/availability"
    answers = [
        client.get("/api/v1/me", headers=headers).status_code,
        client.get(url, query_string=WINDOW, headers=headers).status_code,
        client.get("/api/v1/me", headers=headers).status_code,
        client.get(url, query_string=WINDOW, headers=headers).status_code,
        client.post("/api/v1/notifications/read-all", headers=headers).status_code,
    ]
    booking = client.post("/api/v1/bookings", json={}, headers=headers).status_code
    return [*answers, 200 if booking == 422 else booking]


def change_of(name: str, user: User):
    return {
        "revoked": lambda: delete(ApiToken).where(ApiToken.user_id == user.id),
        "deactivated": lambda: update(User).where(User.id == user.id).values(active=False),
        "organisation rejected": lambda: (
            update(Organization)
            .where(Organization.id == user.organization_id)
            .values(status=OrganizationStatus.REJECTED)
        ),
        "user deleted": lambda: delete(User).where(User.id == user.id),
    }[name]()


@pytest.mark.parametrize(
    "change", ["revoked", "deactivated", "organisation rejected", "user deleted"]
)
def test_a_token_is_refused_at_its_next_use_after_a_change_elsewhere(
    client, make_user, make_equipment, api_headers, change
):
    equipment = make_equipment()
    user = make_user("sme")
    headers = api_headers(user)
    assert requests_served(client, headers, equipment) == [200] * 6

    if change == "user deleted":
        elsewhere(delete(ApiToken).where(ApiToken.user_id == user.id))
    elsewhere(change_of(change, user))

    assert requests_served(client, headers, equipment) == [401] * 6


def test_a_token_revoked_through_the_service_is_refused_at_its_next_use(
    client, make_user, make_equipment, api_headers
):
    equipment = make_equipment()
    user = make_user("sme")
    headers = api_headers(user)
    assert requests_served(client, headers, equipment) == [200] * 6

    revoke_token(user, db.session.scalar(db.select(ApiToken.id)))
    db.session.commit()

    assert requests_served(client, headers, equipment) == [401] * 6


def test_me_shows_the_user_and_organisation_as_they_are_now(client, make_user, api_headers):
    user = make_user("sme", name="Before")
    headers = api_headers(user)
    first = client.get("/api/v1/me", headers=headers).get_json()

    elsewhere(update(User).where(User.id == user.id).values(name="After"))
    elsewhere(
        update(Organization).where(Organization.id == user.organization_id).values(name="Renamed")
    )
    now = client.get("/api/v1/me", headers=headers).get_json()

    assert first["name"] == "Before"
    assert now == {
        **first,
        "name": "After",
        "organization": {**first["organization"], "name": "Renamed"},
    }
    assert set(now) == {"id", "email", "name", "role", "organization"}
    assert set(now["organization"]) == {"id", "name", "kind"}
    assert (now["role"], now["organization"]["kind"]) == ("sme", "sme")


def test_me_of_a_user_without_an_organisation(client, make_user, api_headers):
    admin = make_user("admin")

    body = client.get("/api/v1/me", headers=api_headers(admin)).get_json()

    assert body == {
        "id": admin.id,
        "email": admin.email,
        "name": admin.name,
        "role": "admin",
        "organization": None,
    }
