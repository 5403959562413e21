"""Public pages from the page cache (equipment_share/page_cache.py): a visitor gets no session
cookie, the same page again costs one query (its fingerprint) or a 304, and the fingerprint
moves with every change the page shows. Written like test_calendar_fingerprints.py."""

from datetime import timedelta

import pytest
from sqlalchemy import event, text

from equipment_share import page_cache
from equipment_share.domain.week_grid import monday_of
from equipment_share.extensions import db
from equipment_share.i18n import LANGUAGE_COOKIE
from equipment_share.models import MaintenanceBlock, OrganizationStatus, ProductionRun, utcnow
from equipment_share.services import bookings
from equipment_share.services.equipment import add_one_off_window, delete_idle_window
from equipment_share.web import bookings as booking_pages
from tests.clock import local
from tests.web.test_calendars import in_days

MONDAY = monday_of(in_days(14))


@pytest.fixture
def setting(make_org, make_user, make_equipment):
    """A public instrument, an SME and the platform's user."""
    platform = make_org("platform", name="平台甲", name_en="Platform A")
    equipment = make_equipment(platform, name="气相色谱仪", requires_approval=True)
    return equipment, make_user("sme"), make_user("platform", platform)


@pytest.fixture
def minute(monkeypatch):
    """The week page's clock, held at one minute (a page is kept for the minute it shows)."""
    held = [utcnow().replace(second=0, microsecond=0)]
    monkeypatch.setattr(booking_pages, "utcnow", lambda: held[0])
    return held


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def week_url(equipment) -> str:
    return f"/equipment/{equipment.id}/week?start={MONDAY}"


def on(day_offset: int, hour: int):
    return local(MONDAY + timedelta(days=day_offset), hour)


def test_a_visitor_gets_no_session_cookie(app, client, setting, minute):
    for url in ("/", week_url(setting[0]), f"/equipment/{setting[0].id}/week"):
        response = client.get(url)

        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
    assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]) is None


@pytest.mark.usefixtures("every_read_asked")
def test_the_same_page_again_is_one_query_or_a_304(client, setting, minute, statements):
    # the catalogue's fingerprint is its revision row; an instrument's week counts its rows
    for url, fingerprint in (("/", "FROM catalogue_revision"), (week_url(setting[0]), "count(")):
        first = client.get(url)
        statements.clear()

        again = client.get(url)

        assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
        queries = [text for text in statements if text.startswith("SELECT")]
        assert len(queries) == 1 and fingerprint in queries[0]
        not_modified = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert not_modified.status_code == 304 and not not_modified.data
        assert "Cookie" in again.headers["Vary"]


@pytest.mark.usefixtures("every_read_asked")
def test_a_pages_etag_is_the_same_in_every_process(client, setting, minute, statements):
    """The ETag kept with a page is the key's digest: a worker that has not kept the page (here,
    after the cache is emptied) gives the same one, and answers 304 without drawing it."""
    for url in ("/", week_url(setting[0])):
        kept = client.get(url).headers["ETag"]
        page_cache.clear()
        statements.clear()

        not_modified = client.get(url, headers={"If-None-Match": kept})

        assert not_modified.status_code == 304 and not_modified.headers["ETag"] == kept
        assert len([text for text in statements if text.startswith("SELECT")]) == 1
        page_cache.clear()
        assert client.get(url).headers["ETag"] == kept


def test_the_week_page_moves_with_every_change_it_shows(client, setting, minute):
    equipment, sme_user, platform_user = setting
    url = week_url(equipment)
    page = client.get(url).text

    def changed() -> bool:
        nonlocal page
        db.session.commit()
        now = client.get(url).text
        moved, page = now != page, now
        return moved

    assert not changed()
    booking = bookings.create_booking(sme_user, equipment.id, on(1, 10), on(1, 12))
    assert changed()
    bookings.cancel(sme_user, booking, "plans changed")
    assert changed()
    db.session.add(MaintenanceBlock(equipment_id=equipment.id, start_at=on(2, 8), end_at=on(2, 9)))
    assert changed()
    db.session.add(ProductionRun(equipment_id=equipment.id, start_at=on(3, 8), end_at=on(3, 9)))
    assert changed()
    window = add_one_off_window(platform_user, equipment, {"start": on(4, 20), "end": on(4, 22)})
    assert changed()
    delete_idle_window(platform_user, equipment, window.id)
    assert changed()
    equipment.name = "质谱仪"
    assert changed() and "质谱仪" in page
    equipment.slot_minutes = 60
    assert changed()
    minute[0] = on(2, 12)  # the week shown has begun: its past closes, today is marked
    assert changed()
    assert not changed()
    equipment.platform.status = OrganizationStatus.REJECTED
    db.session.commit()
    assert client.get(url).status_code == 404


