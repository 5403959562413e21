"""A user's secret calendar feed speaks the language the user chose, whoever fetches it."""

from datetime import datetime, timedelta

import icalendar
import pytest

from equipment_share.extensions import db
from equipment_share.services import bookings
from equipment_share.services.calendars import user_feed
from tests.clock import SHANGHAI, local


@pytest.fixture
def booking(make_org, make_user, make_equipment):
    platform = make_org("platform")
    sme = make_org("sme", name="吕梁华晟煤化科技有限公司", name_en="Huasheng Coal Chemical")
    equipment = make_equipment(
        platform, name="扫描电子显微镜", name_en="Scanning electron microscope"
    )
    day = datetime.now(SHANGHAI).date() + timedelta(days=7)
    found = bookings.create_booking(
        make_user("sme", sme), equipment.id, local(day, 10), local(day, 12), "能谱分析"
    )
    db.session.commit()
    return found


def the_event(user) -> icalendar.Event:
    (event,) = icalendar.Calendar.from_ical(user_feed(user).body).walk("VEVENT")
    return event


@pytest.mark.parametrize("locale", ["zh_CN", "", "xx"])
def test_a_chinese_or_unknown_choice_reads_chinese(booking, make_user, locale):
    owner = make_user("sme", booking.organization, locale=locale)

    event = the_event(owner)

    assert str(event["SUMMARY"]) == "扫描电子显微镜"
    assert str(event["DESCRIPTION"]).splitlines() == ["状态：待审核", "能谱分析"]


def test_english_reads_english(booking, make_user):
    owner = make_user("sme", booking.organization, locale="en")

    event = the_event(owner)

    assert str(event["SUMMARY"]) == "Scanning electron microscope"
    assert str(event["DESCRIPTION"]).splitlines() == ["Status: pending approval", "能谱分析"]


@pytest.mark.parametrize(
    ("locale", "summary", "enterprise"),
    [
        (
            "en",
            "Scanning electron microscope – Huasheng Coal Chemical",
            "Enterprise: Huasheng Coal Chemical",
        ),
        ("zh_CN", "扫描电子显微镜 – 吕梁华晟煤化科技有限公司", "企业：吕梁华晟煤化科技有限公司"),
    ],
)
def test_the_platforms_feed_names_the_enterprise_in_its_language(
    booking, make_user, locale, summary, enterprise
):
    owner = make_user("platform", booking.equipment.platform, locale=locale)

    event = the_event(owner)

    assert str(event["SUMMARY"]) == summary
    assert enterprise in str(event["DESCRIPTION"]).splitlines()
