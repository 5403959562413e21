"""Notices in the app: written with the mail, in the change's own transaction or, for a booking,
when its outbox event is sent; one per recipient, rendered in the reader's language; the unread
count; reading only one's own, twice harmlessly."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from equipment_share.domain.errors import NotFound
from equipment_share.extensions import db
from equipment_share.models import Notification, OutboxMessage
from equipment_share.services import bookings, claims, notices, notifications, usage
from equipment_share.services.notice_text import render
from tests.clock import local, next_weekday
from tests.statement_helpers import RATE, SETUP, recorded_use
from tests.subsidy_helpers import MARCH, make_policy, use_on


def send_mail() -> None:
    """What `flask send-mail` does first: a booking's events become its notices and mails."""
    db.session.commit()
    notifications.expand_booking_events()


def received(user) -> list[tuple[str, str, int | None]]:
    send_mail()
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    return [(row.kind, row.object_type, row.object_id) for row in rows]


@pytest.fixture
def world(make_org, make_user, make_equipment):
    platform_org = make_org("platform", name="煤炭检测平台", name_en="Coal Testing Platform")
    sme_org = make_org("sme", name="华晟煤化科技", name_en="Huasheng Coal Chemicals")
    world = SimpleNamespace(
        platform=make_user("platform", platform_org),
        platform_colleague=make_user("platform", platform_org),
        sme=make_user("sme", sme_org),
        sme_colleague=make_user("sme", sme_org),
        finance=make_user("finance"),
        equipment=make_equipment(
            platform_org,
            requires_approval=True,
            name="扫描电子显微镜",
            name_en="Scanning electron microscope",
        ),
    )
    return world


def book(world, hour=9):
    day = next_weekday(2)
    booking = bookings.create_booking(
        world.sme, world.equipment.id, local(day, hour), local(day, hour + 1), "coal ash"
    )
    db.session.commit()
    return booking


def test_a_booking_request_tells_every_platform_user_and_not_the_sme(world):
    booking = book(world)
    for user in (world.platform, world.platform_colleague):
        assert received(user) == [("booking_requested", "booking", booking.id)]
    assert received(world.sme) == []
    assert received(world.sme_colleague) == []


def test_an_approval_and_a_rejection_tell_the_sme_who_booked(world):
    first, second = book(world, 9), book(world, 11)
    bookings.approve(world.platform, first)
    bookings.reject(world.platform, second, "The instrument is calibrated that morning.")
    assert received(world.sme) == [
        ("booking_approved", "booking", first.id),
        ("booking_rejected", "booking", second.id),
    ]
    assert received(world.sme_colleague) == []
    notice = db.session.scalars(
        select(Notification).where(Notification.kind == "booking_rejected")
    ).one()
    assert render(notice.kind, notice.params, "en") == (
        f"Your booking of Scanning electron microscope for "
        f"{local(next_weekday(2), 11):%Y-%m-%d} 11:00–12:00 is rejected: "
        "The instrument is calibrated that morning."
    )


def test_a_cancellation_tells_the_other_side_not_whoever_cancelled(world):
    by_sme, by_platform = book(world, 9), book(world, 11)
    before = {user.id: len(received(user)) for user in (world.platform, world.sme)}
    bookings.cancel(world.sme, by_sme, "Our sample is not ready.")
    bookings.cancel(world.platform, by_platform, "Maintenance.")
    platform_new = received(world.platform)[before[world.platform.id] :]
    sme_new = received(world.sme)[before[world.sme.id] :]
    assert platform_new == [("booking_cancelled", "booking", by_sme.id)]
    assert received(world.platform_colleague)[-2:] == [
        ("booking_cancelled", "booking", by_sme.id),
        ("booking_cancelled", "booking", by_platform.id),
    ]
    assert sme_new == [("booking_cancelled", "booking", by_platform.id)]


def test_usage_to_confirm_goes_to_the_sme_a_dispute_to_the_platform(world):
    start = local(date.today() - timedelta(days=3), 9)
    record = recorded_use(world.platform, world.sme, world.equipment, start)
    assert received(world.sme) == [("usage_recorded", "usage", record.id)]
    usage.dispute(world.sme, record, "We used it for one hour only.")
    assert received(world.platform) == [("usage_disputed", "usage", record.id)]
    assert received(world.platform_colleague) == [("usage_disputed", "usage", record.id)]
    usage.correct(
        world.platform, record, start, start + timedelta(hours=1), "One hour, as you say."
    )
    assert received(world.sme)[-1] == ("usage_corrected", "usage", record.id)
    notice = db.session.scalars(
        select(Notification).where(Notification.kind == "usage_corrected")
    ).one()
    assert notice.params["booking"] == record.booking_id
    assert notice.params["fee"] == str(record.fee)
    assert "¥" in render(notice.kind, notice.params, "zh_CN")


@pytest.fixture
def claim_world(make_user, make_org, make_equipment):
    finance = make_user("finance")
    platform = make_user("platform", make_org("platform"))
    sme = make_user("sme", make_org("sme", name="华晟煤化科技", tech_sme_certified=True))
    equipment = make_equipment(platform.organization, hourly_rate=RATE, setup_fee=SETUP)
    make_policy(finance)
    use_on(platform, sme, equipment, 2)
    db.session.commit()
    return SimpleNamespace(finance=finance, sme=sme, platform=platform)


