"""Booking pages: the week view, the booking form, an SME's bookings, the platform's inbox,
one booking's page and the buttons that change it, and the catalogue's free-time search."""

import re
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.week_grid import monday_of
from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Booking, MaintenanceBlock, ProductionRun
from equipment_share.services import bookings
from tests.clock import SHANGHAI, local, next_weekday
from tests.conftest import count_rows
from tests.web.conftest import csrf_token, page_text

BLOCK = re.compile(
    r'class="wk (free|busy)([a-z ]*) d-(\d) r-\d+ s-\d+"[^\n]*?<span class="wk-time">([^<]+)</span>'
)


TUESDAY = next_weekday(1)


def field(day: date, hour: int, minute: int = 0) -> str:
    """The value of a datetime-local input."""
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def words(response) -> str:
    """The page's text without tags, its whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())


def blocks(response, day: date = TUESDAY) -> list[str]:
    """The week view's blocks of one day: "free 08:00–20:00", "busy mine 10:00–11:00", ..."""
    assert response.status_code == 200
    column = str(day.weekday())
    return [
        " ".join([state, *kinds.split(), times])
        for state, kinds, block_day, times in BLOCK.findall(response.get_data(as_text=True))
        if block_day == column
    ]


def book(user, equipment, day=TUESDAY, start=10, end=11, **options):
    booking = bookings.create_booking(
        user, equipment.id, local(day, start), local(day, end), "R&D tests", **options
    )
    db.session.commit()
    return booking


def reload(booking: Booking) -> Booking:
    db.session.commit()  # end this test's read transaction, to see what the app wrote
    return db.session.get(Booking, booking.id)


def position(text: str, booking: Booking) -> int:
    index = text.find(f'id="booking-{booking.id}"')
    assert index >= 0, f"booking {booking.id} is not listed"
    return index


@pytest.fixture
def world(make_org, make_user, make_equipment):
    platform = make_org("platform", name="煤炭平台")
    equipment = make_equipment(
        platform, lead_time_hours=0, setup_fee="50.00", min_charge_minutes=60
    )
    sme_org = make_org("sme", name="华晟煤化科技有限公司")
    return SimpleNamespace(
        platform=platform,
        equipment=equipment,
        sme=make_user("sme", sme_org, name="张工"),
        manager=make_user("platform", platform, name="王主任"),
        other_sme=make_user("sme", make_org("sme", name="另一家企业")),
    )


# --- week view ------------------------------------------------------------------------------


def test_week_view_shows_free_time_as_one_link_per_interval_to_the_prefilled_form(client, world):
    response = client.get(f"/equipment/{world.equipment.id}/week?start={TUESDAY}")

    assert blocks(response) == ["free 08:00–20:00"]
    text = response.get_data(as_text=True)
    assert text.count('class="wk free') == 7
    link = f"/equipment/{world.equipment.id}/book?start={field(TUESDAY, 8)}&amp;end={field(TUESDAY, 8, 30)}"
    assert f'href="{link}"' in text
    assert "js/week.js" in text
    assert "css/week-grid.css" in text
    assert " style=" not in text


def test_the_link_of_a_free_interval_asks_for_the_minimum_booking_length(client, world):
    world.equipment.min_booking_minutes = 90
    db.session.commit()

    text = client.get(f"/equipment/{world.equipment.id}/week?start={TUESDAY}").get_data(
        as_text=True
    )

    assert f"start={field(TUESDAY, 8)}&amp;end={field(TUESDAY, 9, 30)}" in text


def test_another_enterprise_sees_a_booking_as_busy_without_its_name(client, world, login):
    book(world.sme, world.equipment, start=10, end=11)
    login(world.other_sme)

    response = client.get(f"/equipment/{world.equipment.id}/week?start={TUESDAY}")

    assert blocks(response) == ["free 08:00–10:00", "busy 10:00–11:00", "free 11:00–20:00"]
    text = page_text(response)
    assert "华晟" not in text
    assert "张工" not in text
    assert world.sme.email not in text
    assert "/bookings/" not in response.get_data(as_text=True)


