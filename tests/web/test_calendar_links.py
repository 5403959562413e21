"""The secret calendar link as people use it: copied with a button, opened in a calendar app
with webcal://, and read in the owner's language whatever language the fetch asks for."""

import re

import icalendar

from equipment_share.extensions import db
from equipment_share.i18n import LANGUAGE_COOKIE
from equipment_share.services import bookings
from tests.clock import local, next_weekday
from tests.web.conftest import page_text


def test_the_new_link_comes_with_a_copy_button_and_a_webcal_link(english, make_user, login):
    login(make_user("sme"))

    page = page_text(english.post("/settings/calendar-feed"))

    url = re.search(r'id="new-feed-url">([^<]+)<', page).group(1)
    assert url.startswith("http://localhost/calendar/feed/")
    assert f'href="{url.replace("http://", "webcal://")}"' in page
    assert 'id="copy-feed-url" data-copy="new-feed-url"' in page
    assert "Copy the link" in page
    assert '<script src="/static/js/copy.js" defer></script>' in page
    # the page only says a link exists once it has been shown
    assert 'id="webcal-link"' not in page_text(english.get("/settings"))


def test_the_feed_reads_in_the_owners_language_not_the_requests(
    client, make_user, login, make_equipment
):
    owner = make_user("sme", locale="zh_CN")
    equipment = make_equipment(name="扫描电子显微镜", name_en="Scanning electron microscope")
    day = next_weekday(2)
    bookings.create_booking(owner, equipment.id, local(day, 10), local(day, 12), "")
    db.session.commit()
    login(owner)
    page = page_text(client.post("/settings/calendar-feed"))
    path = re.search(r'id="new-feed-url">http://localhost([^<]+)<', page).group(1)
    client.set_cookie(LANGUAGE_COOKIE, "en")

    feed = client.get(path, headers={"Accept-Language": "en"})

    (event,) = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
    assert str(event["SUMMARY"]) == "扫描电子显微镜"
    assert str(event["DESCRIPTION"]) == "状态：待审核"