def test_the_catalogue_moves_with_every_change_it_shows(app, client, setting, make_equipment):
    equipment, _, platform_user = setting
    client.set_cookie(LANGUAGE_COOKIE, "en")
    page = client.get("/").text

    def changed() -> bool:
        nonlocal page
        db.session.commit()
        now = client.get("/").text
        moved, page = now != page, now
        return moved

    assert not changed()
    equipment.hourly_rate = equipment.hourly_rate + 1
    assert changed()
    equipment.platform.name_en = "Platform B"
    assert changed() and "Platform B" in page
    added = make_equipment(equipment.platform, name="扫描电镜", name_en="Scanning microscope")
    assert changed() and "Scanning microscope" in page
    added.active = False
    assert changed() and "Scanning microscope" not in page
    equipment.platform.status = OrganizationStatus.PENDING
    assert changed() and "Platform B" not in page
    assert not changed()


def test_the_catalogue_moves_with_changes_made_outside_the_orm(client, setting, make_equipment):
    """The database keeps the catalogue's revision (models/catalogue.py): a bulk import, a
    Core statement or an operator's SQL moves it as an ORM change does."""
    equipment = setting[0]
    client.set_cookie(LANGUAGE_COOKIE, "en")
    gone = make_equipment(equipment.platform, name="扫描电镜", name_en="Scanning microscope")
    db.session.commit()
    assert "Scanning microscope" in client.get("/").text

    def page_after(statement: str, **values) -> str:
        db.session.execute(text(statement), values)
        db.session.commit()
        return client.get("/").text

    assert "Raw name" in page_after(
        "UPDATE equipment SET name_en = 'Raw name' WHERE id = :id", id=equipment.id
    )
    assert "Platform C" in page_after(
        "UPDATE organizations SET name_en = 'Platform C' WHERE id = :id", id=equipment.platform_id
    )
    db.session.execute(text("DELETE FROM idle_windows WHERE equipment_id = :id"), {"id": gone.id})
    assert "Scanning microscope" not in page_after(
        "DELETE FROM equipment WHERE id = :id", id=gone.id
    )


def test_a_signed_in_user_never_gets_the_visitors_page(app, client, setting, login, minute):
    equipment, sme_user, _ = setting
    bookings.create_booking(sme_user, equipment.id, on(1, 10), on(1, 12))
    db.session.commit()
    visitor = app.test_client()
    assert "your booking" not in visitor.get(week_url(equipment)).text

    client.set_cookie(LANGUAGE_COOKIE, "en")
    login(sme_user)

    assert "your booking" in client.get(week_url(equipment)).text


def test_the_availability_answer_is_the_same_for_every_caller(
    client, setting, make_user, api_headers, statements
):
    equipment, sme_user, platform_user = setting
    bookings.create_booking(sme_user, equipment.id, on(1, 10), on(1, 12))
    db.session.commit()
    url = (
        f"/api/v1/equipment/{equipment.id}/availability"
        f"?from={on(0, 0).isoformat()}&to={on(7, 0).isoformat()}".replace("+", "%2B")
    )
    first = client.get(url, headers=api_headers(sme_user))
    statements.clear()

    second = client.get(url, headers=api_headers(make_user("sme")))

    assert first.status_code == second.status_code == 200
    assert first.json == second.json and first.json["busy"]
    assert not [text for text in statements if "FROM bookings" in text and "count(" not in text]
    again = client.get(
        url, headers=api_headers(platform_user) | {"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    bookings.create_booking(sme_user, equipment.id, on(2, 10), on(2, 12))
    db.session.commit()
    assert len(client.get(url, headers=api_headers(sme_user)).json["busy"]) == 2


def test_an_instrument_not_public_is_answered_by_who_asks(client, setting, make_user, api_headers):
    equipment, _, platform_user = setting
    equipment.active = False
    db.session.commit()
    url = (
        f"/api/v1/equipment/{equipment.id}/availability"
        f"?from={on(0, 0).isoformat()}&to={on(7, 0).isoformat()}".replace("+", "%2B")
    )

    assert client.get(url, headers=api_headers(platform_user)).status_code == 200
    assert client.get(url, headers=api_headers(make_user("sme"))).status_code == 404


def test_a_kept_page_is_answered_as_it_was_drawn(client, setting, minute, sme_user, api_headers):
    """A hit builds its response directly: the same body and headers as the page drawn, and
    the same 304, for pages and the availability API."""
    api_url = (
        f"/api/v1/equipment/{setting[0].id}/availability"
        f"?from={on(0, 0).isoformat()}&to={on(7, 0).isoformat()}".replace("+", "%2B")
    )
    for url, headers in (("/", {}), (week_url(setting[0]), {}), (api_url, api_headers(sme_user))):
        page_cache.clear()
        drawn = client.get(url, headers=headers)
        if_none_match = headers | {"If-None-Match": drawn.headers["ETag"]}
        page_cache.clear()
        drawn_304 = client.get(url, headers=if_none_match)
        client.get(url, headers=headers)  # drawn and kept again

        kept = client.get(url, headers=headers)
        kept_304 = client.get(url, headers=if_none_match)

        assert (kept.status_code, kept.data) == (drawn.status_code, drawn.data)
        assert answer_headers(kept) == answer_headers(drawn)
        assert kept_304.status_code == drawn_304.status_code == 304
        assert answer_headers(kept_304) == answer_headers(drawn_304)


def answer_headers(response) -> list[tuple[str, str]]:
    return sorted((name, value) for name, value in response.headers if name != "X-Request-ID")