def test_an_enterprise_sees_its_own_booking_with_its_status(client, world, login, english):
    booking = book(world.sme, world.equipment, start=10, end=11)
    book(world.other_sme, world.equipment, start=14, end=15)
    login(world.sme)

    response = client.get(f"/equipment/{world.equipment.id}/week?start={TUESDAY}")

    assert blocks(response) == [
        "free 08:00–10:00",
        "busy booking mine 10:00–11:00",
        "free 11:00–14:00",
        "busy 14:00–15:00",
        "free 15:00–20:00",
    ]
    text = words(response)
    assert "your booking 10:00–11:00 pending approval" in text
    assert f'href="/bookings/{booking.id}"' in response.get_data(as_text=True)
    assert "另一家企业" not in text


def test_the_platform_sees_who_booked_and_why_time_is_busy(client, world, login, english):
    book(world.sme, world.equipment, start=10, end=11)
    db.session.add_all(
        [
            MaintenanceBlock(
                equipment_id=world.equipment.id,
                start_at=local(TUESDAY, 14),
                end_at=local(TUESDAY, 15),
                reason="年度校准",
            ),
            ProductionRun(
                equipment_id=world.equipment.id,
                start_at=local(TUESDAY, 16),
                end_at=local(TUESDAY, 18),
                summary="焦炭批次",
            ),
        ]
    )
    db.session.commit()
    login(world.manager)

    response = client.get(f"/equipment/{world.equipment.id}/week?start={TUESDAY}")

    assert [block for block in blocks(response) if block.startswith("busy")] == [
        "busy booking 10:00–11:00",
        "busy maintenance 14:00–15:00",
        "busy production 16:00–18:00",
    ]
    text = words(response)
    assert "booking 10:00–11:00 华晟煤化科技有限公司 pending approval" in text
    assert "maintenance 14:00–15:00" in text
    assert "production run 16:00–18:00" in text


def test_maintenance_is_busy_and_the_past_is_closed(client, world):
    db.session.add(
        MaintenanceBlock(
            equipment_id=world.equipment.id,
            start_at=local(TUESDAY, 14),
            end_at=local(TUESDAY, 15),
            reason="年度校准",
        )
    )
    db.session.commit()

    response = client.get(f"/equipment/{world.equipment.id}/week?start={TUESDAY}")
    assert "busy 14:00–15:00" in blocks(response)
    assert "年度校准" not in page_text(response)

    last_week = monday_of(datetime.now(SHANGHAI).date()) - timedelta(days=7)
    past = client.get(f"/equipment/{world.equipment.id}/week?start={last_week}")
    assert past.status_code == 200
    assert 'class="wk ' not in past.get_data(as_text=True)


def test_week_view_links_to_the_previous_and_next_week(client, world):
    monday = monday_of(TUESDAY)

    text = client.get(f"/equipment/{world.equipment.id}/week?start={TUESDAY}").get_data(
        as_text=True
    )

    assert f'/equipment/{world.equipment.id}/week?start={monday - timedelta(days=7)}"' in text
    assert f'/equipment/{world.equipment.id}/week?start={monday + timedelta(days=7)}"' in text
    assert field(monday + timedelta(days=1), 8) in text
    assert field(monday - timedelta(days=1), 8) not in text


@pytest.mark.parametrize("start", ["", "not-a-date", "2026-13-45", "9999-12-31", "0001-01-01"])
def test_week_view_without_a_usable_date_shows_this_week(client, world, start):
    this_monday = monday_of(datetime.now(SHANGHAI).date())

    response = client.get(f"/equipment/{world.equipment.id}/week?start={start}")

    assert response.status_code == 200
    assert (
        f'href="/equipment/{world.equipment.id}/week?start={this_monday + timedelta(days=7)}"'
        in (response.get_data(as_text=True))
    )


