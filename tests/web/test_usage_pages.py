"""Usage pages: the platform checks in and out, records and corrects times, waives a charge;
the enterprise confirms or disputes; who may press which button; fees shown to the fen."""

import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.usage import UsageKind, UsageStatus
from equipment_share.extensions import db
from equipment_share.models import Booking, UsageRecord, utcnow
from equipment_share.services import bookings, rate_cards, usage
from tests.clock import SHANGHAI
from tests.conftest import count_rows
from tests.web.conftest import csrf_token, page_text
from tests.web.test_csrf import sign_in as sign_in_with_token

YESTERDAY = datetime.now(SHANGHAI).date() - timedelta(days=1)
RATE_CARD = {
    "hourly_rate": "123.45",
    "setup_fee": "20.00",
    "min_charge_minutes": 60,
    "billing_increment_minutes": 30,
    "items": [{"code": "coal", "label": "煤样", "unit_price": "35.50"}],
    "no_show_fee": {"kind": "percent", "value": "50"},
    "late_cancellation_fee": {"kind": "fixed", "value": "80.00"},
}


def local(hour: int, minute: int = 0, day=YESTERDAY, zone=SHANGHAI) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def field(moment: datetime) -> str:
    """A datetime-local input's value."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def words(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())


def reload(model, row):
    db.session.commit()  # end this test's read transaction, to see what the app wrote
    return db.session.get(model, row.id)


@pytest.fixture
def world(make_org, make_user, make_equipment):
    platform = make_org("platform", name="煤炭平台")
    equipment = make_equipment(platform, name="氧弹量热仪")
    manager = make_user("platform", platform, name="王主任")
    rate_cards.add_version(manager, equipment, RATE_CARD, None)
    db.session.commit()
    return SimpleNamespace(
        platform=platform,
        equipment=equipment,
        manager=manager,
        sme=make_user("sme", make_org("sme", name="华晟煤化科技有限公司"), name="张工"),
        other_sme=make_user("sme"),
        other_manager=make_user("platform"),
    )


@pytest.fixture
def booked(world):
    """A confirmed booking made directly (the booking form's lead time forbids the past and the
    present), under the rate card in force."""

    def make(start: datetime, end: datetime, equipment=None, sme=None) -> Booking:
        equipment = equipment or world.equipment
        sme = sme or world.sme
        version, card = rate_cards.rate_card_in_force(equipment)
        booking = Booking(
            equipment=equipment,
            organization_id=sme.organization_id,
            booked_by_id=sme.id,
            start_at=start,
            end_at=end,
            status=BookingStatus.CONFIRMED,
            rate_card_id=version.id,
            hourly_rate=card.hourly_rate,
            setup_fee=card.setup_fee,
            min_charge_minutes=card.min_charge_minutes,
            billing_increment_minutes=card.billing_increment_minutes,
            estimated_fee=Decimal("143.45"),
        )
        db.session.add(booking)
        db.session.commit()
        return booking

    return make


@pytest.fixture
def past_booking(booked):
    return booked(local(10), local(11))


@pytest.fixture
def recorded(world, past_booking):
    """Yesterday 10:00-11:10 recorded: 70 minutes billed as 90."""
    record = usage.record_usage(world.manager, past_booking, local(10), local(11, 10))
    db.session.commit()
    return record


def record_form(start: datetime, end: datetime, **extra) -> dict:
    return {"actual_start": field(start), "actual_end": field(end)} | extra


# --- the platform records ---------------------------------------------------------------------


def test_platform_checks_in_and_out_from_the_inbox(client, world, login, english, booked):
    now = utcnow()
    booking = booked(now - timedelta(minutes=30), now + timedelta(minutes=30))
    later = booked(now + timedelta(days=2), now + timedelta(days=2, hours=1))
    login(world.manager)

    inbox = client.get("/bookings/inbox")
    text = inbox.get_data(as_text=True)
    assert "Now and to record" in words(inbox)
    assert f"/bookings/{booking.id}/check-in" in text
    assert f"/bookings/{later.id}/check-in" not in text

    checked_in = client.post(f"/bookings/{booking.id}/check-in", data={"next": "/bookings/inbox"})
    assert checked_in.headers["Location"] == "/bookings/inbox"
    record = reload(Booking, booking).usage_record
    assert record.status == UsageStatus.IN_PROGRESS

    inbox = client.get("/bookings/inbox")
    assert "Checked in at" in words(inbox)
    # the card has an item, so checking out asks for its quantity
    assert f"/usage/{record.id}/check-out" in inbox.get_data(as_text=True)
    assert 'name="item_0"' in inbox.get_data(as_text=True)

    client.post(f"/usage/{record.id}/check-out", data={"item_0": "2", "note": "两个煤样"})

    record = reload(UsageRecord, record)
    assert record.status == UsageStatus.RECORDED
    assert record.items == [{"code": "coal", "quantity": "2"}]
    # a minute used is billed as the 60-minute minimum: 123.45 + 20.00 setup + 2 × 35.50
    assert record.fee == Decimal("214.45")
    assert record.booking.status == BookingStatus.COMPLETED
    detail = words(client.get(f"/bookings/{booking.id}"))
    assert "Use recorded: 60 billable minutes, fee ¥214.45." in detail
    assert "Machine time: 60 min at ¥123.45 per hour ¥123.45" in detail
    assert "煤样 × 2 at ¥35.50 ¥71.00" in detail
    assert "Total ¥214.45" in detail


def test_recorded_times_are_priced_to_the_fen(client, world, login, english, past_booking):
    login(world.manager)
    form = client.get(f"/bookings/{past_booking.id}/usage")
    assert form.status_code == 200
    assert f'value="{field(local(10))}"' in form.get_data(as_text=True)  # the booked start

    response = client.post(
        f"/bookings/{past_booking.id}/usage",
        data=record_form(local(10), local(11, 10), item_0="3", note="三个煤样"),
    )

    assert response.status_code == 302
    record = reload(Booking, past_booking).usage_record
    # 70 minutes billed as 90: 90 × 123.45 / 60 = 185.175, rounded half-up to 185.18
    assert [line["amount"] for line in record.lines] == ["185.18", "20.00", "106.50"]
    assert record.fee == Decimal("311.68")
    assert record.overrun is True
    detail = client.get(f"/bookings/{past_booking.id}")
    text = words(detail)
    assert "Machine time: 90 min at ¥123.45 per hour ¥185.18" in text
    assert "Setup fee ¥20.00" in text
    assert "煤样 × 3 at ¥35.50 ¥106.50" in text
    assert "Total ¥311.68" in text
    assert "Used 70 minutes Billed 90 minutes" in text
    assert "ran past the booked end" in text
    assert f"Actual start {YESTERDAY} 10:00" in text
    assert "三个煤样" in text
    assert "recorded the use" in text.split("History")[1]


def test_times_are_read_in_the_instruments_time_zone(client, world, login, make_equipment, booked):
    berlin = ZoneInfo("Europe/Berlin")
    equipment = make_equipment(world.platform, timezone="Europe/Berlin")
    booking = booked(local(10, zone=berlin), local(11, zone=berlin), equipment=equipment)
    login(world.manager)

    client.post(
        f"/bookings/{booking.id}/usage",
        data=record_form(local(10, zone=berlin), local(10, 45, zone=berlin)),
    )

    record = reload(Booking, booking).usage_record
    assert record.actual_start == local(10, zone=berlin).astimezone(UTC)
    assert record.actual_end == local(10, 45, zone=berlin).astimezone(UTC)
    assert f"{YESTERDAY} 10:00" in words(client.get(f"/bookings/{booking.id}"))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (record_form(local(10), local(9)), "The end must be after the start."),
        (record_form(local(7), local(9)), "Use must start within the booked time"),
        (
            record_form(local(10), datetime.now(SHANGHAI) + timedelta(hours=2)),
            "Use cannot be recorded for the future.",
        ),
        (record_form(local(10), local(11), item_0="zwei"), "A quantity of at least 0"),
        ({"actual_start": field(local(10)), "actual_end": ""}, "This field is required."),
    ],
)
def test_wrong_times_or_quantities_are_shown_and_nothing_is_written(
    client, world, login, english, past_booking, values, message
):
    login(world.manager)

    response = client.post(f"/bookings/{past_booking.id}/usage", data=values)

    assert response.status_code == 422
    assert message in page_text(response)
    assert 'class="field has-error' in response.get_data(as_text=True).replace("  ", " ")
    assert count_rows(UsageRecord) == 0
    assert reload(Booking, past_booking).status == BookingStatus.CONFIRMED


def test_checking_in_before_the_time_is_refused_with_the_reason(
    client, world, login, english, booked
):
    start = utcnow() + timedelta(days=1)
    booking = booked(start, start + timedelta(hours=1))
    login(world.manager)

    response = client.post(f"/bookings/{booking.id}/check-in", follow_redirects=True)

    assert "Check-in is possible from an hour before the booked start" in page_text(response)
    assert count_rows(UsageRecord) == 0


def test_recording_twice_is_refused(client, world, login, english, recorded):
    login(world.manager)

    page = client.get(f"/bookings/{recorded.booking_id}/usage", follow_redirects=True)
    assert "cannot be recorded now" in page_text(page)

    response = client.post(
        f"/bookings/{recorded.booking_id}/usage", data=record_form(local(10), local(10, 30))
    )

    assert response.status_code == 409
    assert "Use of this booking has already been recorded." in page_text(response)
    assert reload(UsageRecord, recorded).fee == Decimal("205.18")


# --- the enterprise settles -------------------------------------------------------------------


def test_my_bookings_highlights_usage_to_confirm_and_the_sme_confirms(
    client, world, login, english, recorded, booked
):
    upcoming = booked(utcnow() + timedelta(days=3), utcnow() + timedelta(days=3, hours=1))
    login(world.sme)

    listing = client.get("/bookings")
    text = listing.get_data(as_text=True)
    row = text[text.index(f'id="booking-{recorded.booking_id}"') :].split("</tr>")[0]
    assert 'class="awaiting-confirmation"' in row
    assert "¥205.18" in row
    assert f"/usage/{recorded.id}/confirm" in row
    assert f"/usage/{recorded.id}/dispute" in row
    assert text.index("Usage to confirm") < text.index(f'id="booking-{recorded.booking_id}"')
    assert text.index(f'id="booking-{recorded.booking_id}"') < text.index(
        f'id="booking-{upcoming.id}"'
    )

    response = client.post(f"/usage/{recorded.id}/confirm", data={"next": "/bookings"})

    assert response.headers["Location"] == "/bookings"
    record = reload(UsageRecord, recorded)
    assert record.status == UsageStatus.CONFIRMED
    assert record.confirmed_by_id == world.sme.id
    listing = page_text(client.get("/bookings"))
    assert "You confirmed the usage record; its fee is ¥205.18." in listing
    assert 'class="awaiting-confirmation"' not in listing
    detail = words(client.get(f"/bookings/{recorded.booking_id}"))
    assert "Confirmed" in detail
    assert f"/usage/{recorded.id}/confirm" not in detail


def test_a_dispute_needs_a_reason_and_the_platform_corrects_it(
    client, world, login, english, recorded
):
    login(world.sme)
    refused = client.post(f"/usage/{recorded.id}/dispute", data={"reason": "  "})
    assert refused.status_code == 302
    assert "Reason: This field is required." in page_text(
        client.get(f"/bookings/{recorded.booking_id}")
    )
    assert reload(UsageRecord, recorded).status == UsageStatus.RECORDED

    client.post(f"/usage/{recorded.id}/dispute", data={"reason": "我们11点就离开了"})
    assert reload(UsageRecord, recorded).status == UsageStatus.DISPUTED

    client.post("/logout")
    login(world.manager)
    inbox = client.get("/bookings/inbox")
    assert "Usage disputed by the enterprise" in words(inbox)
    assert f"/usage/{recorded.id}/correct" in inbox.get_data(as_text=True)
    form = client.get(f"/usage/{recorded.id}/correct")
    assert "我们11点就离开了" in page_text(form)
    assert f'value="{field(local(11, 10))}"' in form.get_data(as_text=True)

    without_reason = client.post(
        f"/usage/{recorded.id}/correct", data=record_form(local(10), local(11))
    )
    assert without_reason.status_code == 422
    assert reload(UsageRecord, recorded).status == UsageStatus.DISPUTED

    client.post(
        f"/usage/{recorded.id}/correct",
        data=record_form(local(10), local(11), reason="按门禁记录更正"),
    )

    record = reload(UsageRecord, recorded)
    assert (record.status, record.corrections) == (UsageStatus.RECORDED, 1)
    assert record.fee == Decimal("143.45")  # 60 minutes: 123.45 + 20.00
    detail = words(client.get(f"/bookings/{recorded.booking_id}"))
    assert "按门禁记录更正" in detail
    assert "Corrections 1" in detail
    assert "fee: ¥205.18 → ¥143.45" in detail


def test_a_no_show_charge_is_explained_and_can_be_waived(client, world, login, english, booked):
    start = utcnow() - timedelta(hours=2)
    booking = booked(start, start + timedelta(hours=1))
    bookings.mark_no_show(world.manager, booking)
    db.session.commit()
    record = booking.usage_record
    login(world.manager)

    detail = words(client.get(f"/bookings/{booking.id}"))
    assert "No-show fee: 50% of the estimated fee ¥143.45 ¥71.73" in detail  # 71.725 half-up
    assert "No-show fee 50% of the estimated fee" in detail  # the frozen rate card

    client.post(f"/usage/{record.id}/waive", data={"reason": "仪器故障,非企业原因"})

    record = reload(UsageRecord, record)
    assert (record.fee, record.status, record.lines) == (Decimal("0.00"), UsageStatus.RECORDED, [])
    assert "No charge ¥0.00" in words(client.get(f"/bookings/{booking.id}"))


def test_a_late_cancellation_charge_can_be_waived_but_not_given_times(client, world, login, booked):
    start = utcnow() + timedelta(hours=3)
    booking = booked(start, start + timedelta(hours=1))
    bookings.cancel(world.sme, booking, "计划变更")
    db.session.commit()
    record = booking.usage_record
    assert record.kind == UsageKind.LATE_CANCELLATION
    login(world.manager)

    text = client.get(f"/bookings/{booking.id}").get_data(as_text=True)

    assert f"/usage/{record.id}/waive" in text
    assert f"/usage/{record.id}/correct" not in text


# --- who may press which button ---------------------------------------------------------------


def test_another_enterprise_or_platform_gets_not_found(client, world, login, recorded):
    for outsider in (world.other_sme, world.other_manager):
        login(outsider)
        assert client.get(f"/bookings/{recorded.booking_id}").status_code == 404
        assert client.post(f"/usage/{recorded.id}/confirm").status_code == 404
        assert client.post(f"/usage/{recorded.id}/waive", data={"reason": "x"}).status_code == 404
        assert client.get(f"/usage/{recorded.id}/correct").status_code == 404
        assert client.post(f"/bookings/{recorded.booking_id}/check-in").status_code == 404
        client.post("/logout")
    assert client.post("/usage/999999/confirm").status_code in (302, 401)  # signed out
    assert reload(UsageRecord, recorded).status == UsageStatus.RECORDED


def test_the_wrong_side_is_refused_with_a_flash_as_on_the_booking_pages(
    client, world, login, english, recorded, booked
):
    now = utcnow()
    current = booked(now - timedelta(minutes=10), now + timedelta(minutes=50))
    only_platform = "Only the platform that owns the instrument may do this."
    login(world.sme)

    sme_page = client.get(f"/bookings/{current.id}").get_data(as_text=True)
    assert "/check-in" not in sme_page
    refused = client.post(f"/bookings/{current.id}/check-in")
    assert refused.status_code == 302
    assert refused.headers["Location"] == f"/bookings/{current.id}"
    assert only_platform in page_text(client.get(refused.headers["Location"]))
    for attempt in (
        lambda: client.post(f"/usage/{recorded.id}/waive", data={"reason": "x"}),
        lambda: client.post(
            f"/usage/{recorded.id}/correct", data=record_form(local(10), local(11), reason="x")
        ),
    ):
        response = attempt()
        assert response.status_code == 302
        assert only_platform in page_text(client.get(response.headers["Location"]))
    client.post("/logout")

    login(world.manager)
    manager_page = client.get(f"/bookings/{recorded.booking_id}").get_data(as_text=True)
    assert "/confirm" not in manager_page
    assert "/dispute" not in manager_page
    for action, data in (("confirm", {}), ("dispute", {"reason": "x"})):
        response = client.post(f"/usage/{recorded.id}/{action}", data=data, follow_redirects=True)
        assert response.status_code == 200
        assert "Only the enterprise that made the booking may do this." in page_text(response)
    assert reload(UsageRecord, recorded).status == UsageStatus.RECORDED
    assert count_rows(UsageRecord) == 1
    assert current.usage_record is None


@pytest.mark.parametrize("role", ["admin", "finance"])
def test_operators_see_the_usage_without_buttons(client, world, login, make_user, recorded, role):
    login(make_user(role))

    response = client.get(f"/bookings/{recorded.booking_id}")

    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "¥205.18" in text
    for action in ("/confirm", "/dispute", "/correct", "/waive", "/check-out"):
        assert action not in text


def test_a_foreign_next_address_is_not_followed(client, world, login, recorded):
    login(world.sme)

    response = client.post(f"/usage/{recorded.id}/confirm", data={"next": "//evil.example/"})

    assert response.headers["Location"] == f"/bookings/{recorded.booking_id}"


def test_check_in_without_the_csrf_token_is_refused(csrf_client, world, booked):
    now = utcnow()
    booking = booked(now - timedelta(minutes=10), now + timedelta(minutes=50))
    sign_in_with_token(csrf_client, world.manager)
    inbox = csrf_client.get("/bookings/inbox")

    refused = csrf_client.post(f"/bookings/{booking.id}/check-in")

    assert refused.status_code == 400
    db.session.commit()
    assert count_rows(UsageRecord) == 0

    accepted = csrf_client.post(
        f"/bookings/{booking.id}/check-in", data={"csrf_token": csrf_token(inbox)}
    )

    assert accepted.status_code == 302
    db.session.commit()
    assert count_rows(UsageRecord) == 1


def test_the_record_form_carries_its_csrf_token(csrf_client, world, past_booking):
    sign_in_with_token(csrf_client, world.manager)
    form = csrf_client.get(f"/bookings/{past_booking.id}/usage")
    values = record_form(local(10), local(11))

    assert csrf_client.post(f"/bookings/{past_booking.id}/usage", data=values).status_code == 400
    db.session.commit()
    assert count_rows(UsageRecord) == 0

    saved = csrf_client.post(
        f"/bookings/{past_booking.id}/usage", data=values | {"csrf_token": csrf_token(form)}
    )

    assert saved.status_code == 302
    db.session.commit()
    assert count_rows(UsageRecord) == 1


# --- words and buttons that follow the state --------------------------------------------------


def test_a_disputed_record_waits_for_the_platform_and_offers_no_confirm(
    client, world, login, english, recorded, api_headers
):
    usage.dispute(world.sme, recorded, "we left at eleven")
    db.session.commit()
    login(world.sme)

    page = client.get(f"/bookings/{recorded.booking_id}")

    assert "the record waits for the platform's correction" in words(page)
    assert "confirm-usage-form" not in page_text(page)
    assert "dispute-form" not in page_text(page)
    refused = client.post(f"/usage/{recorded.id}/confirm", follow_redirects=True)
    assert reload(UsageRecord, recorded).status == UsageStatus.DISPUTED
    assert "cannot be changed that way" in words(refused)
    by_api = client.post(f"/api/v1/usage/{recorded.id}/confirm", headers=api_headers(world.sme))
    assert by_api.status_code == 409
    assert by_api.get_json()["error"]["code"] == "invalid_state"


def test_the_platform_is_told_to_correct_a_disputed_record(client, world, login, english, recorded):
    usage.dispute(world.sme, recorded, "we left at eleven")
    db.session.commit()
    login(world.manager)

    page = client.get(f"/bookings/{recorded.booking_id}")

    assert "correct the times or waive the charge" in words(page)
    assert "correct-link" in page_text(page)


def test_a_corrected_record_can_be_confirmed_again(client, world, login, english, recorded):
    usage.dispute(world.sme, recorded, "we left at eleven")
    usage.correct(world.manager, recorded, local(10), local(11), "left at eleven")
    db.session.commit()
    login(world.sme)

    page = client.get(f"/bookings/{recorded.booking_id}")

    assert "confirm-usage-form" in page_text(page)
    client.post(f"/usage/{recorded.id}/confirm")
    assert reload(UsageRecord, recorded).status == UsageStatus.CONFIRMED


def test_confirming_a_fee_asks_first(client, world, login, english, recorded):
    login(world.sme)

    text = page_text(client.get(f"/bookings/{recorded.booking_id}"))

    form = re.search(r'<form[^>]*class="confirm-usage-form"[^>]*>', text, re.S)
    assert form
    assert f'data-confirm="Confirm this fee of ¥{recorded.fee:,.2f}?' in form.group(0)
    assert "/static/js/forms.js" in text


def test_cancel_is_not_offered_after_check_in_and_is_refused(client, world, login, english, booked):
    now = utcnow()
    booking = booked(now - timedelta(minutes=30), now + timedelta(minutes=30))
    usage.check_in(world.manager, booking)
    db.session.commit()

    for user in (world.sme, world.manager):
        login(user)
        page = client.get(f"/bookings/{booking.id}")
        assert "cancel-action" not in page_text(page)
        refused = client.post(
            f"/bookings/{booking.id}/cancel", data={"reason": "x"}, follow_redirects=True
        )
        assert "checked in: it can no longer be cancelled" in words(refused)
        client.post("/logout")
    assert reload(Booking, booking).status == BookingStatus.CONFIRMED


def test_before_check_in_cancel_is_offered(client, world, login, english, booked):
    now = utcnow()
    booking = booked(now + timedelta(days=3), now + timedelta(days=3, hours=1))
    login(world.sme)

    assert "cancel-action" in page_text(client.get(f"/bookings/{booking.id}"))


def test_a_cancelled_booking_shows_no_estimate(client, world, login, english, booked):
    now = utcnow()
    booking = booked(now + timedelta(days=3), now + timedelta(days=3, hours=1))
    active = booked(now + timedelta(days=4), now + timedelta(days=4, hours=1))
    bookings.cancel(world.sme, booking, "plans changed")
    db.session.commit()
    login(world.sme)

    detail = page_text(client.get(f"/bookings/{booking.id}"))
    mine = page_text(client.get("/bookings"))

    assert 'id="estimated-fee"' not in detail
    assert "Estimated fee" not in detail
    assert 'id="estimated-fee"' in page_text(client.get(f"/bookings/{active.id}"))
    row = re.search(rf'/bookings/{booking.id}".*?</tr>', mine, re.S).group(0)
    assert "¥143.45" not in row and "no-charge" in row
    active_row = re.search(rf'/bookings/{active.id}".*?</tr>', mine, re.S).group(0)
    assert "¥143.45" in active_row