def test_claims_submitted_go_to_finance_decisions_and_payment_to_the_sme(claim_world):
    world = claim_world
    claim = claims.draft_claim(world.sme, *MARCH)
    db.session.commit()
    claims.submit(world.sme, claim.id)
    db.session.commit()
    assert received(world.finance) == [("claim_submitted", "claim", claim.id)]
    assert [kind for kind, *_ in received(world.sme) if kind.startswith("claim")] == []
    claims.approve(world.finance, claim.id)
    db.session.commit()
    claims.pay(world.finance, claim.id, date(2026, 5, 1), "PAY-2026-001")
    db.session.commit()
    claim_notices = [row for row in received(world.sme) if row[0].startswith("claim")]
    assert claim_notices == [
        ("claim_approved", "claim", claim.id),
        ("claim_paid", "claim", claim.id),
    ]
    assert received(world.platform) == []  # the claim is none of the platform's business


def test_a_rejected_claim_says_why(claim_world):
    world = claim_world
    claim = claims.draft_claim(world.sme, *MARCH)
    db.session.commit()
    claims.submit(world.sme, claim.id)
    claims.reject(world.finance, claim.id, "The invoice is missing.")
    db.session.commit()
    notice = db.session.scalars(
        select(Notification).where(Notification.kind == "claim_rejected")
    ).one()
    assert notice.user_id == world.sme.id
    assert render(notice.kind, notice.params, "en") == (
        f"Subsidy claim no. {claim.id} (2026-03-01 – 2026-03-31) is rejected: "
        "The invoice is missing."
    )


def test_a_rolled_back_booking_leaves_no_notice_and_no_mail(world):
    """The booking's transaction writes its outbox event: rolled back, nothing is sent."""
    day = next_weekday(2)
    bookings.create_booking(world.sme, world.equipment.id, local(day, 9), local(day, 10), "x")
    db.session.rollback()
    assert received(world.platform) == []
    assert db.session.scalar(select(db.func.count()).select_from(OutboxMessage)) == 0


def test_a_bookings_notices_are_written_when_its_outbox_event_is_sent(world):
    booking = book(world)
    assert db.session.scalars(select(Notification)).all() == []  # not in its transaction
    bookings.approve(world.platform, booking)  # before the request's event is sent
    db.session.commit()
    assert db.session.scalars(select(Notification)).all() == []
    send_mail()
    # each event keeps the notice of its moment: a request, then its approval
    assert received(world.platform) == [("booking_requested", "booking", booking.id)]
    assert received(world.sme) == [("booking_approved", "booking", booking.id)]
    send_mail()  # sent once
    assert db.session.scalar(select(db.func.count()).select_from(Notification)) == 3


def test_an_event_queued_before_notices_moved_to_send_time_sends_mail_only(world):
    """Its notices were written with the change; sending it must not write them twice."""
    book(world)
    db.session.execute(update(OutboxMessage).values(event="booked"))  # as it was then named
    send_mail()
    assert received(world.platform) == []
    mails = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert sorted(mails) == sorted(
        user.email for user in (world.sme, world.platform, world.platform_colleague)
    )


def test_inactive_users_get_no_notice(world):
    world.platform_colleague.active = False
    db.session.commit()
    book(world)
    assert received(world.platform_colleague) == []
    assert len(received(world.platform)) == 1


# --- reading ---


def test_the_unread_count_counts_only_the_users_own_unread_notices(world):
    first, second = book(world, 9), book(world, 11)
    bookings.approve(world.platform, first)
    send_mail()
    assert notices.unread_count(world.platform) == 2
    assert notices.unread_count(world.sme) == 1
    assert notices.unread_count(None) == 0
    notice = db.session.scalars(notices.notices_query(world.platform)).first()
    assert notice.params["booking"] == second.id  # newest first
    notices.mark_read(world.platform, notice.id)
    db.session.commit()
    assert notices.unread_count(world.platform) == 1
    assert notices.unread_count(world.platform_colleague) == 2


def test_only_the_recipient_may_mark_a_notice_read(world):
    book(world)
    send_mail()
    notice = db.session.scalars(notices.notices_query(world.platform)).one()
    for other in (world.platform_colleague, world.sme, world.finance):
        with pytest.raises(NotFound):
            notices.mark_read(other, notice.id)
    db.session.commit()
    db.session.refresh(notice)
    assert notice.read_at is None
    with pytest.raises(NotFound):
        notices.mark_read(world.platform, notice.id + 1000)


def test_marking_read_twice_keeps_the_first_time(world):
    book(world)
    send_mail()
    notice = db.session.scalars(notices.notices_query(world.platform)).one()
    first = notices.mark_read(world.platform, notice.id).read_at
    db.session.commit()
    again = notices.mark_read(world.platform, notice.id)
    db.session.commit()
    assert first is not None and again.read_at == first
    assert notices.mark_all_read(world.platform) == 0


def test_mark_all_read_marks_only_the_users_own(world):
    book(world, 9), book(world, 11)
    send_mail()
    assert notices.mark_all_read(world.platform) == 2
    db.session.commit()
    assert notices.unread_count(world.platform) == 0
    assert notices.unread_count(world.platform_colleague) == 2
    assert db.session.scalars(notices.notices_query(world.platform, unread=True)).all() == []


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "Huasheng Coal Chemicals requests Scanning electron microscope for"),
        ("zh_CN", "华晟煤化科技 申请预约 扫描电子显微镜，时间"),
    ],
)
def test_a_notice_reads_in_the_readers_language(world, locale, expected):
    book(world)
    send_mail()
    notice = db.session.scalars(notices.notices_query(world.platform)).one()
    assert render(notice.kind, notice.params, locale).startswith(expected)