def test_week_view_of_a_hidden_instrument_is_not_found(client, world):
    world.equipment.active = False
    db.session.commit()

    assert client.get(f"/equipment/{world.equipment.id}/week").status_code == 404


def test_platform_users_see_free_slots_without_booking_links(client, world, login, english):
    login(world.manager)

    response = client.get(f"/equipment/{world.equipment.id}/week?start={TUESDAY}")

    assert blocks(response) == ["free 08:00–20:00"]
    assert f"/equipment/{world.equipment.id}/book" not in response.get_data(as_text=True)
    assert "Only enterprise (SME) users can book instruments." in page_text(response)


def test_the_instrument_page_links_to_its_week_view(client, world):
    text = client.get(f"/equipment/{world.equipment.id}").get_data(as_text=True)

    assert f'href="/equipment/{world.equipment.id}/week"' in text


# --- booking form ---------------------------------------------------------------------------


def test_booking_form_is_prefilled_and_shows_the_rate_card_and_estimate(
    client, world, login, english
):
    login(world.sme)

    response = client.get(
        f"/equipment/{world.equipment.id}/book",
        query_string={"start": field(TUESDAY, 10), "end": field(TUESDAY, 11, 30)},
    )

    assert response.status_code == 200
    text = page_text(response)
    assert f'value="{field(TUESDAY, 10)}"' in text
    assert f'value="{field(TUESDAY, 11, 30)}"' in text
    assert "¥300.00" in text and "¥50.00" in text
    assert "Fee = billable hours × hourly rate + setup fee." in text
    assert "For 90 minutes as booked: ¥500.00" in words(response)


def test_sme_books_through_the_form_and_waits_for_approval(client, world, login, english):
    login(world.sme)

    response = client.post(
        f"/equipment/{world.equipment.id}/book",
        data={"start": field(TUESDAY, 10), "end": field(TUESDAY, 12), "purpose": "煤样热值测试"},
    )

    assert response.status_code == 302
    booking = db.session.scalar(select(Booking))
    assert response.headers["Location"] == f"/bookings/{booking.id}"
    assert booking.status == BookingStatus.PENDING
    assert booking.start_at == local(TUESDAY, 10).astimezone(UTC)
    assert booking.organization_id == world.sme.organization_id
    assert booking.purpose == "煤样热值测试"
    detail = page_text(client.get(response.headers["Location"]))
    assert "pending the platform's approval" in detail
    assert "煤样热值测试" in detail
    assert "¥650.00" in detail  # 2 h × ¥300 + ¥50 setup


def test_the_booking_form_offers_the_kinds_of_use_in_the_readers_language(client, world, login):
    login(world.sme)

    chinese = page_text(client.get(f"/equipment/{world.equipment.id}/book"))

    assert '<option selected value="research">研究开发</option>' in chinese
    assert ">法定认证检验</option>" in chinese
    assert "product_testing</option>" not in chinese  # a word, never the code


def test_the_kind_of_use_is_kept_and_shown_on_the_booking(client, world, login, english):
    login(world.sme)

    response = client.post(
        f"/equipment/{world.equipment.id}/book",
        data={
            "start": field(TUESDAY, 10),
            "end": field(TUESDAY, 12),
            "purpose_category": "certification",
        },
        follow_redirects=True,
    )

    assert db.session.scalar(select(Booking)).purpose_category == "certification"
    assert "statutory certification" in words(response)
    assert "statutory certification" in words(client.get("/bookings"))


def test_an_unknown_kind_of_use_is_refused_and_nothing_is_written(client, world, login, english):
    login(world.sme)

    response = client.post(
        f"/equipment/{world.equipment.id}/book",
        data={
            "start": field(TUESDAY, 10),
            "end": field(TUESDAY, 12),
            "purpose_category": "mass_inspection",
        },
    )

    assert response.status_code == 422
    assert "Choose one of" in page_text(response)
    db.session.commit()
    assert count_rows(Booking) == 0


def test_without_approval_the_booking_is_confirmed_at_once(client, world, login, english):
    world.equipment.requires_approval = False
    db.session.commit()
    login(world.sme)

    response = client.post(
        f"/equipment/{world.equipment.id}/book",
        data={"start": field(TUESDAY, 10), "end": field(TUESDAY, 11)},
        follow_redirects=True,
    )

    assert "Your booking is confirmed." in page_text(response)
    assert db.session.scalar(select(Booking)).status == BookingStatus.CONFIRMED


def test_a_conflicting_booking_is_refused_with_the_clash_and_nothing_is_written(
    client, world, login, english
):
    book(world.other_sme, world.equipment, start=10, end=12)
    login(world.sme)

    response = client.post(
        f"/equipment/{world.equipment.id}/book",
        data={"start": field(TUESDAY, 11), "end": field(TUESDAY, 13)},
    )

    assert response.status_code == 409
    text = page_text(response)
    assert "The slot overlaps another booking of this instrument." in text
    assert f"{TUESDAY.isoformat()} 10:00 – 12:00" in text
    assert "另一家企业" not in text
    assert f'value="{field(TUESDAY, 11)}"' in text  # the form keeps what was typed
    db.session.commit()
    assert count_rows(Booking) == 1
    assert count_rows(AuditEntry, AuditEntry.object_type == "booking") == 1


@pytest.mark.parametrize(
    ("start", "end", "status", "message"),
    [
        ((21, 0), (22, 0), 422, "The instrument is not offered at that time."),
        ((10, 10), (10, 40), 422, "Start and end must fall on the 30-minute slot grid."),
        ((10, 0), (19, 0), 422, "A booking lasts at most 480 minutes."),
    ],
    ids=["outside-idle-time", "misaligned-slot", "too-long"],
)
def test_a_refused_booking_says_why_and_writes_nothing(
    client, world, login, english, start, end, status, message
):
    login(world.sme)

    response = client.post(
        f"/equipment/{world.equipment.id}/book",
        data={"start": field(TUESDAY, *start), "end": field(TUESDAY, *end)},
    )

    assert response.status_code == status
    assert message in page_text(response)
    db.session.commit()
    assert count_rows(Booking) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": field(TUESDAY, 11), "end": field(TUESDAY, 10)}, "The end must be after"),
        ({"start": field(TUESDAY, 10)}, "This field is required."),
        ({"start": "yesterday", "end": field(TUESDAY, 10)}, "Not a valid datetime value."),
        ({"start": "0001-01-01T00:00", "end": field(TUESDAY, 10)}, "out of range"),
    ],
    ids=["end-before-start", "missing-end", "not-a-date", "year-one"],
)
def test_bad_form_input_is_shown_on_the_form(client, world, login, english, data, message):
    login(world.sme)

    response = client.post(f"/equipment/{world.equipment.id}/book", data=data)

    assert response.status_code == 422
    assert message in page_text(response)
    db.session.commit()
    assert count_rows(Booking) == 0


def test_only_smes_may_book(client, world, login, english):
    anonymous = client.get(f"/equipment/{world.equipment.id}/book")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=")

    login(world.manager)
    response = client.post(
        f"/equipment/{world.equipment.id}/book",
        data={"start": field(TUESDAY, 10), "end": field(TUESDAY, 11)},
    )

    assert response.status_code == 403
    assert "Only enterprise (SME) users can book instruments." in page_text(response)
    assert count_rows(Booking) == 0


# --- my bookings, cancelling ----------------------------------------------------------------


def test_my_bookings_lists_upcoming_first_then_past_and_not_other_enterprises(
    client, world, login, english, make_equipment
):
    later = book(world.sme, world.equipment, day=TUESDAY + timedelta(days=1))
    sooner = book(world.sme, world.equipment)
    cancelled = book(world.sme, world.equipment, start=14, end=15)
    bookings.cancel(world.sme, cancelled, "改期")
    db.session.commit()
    other = book(world.other_sme, world.equipment, start=16, end=17)
    login(world.sme)

    response = client.get("/bookings")

    assert response.status_code == 200
    text = page_text(response)
    assert position(text, sooner) < position(text, later) < position(text, cancelled)
    assert text.index("Upcoming") < position(text, sooner)
    assert position(text, later) < text.index("Past and closed") < position(text, cancelled)
    assert f'id="booking-{other.id}"' not in text


def test_sme_cancels_with_a_reason(client, world, login, english):
    booking = book(world.sme, world.equipment)
    login(world.sme)

    refused = client.post(f"/bookings/{booking.id}/cancel", data={"reason": " "})
    assert refused.status_code == 302
    assert "Reason: This field is required." in page_text(client.get("/bookings"))
    assert reload(booking).status == BookingStatus.PENDING

    response = client.post(
        f"/bookings/{booking.id}/cancel",
        data={"reason": "样品未到", "next": "/bookings"},
        follow_redirects=True,
    )

    assert "The booking is cancelled." in page_text(response)
    booking = reload(booking)
    assert booking.status == BookingStatus.CANCELLED
    assert booking.status_reason == "样品未到"
    assert booking.late_cancellation is False


def test_cancelling_after_the_deadline_is_flagged_late(client, world, login, english):
    world.equipment.cancellation_deadline_hours = 24 * 30
    db.session.commit()
    booking = book(world.sme, world.equipment)
    login(world.sme)

    listing = page_text(client.get("/bookings"))
    assert "Late cancellation: the booking starts in less than 720 hours" in listing

    response = client.post(
        f"/bookings/{booking.id}/cancel", data={"reason": "计划变更"}, follow_redirects=True
    )

    text = page_text(response)
    assert "This is a late cancellation" in text
    assert "late cancellation" in text.split("History")[0]
    assert reload(booking).late_cancellation is True


def test_another_enterprise_can_neither_see_nor_cancel_a_booking(client, world, login):
    booking = book(world.sme, world.equipment)
    login(world.other_sme)

    assert client.get(f"/bookings/{booking.id}").status_code == 404
    assert client.post(f"/bookings/{booking.id}/cancel", data={"reason": "x"}).status_code == 404
    assert reload(booking).status == BookingStatus.PENDING


@pytest.mark.parametrize("role", ["admin", "finance"])
def test_operators_see_a_booking_without_action_buttons(client, world, login, make_user, role):
    booking = book(world.sme, world.equipment)
    login(make_user(role))

    response = client.get(f"/bookings/{booking.id}")

    assert response.status_code == 200
    assert "/approve" not in response.get_data(as_text=True)
    assert "/cancel" not in response.get_data(as_text=True)


def test_another_platform_cannot_see_or_approve_a_booking(client, world, login, make_user):
    booking = book(world.sme, world.equipment)
    login(make_user("platform"))

    assert client.get(f"/bookings/{booking.id}").status_code == 404
    assert client.post(f"/bookings/{booking.id}/approve").status_code == 404
    assert reload(booking).status == BookingStatus.PENDING


def test_an_sme_cannot_approve_its_own_booking(client, world, login, english):
    booking = book(world.sme, world.equipment)
    login(world.sme)

    response = client.post(f"/bookings/{booking.id}/approve", follow_redirects=True)

    assert "Only the platform that owns the instrument may do this." in page_text(response)
    assert reload(booking).status == BookingStatus.PENDING


# --- the platform's side --------------------------------------------------------------------


def test_platform_approves_in_one_click(client, world, login, english):
    booking = book(world.sme, world.equipment)
    login(world.manager)

    response = client.post(
        f"/bookings/{booking.id}/approve",
        data={"next": "/bookings/inbox?status=pending"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/bookings/inbox?status=pending"
    assert reload(booking).status == BookingStatus.CONFIRMED
    detail = page_text(client.get(f"/bookings/{booking.id}"))
    assert "The booking is confirmed." in detail
    assert "王主任" in detail  # the history says who approved


def test_platform_rejects_only_with_a_reason(client, world, login, english):
    booking = book(world.sme, world.equipment)
    login(world.manager)

    refused = client.post(f"/bookings/{booking.id}/reject", data={"reason": ""})
    assert refused.status_code == 302
    assert "Reason: This field is required." in page_text(client.get(f"/bookings/{booking.id}"))
    assert reload(booking).status == BookingStatus.PENDING

    client.post(f"/bookings/{booking.id}/reject", data={"reason": "仪器当天另有安排"})

    booking = reload(booking)
    assert booking.status == BookingStatus.REJECTED
    assert booking.status_reason == "仪器当天另有安排"
    client.post("/logout")
    client.post("/login", data={"email": world.sme.email, "password": "correct-horse-9"})
    detail = page_text(client.get(f"/bookings/{booking.id}"))
    assert "仪器当天另有安排" in detail
    assert "rejected" in detail


def test_no_show_can_be_marked_only_after_the_start(client, world, login, english):
    world.equipment.requires_approval = False
    db.session.commit()
    yesterday = datetime.now(SHANGHAI).date() - timedelta(days=1)
    started = book(world.sme, world.equipment, day=yesterday, now=local(yesterday, 0))
    upcoming = book(world.sme, world.equipment)
    login(world.manager)

    inbox = client.get("/bookings/inbox").get_data(as_text=True)
    assert f"/bookings/{started.id}/no-show" in inbox
    assert f"/bookings/{upcoming.id}/no-show" not in inbox

    client.post(f"/bookings/{started.id}/no-show")
    response = client.post(f"/bookings/{upcoming.id}/no-show", follow_redirects=True)

    assert "only after it has started" in page_text(response)
    assert reload(started).status == BookingStatus.NO_SHOW
    assert reload(upcoming).status == BookingStatus.CONFIRMED


def test_approving_a_cancelled_booking_says_it_cannot(client, world, login, english):
    booking = book(world.sme, world.equipment)
    bookings.cancel(world.sme, booking, "不需要了")
    db.session.commit()
    login(world.manager)

    response = client.post(f"/bookings/{booking.id}/approve", follow_redirects=True)

    assert response.status_code == 200
    assert "The booking is cancelled: it cannot be changed that way (approve)." in page_text(
        response
    )
    assert reload(booking).status == BookingStatus.CANCELLED


def test_refusals_in_chinese_say_the_status_in_chinese_not_its_code(client, world, login):
    booking = book(world.sme, world.equipment)
    login(world.manager)
    client.post(f"/bookings/{booking.id}/approve")

    response = client.post(f"/bookings/{booking.id}/approve", follow_redirects=True)

    text = page_text(response)
    assert "该预约“已确认”，不能执行此操作（批准）。" in text
    assert "confirmed" not in words(response) and "approve)" not in text


def test_inbox_puts_pending_first_oldest_request_first_then_upcoming_then_the_rest(
    client, world, login, english, make_equipment, make_user
):
    quick = make_equipment(world.platform, lead_time_hours=0, requires_approval=False)
    confirmed = book(world.sme, quick, start=9, end=10)
    first_request = book(world.sme, world.equipment, day=TUESDAY + timedelta(days=2))
    second_request = book(world.other_sme, world.equipment)
    rejected = book(world.sme, world.equipment, start=15, end=16)
    bookings.reject(world.manager, rejected, "冲突")
    db.session.commit()
    elsewhere = book(world.sme, make_equipment(lead_time_hours=0))
    login(world.manager)

    response = client.get("/bookings/inbox")

    text = page_text(response)
    order = [position(text, booking) for booking in (first_request, second_request, confirmed)]
    assert order == sorted(order)
    assert position(text, confirmed) < position(text, rejected)
    assert f'id="booking-{elsewhere.id}"' not in text
    assert "Waiting for your decision" in text
    assert '<span class="count-badge"' in response.get_data(as_text=True)


def test_inbox_filters_by_instrument_and_status(client, world, login, make_equipment):
    other_instrument = make_equipment(world.platform, lead_time_hours=0)
    here = book(world.sme, world.equipment)
    there = book(world.sme, other_instrument)
    bookings.approve(world.manager, there)
    db.session.commit()
    login(world.manager)

    by_instrument = client.get(f"/bookings/inbox?equipment_id={world.equipment.id}").text
    by_status = client.get("/bookings/inbox?status=confirmed").text
    ignored = client.get("/bookings/inbox?status=nonsense&equipment_id=abc")

    assert f'id="booking-{here.id}"' in by_instrument
    assert f'id="booking-{there.id}"' not in by_instrument
    assert f'id="booking-{there.id}"' in by_status
    assert f'id="booking-{here.id}"' not in by_status
    assert ignored.status_code == 200
    assert f'id="booking-{here.id}"' in ignored.text


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        ("sme", "/bookings/inbox", 403),
        ("platform", "/bookings", 403),
        ("sme", "/bookings/all", 403),
        ("platform", "/bookings/all", 403),
        ("finance", "/bookings/all", 200),
        ("admin", "/bookings/all", 200),
    ],
)
def test_lists_are_for_their_roles(client, login, make_user, role, url, status):
    login(make_user(role))

    assert client.get(url).status_code == status


def test_nav_links_by_role(client, world, login, english):
    login(world.sme)
    assert 'href="/bookings"' in client.get("/").text
    client.post("/logout")
    login(world.manager)
    page = client.get("/").text
    assert 'href="/bookings/inbox"' in page
    assert 'href="/bookings"' not in page


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_operators_see_every_booking_on_the_pages(
    client, world, login, english, make_user, make_org, make_equipment, role
):
    mine = book(world.sme, world.equipment)
    other_platform = make_equipment(make_org("platform", name="铸造平台"), lead_time_hours=0)
    theirs = book(world.other_sme, other_platform, day=TUESDAY + timedelta(days=1))
    login(make_user(role))

    assert 'href="/bookings/all"' in client.get("/").text
    redirected = client.get("/bookings")
    assert redirected.status_code == 302
    assert redirected.headers["Location"] == "/bookings/all"
    text = page_text(client.get("/bookings/all"))

    assert position(text, theirs) < position(text, mine)  # latest first
    assert "华晟煤化科技有限公司" in text and "另一家企业" in text
    assert "煤炭平台" in text and "铸造平台" in text
    assert client.get(f"/bookings/{theirs.id}").status_code == 200


def test_every_booking_list_filters_as_the_api_does(client, world, login, make_user):
    early = book(world.sme, world.equipment)
    late = book(world.other_sme, world.equipment, day=TUESDAY + timedelta(days=2))
    bookings.cancel(world.sme, early, "计划变更")
    db.session.commit()
    login(make_user("finance"))

    def shown(**query) -> set[int]:
        response = client.get("/bookings/all", query_string=query)
        assert response.status_code == 200
        return {int(number) for number in re.findall(r'id="booking-(\d+)"', response.text)}

    assert shown() == {early.id, late.id}
    assert shown(status="cancelled") == {early.id}
    assert shown(status="pending") == {late.id}
    assert shown(**{"from": str(TUESDAY + timedelta(days=1))}) == {late.id}
    assert shown(to=str(TUESDAY)) == {early.id}
    assert shown(status="nonsense", to="not a date") == {early.id, late.id}


def test_history_lists_every_change_with_who_and_why(client, world, login, english):
    booking = book(world.sme, world.equipment)
    bookings.approve(world.manager, booking)
    bookings.cancel(world.manager, booking, "设备故障")
    db.session.commit()
    login(world.sme)

    history = words(client.get(f"/bookings/{booking.id}")).split("History")[1]

    assert "张工 requested pending approval" in history
    assert "王主任 approved pending approval → confirmed" in history
    assert "王主任 cancelled confirmed → cancelled 设备故障" in history


# --- CSRF -----------------------------------------------------------------------------------


def test_booking_and_approving_need_the_form_token(csrf_client, world):
    def sign_in(user):
        token = csrf_token(csrf_client.get("/login"))
        csrf_client.post(
            "/login",
            data={"email": user.email, "password": "correct-horse-9", "csrf_token": token},
        )

    sign_in(world.sme)
    url = f"/equipment/{world.equipment.id}/book"
    data = {"start": field(TUESDAY, 10), "end": field(TUESDAY, 11)}
    assert csrf_client.post(url, data=data).status_code == 400
    form_token = csrf_token(csrf_client.get(url))
    assert csrf_client.post(url, data=data | {"csrf_token": form_token}).status_code == 302
    db.session.commit()
    booking = db.session.scalar(select(Booking))

    csrf_client.post("/logout", data={"csrf_token": form_token})
    sign_in(world.manager)
    assert csrf_client.post(f"/bookings/{booking.id}/approve").status_code == 400
    inbox_token = csrf_token(csrf_client.get("/bookings/inbox"))
    approve = csrf_client.post(f"/bookings/{booking.id}/approve", data={"csrf_token": inbox_token})
    assert approve.status_code == 302
    assert reload(booking).status == BookingStatus.CONFIRMED


# --- catalogue: free between … and … --------------------------------------------------------


def listed(response) -> set[int]:
    assert response.status_code == 200
    # a card links to the instrument, or to its week at the searched window
    pattern = r'class="card-link" href="/equipment/(\d+)[/"]'
    return {int(number) for number in re.findall(pattern, response.text)}


def test_catalogue_lists_only_instruments_free_for_the_whole_window(client, world, make_equipment):
    booked = make_equipment(lead_time_hours=0)
    book(world.sme, booked, start=11, end=12)
    evenings = make_equipment(weekly=[((0, 1, 2, 3, 4), time(18), time(22))])

    response = client.get(
        "/", query_string={"free_from": field(TUESDAY, 10), "free_to": field(TUESDAY, 13)}
    )

    assert listed(response) == {world.equipment.id}
    assert listed(client.get("/")) == {world.equipment.id, booked.id, evenings.id}
    after = client.get(
        "/", query_string={"free_from": field(TUESDAY, 12), "free_to": field(TUESDAY, 13)}
    )
    assert listed(after) == {world.equipment.id, booked.id}


@pytest.mark.parametrize(
    ("free_from", "free_to", "message"),
    [
        (field(TUESDAY, 10), "", "give both the start and the end"),
        ("", field(TUESDAY, 10), "give both the start and the end"),
        (field(TUESDAY, 12), field(TUESDAY, 10), "The end must be after the start."),
        (field(TUESDAY, 10), field(TUESDAY + timedelta(days=15), 10), "at most 14 days"),
        ("next tuesday", field(TUESDAY, 10), "as a date and a time"),
        ("0001-01-01T00:00", field(TUESDAY, 10), "as a date and a time"),
    ],
    ids=["no-end", "no-start", "reversed", "too-long", "not-a-date", "year-one"],
)
def test_catalogue_explains_a_bad_free_window(client, world, english, free_from, free_to, message):
    response = client.get("/", query_string={"free_from": free_from, "free_to": free_to})

    assert response.status_code == 200
    assert message in page_text(response)
    assert listed(response) == {world.equipment.id}
